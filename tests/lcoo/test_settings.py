"""Settings contracts: development defaults, production mode, the compose file."""

import ast
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.http.request import validate_host

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#kq9!mZ2vB8nL4pR6tW1yC3eF5hJ0sD9gA2uI7oP4lK8jH6fG3dS1aQ5wE0rT",
    "ALLOWED_HOSTS": "portal.example.org",
    "SITE_URL": "https://portal.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    # The browser tests' switch for their own process; never for a deployment check.
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_variables() -> set[str]:
    """Every environment variable lcoo/settings.py reads, found in its source."""
    tree = ast.parse((ROOT / "lcoo" / "settings.py").read_text())
    readers = {"env", "env_bool", "env_list", "env_name", "get"}
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in readers
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.isupper()
        ):
            names.add(node.args[0].value)
    return names


SETTINGS_VARIABLES = settings_variables()


def test_settings_read_exactly_the_documented_contract():
    assert {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "SECURE_SSL_REDIRECT",
        "DEFAULT_FROM_EMAIL",
        "CACHE_URL",
        "TRUSTED_PROXIES",
        "GROUP_NAME",
        "GROUP_SHORT_NAME",
    } == SETTINGS_VARIABLES


def test_check_deploy_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("secret", ["", "short", "django-insecure-" + "a" * 50])
def test_production_refuses_to_start_without_real_secret_key(secret):
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": secret})

    assert result.returncode != 0
    assert "Production mode (DEBUG=0) needs SECRET_KEY" in result.stderr


def test_development_mode_on_purpose_with_a_public_host_starts():
    code = "from django.conf import settings as s; print(s.DEBUG)"
    env = {"DEBUG": "1", "ALLOWED_HOSTS": "portal.example.org"}

    result = run_manage("shell", "--no-imports", "-c", code, env=env)

    assert (result.returncode, result.stdout.split()) == (0, ["True"])


def test_local_host_names_stay_development_mode():
    code = "from django.conf import settings as s; print(s.DEBUG)"
    env = {"ALLOWED_HOSTS": "localhost,127.0.0.1", "SITE_URL": "http://127.0.0.1:8000"}

    result = run_manage("shell", "--no-imports", "-c", code, env=env)

    assert (result.returncode, result.stdout.split()) == (0, ["True"])


def test_development_defaults_with_nothing_set():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.MAILERS['default']['BACKEND'])"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env={})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "True",
        "lcoo.console_mail.EmailBackend",
    ]


def test_email_host_and_port_map_onto_mailers():
    code = "from django.conf import settings as s; print(s.MAILERS['default'])"
    result = run_manage(
        "shell", "--no-imports", "-c", code, env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": "2525"}
    )

    assert result.returncode == 0, result.stderr
    assert "'host': '127.0.0.1', 'port': 2525" in result.stdout
    assert "smtp.EmailBackend" in result.stdout


def test_trusted_proxies_feed_allauths_proxy_count():
    code = "from django.conf import settings as s; print(s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    default = run_manage("shell", "--no-imports", "-c", code, env={})
    behind_one = run_manage("shell", "--no-imports", "-c", code, env={"TRUSTED_PROXIES": "1"})

    assert (default.stdout.split(), behind_one.stdout.split()) == (["0"], ["1"])


def test_ssl_redirect_can_be_turned_off_in_production():
    code = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.DEBUG)"
    on = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    off = run_manage(
        "shell", "--no-imports", "-c", code, env={**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "0"}
    )

    assert (on.stdout.split(), off.stdout.split()) == (["True", "False"], ["False", "False"])


@pytest.mark.django_db
def test_forwarded_proto_is_honoured_behind_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    plain = client.get("/tools/")
    proxied = client.get("/tools/", headers={"X-Forwarded-Proto": "https"})

    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/tools/"
    assert proxied.status_code == 200


@pytest.mark.django_db
def test_responses_carry_csp_without_unsafe_inline(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


# docker-compose.yml: read, not run (no container engine needed to check it).

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_with_health_checks():
    services = COMPOSE["services"]

    assert set(services) == {"postgres", "redis", "cache", "web", "worker", "beat"}
    assert all("healthcheck" in service for service in services.values())


def test_compose_portal_services_get_exactly_the_settings_variables():
    for name in ("web", "worker", "beat"):
        assert set(COMPOSE["services"][name]["environment"]) == SETTINGS_VARIABLES, name


def test_compose_points_portal_at_its_own_postgres_and_redis():
    env = COMPOSE["services"]["web"]["environment"]
    postgres = COMPOSE["services"]["postgres"]["environment"]

    assert env["DATABASE_URL"] == (
        f"postgres://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert env["CACHE_URL"] == "redis://cache:6379/0"
    assert env["DEBUG"] == "0"


def test_compose_cache_is_capped_and_evicts_while_the_broker_never_does():
    cache = COMPOSE["services"]["cache"]["command"]
    broker = COMPOSE["services"]["redis"]["command"]

    assert cache[cache.index("--maxmemory") + 1] == "256mb"
    assert cache[cache.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert "--maxmemory" not in broker
    assert set(COMPOSE["services"]["web"]["depends_on"]) == {"postgres", "redis", "cache"}


def test_compose_web_serves_gunicorn_on_published_port():
    web = COMPOSE["services"]["web"]

    assert web["ports"] == ["127.0.0.1:8000:8000"]  # only the proxy on the host reaches it
    assert "gunicorn lcoo.wsgi:application --bind 0.0.0.0:8000" in web["command"]
    assert "--no-control-socket" in web["command"]
    assert "--forwarded-allow-ips '${PROXY_ADDRESSES:-127.0.0.1}'" in web["command"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def run_web_healthcheck(allowed_hosts: str | None) -> urllib.request.Request:
    """Run the web service's health check command (python -c CODE) as the container
    would, with urlopen replaced by a recorder; return the request it made."""
    test = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    sent = []
    env = {} if allowed_hosts is None else {"ALLOWED_HOSTS": allowed_hosts}
    with (
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch("urllib.request.urlopen", lambda request, timeout: sent.append(request)),
    ):
        exec(test[3], {})  # noqa: S102 -- our own compose file, under test
    (request,) = sent
    return request


@pytest.mark.parametrize(
    "allowed_hosts",
    ["portal.example.org", "portal.example.org,www.example.org", ".example.org", "*,127.0.0.1"],
)
def test_compose_web_healthcheck_sends_an_allowed_host(allowed_hosts):
    request = run_web_healthcheck(allowed_hosts)
    allowed = [h.strip() for h in allowed_hosts.split(",")]

    assert request.full_url == "http://127.0.0.1:8000/healthz"
    assert validate_host(request.get_header("Host"), allowed)
    assert validate_host(request.get_header("Host"), ["portal.example.org"]) is (
        allowed_hosts.startswith("portal.")
    )


def test_compose_web_healthcheck_host_with_the_compose_default():
    default = COMPOSE["x-portal-env"]["ALLOWED_HOSTS"]  # ${ALLOWED_HOSTS:-…}
    hosts = default.split(":-", 1)[1].rstrip("}")

    request = run_web_healthcheck(hosts)

    assert (hosts, request.get_header("Host")) == ("localhost,127.0.0.1", "localhost")
    assert run_web_healthcheck(None).get_header("Host") == "localhost"


@pytest.mark.django_db
def test_healthz_answers_plain_http_under_production_settings(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    health = client.get("/healthz", HTTP_HOST="portal.example.org")
    page = client.get("/tools/", HTTP_HOST="portal.example.org")
    other_host = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert (health.status_code, health.content) == (200, b"ok\n")
    assert (page.status_code, page["Location"]) == (301, "https://portal.example.org/tools/")
    assert other_host.status_code == 400


def test_compose_worker_and_beat_run_the_celery_app():
    worker = COMPOSE["services"]["worker"]["command"]
    beat = COMPOSE["services"]["beat"]["command"]

    assert worker[:4] == ["celery", "-A", "lcoo", "worker"]
    assert beat[:4] == ["celery", "-A", "lcoo", "beat"]
    for name in ("web", "worker", "beat"):
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "cache": {"condition": "service_healthy"},
        }


def test_compose_requires_a_real_mail_relay():
    # Production refuses the console mail backend (Django's deploy check mail.E001), and
    # the compose file runs no mail server of its own: the relay must be named.
    env = COMPOSE["x-portal-env"]

    assert env["EMAIL_HOST"].startswith("${EMAIL_HOST:?")


def test_compose_keeps_uploads_in_a_named_volume_on_web_and_worker():
    media_root = "/app/media"

    for name in ("web", "worker"):
        assert COMPOSE["services"][name]["volumes"] == [f"media:{media_root}"], name
    assert "media" in COMPOSE["volumes"]
    assert "volumes" not in COMPOSE["services"]["beat"]


# Dockerfile: read, not built (no container engine here either).

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_installs_the_pinned_package_not_an_editable_copy():
    runs = [args for kind, args in dockerfile_instructions() if kind == "RUN"]
    (pip,) = [args for args in runs if "pip install" in args]

    assert "-c constraints.txt ." in pip
    assert " -e " not in pip
    assert "[dev]" not in pip
    assert ("COPY", "pyproject.toml README.md constraints.txt ./") in dockerfile_instructions()


def test_dockerfile_runs_as_a_user_who_owns_the_media_volume():
    instructions = dockerfile_instructions()
    users = [args for kind, args in instructions if kind == "USER"]
    runs = " ".join(args for kind, args in instructions if kind == "RUN")

    assert users == ["portal"]
    assert "useradd --create-home --uid 1000 portal" in runs
    assert "chown -R portal:portal /app/media" in runs
    assert ("VOLUME", '["/app/media"]') in instructions
    # The last instruction that changes the user comes after everything run as root.
    kinds = [kind for kind, _ in instructions]
    assert kinds.index("USER") > max(i for i, kind in enumerate(kinds) if kind == "RUN")
    assert instructions[-1] == ("EXPOSE", "8000")
