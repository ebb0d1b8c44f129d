from django.db import migrations, models


def drop_old_api_tokens(apps, schema_editor):
    """DRF's authtoken kept every API token in clear text, forever (issue 13). django-rest-knox
    replaced it (ADR 0008): the old table and its tokens go, so none of them can ever be read
    or used again."""
    connection = schema_editor.connection
    if "authtoken_token" in set(connection.introspection.table_names()):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
            cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0010_drop_veteranprofile_description")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("message.sent", "Message Sent"),
                    ("draft.deleted", "Draft Deleted"),
                    ("message.deleted", "Message Deleted"),
                    ("flag.changed", "Flag Changed"),
                    ("sign_in.locked_out", "Sign In Locked Out"),
                ],
                max_length=30,
            ),
        ),
        # A draft's body at most 10,000 characters; a sent one may also carry the
        # electronic signature block the send appends.
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=models.Q(("body__length__lte", 10000))
                | models.Q(
                    models.Q(("state", "draft"), _negated=True), ("body__length__lte", 10300)
                ),
                name="message_body_max_10000",
            ),
        ),
        migrations.RunPython(drop_old_api_tokens, migrations.RunPython.noop),
    ]
