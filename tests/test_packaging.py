"""The portal as `pip install .` installs it: runtime dependencies only, no project folder.

A module that imports a development-only library (PyYAML once was one) works in every
test run, which has the dev extras installed, and fails only on a server. This test builds
a clean virtual environment, installs the portal there the way the Dockerfile does (pinned,
not editable, no extras), and imports every module from outside the project folder.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lcoo", "members", "meetings", "agreements", "joining")
#: Two real irc-meetings files (OpenStack's 2019 state): LCOO's own and a weekly one.
IRC_MEETINGS = Path(__file__).resolve().parent / "data" / "irc-meetings"

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
import django
django.setup()
names = []
for top in sys.argv[1:]:
    package = importlib.import_module(top)
    names.append(top)
    for info in pkgutil.walk_packages(package.__path__, prefix=top + "."):
        importlib.import_module(info.name)
        names.append(info.name)
print("\\n".join(sorted(names)))
"""


def _source_modules() -> list[str]:
    """Every module of the portal's packages in the source tree, as dotted names."""
    names = []
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


def _copy_source(destination: Path) -> Path:
    """What the sdist would hold, without the worktree's build leftovers (a stale build/
    folder would install modules deleted since)."""
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        "build",
        "*.egg-info",
        "node_modules",
        "__pycache__",
        "tests",
        "test-artifacts",
        "media",
        "staticfiles",
        "db.sqlite3",
    )
    shutil.copytree(ROOT, destination, ignore=ignore, symlinks=True)
    return destination


def _run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.slow
def test_the_installed_portal_imports_checks_migrates_and_imports_yaml2ical(tmp_path):
    source = _copy_source(tmp_path / "source")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    # pip keeps this machine's configuration (indexes, its cache); nothing leaks in from
    # the test run's own environment.
    pip_env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    installed = _run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "."],
        cwd=source,
        env=pip_env,
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "lcoo.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }
    work = tmp_path / "work"
    work.mkdir()

    imported = _run([str(python), "-c", IMPORT_EVERY_MODULE, *PACKAGES], cwd=work, env=env)
    check = _run(["django-admin", "check", "--fail-level", "ERROR"], cwd=work, env=env)
    migrate = _run(["django-admin", "migrate", "--no-input", "-v0"], cwd=work, env=env)
    yaml2ical = _run(["django-admin", "import_yaml2ical", str(IRC_MEETINGS)], cwd=work, env=env)

    assert imported.returncode == 0, imported.stderr[-4000:]
    assert imported.stdout.split() == _source_modules()
    assert len(imported.stdout.split()) >= 124
    assert check.returncode == 0, check.stderr[-4000:]
    assert migrate.returncode == 0, migrate.stderr[-4000:]
    assert yaml2ical.returncode == 0, yaml2ical.stderr[-4000:]
    assert yaml2ical.stdout.splitlines()[-1] == (
        "Imported 2 files (3 series); 0 failed; 2 warnings."
    )
    # The modules came from the installed copy, not from the project folder.
    located = _run([str(python), "-c", "import lcoo; print(lcoo.__file__)"], cwd=work, env=env)
    assert located.stdout.strip().startswith(str(venv))
