from rest_framework import serializers

from actions.serializers import ActionSerializer
from chirpworks.pagination import MAX_LIMIT, MAX_PAGE, PaginationSerializer


class BuyerListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=50)


class BuyerRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    products_discussed = serializers.JSONField()
    last_contacted_by = serializers.CharField(allow_null=True, help_text="The seller's name.")
    last_contacted_at = serializers.DateTimeField(allow_null=True)
    company_name = serializers.CharField(allow_null=True)


class BuyerListOutputSerializer(serializers.Serializer):
    buyers = BuyerRowSerializer(many=True)
    pagination = PaginationSerializer()
    agency_id = serializers.UUIDField()


class ProductRefSerializer(serializers.Serializer):
    product_name = serializers.CharField(allow_null=True)
    product_id = serializers.CharField(allow_null=True)


class ProductInterestSerializer(ProductRefSerializer):
    interest_level = serializers.ChoiceField(choices=["high", "medium", "low"])


class BuyerProfileSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    risks = serializers.JSONField()
    products_discussed = ProductRefSerializer(many=True)
    key_highlights = serializers.JSONField()
    last_contacted_by = serializers.CharField(allow_null=True)
    last_contacted_at = serializers.DateTimeField(allow_null=True)
    company_name = serializers.CharField(allow_null=True)


class ListOrObjectField(serializers.JSONField):
    """A buyer's free-form analysis (risks, products discussed, highlights): a list or an object."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, list | dict):
            raise serializers.ValidationError("Must be a list or an object")
        return value


class BuyerProfileUpdateInputSerializer(serializers.Serializer):
    risks = ListOrObjectField(required=False, allow_null=True)
    products_discussed = ListOrObjectField(required=False, allow_null=True)
    key_highlights = ListOrObjectField(required=False, allow_null=True)

    def validate(self, attrs):
        if not isinstance(self.initial_data, dict):
            raise serializers.ValidationError("Expected an object")
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(f"Invalid fields: {', '.join(sorted(unknown))}")
        return attrs


class BuyerProfileUpdateOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    name = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    risks = serializers.JSONField()
    products_discussed = serializers.JSONField()
    key_highlights = serializers.JSONField()


class BuyerProductCatalogueSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    products_discussed = ProductInterestSerializer(many=True)


class BuyerActionsCountSerializer(serializers.Serializer):
    buyer_id = serializers.UUIDField()
    pending_actions_count = serializers.IntegerField()


class BuyerActionsSerializer(serializers.Serializer):
    buyer_id = serializers.UUIDField()
    actions = ActionSerializer(many=True)
    total_count = serializers.IntegerField()


class BuyerCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=32)
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)
    company_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    risks = ListOrObjectField(required=False, allow_null=True)
    products_discussed = ListOrObjectField(required=False, allow_null=True)
    key_highlights = ListOrObjectField(required=False, allow_null=True)


class BuyerCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    email = serializers.CharField(allow_null=True)
    company_name = serializers.CharField(allow_null=True)
    agency_id = serializers.UUIDField()
    risks = serializers.JSONField()
    products_discussed = serializers.JSONField()
    key_highlights = serializers.JSONField()


class BuyerCreateOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    buyer = BuyerCreatedSerializer()


class BuyerSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100)
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)
    suggestion_limit = serializers.IntegerField(
        min_value=0, max_value=10, required=False, default=5
    )


class BuyerSearchResultSerializer(BuyerRowSerializer):
    match_score = serializers.FloatField()
    match_field = serializers.ChoiceField(choices=["name", "company_name", "phone", "email"])


class RateLimitSerializer(serializers.Serializer):
    requests_made = serializers.IntegerField()
    requests_remaining = serializers.IntegerField()
    reset_time = serializers.CharField(help_text="An HTTP date.")


class BuyerSearchOutputSerializer(serializers.Serializer):
    results = BuyerSearchResultSerializer(many=True)
    suggestions = serializers.ListField(child=serializers.CharField())
    total_count = serializers.IntegerField()
    query = serializers.CharField()
    search_time_ms = serializers.IntegerField()
    cached = serializers.BooleanField()
    rate_limit = RateLimitSerializer()
