from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_crm_sync"),
    ]

    operations = [
        # The API's name for them (DESIGN.md §5: webhooks/ {url, events[], …}).
        migrations.RenameField(model_name="webhookendpoint", old_name="event_types", new_name="events"),
    ]
