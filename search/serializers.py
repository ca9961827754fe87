from rest_framework import serializers

from search.documents import DOCUMENT_TYPES


class SearchInputSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True, max_length=1000, trim_whitespace=True)
    k = serializers.IntegerField(required=False, allow_null=True)
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=DOCUMENT_TYPES),
        required=False,
        allow_null=True,
        allow_empty=True,
        max_length=len(DOCUMENT_TYPES),
    )
    seller_id = serializers.UUIDField(required=False, allow_null=True)


class SearchResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.CharField(help_text="One of: " + ", ".join(DOCUMENT_TYPES))
    text = serializers.CharField()
    meta = serializers.JSONField()
    agency_id = serializers.UUIDField()
    meeting_id = serializers.UUIDField(allow_null=True)
    buyer_id = serializers.UUIDField(allow_null=True)
    product_id = serializers.UUIDField(allow_null=True)
    seller_id = serializers.UUIDField(allow_null=True)
    distance = serializers.FloatField(
        allow_null=True, help_text="L2 distance between unit vectors (0 = same direction)"
    )


class SearchOutputSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)


class AnswerOutputSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True)
    sources = serializers.ListField(
        child=serializers.DictField(),
        help_text="The retrieved passages (same shape as search results), or one "
        '{type: "analytics", metric, components?, items?, series?, date_range} object.',
    )
