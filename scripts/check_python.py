"""Stop early, with a clear message, when the Python at hand is too old for Django 6."""

import sys

if sys.version_info < (3, 12):  # noqa: UP036 - this script runs on older Pythons on purpose
    found = ".".join(map(str, sys.version_info[:3]))
    sys.exit(
        f"Python 3.12 or newer is needed (Django 6 requires it); this is Python {found}.\n"
        "With pyenv, the project's .python-version file selects 3.12; "
        "otherwise run: make PYTHON=python3.12 ..."
    )
