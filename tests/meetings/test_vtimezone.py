"""The VTIMEZONEs the portal writes: every change of offset over the span, in the shape
icalendar's own builder gives, read back right by icalendar and vobject."""

import datetime
import zoneinfo

import icalendar
import pytest
import vobject
from icalendar import Timezone

from meetings import ical

UTC = datetime.UTC
#: Zones whose changes come close together or break the usual pattern: Boa Vista's week
#: of summer time in 2000, Casablanca's and Gaza's Ramadan breaks, Lord Howe's half hour,
#: Troll's two hours, Dublin's negative summer time, Samoa's skipped day.
TRICKY = [
    "America/Boa_Vista", "America/Noronha", "Africa/Casablanca", "Africa/El_Aaiun",
    "Asia/Gaza", "Asia/Hebron", "Australia/Lord_Howe", "Antarctica/Troll", "Europe/Dublin",
    "Pacific/Apia", "Africa/Cairo", "Asia/Tehran", "America/Santiago", "Pacific/Chatham",
]  # fmt: skip
#: Zones where icalendar's builder finds every change: the text must be the same.
USUAL = [
    "Europe/Paris", "America/New_York", "Australia/Sydney", "America/Sao_Paulo",
    "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "Etc/GMT+5", "UTC",
]  # fmt: skip


def span(zone: zoneinfo.ZoneInfo) -> tuple[datetime.datetime, datetime.datetime]:
    first, last = ical.VTIMEZONE_SPAN
    return (
        datetime.datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC),
        datetime.datetime(last.year, last.month, last.day, tzinfo=zone).astimezone(UTC),
    )


def transitions_looking_every(step: datetime.timedelta, zone: zoneinfo.ZoneInfo) -> list:
    saved = ical._TRANSITION_STEP
    ical._TRANSITION_STEP = step
    try:
        return ical._transitions(zone, *span(zone))
    finally:
        ical._TRANSITION_STEP = saved


def icalendar_built(name: str) -> str:
    """The VTIMEZONE as icalendar's Timezone.from_tzinfo builds it, one RDATE a line."""
    first, last = ical.VTIMEZONE_SPAN
    component = Timezone.from_tzinfo(
        zoneinfo.ZoneInfo(name), tzid=name, first_date=first, last_date=last
    )
    for sub in component.subcomponents:
        if "RDATE" in sub:
            values = sub["RDATE"] if isinstance(sub["RDATE"], list) else [sub["RDATE"]]
            dates = [d.dt for value in values for d in value.dts]
            del sub["RDATE"]
            for date in dates:
                sub.add("rdate", date)
    return component.to_ical().decode()


@pytest.mark.parametrize("name", TRICKY)
def test_transitions_are_those_a_search_every_twelve_hours_finds(name):
    zone = zoneinfo.ZoneInfo(name)

    assert ical._transitions(zone, *span(zone)) == transitions_looking_every(
        datetime.timedelta(hours=12), zone
    )


@pytest.mark.parametrize("name", USUAL)
def test_vtimezone_text_equals_icalendars_where_it_finds_every_change(name):
    assert ical._build_vtimezone(name) == icalendar_built(name)


@pytest.mark.parametrize("name", TRICKY + USUAL)
def test_vtimezone_read_back_gives_the_zone_offsets_every_ten_days(name):
    zone = zoneinfo.ZoneInfo(name)
    start, end = span(zone)
    moments = [start + datetime.timedelta(days=10 * n, hours=11) for n in range(1670)]
    moments = [moment for moment in moments if moment < end]
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + ical._build_vtimezone(name)
        + "END:VCALENDAR\r\n"
    )
    read = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")[0].to_tz()

    assert [m.astimezone(read).utcoffset() for m in moments] == [
        m.astimezone(zone).utcoffset() for m in moments
    ]
    if name != "Pacific/Apia":  # vobject (dateutil) cannot hold a change of a whole day
        by_vobject = vobject.readOne(text).vtimezone.gettzinfo()
        assert [m.astimezone(by_vobject).utcoffset() for m in moments] == [
            m.astimezone(zone).utcoffset() for m in moments
        ]


def test_casablanca_ramadan_break_of_2012_is_in_the_vtimezone():
    """icalendar's builder missed it: a reader would have put a meeting of 1 August 2012
    an hour off."""
    text = ical._build_vtimezone("Africa/Casablanca")

    assert "RDATE:20120720T030000" in text
    assert "RDATE:20120820T030000" in text
    assert "RDATE:20120720T030000" not in icalendar_built("Africa/Casablanca")
