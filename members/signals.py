"""Events of the members app that apps above it may act on (it imports none of them)."""

from django.dispatch import Signal

#: A person's password was set, by any way there is (sign-up, reset, change, the admin,
#: `changepassword`): sent with `person`, before the new hash is saved.
password_set = Signal()
