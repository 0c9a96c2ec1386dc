"""Import and export of OpenStack's irc-meetings YAML, the format the yaml2ical tool reads.

The import reproduces yaml2ical 0.15's own .ics: each schedule's first date is the one
yaml2ical picks from its `start_date` (today when absent), and from there the meeting repeats
at a strict interval, exactly as the RRULE in the .ics does. The "even/odd ISO week" names
are only used to pick that first date; they are never applied again later, so after a 53-week
ISO year (2020, 2026) the portal, like the .ics, no longer meets on weeks of that parity, and
the import says so.

All times in these files are UTC: imported slots are in the zone "UTC". A portal series is
exported only when yaml2ical can say exactly the same thing: fixed UTC times (no DST), a
period of 1, 2 or 4 weeks per slot, or one slot on the first to fourth weekday (Monday to
Friday, UTC) of every month. Anything else is skipped with the reason.
"""
