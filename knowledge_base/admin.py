"""The knowledge base in the tenant-scoped admin: categories and articles, written through
the services (validated, locked, audited; a published article keeps its revisions), with a
read-only preview of an article's rendered (sanitized) HTML."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from knowledge_base import services
from knowledge_base.models import Article, Category
from tenants.admin import ServiceRefused, TenantScopedAdmin, form_changes
from tenants.admin_site import admin_site


@admin.register(Category, site=admin_site)
class CategoryAdmin(TenantScopedAdmin):
    # No ModelForm class of our own: one with a foreign key would read the fail-closed
    # manager at import; the admin builds the form per request, inside the acting tenant.
    fields = ("name", "slug", "description", "parent", "position")
    capabilities = {
        "view": "kb.read",
        "add": "kb.publish",
        "change": "kb.publish",
        "delete": "kb.publish",
    }
    list_display = ("name", "slug", "parent", "position")
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    ordering = ("position", "id")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent":
            field.queryset = field.queryset.filter(parent__isnull=True)  # one level deep
        return field

    def save_model(self, request, obj, form, change):
        if change:
            self._run_service(
                request,
                services.category_update,
                category=obj,
                expected_version=self.expected_version(form),
                **form_changes(form),
            )
        else:
            created = self._run_service(request, services.category_create, **form.cleaned_data)
            obj.pk = created.pk  # the admin's redirect and log entry name the stored row

    def delete_model(self, request, obj):
        self._run_service(request, services.category_delete, category=obj)


@admin.register(Article, site=admin_site)
class ArticleAdmin(TenantScopedAdmin):
    fields = (
        "title",
        "slug",
        "category",
        "excerpt",
        "tags",
        "body",
        "status",
        "published_at",
        "version",
        "preview",
    )
    capabilities = {
        "view": "kb.read",
        "add": "kb.write",
        "change": "kb.write",
        "delete": "kb.delete",
        "publish": "kb.publish",
    }
    list_display = ("title", "slug", "status", "category", "published_at", "updated_at")
    list_select_related = ("category",)
    list_filter = ("status", "category")
    search_fields = ("title", "slug")
    ordering = ("-created_at", "-id")
    readonly_fields = ("status", "published_at", "version", "preview")
    actions = ("publish_selected", "archive_selected")

    @admin.display(description="rendered HTML")
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "-"
        # body_html was sanitized by knowledge_base.rendering when it was saved.
        return format_html('<div class="kb-preview">{}</div>', mark_safe(obj.body_html))  # noqa: S308

    def has_publish_permission(self, request):
        return self._can(request, "publish")

    def _transition(self, request, queryset, service, done: str) -> None:
        changed = 0
        for article in queryset:
            try:
                self._run_service(request, service, article=article)
            except ServiceRefused:
                continue  # its message is shown; the others go on
            changed += 1
        self.message_user(request, f"{changed} article(s) {done}.")

    @admin.action(description="Publish the selected articles", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._transition(request, queryset, services.article_publish, "published")

    @admin.action(description="Archive the selected articles", permissions=["publish"])
    def archive_selected(self, request, queryset):
        self._transition(request, queryset, services.article_archive, "archived")

    def save_model(self, request, obj, form, change):
        if change:
            self._run_service(
                request,
                services.article_update,
                article=obj,
                expected_version=self.expected_version(form),
                **form_changes(form),
            )
        else:
            created = self._run_service(request, services.article_create, **form.cleaned_data)
            obj.pk = created.pk

    def delete_model(self, request, obj):
        self._run_service(request, services.article_delete, article=obj)
