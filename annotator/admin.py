from django.contrib import admin

from annotator import models


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "scheme", "created_at"]
    search_fields = ["name"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role"]
    list_filter = ["role"]
    list_select_related = ["project", "user"]


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "position", "scheme", "sentence_count", "token_count"]
    list_filter = ["project"]
    list_select_related = ["project"]
    search_fields = ["name"]


@admin.register(models.Sentence)
class SentenceAdmin(admin.ModelAdmin):
    list_display = ["document", "position", "line"]
    list_select_related = ["document"]
    raw_id_fields = ["document"]


@admin.register(models.TagLayer)
class TagLayerAdmin(admin.ModelAdmin):
    list_display = ["name", "document", "kind", "owner", "invalid_count"]
    list_filter = ["kind"]
    list_select_related = ["document", "owner"]
    raw_id_fields = ["document"]


@admin.register(models.SentenceTags)
class SentenceTagsAdmin(admin.ModelAdmin):
    list_display = ["layer", "sentence", "version"]
    list_select_related = ["layer__document", "sentence__document"]
    raw_id_fields = ["layer", "sentence"]


@admin.register(models.TagChange)
class TagChangeAdmin(admin.ModelAdmin):
    list_display = ["action", "layer", "sentence", "user", "created_at"]
    list_select_related = ["layer__document", "sentence__document", "user"]
    raw_id_fields = ["layer", "sentence"]


@admin.register(models.TokenIndex)
class TokenIndexAdmin(admin.ModelAdmin):
    list_display = ["text", "project", "document"]
    list_select_related = ["project", "document"]
    raw_id_fields = ["project", "document"]
    search_fields = ["text"]
