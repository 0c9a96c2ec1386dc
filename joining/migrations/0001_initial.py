# The join applications, their delegates and events moved here from the members app.
# Their tables stay as they are (members_joinapplication, …): the models only enter this
# app's state, and their content types (with the permissions and admin log entries that
# point at them) are relabelled rather than created anew.

import django.db.models.deletion
import django.utils.timezone
import members.models
from django.conf import settings
from django.db import migrations, models

MODELS = ('joinapplication', 'proposeddelegate', 'applicationevent')


def relabel_content_types(from_label, to_label):
    def relabel(apps, schema_editor):
        ContentType = apps.get_model('contenttypes', 'ContentType')
        db = schema_editor.connection.alias
        for model in MODELS:
            if ContentType.objects.using(db).filter(app_label=to_label, model=model).exists():
                continue  # already there: the old row is left for remove_stale_contenttypes
            ContentType.objects.using(db).filter(app_label=from_label, model=model).update(
                app_label=to_label
            )

    return relabel


STATES = [
    ('submitted', 'Submitted (e-mail not confirmed yet)'),
    ('confirmed', 'Confirmed'),
    ('participating', 'Taking part in General Meetings'),
    ('desire-expressed', 'Desire to join expressed'),
    ('welcome-scheduled', 'Welcome at the Executive Board scheduled'),
    ('welcomed', 'Welcomed: a member'),
    ('declined', 'Declined'),
    ('withdrawn', 'Withdrawn'),
]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('meetings', '0004_invitation'),
        ('members', '0004_join_applications_move_to_joining'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='JoinApplication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('company_name', models.CharField(max_length=200)),
                        ('website', models.URLField(max_length=300)),
                        ('hq_timezone', members.models.TimeZoneField(choices=members.models.timezone_choices, max_length=64, verbose_name='headquarters time zone')),
                        ('contact_name', models.CharField(max_length=200)),
                        ('contact_email', models.EmailField(max_length=254)),
                        ('contact_role', models.CharField(max_length=200, verbose_name="contact's role")),
                        ('interests', models.TextField(max_length=4000, verbose_name='what the company wants to work on')),
                        ('state', models.CharField(choices=STATES, default='submitted', max_length=20)),
                        ('status_token', models.CharField(max_length=64, unique=True)),
                        ('submitted_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('closed_reason', models.CharField(blank=True, max_length=500)),
                        ('company', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='applications', to='members.company')),
                        ('desire_meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='meetings.meeting')),
                        ('welcome_meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='meetings.meeting')),
                    ],
                    options={
                        'db_table': 'members_joinapplication',
                        'ordering': ['-submitted_at'],
                        'indexes': [models.Index(fields=['state', '-submitted_at'], name='members_joi_state_a9739b_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='ApplicationEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_state', models.CharField(blank=True, max_length=20)),
                        ('to_state', models.CharField(choices=STATES, max_length=20)),
                        ('note', models.CharField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='meetings.meeting')),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='joining.joinapplication')),
                    ],
                    options={
                        'db_table': 'members_applicationevent',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ProposedDelegate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('coordinator', 'Coordinator'), ('executive', 'Executive')], max_length=16)),
                        ('name', models.CharField(max_length=200)),
                        ('email', models.EmailField(max_length=254)),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='delegates', to='joining.joinapplication')),
                    ],
                    options={
                        'db_table': 'members_proposeddelegate',
                        'ordering': ['kind', 'pk'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            relabel_content_types('members', 'joining'),
            relabel_content_types('joining', 'members'),
        ),
    ]
