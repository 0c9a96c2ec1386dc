"""Stored zone aliases (US/Eastern, Asia/Calcutta, Europe/Kiev, localtime, …) become
the zone they stand for, which the pickers offer; unknown names are left as they are."""

from django.db import migrations

from members.models import map_stored_zone_aliases


def forwards(apps, schema_editor):
    map_stored_zone_aliases(apps.get_model("meetings", "Slot"), "zone")


class Migration(migrations.Migration):
    dependencies = [("meetings", "0009_zone_names")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
