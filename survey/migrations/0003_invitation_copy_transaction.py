"""Copy unit, sector and channel of each transaction onto its invitation."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Invitation = apps.get_model("survey", "Invitation")
    ServiceTransaction = apps.get_model("survey", "ServiceTransaction")
    source = ServiceTransaction.objects.filter(pk=OuterRef("transaction_id"))
    Invitation.objects.filter(transaction__isnull=False, unit__isnull=True).update(
        unit=Subquery(source.values("unit_id")[:1]),
        sector=Subquery(source.values("sector")[:1]),
        channel=Subquery(source.values("channel")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("survey", "0002_collection")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
