"""The unit foreign keys now point at org.AdministrativeUnit (same table: state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # survey forgets the unit models only once nothing points at them any more.
    run_before = [('survey', '0005_units_moved_to_org')]


    dependencies = [
        ('analysis', '0001_initial'),
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='estimate',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='estimates', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='surveyround',
                    name='scope',
                    field=models.ForeignKey(help_text='The unit whose subtree this round covers.', on_delete=django.db.models.deletion.PROTECT, related_name='rounds', to='org.administrativeunit'),
                ),
            ],
            database_operations=[],
        ),
    ]
