"""Development mode's mail backend: Django's console backend, with text left readable.

Django builds a message with `email.policy.default`, which wraps a text part whose lines
run past 78 characters in quoted-printable; a confirmation or set-password link printed
that way breaks across lines with `=` at each break and cannot be clicked or copied. Here
the message is built with lines allowed up to SMTP's own limit (998), so text parts are
printed as plain 7- or 8-bit text. SMTP delivery does not come through here
(`lcoo.transport` builds its bytes with `email.policy.SMTP`)."""

from __future__ import annotations

import email.policy

from django.core.mail.backends import console

#: Lines up to SMTP's limit stay whole; 8-bit text is printed as it is.
READABLE = email.policy.default.clone(max_line_length=998, cte_type="8bit")


class EmailBackend(console.EmailBackend):
    def write_message(self, message) -> None:
        msg = message.message(policy=READABLE)
        self.stream.write(msg.as_bytes().decode("utf-8") + "\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
