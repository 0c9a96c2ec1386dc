from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import admin_login, views

admin.site.site_header = f"{settings.GROUP_SHORT_NAME} Portal administration"
admin.site.site_title = f"{settings.GROUP_SHORT_NAME} Portal admin"
# Staff log in through allauth, which asks for their second factor.
admin.site.login = admin_login.login

#: The pages that gather from every app.
portal_patterns = (
    [
        path("", views.home, name="home"),
        path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
        path("about/", views.about, name="about"),
        path("my-company/", views.my_company_index, name="my-company"),
        path("my-company/<slug:slug>/", views.my_company, name="my-company-detail"),
    ],
    "portal",
)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("bench/floor", views.floor, name="bench-floor"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("meetings/", include("meetings.urls")),
    path("agreements/", include("agreements.urls")),
    path("join/", include("joining.urls")),
    path("", include(portal_patterns)),
    path("", include("members.urls")),
]
