from django.db import migrations


def drop_waffle_flag_tables(apps, schema_editor):
    """waffle's 0001 creates its own Flag tables even though WAFFLE_FLAG_MODEL points at
    messaging.Flag (ADR 0002). They stay empty forever, and their foreign key to auth_user
    makes PostgreSQL refuse the TRUNCATE that test databases are flushed with."""
    WaffleFlag = apps.get_model("waffle", "Flag")
    tables = set(schema_editor.connection.introspection.table_names())
    if WaffleFlag._meta.db_table in tables:
        schema_editor.delete_model(WaffleFlag)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_flags_and_cache_table"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [migrations.RunPython(drop_waffle_flag_tables, migrations.RunPython.noop)]
