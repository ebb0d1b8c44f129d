from django.core.management import call_command
from django.db import migrations

FLAGS = {
    "mhv_secure_messaging_curated_list_flow": "The curated-list flow (interstitial, recent, select care team, start message) instead of the legacy compose page.",
    "mhv_secure_messaging_recent_recipients": "The /new-message/recent/ step of the curated flow.",
}


def create_flags(apps, schema_editor):
    Flag = apps.get_model("messaging", "Flag")
    for name, note in FLAGS.items():
        Flag.objects.get_or_create(
            name=name, defaults={"everyone": None, "percent": None, "note": note}
        )


def remove_flags(apps, schema_editor):
    apps.get_model("messaging", "Flag").objects.filter(name__in=FLAGS).delete()


def create_cache_table(apps, schema_editor):
    # The shared cache when REDIS_URL is not set (a no-op when it is).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [
        migrations.RunPython(create_flags, remove_flags),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
