"""Tokens longer than the index column (long URLs, code) are indexed by their start and a hash.

On SQLite, where varchar(200) is not enforced, such tokens may have been stored whole: rewrite
them to their keys so that search finds them (PostgreSQL refused them, so it has none)."""

from django.db import migrations, models
from django.db.models.functions import Length


def shorten_long_keys(apps, schema_editor):
    from annotator.search import INDEX_KEY_LENGTH, index_key

    TokenIndex = apps.get_model("annotator", "TokenIndex")
    long_rows = TokenIndex.objects.annotate(size=Length("text")).filter(size__gt=INDEX_KEY_LENGTH)
    for row in long_rows.iterator():
        row.text = index_key(row.text)
        row.save(update_fields=["text"])


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0012_formats"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tokenindex",
            name="text",
            field=models.CharField(
                help_text="The token, case-folded (a long one: its start and a hash, see index_key).",
                max_length=200,
            ),
        ),
        migrations.RunPython(shorten_long_keys, migrations.RunPython.noop),
    ]
