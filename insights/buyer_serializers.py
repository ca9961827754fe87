from rest_framework import serializers
from rest_framework.settings import api_settings

from actions.serializers import ActionSerializer
from agencies.models import Lifecycle
from chirpworks.pagination import MAX_LIMIT, MAX_PAGE, PaginationSerializer


class BuyerListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=50)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    tag = serializers.CharField(max_length=50, required=False)


class BuyerRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    products_discussed = serializers.JSONField()
    last_contacted_by = serializers.CharField(allow_null=True, help_text="The seller's name.")
    last_contacted_at = serializers.DateTimeField(allow_null=True)
    company_name = serializers.CharField(allow_null=True)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices)
    tags = serializers.ListField(child=serializers.CharField())


class BuyerListOutputSerializer(serializers.Serializer):
    buyers = BuyerRowSerializer(many=True)
    pagination = PaginationSerializer()
    agency_id = serializers.UUIDField()


class ProductRefSerializer(serializers.Serializer):
    product_name = serializers.CharField(allow_null=True)
    product_id = serializers.CharField(allow_null=True)


class ProductInterestSerializer(ProductRefSerializer):
    interest_level = serializers.ChoiceField(choices=["high", "medium", "low"])


class ActorSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="user | analysis | worker | system")
    id = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["note", "system"])
    meeting_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    author = ActorSerializer()


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
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices)
    tags = serializers.ListField(child=serializers.CharField())
    profile = serializers.JSONField(
        help_text="{budget|location|requirement|timeline|decision_makers|phones_heard: "
        "{value, source: analysis|user, meeting_id?, date, by?}}"
    )
    notes = NoteSerializer(many=True, help_text="The latest 20, newest first.")
    alternate_phones = serializers.ListField(child=serializers.CharField())


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


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not know, and a body that is not an object (nested ones too)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["Expected an object"]}
            )
        unknown = set(data) - set(self.fields)
        if unknown:
            message = f"Invalid fields: {', '.join(sorted(unknown))}"
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
        return super().to_internal_value(data)


class ProfileFieldsSerializer(StrictInputSerializer):
    budget = serializers.CharField(max_length=200, allow_null=True, required=False)
    location = serializers.CharField(max_length=200, allow_null=True, required=False)
    requirement = serializers.CharField(max_length=200, allow_null=True, required=False)
    timeline = serializers.CharField(max_length=200, allow_null=True, required=False)
    decision_makers = serializers.CharField(max_length=200, allow_null=True, required=False)


class BuyerPatchInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    company_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50, allow_blank=False), max_length=20, required=False
    )
    profile = ProfileFieldsSerializer(required=False)


class NoteInputSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=5000)


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=50)


class TimelineEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["call", "action_created", "action_completed", "lifecycle", "note", "edit", "merge"]
    )
    id = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    actor = ActorSerializer()
    data = serializers.JSONField()


class TimelineOutputSerializer(serializers.Serializer):
    buyer_id = serializers.UUIDField()
    events = TimelineEventSerializer(many=True)
    pagination = PaginationSerializer()


class FieldChangeSerializer(serializers.Serializer):
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AuditRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    actor = ActorSerializer()
    fields = serializers.DictField(child=FieldChangeSerializer())


class AuditOutputSerializer(serializers.Serializer):
    buyer_id = serializers.UUIDField()
    history = AuditRowSerializer(many=True)
    pagination = PaginationSerializer()


class DuplicateBuyerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(allow_null=True)
    phone = serializers.CharField()
    email = serializers.CharField(allow_null=True)
    company_name = serializers.CharField(allow_null=True)
    lifecycle = serializers.CharField()
    last_contacted_at = serializers.DateTimeField(allow_null=True)


class DuplicateReasonSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=["same_phone_digits", "same_email", "phone_heard", "same_name_and_company"]
    )
    buyer_ids = serializers.ListField(child=serializers.UUIDField())


class DuplicateGroupSerializer(serializers.Serializer):
    score = serializers.FloatField()
    reasons = DuplicateReasonSerializer(many=True)
    buyers = DuplicateBuyerSerializer(many=True)


class DuplicatesOutputSerializer(serializers.Serializer):
    groups = DuplicateGroupSerializer(many=True)


class MergeInputSerializer(StrictInputSerializer):
    keep_id = serializers.UUIDField()
    merge_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=20, allow_empty=False
    )

    def validate(self, attrs):
        if attrs["keep_id"] in attrs["merge_ids"]:
            raise serializers.ValidationError("keep_id cannot also be merged")
        if len(set(attrs["merge_ids"])) != len(attrs["merge_ids"]):
            raise serializers.ValidationError("merge_ids repeat a buyer")
        return attrs


class MergeOutputSerializer(serializers.Serializer):
    merge_id = serializers.UUIDField()
    kept_id = serializers.UUIDField()
    merged_ids = serializers.ListField(child=serializers.UUIDField())
    moved = serializers.DictField(child=serializers.IntegerField())


class BuyerStateOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    deleted = serializers.BooleanField()
    deleted_at = serializers.DateTimeField(allow_null=True)


class NoteOutputSerializer(NoteSerializer):
    buyer_id = serializers.UUIDField()
