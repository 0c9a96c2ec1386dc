from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from members.signals import password_set

        from .receivers import revoke_calendar_tokens_on_new_password

        password_set.connect(
            revoke_calendar_tokens_on_new_password, dispatch_uid="meetings-revoke-calendar"
        )
