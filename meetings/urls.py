from django.urls import path

from . import feeds
from .views import manage, public, series

app_name = "meetings"

urlpatterns = [
    path("", public.MeetingListView.as_view(), name="list"),
    path("calendar.ics", feeds.public_feed, name="ical-feed"),
    path("calendar/<str:token>.ics", feeds.private_feed, name="private-feed"),
    path("my-calendar/", feeds.calendar_settings, name="calendar-settings"),
    path("my-calendar/regenerate/", feeds.regenerate_calendar_token, name="calendar-regenerate"),
    path("kind/<str:kind>/calendar.ics", feeds.kind_feed, name="kind-feed"),
    path("<int:pk>/calendar.ics", feeds.event_download, name="event-ics"),
    path("past/", public.PastMeetingListView.as_view(), name="past"),
    path("<int:pk>/", public.meeting_detail, name="detail"),
    path("series/<slug:slug>/", public.series_detail, name="series-detail"),
    path("series/<slug:slug>/calendar.ics", feeds.series_feed, name="series-feed"),
    path("attachments/<int:pk>/", public.attachment_download, name="attachment"),
    # The coordinators' area.
    path("manage/", series.ManageHomeView.as_view(), name="manage"),
    path("manage/participation/", manage.ParticipationView.as_view(), name="participation"),
    path("manage/series/new/", series.series_edit, name="series-create"),
    path("manage/series/<slug:slug>/", series.series_edit, name="series-edit"),
    path("manage/series/<slug:slug>/generate/", series.series_generate, name="series-generate"),
    path("manage/series/<slug:slug>/end/", series.series_end, name="series-end"),
    path("manage/series/<slug:slug>/reopen/", series.series_reopen, name="series-reopen"),
    path("manage/series/<slug:slug>/extra/", series.series_extra, name="series-extra"),
    path("manage/<int:pk>/restore/", manage.meeting_restore, name="restore"),
    path(
        "manage/attachments/<int:pk>/delete/",
        manage.attachment_delete,
        name="attachment-delete",
    ),
    path("manage/<int:pk>/", manage.meeting_edit, name="edit"),
    path("manage/<int:pk>/cancel/", manage.meeting_cancel, name="cancel"),
    path("manage/<int:pk>/publish/", manage.meeting_publish, name="publish"),
    path("manage/<int:pk>/attendance/", manage.meeting_attendance, name="attendance"),
    path("manage/<int:pk>/attendance.csv", manage.meeting_attendance_csv, name="attendance-csv"),
    path("manage/<int:pk>/attachments/", manage.meeting_attachments, name="attachments"),
    path("manage/<int:pk>/deliveries/", manage.meeting_deliveries, name="deliveries"),
    path("manage/<int:pk>/text/<str:field>/", manage.meeting_text_edit, name="text-edit"),
    path(
        "manage/<int:pk>/text/<str:field>/history/",
        manage.meeting_text_history,
        name="text-history",
    ),
]
