from rest_framework import serializers

from agencies.models import validate_phone_region, validate_timezone
from chirpworks.phones import phone_raw
from products.models import Product
from sellers.models import Role, Seller


class AgencySelectorSerializer(serializers.Serializer):
    agency_id = serializers.UUIDField(required=False)
    agency_name = serializers.CharField(required=False, max_length=300)


class AgencyNamesSerializer(serializers.Serializer):
    agencies = serializers.ListField(child=serializers.CharField())


class AgencyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    timezone = serializers.CharField(
        required=False, default="Asia/Kolkata", validators=[validate_timezone]
    )
    default_phone_region = serializers.CharField(
        required=False, default="IN", validators=[validate_phone_region]
    )


class AgencyCreateOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    agency_id = serializers.UUIDField()
    agency_name = serializers.CharField()


class FeatureSerializer(serializers.Serializer):
    name = serializers.CharField()

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        return {**data, **validated}  # extra keys of a feature are kept as sent


class ProductSerializer(serializers.ModelSerializer):
    features = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = Product
        fields = ["id", "name", "description", "features"]


class ProductCreateInputSerializer(AgencySelectorSerializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    features = FeatureSerializer(many=True, required=False, default=list)


class ProductUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    features = FeatureSerializer(many=True, required=False)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(f"Invalid fields: {', '.join(sorted(unknown))}")
        return attrs


class ProductOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    product_id = serializers.UUIDField()
    product_name = serializers.CharField()
    agency_id = serializers.UUIDField()
    agency_name = serializers.CharField(required=False)
    description = serializers.CharField()
    features = serializers.ListField(child=serializers.DictField())


class ProductCatalogueSerializer(serializers.Serializer):
    agency_id = serializers.UUIDField()
    agency_name = serializers.CharField()
    products = ProductSerializer(many=True)
    total_count = serializers.IntegerField()


class AgencySellerSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text="Raw format, 0091XXXXXXXXXX.")

    class Meta:
        model = Seller
        fields = ["id", "name", "email", "phone", "role", "username", "manager_id"]

    def get_phone(self, seller: Seller) -> str | None:
        return phone_raw(seller.phone)


class AgencySellersSerializer(serializers.Serializer):
    agency_id = serializers.UUIDField()
    agency_name = serializers.CharField()
    sellers = AgencySellerSerializer(many=True)
    total_count = serializers.IntegerField()


class AgencyDetailsSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()


class UpdateDescriptionInputSerializer(serializers.Serializer):
    description = serializers.CharField(allow_blank=True, max_length=10000)


class UpdateDescriptionOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    agency_id = serializers.UUIDField()
    agency_name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)


class AddSellerInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=100)
    password = serializers.CharField(min_length=8, trim_whitespace=False)
    role = serializers.ChoiceField(
        choices=[Role.USER, Role.MANAGER, Role.GUEST], required=False, default=Role.USER
    )
    username = serializers.CharField(max_length=150, required=False, allow_null=True)


class AddSellerOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    seller_id = serializers.UUIDField()
    seller_name = serializers.CharField()
    seller_email = serializers.EmailField()
    seller_phone = serializers.CharField(help_text="Raw format, 0091XXXXXXXXXX.")
    agency_id = serializers.UUIDField()
    agency_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
