# API keys record the key that created them (created_by keeps the person at the root).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0005_invitation'),
    ]

    operations = [
        migrations.AddField(
            model_name='apikey',
            name='created_by_key',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.apikey'),
        ),
    ]
