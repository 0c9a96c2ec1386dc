"""One line break stops nothing: single-line inputs refuse control characters where they
are typed (pages and admin alike), and a message that cannot be built (old data) fails
alone while the rest of the mail goes out."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from lcoo.forms import SingleLineFields
from meetings import sending
from meetings.models import Delivery, Meeting
from tests.factories import MeetingFactory, PersonFactory, RoleFactory, SeriesFactory, SlotFactory
from tests.joining.test_joining import form_data

APPS = ("members", "meetings", "agreements", "joining", "lcoo")
INJECTION = "Board\r\nBcc: everyone@lists.example.org"


def _portal_forms() -> list[type[forms.BaseForm]]:
    for app in APPS:
        for module in ("forms", "admin"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError:
                continue
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in APPS:
            found.append(cls)
    return found


def test_every_portal_form_refuses_control_characters_in_one_line_inputs():
    missing = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _portal_forms()
        if not issubclass(cls, SingleLineFields)
    ]

    assert missing == []


@pytest.mark.django_db
def test_every_admin_of_the_portal_uses_the_rule_too(staff):
    request = RequestFactory().get("/admin/")
    request.user = staff
    without = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        for each in [model_admin, *model_admin.get_inline_instances(request)]:
            if not issubclass(
                each.get_form(request) if each is model_admin else each.form, SingleLineFields
            ):
                without.append(f"{model._meta.label}: {type(each).__name__}")

    assert without == []


@pytest.mark.django_db
def test_a_series_name_with_a_line_break_is_refused_on_the_page(client, chair, with_mfa):
    with_mfa(chair)
    client.force_login(chair)
    series = SeriesFactory(name="General Meeting", kind="general")
    SlotFactory(series=series)

    response = client.post(
        reverse("meetings:series-edit", args=[series.slug]),
        {"name": INJECTION, "slug": series.slug, "kind": "general"},
    )

    assert response.status_code in (200, 400)
    assert response.context["form"].errors["name"] == [
        "Write this on one line of plain text: line breaks, tabs and other control "
        "characters are not allowed here."
    ]
    series.refresh_from_db()
    assert series.name == "General Meeting"


@pytest.mark.django_db
def test_the_join_form_refuses_a_company_name_with_a_line_break(client):
    response = client.post(reverse("joining:join"), form_data(company_name="Acme\nCloud"))

    assert response.status_code == 400
    assert "company_name" in response.context["form"].errors


@pytest.mark.django_db
def test_one_unbuildable_message_fails_alone_and_the_rest_go_out(mail_server):
    start = datetime.datetime(2030, 3, 5, 13, 0, tzinfo=datetime.UTC)
    person = PersonFactory(email="cora@example.org")
    RoleFactory(person=person, kind="chair", company=None)
    meetings = []
    for name in (INJECTION, "General Meeting"):  # the first as old data has it
        series = SeriesFactory(name=name, kind="general", cadence="explicit")
        meetings.append(
            MeetingFactory(
                series=series,
                slot=SlotFactory(series=series, zone="Europe/Paris"),
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=1),
            )
        )
    Meeting.objects.filter(pk=meetings[0].pk).update(topic=INJECTION)
    for meeting in meetings:
        Delivery.objects.create(
            meeting=meeting,
            kind=Delivery.Kind.ANNOUNCEMENT,
            recipient=person.email,
            person=person,
            sequence=0,
        )

    first = sending.deliver_pending(now=start - datetime.timedelta(days=1))
    again = sending.deliver_pending(now=start - datetime.timedelta(days=1))

    bad, good = (Delivery.objects.get(meeting=m) for m in meetings)
    assert (first.sent, first.failed, again.claimed) == (1, 1, 0)
    assert bad.status == Delivery.Status.FAILED
    assert "linefeed or carriage return" in bad.last_error
    assert good.status == Delivery.Status.SENT
    assert mail_server.recorder.by_recipient() == {"cora@example.org": [good.message_id]}
