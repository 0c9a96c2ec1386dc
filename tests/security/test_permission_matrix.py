"""Every URL of the portal × every kind of visitor → the status they get.

The URLs come from the URL configuration itself (lcoo.urls, walked recursively): a new
URL without an entry in the table below fails `test_every_url_has_an_entry`, naming it.
Statuses follow members/permissions.py: board material answers 404 (not even confirmed
to exist) to everyone but executives and chairs; coordinators' pages answer 403 to
people logged in without the role; people's e-mail addresses stay behind a role.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from joining import services as joining
from joining.models import JoinApplication, ProposedDelegate
from members.models import Person
from tests.factories import MeetingFactory, SeriesFactory

# Who asks, in the order of every row below. "other_coordinator" coordinates NTT; the
# coordinator and the executive act for Orange, the company the fixtures' items belong to.
ROLES = (
    "anonymous",
    "participant",
    "other_coordinator",
    "coordinator",
    "executive",
    "chair",
    "staff",
)

#: A redirect to allauth's login page with ?next=.
LOGIN = "login"
#: A redirect to the admin's login address with ?next= (which hands over to allauth's).
ADMIN_LOGIN = "admin-login"
#: A redirect to allauth's "confirm it is you" page with ?next=.
REAUTHENTICATE = "reauthenticate"

EVERYONE = (200, 200, 200, 200, 200, 200, 200)
NOBODY = (404, 404, 404, 404, 404, 404, 404)
SIGNED_IN = (LOGIN, 200, 200, 200, 200, 200, 200)
#: Coordinators' pages: chairs can do everything coordinators can; staff use the admin.
COORDINATORS = (LOGIN, 403, 200, 200, 403, 200, 403)
#: Board meetings and board-only items: executives and chairs only.
BOARD = (404, 404, 404, 404, 200, 200, 404)
#: Editing a board meeting: a chair. Executives see it but do not coordinate.
BOARD_EDIT = (LOGIN, 404, 404, 404, 403, 200, 404)
#: The coordinators' editing pages of a board-only item of the register (editor check first).
BOARD_ITEM_EDIT = (LOGIN, 403, 404, 404, 403, 200, 403)
#: Members-only items: people holding a role, and staff.
MEMBERS = (404, 404, 200, 200, 200, 200, 200)
#: Views that only take POST, behind a login.
POST_ONLY = (LOGIN, 405, 405, 405, 405, 405, 405)
STAFF_ONLY = (ADMIN_LOGIN,) * 6 + (200,)
#: Logged-in people are sent home from the login and signup pages.
ANONYMOUS_ONLY = (200, "/", "/", "/", "/", "/", "/")

# GET: URL name → row, or {path arguments → row} when the answer depends on the object.
# Path arguments name fixture objects (`world` in conftest.py), or are literal text.
GET = {
    "healthz": EVERYONE,
    "bench-floor": EVERYONE,
    "portal:home": EVERYONE,
    "portal:about": EVERYONE,
    "portal:dashboard": SIGNED_IN,
    # members
    "members:company-list": EVERYONE,
    "members:company-detail": {"company": EVERYONE, "applicant-company": NOBODY},
    "members:person-detail": {"public-person": EVERYONE, "private-person": MEMBERS},
    "members:subteam-list": EVERYONE,
    "members:subteam-detail": {"sub-team": EVERYONE},
    "members:tool-list": EVERYONE,
    "members:profile": SIGNED_IN,
    "members:switch-timezone": ("/",) * 7,
    "joining:join": EVERYONE,
    "joining:join-thanks": EVERYONE,
    "joining:join-confirm": {"bogus": EVERYONE},  # a GET only shows the button
    "joining:join-status": {"status-token": EVERYONE, "bogus": NOBODY},
    "joining:application-list": COORDINATORS,
    "joining:application-detail": {"application": COORDINATORS},
    "joining:application-action": {"application": POST_ONLY},
    "members:roles": (LOGIN, 403, 403, 403, 403, 200, 200),
    "members:role-end": {"role": POST_ONLY},
    "members:role-proposals": (LOGIN, 403, 403, 403, 403, 200, 200),
    "members:role-proposal-decide": {"members.roleproposal": POST_ONLY, "999999": POST_ONLY},
    "members:company-leave": {
        "company": (LOGIN, 403, 403, 403, 403, 200, 200),
        "bogus": (LOGIN, 403, 403, 403, 403, 404, 404),
    },
    "members:company-replace-role": {
        "company": (LOGIN, 403, 403, 403, 403, 200, 200),
        "applicant-company": (LOGIN, 403, 403, 403, 403, 404, 404),
    },
    # A coordinator's own company; chairs may look after any.
    "portal:my-company": (LOGIN, 403, "/my-company/ntt/", "/my-company/orange/", 403, 403, 403),
    "portal:my-company-detail": {
        "company": (LOGIN, 403, 403, 200, 403, 200, 403),
        "applicant-company": (LOGIN, 404, 404, 404, 404, 404, 404),
    },
    "members:subteam-create": COORDINATORS,
    "members:subteam-edit": {"sub-team": COORDINATORS},
    "members:subteam-member-remove": {"sub-team 999999": POST_ONLY},
    # meetings
    "meetings:list": EVERYONE,
    "meetings:past": EVERYONE,
    "meetings:ical-feed": EVERYONE,
    "meetings:private-feed": {"calendar-token": EVERYONE, "bogus": NOBODY},
    "meetings:calendar-settings": SIGNED_IN,
    "meetings:calendar-regenerate": POST_ONLY,
    "meetings:kind-feed": {"general": EVERYONE, "board": EVERYONE, "bogus": NOBODY},
    "meetings:event-ics": {"meeting": EVERYONE, "board-meeting": BOARD},
    "meetings:detail": {"meeting": EVERYONE, "draft-meeting": EVERYONE, "board-meeting": BOARD},
    "meetings:series-detail": {"series": EVERYONE, "board-series": BOARD},
    "meetings:series-feed": {"series": EVERYONE, "board-series": NOBODY},
    "meetings:attachment": {"attachment": EVERYONE, "board-attachment": BOARD},
    "meetings:manage": COORDINATORS,
    "meetings:participation": COORDINATORS,
    "meetings:series-create": COORDINATORS,
    "meetings:series-edit": {
        "series": COORDINATORS,
        "board-series": (LOGIN, 403, 404, 404, 403, 200, 403),
    },
    "meetings:series-generate": {"series": POST_ONLY},
    "meetings:series-end": {
        "series": COORDINATORS,
        "board-series": (LOGIN, 403, 404, 404, 403, 200, 403),
    },
    "meetings:series-extra": {
        "series": COORDINATORS,
        "board-series": (LOGIN, 403, 404, 404, 403, 200, 403),
    },
    "meetings:series-reopen": {"series": POST_ONLY},
    "meetings:restore": {"meeting": POST_ONLY},
    "meetings:attachment-delete": {"attachment": POST_ONLY},
    "meetings:edit": {"meeting": COORDINATORS, "board-meeting": BOARD_EDIT},
    "meetings:cancel": {"meeting": COORDINATORS, "board-meeting": BOARD_EDIT},
    "meetings:publish": {"meeting": POST_ONLY},
    "meetings:attendance": {"meeting": COORDINATORS, "board-meeting": BOARD_EDIT},
    "meetings:attendance-csv": {"meeting": COORDINATORS, "board-meeting": BOARD_EDIT},
    "meetings:attachments": {"meeting": COORDINATORS, "board-meeting": BOARD_EDIT},
    "meetings:deliveries": {"meeting": COORDINATORS, "board-meeting": BOARD_EDIT},
    "meetings:text-edit": {
        "meeting notes": COORDINATORS,
        "board-meeting members_notes": BOARD_EDIT,
        "meeting bogus": (LOGIN, 403, 404, 404, 403, 404, 403),
    },
    "meetings:text-history": {
        "meeting agenda": COORDINATORS,
        "board-meeting agenda": BOARD_EDIT,
    },
    # agreements
    "agreements:list": EVERYONE,
    "agreements:feed": EVERYONE,
    "agreements:register-csv": EVERYONE,
    "agreements:create": COORDINATORS,
    "agreements:action-items": EVERYONE,
    "agreements:action-items-csv": EVERYONE,
    "agreements:action-item-create": COORDINATORS,
    "agreements:action-item-edit": {
        "action-item": COORDINATORS,
        "board-action-item": BOARD_ITEM_EDIT,
    },
    "agreements:action-item-status": {"action-item": POST_ONLY},
    "agreements:forum-topics": EVERYONE,
    "agreements:forum-topic-create": COORDINATORS,
    "agreements:forum-topic": {"forum-topic": EVERYONE},
    "agreements:forum-topic-edit": {"forum-topic": COORDINATORS},
    "agreements:forum-topic-interest": {"forum-topic": POST_ONLY},
    "agreements:forum-topic-assign": {"forum-topic": COORDINATORS},
    "agreements:forum-topic-status": {"forum-topic": POST_ONLY},
    "agreements:company": {"company": EVERYONE, "applicant-company": NOBODY},
    "agreements:detail": {
        "public-agreement": EVERYONE,
        "members-agreement": MEMBERS,
        "board-agreement": BOARD,
    },
    "agreements:edit": {
        "public-agreement": COORDINATORS,
        "members-agreement": COORDINATORS,
        "board-agreement": BOARD_ITEM_EDIT,
    },
    "agreements:status": {
        "public-agreement": COORDINATORS,
        "members-agreement": COORDINATORS,
        "board-agreement": BOARD_ITEM_EDIT,
    },
    # Companies' voices: their coordinators and executive, and chairs.
    "agreements:position": {
        "public-agreement": (LOGIN, 403, 200, 200, 200, 200, 403),
        "members-agreement": (LOGIN, 404, 200, 200, 200, 200, 403),
        "board-agreement": (LOGIN, 404, 404, 404, 200, 200, 404),
    },
    # The admin: staff only, and its login hands over to allauth's (which asks for the
    # second factor). Its model pages are added below, from the admin's registry.
    "admin:index": STAFF_ONLY,
    "admin:login": (LOGIN, 403, 403, 403, 403, 403, "/admin/"),
    "admin:logout": ("/admin/",) * 6 + (405,),
    "admin:password_change": STAFF_ONLY,
    "admin:password_change_done": STAFF_ONLY,
    "admin:jsi18n": STAFF_ONLY,
    "admin:autocomplete": (ADMIN_LOGIN,) * 6 + (403,),
    "admin:view_on_site": {"company-type company-pk": (ADMIN_LOGIN,) * 6 + (302,)},
    "admin:app_list": {"members": STAFF_ONLY},
    "admin:auth_user_password_change": {"members.person": STAFF_ONLY},
    # allauth
    "account_login": ANONYMOUS_ONLY,
    "account_signup": ANONYMOUS_ONLY,
    "account_logout": ("/", 200, 200, 200, 200, 200, 200),
    "account_inactive": EVERYONE,
    "account_reauthenticate": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_email_verification_sent": EVERYONE,
    "account_change_password": SIGNED_IN,
    "account_set_password": (LOGIN,) + ("/accounts/password/change/",) * 6,
    "account_reset_password": EVERYONE,
    "account_reset_password_done": EVERYONE,
    "account_reset_password_from_key": {"0 bogus-key": EVERYONE},
    "account_reset_password_from_key_done": EVERYONE,
    "account_confirm_email": {"bogus": EVERYONE},
    # Login by code is off, and no login is waiting for its second factor.
    "account_confirm_login_code": ("/accounts/login/",) + ("/",) * 6,
    "mfa_authenticate": ("/accounts/login/",) + ("/",) * 6,
    # Chairs and staff have TOTP; the others confirm with their password instead.
    "mfa_index": SIGNED_IN,
    "mfa_reauthenticate": (LOGIN,) + ("/accounts/reauthenticate/",) * 4 + (200, 200),
    # Changing a second factor needs a fresh login first; nobody has recovery codes.
    "mfa_activate_totp": (LOGIN,) + (REAUTHENTICATE,) * 6,
    "mfa_deactivate_totp": (LOGIN, 404, 404, 404, 404, REAUTHENTICATE, REAUTHENTICATE),
    "mfa_generate_recovery_codes": (LOGIN,) + (REAUTHENTICATE,) * 6,
    "mfa_view_recovery_codes": (LOGIN,) + (404,) * 6,
    "mfa_download_recovery_codes": (LOGIN,) + (404,) * 6,
}

#: Admin models written by the portal's workflows only: nothing is added by hand, and
#: the agreements' history is not deleted either. A company's position is recorded on the
#: site by those who speak for it (one company, one voice): the admin only shows it.
HISTORY = {"agreements.historicalagreement", "agreements.historicalposition",
           "agreements.historicalactionitem", "agreements.position"}  # fmt: skip
#: One row, written once (it exists here) and never deleted.
SINGLETONS = {"lcoo.groupprofile"}
NO_ADD = {"meetings.noterevision", *HISTORY, *SINGLETONS}


def _admin_entries() -> dict:
    """Every registered model's admin pages: staff only, like the admin's index."""
    entries = {}
    forbidden = (ADMIN_LOGIN,) * 6 + (403,)
    for model in admin.site._registry:
        label = model._meta.label_lower
        prefix = f"admin:{label.replace('.', '_')}"
        entries[f"{prefix}_changelist"] = STAFF_ONLY
        entries[f"{prefix}_add"] = forbidden if label in NO_ADD else STAFF_ONLY
        entries[f"{prefix}_change"] = {label: STAFF_ONLY}
        entries[f"{prefix}_history"] = {label: STAFF_ONLY}
        entries[f"{prefix}_delete"] = {
            label: forbidden if label in HISTORY | SINGLETONS else STAFF_ONLY
        }
    return entries


GET.update(_admin_entries())

# POST without valid data (or with the one field that decides who may act), for the
# views that change something. Run after every GET, in this order.
#: A coordinators' form sent empty: refused for its errors.
EDITORS_INVALID = (LOGIN, 403, 400, 400, 403, 400, 403)
#: A coordinators' action: done, or refused with a message, and back to a page.
EDITORS_DONE = (LOGIN, 403, 302, 302, 403, 302, 403)
EDITORS_NOT_YET = (LOGIN, 403, 400, 400, 403, 400, 403)
BOARD_EDIT_INVALID = (LOGIN, 404, 404, 404, 403, 400, 404)
BOARD_EDIT_DONE = (LOGIN, 404, 404, 404, 403, 302, 404)
BOARD_ITEM_INVALID = (LOGIN, 403, 404, 404, 403, 400, 403)
BOARD_ITEM_DONE = (LOGIN, 403, 404, 404, 403, 302, 403)
POST = {
    "joining:join": (400,) * 7,
    "joining:join-confirm": {"bogus": (400,) * 7},
    "joining:application-action": {"application": EDITORS_DONE},
    "members:roles": (LOGIN, 403, 403, 403, 403, 400, 400),
    "members:role-end": {"role": (LOGIN, 403, 403, 403, 403, 302, 302)},
    "members:role-proposal-decide": {
        "members.roleproposal": (LOGIN, 403, 403, 403, 403, 400, 400),
        "999999": (LOGIN, 403, 403, 403, 403, 404, 404),
    },
    "members:company-leave": {"company": (LOGIN, 403, 403, 403, 403, 400, 400)},
    "members:company-replace-role": {"company": (LOGIN, 403, 403, 403, 403, 400, 400)},
    "portal:my-company-detail": {"company": (LOGIN, 403, 403, 400, 403, 400, 403)},
    "members:subteam-create": EDITORS_INVALID,
    "members:subteam-edit": {"sub-team": EDITORS_INVALID},
    "members:subteam-member-remove": {"sub-team 999999": (LOGIN, 403, 404, 404, 403, 404, 403)},
    "meetings:calendar-regenerate": (LOGIN,) + ("/meetings/my-calendar/",) * 6,
    "meetings:series-create": EDITORS_INVALID,
    "meetings:series-edit": {"series": EDITORS_INVALID},
    "meetings:series-generate": {"series": EDITORS_DONE, "board-series": BOARD_EDIT_DONE},
    "meetings:series-end": {
        "series": EDITORS_INVALID,
        "board-series": (LOGIN, 403, 404, 404, 403, 400, 403),
    },
    "meetings:series-extra": {
        "series": EDITORS_INVALID,
        "board-series": (LOGIN, 403, 404, 404, 403, 400, 403),
    },
    # Reopening a series that has not ended, restoring a meeting that is not cancelled:
    # refused with a message, back to a page.
    "meetings:series-reopen": {
        "series": EDITORS_DONE,
        "board-series": (LOGIN, 403, 404, 404, 403, 302, 403),
    },
    "meetings:restore": {"meeting": EDITORS_DONE, "board-meeting": BOARD_EDIT_DONE},
    # An attachment that does not exist: not found, whoever asks.
    "meetings:attachment-delete": {"999999": (LOGIN, 404, 404, 404, 404, 404, 404)},
    "meetings:edit": {"meeting": EDITORS_INVALID, "board-meeting": BOARD_EDIT_INVALID},
    "meetings:cancel": {"meeting": EDITORS_INVALID, "board-meeting": BOARD_EDIT_INVALID},
    "meetings:attendance": {"meeting": EDITORS_INVALID, "board-meeting": BOARD_EDIT_INVALID},
    "meetings:attachments": {"meeting": EDITORS_INVALID, "board-meeting": BOARD_EDIT_INVALID},
    "meetings:deliveries": {"meeting": EDITORS_INVALID, "board-meeting": BOARD_EDIT_INVALID},
    "meetings:publish": {"meeting": EDITORS_DONE, "board-meeting": BOARD_EDIT_DONE},
    # The meetings here are still to come: their notes wait (tests/meetings/
    # test_what_happened.py), so an editor's POST is refused, after the permission check.
    "meetings:text-edit": {
        "meeting notes": EDITORS_NOT_YET,
        "board-meeting notes": BOARD_EDIT_INVALID,
    },
    "agreements:create": EDITORS_INVALID,
    "agreements:edit": {"public-agreement": EDITORS_INVALID, "board-agreement": BOARD_ITEM_INVALID},
    "agreements:status": {
        "public-agreement": EDITORS_INVALID,
        "board-agreement": BOARD_ITEM_INVALID,
    },
    # Another company's coordinator cannot choose Orange: the form offers their own only.
    "agreements:position": {
        "public-agreement": (LOGIN, 403, 400, 302, 302, 302, 403),
        "board-agreement": (LOGIN, 404, 404, 404, 302, 302, 404),
    },
    "agreements:action-item-create": EDITORS_INVALID,
    "agreements:action-item-edit": {
        "action-item": EDITORS_INVALID,
        "board-action-item": BOARD_ITEM_INVALID,
    },
    "agreements:action-item-status": {
        "action-item": EDITORS_DONE,
        "board-action-item": BOARD_ITEM_DONE,
    },
    "agreements:forum-topic-create": EDITORS_INVALID,
    "agreements:forum-topic-edit": {"forum-topic": EDITORS_INVALID},
    "agreements:forum-topic-assign": {"forum-topic": EDITORS_INVALID},
    "agreements:forum-topic-status": {"forum-topic": EDITORS_DONE},
    # Orange's interest: its coordinator and executive, or a chair.
    "agreements:forum-topic-interest": {"forum-topic": (LOGIN, 403, 403, 302, 302, 302, 403)},
    # The token is the applicant's key: anyone holding it may withdraw (with a reason).
    "joining:join-status": {"status-token": (400,) * 7},
}

#: What the POSTs above send: the one field that decides who may act.
POST_DATA = {
    "agreements:position": {"company": "{company-pk}", "stance": "agrees"},
    "agreements:forum-topic-interest": {"company": "orange", "interested": "1"},
}

#: Patterns without a name (so without a table entry), and why they need none.
UNNAMED = {
    r"^admin/[a-z]+/[a-z]+/<path:object_id>/$": "the admin's old address of an object: "
    "a redirect to its change page, behind the same staff check",
    r"^admin/\(\?P<url>\.\*\)\$$": "the admin's catch-all: a 404 or a redirect to the login",
}


def url_names() -> list[str]:
    """The name of every URL pattern of lcoo.urls, namespaced ("meetings:detail")."""

    def walk(patterns, namespace=None, route=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or None
                if inner and namespace:
                    inner = f"{namespace}:{inner}"
                yield from walk(
                    pattern.url_patterns, inner or namespace, route + str(pattern.pattern)
                )
            elif isinstance(pattern, URLPattern):
                if pattern.name is None:
                    full = route + str(pattern.pattern)
                    if not any(re.match(rx, full) for rx in UNNAMED):
                        yield f"(unnamed) {full}"
                    continue
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def log_in(client, role, request, with_mfa):
    if role == "anonymous":
        return None
    person = request.getfixturevalue(role)
    if role in ("chair", "staff"):
        with_mfa(person)  # without it they are sent to set it up first
    client.force_login(person)
    return person


def outcome(response, expected):
    """The response as the table writes it: a status, or where a redirect goes."""
    if response.status_code != 302 or isinstance(expected, int):
        return response.status_code
    location = response["Location"]
    if location.startswith(reverse("account_login") + "?next="):
        return LOGIN
    if location.startswith(reverse("admin:login") + "?next="):
        return ADMIN_LOGIN
    if location.startswith(reverse("account_reauthenticate") + "?next="):
        return REAUTHENTICATE
    return location


def requests(table, values):
    """(label, URL name, URL, row) of every entry of a table."""
    for name, entry in table.items():
        variants = entry if isinstance(entry, dict) else {"": entry}
        for arguments, row in variants.items():
            args = [values.get(token, token) for token in arguments.split()]
            yield f"{name} {arguments}".strip(), name, reverse(name, args=args), row


#: Text of the fixtures (conftest.py) that only some people may read, by kind.
SECRETS = {
    "board": ["board-topic-secret", "board-agenda-secret", "board-notes-secret",
              "board-agreement-secret", "board-action-secret", "meet.example.org/board-secret"],
    "members": ["members-agreement-secret", "members-notes-secret"],
    "draft notes": ["draft-notes-secret"],
    "conference link": ["meet.example.org/general-room"],
    "private profile": ["Ivy Private"],
}  # fmt: skip
#: What each role may not read (members/permissions.py); "e-mail" is every address of
#: the group's people and applicants but the viewer's own.
HIDDEN_FROM = {
    "anonymous": {
        "board",
        "members",
        "draft notes",
        "conference link",
        "private profile",
        "e-mail",
    },
    "participant": {"board", "members", "draft notes", "private profile", "e-mail"},
    "other_coordinator": {"board"},
    "coordinator": {"board"},
    "executive": {"draft notes"},
    "chair": set(),
    "staff": {"board", "draft notes"},  # on the site: the admin shows staff everything
}
#: Pages that act for the holder of their token, whoever asks.
TOKEN_PAGES = {"meetings:private-feed", "joining:join-status"}


def addresses(viewer) -> list[str]:
    people = Person.objects.exclude(pk=viewer.pk if viewer else None)
    return [
        *people.values_list("email", flat=True),
        *JoinApplication.objects.values_list("contact_email", flat=True),
        *ProposedDelegate.objects.values_list("email", flat=True),
    ]


def check(client, role, values, viewer) -> dict[str, object]:
    """Every request of the tables as `role`: what differs from the tables, and which
    secrets pages show that the role may not read."""
    column = ROLES.index(role)
    secrets = dict(SECRETS)
    secrets["e-mail"] = addresses(viewer)
    hidden, seen, found = HIDDEN_FROM[role], set(), {}
    for label, name, url, row in requests(GET, values):
        response = client.get(url)
        if (got := outcome(response, row[column])) != row[column]:
            found[f"GET {label}"] = (row[column], got)
        if response.status_code != 200 or response.streaming or name.startswith("admin:"):
            continue
        body = response.content.decode()
        shown = {
            (level, text) for level, texts in secrets.items() for text in texts if text in body
        }
        seen |= shown
        may_not_read = hidden - {"conference link", "e-mail"} if name in TOKEN_PAGES else hidden
        if leaked := sorted(text for level, text in shown if level in may_not_read):
            found[f"GET {label} shows"] = leaked
    # The check reads what it should: all the role may read is on some page.
    unseen = {
        (level, text)
        for level in SECRETS.keys() - hidden
        for text in SECRETS[level]
        if (level, text) not in seen
    }
    if unseen:
        found["never shown"] = sorted(unseen)
    for label, name, url, row in requests(POST, values):
        data = {k: v.format_map(values) for k, v in POST_DATA.get(name, {}).items()}
        response = client.post(url, data)
        if (got := outcome(response, row[column])) != row[column]:
            found[f"POST {label}"] = (row[column], got)
    return found


def test_every_url_has_an_entry():
    missing = [name for name in url_names() if name not in GET]
    stale = sorted(set(GET) - set(url_names()))

    assert missing == [], f"URLs without an entry in the permission matrix: {missing}"
    assert stale == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, role, world, request, with_mfa):
    viewer = log_in(client, role, request, with_mfa)

    found = check(client, role, world, viewer)

    # {request: (expected, got)}
    assert found == {}


@pytest.mark.django_db
def test_application_page_keeps_board_meeting_topics_from_coordinators(
    client, coordinator, chair, django_capture_on_commit_callbacks, with_mfa
):
    now = timezone.now()
    general = SeriesFactory(slug="general", kind="general")
    held = MeetingFactory(
        series=general, starts_at=now - datetime.timedelta(days=7),
        ends_at=now - datetime.timedelta(days=7, hours=-1), status="held",
    )  # fmt: skip
    board = SeriesFactory(slug="board", kind="board", audience="board", cadence="explicit")
    board_meeting = MeetingFactory(
        series=board, starts_at=now + datetime.timedelta(days=9),
        ends_at=now + datetime.timedelta(days=9, hours=1), topic="board-topic-secret",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        application = joining.submit_application(
            company_name="Newcomer Inc", website="https://newcomer.example.org",
            hq_timezone="UTC", contact_name="Nora", contact_email="nora@example.org",
            contact_role="Director", interests="Upgrades",
            coordinators=[("Cody", "cody@example.org")], executive=("Ed", "ed@example.org"),
        )  # fmt: skip
        joining.confirm_email(token=joining.confirmation_token(application))
        joining.mark_participating(application=application, actor=chair)
        joining.record_desire(application=application, meeting=held, actor=chair)
    client.force_login(coordinator)

    # Expressing the desire invited the executive to the next board meeting by itself.
    for_coordinator = client.get(reverse("joining:application-detail", args=[application.pk]))
    client.force_login(with_mfa(chair))
    for_chair = client.get(reverse("joining:application-detail", args=[application.pk]))

    application.refresh_from_db()
    assert application.welcome_meeting_id == board_meeting.pk
    assert for_coordinator.status_code == 200
    assert "board-topic-secret" not in for_coordinator.content.decode()
    assert "board-topic-secret" in for_chair.content.decode()
