from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        # Cached public pages show the group's data: any change to it retires them.
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save

        from lcoo.pagecache import bump_data_version

        for model in apps.get_models():
            if model._meta.app_label in {"members", "meetings", "agreements"}:
                post_save.connect(bump_data_version, sender=model, weak=False)
                post_delete.connect(bump_data_version, sender=model, weak=False)
