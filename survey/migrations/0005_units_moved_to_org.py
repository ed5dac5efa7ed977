"""The unit models moved to org (same tables): state only, not a row touched."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
        ('survey', '0004_import_report_blank'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='administrativeunit',
                    name='level',
                ),
                migrations.RemoveField(
                    model_name='administrativeunit',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='administrativeunit',
                    name='successors',
                ),
                migrations.AlterField(
                    model_name='campaignquota',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='firm',
                    name='unit',
                    field=models.ForeignKey(help_text='The department or district the firm is asked about.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='invitation',
                    name='unit',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invitations', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='campaign',
                    name='scope',
                    field=models.ForeignKey(blank=True, help_text='This unit and every unit below it; empty means everywhere.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='campaigns', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='servicetransaction',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transactions', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='response',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='org.administrativeunit'),
                ),
                migrations.AlterField(
                    model_name='apiclient',
                    name='units',
                    field=models.ManyToManyField(help_text='The client may register transactions in these units and below them.', related_name='api_clients', to='org.administrativeunit'),
                ),
                migrations.DeleteModel(
                    name='UnitLevel',
                ),
                migrations.DeleteModel(
                    name='AdministrativeUnit',
                ),
            ],
            database_operations=[],
        ),
    ]
