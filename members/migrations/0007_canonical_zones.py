"""Stored zone aliases (US/Eastern, Asia/Calcutta, Europe/Kiev, localtime, …) become
the zone they stand for, which the pickers offer; unknown names are left as they are."""

from django.db import migrations

from members.models import map_stored_zone_aliases


def forwards(apps, schema_editor):
    map_stored_zone_aliases(apps.get_model("members", "Person"), "time_zone")
    map_stored_zone_aliases(apps.get_model("members", "Company"), "hq_timezone")


class Migration(migrations.Migration):
    dependencies = [("members", "0006_company_zone_optional_zone_names")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
