from rest_framework import serializers

from sellers.models import Role


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    agency_name = serializers.CharField(max_length=300)
    phone = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    password = serializers.CharField(required=False, write_only=True, trim_whitespace=False)


class SignupOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    name = serializers.CharField()
    user_id = serializers.UUIDField()


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(trim_whitespace=False)


class LoginOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    user_id = serializers.UUIDField()


class RefreshInputSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(required=False, help_text="Or send it as a Bearer token.")
    refresh = serializers.CharField(required=False, help_text="Alias of refresh_token.")


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(required=False, help_text="The session's refresh token.")
    refresh_token = serializers.CharField(required=False, help_text="Alias of refresh.")


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class ResetPasswordInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    old_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(min_length=8, trim_whitespace=False)


class ResetPasswordOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    user_id = serializers.UUIDField()


class TestTokenInputSerializer(serializers.Serializer):
    secret = serializers.CharField(trim_whitespace=False, allow_blank=True)
    email = serializers.CharField(max_length=254)


class TestTokenUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField(help_text="Raw format, 0091XXXXXXXXXX.")
    role = serializers.ChoiceField(choices=Role.choices)
    agency_id = serializers.UUIDField(allow_null=True)


class TestTokenOutputSerializer(LoginOutputSerializer):
    user = TestTokenUserSerializer()


class PerformanceSummarySerializer(serializers.Serializer):
    calls_count = serializers.IntegerField()
    overall_score = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField(allow_null=True)
    email = serializers.EmailField()
    phone = serializers.CharField(allow_null=True, help_text="Denorm format, +91 XXXXXXXXXX.")
    role = serializers.ChoiceField(choices=Role.choices)
    name = serializers.CharField()
    agency_id = serializers.UUIDField(allow_null=True)
    agency_name = serializers.CharField(allow_null=True)
    manager_id = serializers.UUIDField(allow_null=True)
    last_week_performance_analysis = PerformanceSummarySerializer(allow_null=True)


class SetManagerInputSerializer(serializers.Serializer):
    user_email = serializers.EmailField()
    manager_email = serializers.EmailField()
