# The join applications moved to the joining app, which keeps their tables: this
# migration only takes them out of the members app's state (joining 0001 takes them in).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0003_join_applications'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ApplicationEvent'),
                migrations.DeleteModel(name='ProposedDelegate'),
                migrations.DeleteModel(name='JoinApplication'),
            ],
            database_operations=[],
        ),
    ]
