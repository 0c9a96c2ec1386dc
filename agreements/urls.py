from django.urls import path

from . import feeds, views

app_name = "agreements"

urlpatterns = [
    path("", views.AgreementListView.as_view(), name="list"),
    path("feed.atom", feeds.AgreementFeed(), name="feed"),
    path("register.csv", views.register_csv, name="register-csv"),
    path("new/", views.agreement_edit, name="create"),
    path("action-items/", views.ActionItemListView.as_view(), name="action-items"),
    path("action-items.csv", views.action_items_csv, name="action-items-csv"),
    path("action-items/new/", views.action_item_edit, name="action-item-create"),
    path("action-items/<int:pk>/edit/", views.action_item_edit, name="action-item-edit"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action-item-status"),
    path("forum-topics/", views.forum_topic_list, name="forum-topics"),
    path("forum-topics/new/", views.forum_topic_edit, name="forum-topic-create"),
    path("forum-topics/<slug:slug>/", views.forum_topic_detail, name="forum-topic"),
    path("forum-topics/<slug:slug>/edit/", views.forum_topic_edit, name="forum-topic-edit"),
    path(
        "forum-topics/<slug:slug>/interest/",
        views.forum_topic_interest,
        name="forum-topic-interest",
    ),
    path("forum-topics/<slug:slug>/assign/", views.forum_topic_assign, name="forum-topic-assign"),
    path("forum-topics/<slug:slug>/status/", views.forum_topic_status, name="forum-topic-status"),
    path("companies/<slug:slug>/", views.company_participation, name="company"),
    path("<slug:slug>/", views.agreement_detail, name="detail"),
    path("<slug:slug>/edit/", views.agreement_edit, name="edit"),
    path("<slug:slug>/status/", views.agreement_status, name="status"),
    path("<slug:slug>/position/", views.agreement_position, name="position"),
]
