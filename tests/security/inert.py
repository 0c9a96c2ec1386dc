"""What "inert" means for a page: the portal's own scripts only, no handlers, no
script URLs, no embedded active content — whatever users typed into it."""

from __future__ import annotations

from html.parser import HTMLParser

ACTIVE_TAGS = {"iframe", "object", "embed", "base", "form-injected", "meta-refresh"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}

#: Payloads every text field gets. Each tries a different way out of its context.
XSS_CORPUS = [
    '<script>alert("xss-1")</script>',
    '<img src=x onerror=alert("xss-2")>',
    '"><svg onload=alert("xss-3")>',
    "'><body onload=alert('xss-4')>",
    "javascript:alert('xss-5')",
    "<a href=\"javascript:alert('xss-6')\">click</a>",
    "[click](javascript:alert('xss-7'))",
    '<iframe src="https://evil.example/xss-8"></iframe>',
    "</textarea><script>alert('xss-9')</script>",
    "{{ 7*7 }}{% debug %}xss-10",
    "<math><mi xlink:href=\"javascript:alert('xss-11')\">x</mi></math>",
    "<details open ontoggle=alert('xss-12')>",
    '<style>@import "https://evil.example/xss-13.css";</style>',
    "\"onmouseover=\"alert('xss-14')",
]


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and value.replace(" ", "").startswith(
                ("javascript:", "vbscript:")
            ):
                self.problems.append(f"<{tag} {name}={value[:40]}>")
        if tag == "script":
            # Scripts from the portal's own origin (static files, the admin's catalogue),
            # or inert JSON data blocks.
            attributes = dict(attrs)
            src = attributes.get("src") or ""
            same_origin = src.startswith("/") and not src.startswith("//")
            if not same_origin and attributes.get("type") != "application/json":
                self.problems.append(f"<script src={src!r}>")
        if tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "style":
            self.problems.append("<style> element")

    handle_startendtag = handle_starttag


def active_content(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.problems


def payload_markers(text: str) -> list[str]:
    """Which corpus payloads survive verbatim (unescaped) in the text."""
    return [p for p in XSS_CORPUS if "<" in p and p in text]
