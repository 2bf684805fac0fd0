"""A tagger model's settings as one JSON object, in place of a nullable column per kind: a
remote model's url, a spaCy model's pipeline and mapping move into it."""

from django.db import migrations, models


def columns_into_settings(apps, schema_editor):
    TaggerModel = apps.get_model("annotator", "TaggerModel")
    for model in TaggerModel.objects.exclude(kind="crf").iterator():
        if model.kind == "remote":
            model.settings = {"url": model.url}
        elif model.kind == "spacy":
            model.settings = {"pipeline": model.pipeline, "mapping": model.mapping}
        model.save(update_fields=["settings"])


def settings_into_columns(apps, schema_editor):
    TaggerModel = apps.get_model("annotator", "TaggerModel")
    for model in TaggerModel.objects.exclude(kind="crf").iterator():
        model.url = model.settings.get("url", "")
        model.pipeline = model.settings.get("pipeline", "")
        model.mapping = model.settings.get("mapping", {})
        model.save(update_fields=["url", "pipeline", "mapping"])


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="taggermodel",
            name="settings",
            field=models.JSONField(
                blank=True, default=dict, help_text="The kind's settings, as its form validated them."
            ),
        ),
        migrations.RunPython(columns_into_settings, settings_into_columns),
        migrations.RemoveField(model_name="taggermodel", name="mapping"),
        migrations.RemoveField(model_name="taggermodel", name="pipeline"),
        migrations.RemoveField(model_name="taggermodel", name="url"),
        migrations.AlterField(
            model_name="taggermodel",
            name="kind",
            field=models.CharField(default="crf", help_text="A tagger kind's name.", max_length=20),
        ),
        migrations.AlterField(
            model_name="taggermodel",
            name="path",
            field=models.CharField(
                blank=True,
                help_text="A trained model's file, relative to MODEL_ROOT.",
                max_length=500,
            ),
        ),
    ]
