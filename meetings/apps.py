from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset

        from .receivers import revoke_calendar_tokens_on_new_password

        for signal in (password_reset, password_changed):
            signal.connect(
                revoke_calendar_tokens_on_new_password, dispatch_uid="meetings-revoke-calendar"
            )
