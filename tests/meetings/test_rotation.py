"""The rotation engine keeps every slot at its wall-clock time, whatever the DST rules."""

import datetime
import itertools
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.rotation import (
    PLAN_MAX_SLOTS,
    WEEKENDS,
    EveryNWeeks,
    ExplicitDates,
    MonthlyNthWeekday,
    Slot,
    evaluate_rotation,
    expand,
    fairness,
    iter_dst_changes,
    nth_weekday,
    off_hours,
    overlaps_night,
    plan_dates,
    plan_rotation,
    weekend,
)
from tests.meetings.oracle import plan_rotation_brute_force

UTC = datetime.UTC
D = datetime.date
T = datetime.time


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def year(start_year=2026):
    return utc(start_year, 1, 1), utc(start_year + 1, 1, 1)


@pytest.mark.parametrize(
    ("zone", "winter_utc", "summer_utc"),
    [
        ("Europe/Paris", T(13, 0), T(12, 0)),
        ("America/New_York", T(19, 0), T(18, 0)),
        ("Australia/Sydney", T(3, 0), T(4, 0)),  # southern hemisphere: summer in January
        ("Asia/Kolkata", T(8, 30), T(8, 30)),  # no DST
    ],
)
def test_weekly_slot_keeps_wall_clock_across_dst(zone, winter_utc, summer_utc):
    slot = Slot(weekday=1, time=T(14, 0), zone=zone)

    occurrences = expand(EveryNWeeks(anchor=D(2026, 1, 5)), [slot], *year())

    local = {o.start.astimezone(zoneinfo.ZoneInfo(zone)).time() for o in occurrences}
    weekdays = {o.start.astimezone(zoneinfo.ZoneInfo(zone)).weekday() for o in occurrences}
    utc_times = {o.start.time() for o in occurrences}
    assert local == {T(14, 0)}
    assert weekdays == {1}
    assert len(occurrences) == 52
    assert utc_times == {winter_utc, summer_utc}
    jan, jul = occurrences[1].start.time(), occurrences[27].start.time()
    assert (jan, jul) == (winter_utc, summer_utc)


def test_rotation_uses_slot_k_mod_n_each_in_its_own_zone():
    slots = [
        Slot(1, T(14, 0), "Europe/Paris"),
        Slot(2, T(8, 0), "Asia/Tokyo"),
        Slot(1, T(21, 0), "America/Los_Angeles"),
    ]

    occurrences = expand(EveryNWeeks(anchor=D(2026, 3, 2), interval=2), slots, *year())

    assert [o.slot_index for o in occurrences[:6]] == [0, 1, 2, 0, 1, 2]
    assert [o.start for o in occurrences[:3]] == [
        utc(2026, 3, 3, 13, 0),  # Tue 14:00 Paris (CET)
        utc(2026, 3, 17, 23, 0),  # Wed 08:00 Tokyo = Tue 23:00 UTC
        utc(2026, 4, 1, 4, 0),  # Tue 31 Mar 21:00 Los Angeles (PDT) = Wed 04:00 UTC
    ]


def test_tokyo_wednesday_morning_is_tuesday_evening_in_america():
    slot = Slot(2, T(8, 0), "Asia/Tokyo")

    [first] = expand(EveryNWeeks(anchor=D(2026, 6, 1)), [slot], utc(2026, 6, 1), utc(2026, 6, 8))

    in_new_york = first.start.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert (in_new_york.strftime("%a %H:%M")) == "Tue 19:00"


def test_biweekly_parity_survives_year_boundaries():
    slot = Slot(3, T(13, 0), "UTC")

    occurrences = expand(
        EveryNWeeks(anchor=D(2025, 12, 25), interval=2), [slot], utc(2025, 12, 1), utc(2028, 1, 1)
    )

    gaps = {(b.start - a.start).days for a, b in itertools.pairwise(occurrences)}
    assert gaps == {14}
    assert occurrences[0].start == utc(2025, 12, 25, 13)
    # 2026 has 53 ISO weeks; a strict 14-day interval does not care.
    assert utc(2027, 1, 7, 13) in [o.start for o in occurrences]


def test_last_tuesday_of_the_month():
    slot = Slot(1, T(15, 0), "Europe/Paris")

    occurrences = expand(MonthlyNthWeekday(anchor=D(2026, 1, 1), ordinal=-1), [slot], *year())

    days = [o.start.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).date() for o in occurrences]
    assert days[:4] == [D(2026, 1, 27), D(2026, 2, 24), D(2026, 3, 31), D(2026, 4, 28)]
    assert len(days) == 12


def test_first_thursday_monthly_and_fifth_weekday_skips_months():
    first = expand(
        MonthlyNthWeekday(anchor=D(2026, 1, 1), ordinal=1), [Slot(3, T(14, 0), "UTC")], *year()
    )
    fifth = expand(
        MonthlyNthWeekday(anchor=D(2026, 1, 1), ordinal=5), [Slot(3, T(14, 0), "UTC")], *year()
    )

    assert first[0].start == utc(2026, 1, 1, 14)
    assert len(first) == 12
    assert [o.start.month for o in fifth] == [1, 4, 7, 10, 12]


def test_nth_weekday_examples():
    assert nth_weekday(2026, 2, 0, -1) == D(2026, 2, 23)
    assert nth_weekday(2026, 2, 0, 5) is None


def test_explicit_dates_in_slot_zone():
    cadence = ExplicitDates(dates=(D(2026, 9, 10), D(2026, 3, 12)))
    slot = Slot(0, T(9, 0), "America/New_York")  # weekday is ignored for explicit dates

    occurrences = expand(cadence, [slot], *year())

    assert [o.start for o in occurrences] == [utc(2026, 3, 12, 13), utc(2026, 9, 10, 13)]


def test_expand_window_is_half_open():
    slot = Slot(0, T(10, 0), "UTC")
    cadence = EveryNWeeks(anchor=D(2026, 1, 5))

    occurrences = expand(cadence, [slot], utc(2026, 1, 5, 10), utc(2026, 1, 19, 10))

    assert [o.start for o in occurrences] == [utc(2026, 1, 5, 10), utc(2026, 1, 12, 10)]


def test_slot_in_spring_forward_gap_moves_forward_by_the_gap():
    slot = Slot(6, T(2, 30), "Europe/Paris")

    [occ] = expand(EveryNWeeks(anchor=D(2026, 3, 23)), [slot], utc(2026, 3, 28), utc(2026, 3, 30))

    assert occ.start == utc(2026, 3, 29, 1, 30)  # 03:30 CEST, the clock's next valid minute


def test_unknown_zone_or_weekday_refused():
    with pytest.raises(zoneinfo.ZoneInfoNotFoundError):
        Slot(0, T(9, 0), "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="weekday"):
        Slot(7, T(9, 0), "UTC")


def test_naive_window_refused():
    with pytest.raises(ValueError, match="aware"):
        expand(
            EveryNWeeks(anchor=D(2026, 1, 1)),
            [Slot(0, T(9), "UTC")],
            datetime.datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
            utc(2026, 2, 1),
        )


ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    anchor=st.dates(min_value=D(2000, 1, 1), max_value=D(2035, 12, 31)),
    interval=st.integers(1, 4),
)
def test_property_every_occurrence_at_slot_wall_clock(
    zone, weekday, hour, minute, anchor, interval
):
    slot = Slot(weekday, T(hour, minute), zone)
    start = datetime.datetime.combine(anchor, T(0), tzinfo=UTC)

    occurrences = expand(
        EveryNWeeks(anchor=anchor, interval=interval),
        [slot],
        start,
        start + datetime.timedelta(days=400),
    )

    tz = zoneinfo.ZoneInfo(zone)
    assert occurrences
    for occ in occurrences:
        local = occ.start.astimezone(tz)
        intended = datetime.datetime.combine(local.date(), T(hour, minute))
        if local.replace(tzinfo=None) != intended:
            # Only a wall-clock time that does not exist that day (a DST gap) may move.
            round_trip = intended.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
            assert round_trip.replace(tzinfo=None) != intended
        assert local.weekday() == weekday or local.replace(tzinfo=None) != intended
        assert occ.start.utcoffset() == datetime.timedelta(0)


def test_fairness_reports_local_times_and_night_share():
    instants = [utc(2026, 1, 6, 13), utc(2026, 1, 20, 23), utc(2026, 2, 3, 5)]

    report = {
        z.zone: z
        for z in fairness(instants, ["Europe/Paris", "Asia/Tokyo"], datetime.timedelta(minutes=60))
    }

    paris = report["Europe/Paris"]
    assert [t.strftime("%H:%M") for t in paris.local_times] == ["14:00", "00:00", "06:00"]
    assert paris.night == (False, True, True)
    assert paris.night_share == pytest.approx(2 / 3)
    assert report["Asia/Tokyo"].night == (True, False, False)  # 22:00, 08:00, 14:00


@pytest.mark.parametrize(
    ("start", "minutes", "night"),
    [
        ((6, 0), 60, True),
        ((7, 0), 60, False),
        ((21, 0), 60, False),
        ((21, 30), 60, True),
        ((23, 0), 30, True),
        ((12, 0), 90, False),
    ],
)
def test_overlaps_night_boundaries(start, minutes, night):
    local = datetime.datetime(2026, 1, 1, *start, tzinfo=UTC)

    assert overlaps_night(local, datetime.timedelta(minutes=minutes)) is night


CANDIDATE_ZONES = ["Europe/Paris", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata"]


def candidates_every_3_hours():
    return [Slot(1, T(h, 0), "UTC") for h in range(0, 24, 3)]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_planner_equals_brute_force(k):
    zones = [*CANDIDATE_ZONES, "America/Chicago", "Asia/Seoul"]

    fast = plan_rotation(candidates_every_3_hours(), zones, k, reference=D(2026, 1, 5))
    slow = plan_rotation_brute_force(candidates_every_3_hours(), zones, k, reference=D(2026, 1, 5))

    assert (fast.worst_night_share, fast.total_off_hours) == (
        slow.worst_night_share,
        slow.total_off_hours,
    )
    assert len(fast.slots) == k


@settings(max_examples=60, deadline=None)
@given(
    hours=st.lists(st.integers(0, 23), min_size=3, max_size=9, unique=True),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=8),
    k=st.integers(1, 3),
    duration=st.sampled_from([60, 90]),
)
def test_property_planner_equals_brute_force(hours, zones, k, duration):
    candidates = [Slot(2, T(h, 0), "Europe/Paris") for h in hours]
    length = datetime.timedelta(minutes=duration)

    fast = plan_rotation(candidates, zones, k, reference=D(2026, 7, 1), duration=length)
    slow = plan_rotation_brute_force(candidates, zones, k, reference=D(2026, 7, 1), duration=length)

    assert (fast.worst_night_share, fast.total_off_hours) == (
        slow.worst_night_share,
        slow.total_off_hours,
    )


def test_planner_avoids_night_for_everyone_when_possible():
    zones = ["Europe/Paris", "America/New_York"]

    plan = plan_rotation(candidates_every_3_hours(), zones, 1, reference=D(2026, 1, 5))

    assert plan.worst_night_share == 0
    assert plan.slots == (Slot(1, T(15, 0), "UTC"),)  # 16:00 Paris, 10:00 New York


def test_plan_dates_are_one_a_month_for_a_year_keeping_to_the_month_end():
    assert plan_dates(D(2026, 1, 31)) == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
        D(2026, 6, 30),
        D(2026, 7, 31),
        D(2026, 8, 31),
        D(2026, 9, 30),
        D(2026, 10, 31),
        D(2026, 11, 30),
        D(2026, 12, 31),
    ]


def test_planner_counts_night_in_london_in_winter_only():
    early = Slot(1, T(6, 30), "UTC")  # 06:30 GMT, but 07:30 BST

    plan = evaluate_rotation([early], ["Europe/London"], reference=D(2026, 1, 5))

    # Tuesdays after the 5th of January, February, March, November and December: GMT.
    assert plan.worst_night_share == 5 / 12
    assert plan.total_off_hours == 1.0  # before 08:00 all year


def test_dst_changes_the_planners_answer():
    # 06:30 UTC is night in London in winter (5 of 12 months); 20:00 UTC is night in
    # Sydney in its winter (06:00 AEST, 6 of 12 months) but 07:00 AEDT in January. Scored
    # on 5 January alone, 06:30 would be at night and 20:00 not: the planner would pick
    # 20:00. Over the year, 06:30 is the fairer one.
    early, late = Slot(1, T(6, 30), "UTC"), Slot(1, T(20, 0), "UTC")
    zones = ["Europe/London", "Australia/Sydney"]
    london, sydney = zoneinfo.ZoneInfo("Europe/London"), zoneinfo.ZoneInfo("Australia/Sydney")
    hour = datetime.timedelta(hours=1)

    plan = plan_rotation([early, late], zones, 1, reference=D(2026, 1, 5))
    slow = plan_rotation_brute_force([early, late], zones, 1, reference=D(2026, 1, 5))

    assert overlaps_night(early.at(D(2026, 1, 6)).astimezone(london), hour) is True
    assert overlaps_night(late.at(D(2026, 1, 6)).astimezone(sydney), hour) is False
    assert plan.slots == slow.slots == (early,)
    assert plan.worst_night_share == 5 / 12
    assert evaluate_rotation([late], zones, reference=D(2026, 1, 5)).worst_night_share == 6 / 12


@settings(max_examples=40, deadline=None)
@given(
    slots=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 23), st.sampled_from(ZONES)),
        min_size=4,
        max_size=8,
        unique=True,
    ),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=6),
    k=st.integers(1, 4),
    reference=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)),
)
def test_property_planner_equals_brute_force_for_slots_in_any_zone(slots, zones, k, reference):
    candidates = [Slot(weekday, T(hour, 0), zone) for weekday, hour, zone in slots]

    fast = plan_rotation(candidates, zones, k, reference=reference)
    slow = plan_rotation_brute_force(candidates, zones, k, reference=reference)

    assert (fast.worst_night_share, fast.total_off_hours) == (
        slow.worst_night_share,
        slow.total_off_hours,
    )
    assert evaluate_rotation(fast.slots, zones, reference=reference) == fast


def test_planner_refuses_more_slots_than_it_plans_fast():
    candidates = [Slot(1, T(h, 0), "UTC") for h in range(12)]

    with pytest.raises(ValueError, match="at most 4 slots"):
        plan_rotation(candidates, ["UTC"], PLAN_MAX_SLOTS + 1, reference=D(2026, 1, 5))


def test_dst_changes_found_in_both_hemispheres():
    paris = list(iter_dst_changes("Europe/Paris", *year()))
    sydney = list(iter_dst_changes("Australia/Sydney", *year()))
    kolkata = list(iter_dst_changes("Asia/Kolkata", *year()))

    assert paris == [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)]
    assert sydney == [utc(2026, 4, 4, 16), utc(2026, 10, 3, 16)]
    assert kolkata == []


# Office hours are on working days ----------------------------------------------------


def local_meeting(zone_name, year, month, day, hour):
    return datetime.datetime(year, month, day, hour, 0, tzinfo=zoneinfo.ZoneInfo(zone_name))


@pytest.mark.parametrize(
    ("zone_name", "day", "hour", "expected"),
    [
        ("Europe/Paris", D(2026, 12, 6), 16, True),  # a Sunday afternoon
        ("Europe/Paris", D(2026, 12, 5), 10, True),  # a Saturday morning
        ("Europe/Paris", D(2026, 12, 4), 10, False),  # a Friday morning
        ("Asia/Riyadh", D(2026, 12, 4), 10, True),  # Friday: Saudi weekend is Fri–Sat
        ("Asia/Riyadh", D(2026, 12, 6), 10, False),  # Sunday is a working day
        ("Asia/Dubai", D(2026, 12, 4), 10, False),  # the UAE moved to Sat–Sun in 2022
        ("Asia/Dubai", D(2026, 12, 6), 10, True),
        ("Asia/Jerusalem", D(2026, 12, 4), 10, True),
        ("Asia/Jerusalem", D(2026, 12, 6), 10, False),
        ("Asia/Tehran", D(2026, 12, 4), 10, True),
        ("Asia/Tehran", D(2026, 12, 5), 10, False),
        ("Asia/Kabul", D(2026, 12, 3), 10, True),  # Thursday
    ],
)
def test_weekends_are_off_hours_by_the_zones_rule(zone_name, day, hour, expected):
    start = local_meeting(zone_name, day.year, day.month, day.day, hour)

    assert off_hours(start, datetime.timedelta(hours=1), zone_name) is expected


def test_fairness_marks_sunday_afternoon_in_paris_as_off_hours():
    sunday = datetime.datetime(2026, 12, 6, 15, 0, tzinfo=datetime.UTC)  # 16:00 in Paris
    tuesday = datetime.datetime(2026, 12, 8, 15, 0, tzinfo=datetime.UTC)

    [paris] = fairness([sunday, tuesday], ["Europe/Paris"], datetime.timedelta(hours=1))

    assert paris.off_hours == (True, False)
    assert paris.night == (False, False)


def test_weekend_table_names_only_offered_zones():
    assert set(WEEKENDS) <= set(ZONES)
    assert weekend("Europe/Paris") == frozenset({5, 6})


def test_planner_counts_a_weekend_slot_as_off_hours_where_it_is_the_weekend():
    # Friday 10:00 in Riyadh (07:00 UTC): off-hours there, office hours in Paris (08:00).
    friday = Slot(4, T(10, 0), "Asia/Riyadh")

    riyadh = evaluate_rotation([friday], ["Asia/Riyadh"], reference=D(2026, 1, 5))
    paris = evaluate_rotation([friday], ["Europe/Paris"], reference=D(2026, 1, 5))

    assert (riyadh.total_off_hours, paris.total_off_hours) == (1.0, 0.0)


def test_planner_prefers_a_working_day_for_each_zone_and_agrees_with_the_oracle():
    zones = ["Asia/Riyadh", "Europe/Paris", "Asia/Jerusalem", "Europe/Moscow"]
    candidates = [Slot(day, T(10, 0), "Europe/Paris") for day in range(7)]

    fast = plan_rotation(candidates, zones, 2, reference=D(2026, 1, 5))
    slow = plan_rotation_brute_force(candidates, zones, 2, reference=D(2026, 1, 5))

    assert (fast.worst_night_share, fast.total_off_hours) == (slow.worst_night_share, 0.0)
    assert {slot.weekday for slot in fast.slots} <= {0, 1, 2, 3}
    assert fast.total_off_hours == 0.0
