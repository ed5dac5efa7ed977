"""No stored record ties an answer (or an open-link visit) to a network address any more:
the keyed hashes of senders' addresses are wiped, then their columns dropped. Open-link
duplicate checks moved to the cache (survey.privacy.duplicate_claim)."""

from django.db import migrations


def wipe(apps, schema_editor):
    # Blank first: a dropped column's values stay in every table page until its row is
    # rewritten; blanked, the old row versions go with the next VACUUM.
    for name in ("Response", "Invitation"):
        model = apps.get_model("survey", name)
        model.objects.exclude(client_hash="").update(client_hash="")


class Migration(migrations.Migration):

    dependencies = [
        ("survey", "0006_invitation_receipt_sent_at"),
    ]

    operations = [
        migrations.RunPython(wipe, migrations.RunPython.noop),
        migrations.RemoveField(model_name="invitation", name="client_hash"),
        migrations.RemoveField(model_name="response", name="client_hash"),
    ]
