"""Meeting series with rotating slots, their meetings, attendance, notes, attachments,
invitations and mail. Django finds an app's models here: each module's are named below."""

from .delivery import Delivery, DeliveryQuerySet
from .meeting import (
    Attachment,
    Attendance,
    CalendarToken,
    CalendarTokenQuerySet,
    Invitation,
    Meeting,
    MeetingQuerySet,
    NoteRevision,
    attachment_path,
    calendar_token_hash,
    new_calendar_token,
)
from .series import Audience, Series, SeriesDate, SeriesQuerySet, Slot, rotation_cadence

__all__ = [
    "Attachment",
    "Attendance",
    "Audience",
    "CalendarToken",
    "CalendarTokenQuerySet",
    "Delivery",
    "DeliveryQuerySet",
    "Invitation",
    "Meeting",
    "MeetingQuerySet",
    "NoteRevision",
    "Series",
    "SeriesDate",
    "SeriesQuerySet",
    "Slot",
    "attachment_path",
    "calendar_token_hash",
    "new_calendar_token",
    "rotation_cadence",
]
