"""Serializer plumbing shared by every app."""

from rest_framework import serializers

# Fields that take several values from a form (`?tag=a&tag=b`).
_MANY_VALUED = (
    serializers.ListField,
    serializers.MultipleChoiceField,
    serializers.ManyRelatedField,
)
# Sent by the browsable API's HTML forms; never data.
_IGNORED_KEYS = frozenset({"csrfmiddlewaretoken", "_content", "_content_type"})


class InputSerializer(serializers.Serializer):
    """Input shape only. Unknown keys are a 400 (a typo or a mass-assignment attempt such as
    `tenant` must never be silently dropped)."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data.keys()) - known - _IGNORED_KEYS)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        if hasattr(data, "getlist"):
            # A form or multipart body may repeat a key; DRF would keep the last value of a
            # single-valued field and silently drop the others (two `file` parts: one stored).
            repeated = sorted(
                name
                for name, field in self.fields.items()
                if not isinstance(field, _MANY_VALUED) and len(data.getlist(name)) > 1
            )
            if repeated:
                raise serializers.ValidationError(
                    {name: ["Send this field once."] for name in repeated}
                )
        return super().to_internal_value(data)
