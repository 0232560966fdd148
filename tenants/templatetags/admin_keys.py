"""`admin_key`: what an object's admin URL names it by (tenants.admin.TenantScopedAdmin.url_key:
a public id or a ticket number; the database id for platform models)."""

from django import template

register = template.Library()


@register.filter
def admin_key(obj):
    from tenants.admin_site import admin_site

    url_key_of = getattr(admin_site._registry.get(type(obj)), "url_key_of", None)
    return url_key_of(obj) if url_key_of is not None else obj.pk
