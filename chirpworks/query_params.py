"""Query-parameter serializers: a parameter sent empty (``?page=``) is an error, not absent.

DRF reads an empty query value of an optional field as "not sent", so ``?status=`` or ``?page=``
silently meant "no filter" / "page 1": the schema calls them enums and integers, and a client
sending them empty has a bug worth a 400.
"""

from rest_framework import serializers


class StrictQuerySerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            errors = {
                name: ["may not be empty"]
                for name, field in self.fields.items()
                if name in data
                and not getattr(field, "allow_blank", False)
                and any(not str(value).strip() for value in data.getlist(name))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
