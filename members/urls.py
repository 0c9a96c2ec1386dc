from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("members/", views.CompanyListView.as_view(), name="company-list"),
    path("members/<slug:slug>/", views.CompanyDetailView.as_view(), name="company-detail"),
    path("members/<slug:slug>/leave/", views.company_leave, name="company-leave"),
    path(
        "members/<slug:slug>/roles/replace/",
        views.company_replace_role,
        name="company-replace-role",
    ),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("sub-teams/", views.SubTeamListView.as_view(), name="subteam-list"),
    path("sub-teams/new/", views.sub_team_edit, name="subteam-create"),
    path("sub-teams/<slug:slug>/", views.SubTeamDetailView.as_view(), name="subteam-detail"),
    path("sub-teams/<slug:slug>/edit/", views.sub_team_edit, name="subteam-edit"),
    path(
        "sub-teams/<slug:slug>/members/<int:pk>/remove/",
        views.sub_team_member_remove,
        name="subteam-member-remove",
    ),
    path("tools/", views.ToolListView.as_view(), name="tool-list"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("timezone/", views.switch_timezone, name="switch-timezone"),
    path("dashboard/roles/", views.RoleListView.as_view(), name="roles"),
    path("dashboard/roles/<int:pk>/end/", views.end_role, name="role-end"),
    path(
        "dashboard/roles/proposals/",
        views.RoleProposalListView.as_view(),
        name="role-proposals",
    ),
    path(
        "dashboard/roles/proposals/<int:pk>/decide/",
        views.role_proposal_decide,
        name="role-proposal-decide",
    ),
]
