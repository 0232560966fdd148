"""The browsable API's renderer."""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API. A view with `html_form = False` (its input nests lists, which DRF's
    HTML forms cannot edit) offers the raw JSON form only, so nobody fills in a form that can
    only fail; with `get_serializer` the JSON form starts from the current state."""

    def get_rendered_html_form(self, data, view, method, request):
        if getattr(view, "html_form", True) is False and method in ("POST", "PUT", "PATCH"):
            return None
        return super().get_rendered_html_form(data, view, method, request)
