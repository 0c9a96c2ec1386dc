"""Calendar tokens are kept as their SHA-256 hash, no longer in plain text.

Every existing token is replaced by its hash, so the feed addresses people subscribed to
keep working. Going back cannot restore a token from its hash: the tokens are deleted
then, and each person makes a new address on their calendar page.
"""

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    CalendarToken = apps.get_model("meetings", "CalendarToken")
    # The renamed column holds the plain tokens until this runs.
    for pk, token in list(CalendarToken.objects.values_list("pk", "token_hash")):
        digest = hashlib.sha256(token.encode()).hexdigest()
        CalendarToken.objects.filter(pk=pk).update(token_hash=digest)


def delete_tokens(apps, schema_editor):
    apps.get_model("meetings", "CalendarToken").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0006_series_mailing_list_private'),
    ]

    operations = [
        migrations.RenameField(
            model_name='calendartoken',
            old_name='token',
            new_name='token_hash',
        ),
        migrations.AlterField(
            model_name='calendartoken',
            name='token_hash',
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RunPython(hash_tokens, delete_tokens, elidable=False),
    ]
