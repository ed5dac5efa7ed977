from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("survey", "0003_invitation_copy_transaction")]

    operations = [
        migrations.AlterField(
            model_name="importbatch",
            name="report",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
