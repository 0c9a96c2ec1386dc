from django.apps import AppConfig, apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from .pagecache import bump_data_version

#: The apps whose data the public pages show.
PORTAL_APPS = frozenset({"members", "meetings", "agreements", "joining"})

#: Models whose rows no public page shows. History rows are written beside the row they
#: record, which bumps the version already.
NOT_ON_PUBLIC_PAGES = frozenset({"meetings.Delivery", "meetings.CalendarToken"})


class PortalConfig(AppConfig):
    """The portal itself: the pages and commands that gather from every app."""

    name = "lcoo"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Cached public pages show the group's data: any change to it retires them, but
        # for the bookkeeping no page shows (sending a 10,000-recipient announcement must
        # not retire every page 10,000 times).
        through_models = set()
        for model in apps.get_models():
            label = model._meta.label
            if model._meta.app_label not in PORTAL_APPS:
                continue
            if label in NOT_ON_PUBLIC_PAGES or label.split(".")[1].startswith("Historical"):
                continue
            post_save.connect(_saved, sender=model, weak=False)
            post_delete.connect(bump_data_version, sender=model, weak=False)
            # add(), remove() and clear() on a many-to-many field save no model.
            through_models.update(f.remote_field.through for f in model._meta.local_many_to_many)
        for through in through_models:
            m2m_changed.connect(_links_changed, sender=through, weak=False)
        # The home page shows the group's profile (lcoo's one model on a public page).
        profile = self.get_model("GroupProfile")
        post_save.connect(bump_data_version, sender=profile, weak=False)
        post_delete.connect(bump_data_version, sender=profile, weak=False)


def _saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login: nothing a page shows has changed
    bump_data_version()


def _links_changed(sender, action, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_data_version()
