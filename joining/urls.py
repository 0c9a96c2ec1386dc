from django.urls import path

from . import views

app_name = "joining"

urlpatterns = [
    path("", views.join, name="join"),
    path("thanks/", views.join_thanks, name="join-thanks"),
    path("confirm/<str:token>/", views.join_confirm, name="join-confirm"),
    path("status/<str:token>/", views.join_status, name="join-status"),
    path("applications/", views.application_list, name="application-list"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path(
        "applications/<int:pk>/action/",
        views.application_action,
        name="application-action",
    ),
]
