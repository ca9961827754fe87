import re
import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from calls.exotel_parsing import CALL_SID_PATTERN, MAX_CALL_SECONDS
from calls.models import CallType
from chirpworks.exceptions import ApplicationError, first_error_message
from chirpworks.phones import InvalidPhoneNumber, phone_parse
from chirpworks.timeframes import MAX_DATE, MIN_DATE, within_date_bounds
from sellers.models import Seller


class SecondsField(serializers.Field):
    """A whole number of seconds sent as a number or a numeric string ("45", 45, 45.0), at most
    ``MAX_CALL_SECONDS``."""

    default_error_messages = {
        "invalid": _("A number of seconds is required."),
        "max_value": _("A call lasts at most {max} seconds."),
    }

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except (InvalidOperation, ValueError):
            self.fail("invalid")
        if not value.is_finite() or value < 0:
            self.fail("invalid")
        if value > MAX_CALL_SECONDS:
            self.fail("max_value", max=MAX_CALL_SECONDS)
        return int(value)

    def to_representation(self, value) -> int:
        return int(value)


def parse_app_time(value: str, *, tz: zoneinfo.ZoneInfo) -> datetime:
    """ISO 8601; a ``Z`` or an offset is honoured, a naive time is in ``tz``.

    ValueError for a malformed time or one outside 1970-2100 (year 1 would overflow later).
    """
    parsed = datetime.fromisoformat(value.strip())
    if not within_date_bounds(parsed):
        raise ValueError(f"{value!r} is outside {MIN_DATE.year}-{MAX_DATE.year}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


class AppCallItemSerializer(serializers.Serializer):
    """One item of the app's call-log sync, as the contract sends it.

    Context: ``seller`` (the caller) and ``agency`` (for the timezone and phone region).
    """

    sellerNumber = serializers.CharField(max_length=32)
    appCallId = serializers.CharField(max_length=100)
    buyerNumber = serializers.CharField(max_length=32)
    callType = serializers.CharField(max_length=16)
    startTime = serializers.CharField(max_length=40)
    endTime = serializers.CharField(max_length=40, required=False, allow_null=True)
    duration = SecondsField(required=False, allow_null=True)

    def validate_callType(self, value: str) -> str:
        value = value.strip().lower()
        if value not in CallType.values:
            raise serializers.ValidationError(f"must be one of {', '.join(CallType.values)}")
        return value

    def validate(self, attrs: dict) -> dict:
        seller = self.context["seller"]
        agency = self.context["agency"]
        region = agency.default_phone_region
        try:
            seller_number = phone_parse(attrs["sellerNumber"], region=region)
        except InvalidPhoneNumber as exc:
            raise serializers.ValidationError({"sellerNumber": exc.message}) from None
        if seller_number != seller.phone:
            raise serializers.ValidationError(
                {"sellerNumber": "must be the phone number of the signed-in seller"}
            )
        times = {}
        for key in ("startTime", "endTime"):
            if attrs.get(key) in (None, ""):
                continue
            try:
                times[key] = parse_app_time(attrs[key], tz=agency.tzinfo)
            except ValueError:
                raise serializers.ValidationError(
                    {key: "must be an ISO 8601 time like 2025-01-31T14:05:00"}
                ) from None
        start = times["startTime"]
        end = times.get("endTime")
        duration = attrs.get("duration")
        if end is None and duration is None:
            raise serializers.ValidationError({"endTime": "endTime or duration is required"})
        if end is None:
            end = start + timedelta(seconds=duration)
        if end < start:
            raise serializers.ValidationError({"endTime": "must not be before startTime"})
        if duration is None:
            duration = int((end - start).total_seconds())
        return {
            "app_call_id": attrs["appCallId"].strip(),
            "seller_number": seller_number,
            "buyer_number": buyer_number_clean(attrs["buyerNumber"], region=region),
            "call_type": attrs["callType"],
            "start_time": start,
            "end_time": end,
            "duration": duration,
        }


class AppCallItemValidator:
    """``AppCallItemSerializer(context=...).run_validation`` for a batch of items, fast.

    A plain check of the common case (every field an ASCII string within its length, or the
    duration a number) replaces DRF's per-field machinery, most of a 5,000-item sync's time;
    any item it does not pass is validated by the serializer itself, so every error (message,
    field, order) is the serializer's.
    """

    TEXT_FIELDS = (
        ("sellerNumber", 32, True),
        ("appCallId", 100, True),
        ("buyerNumber", 32, True),
        ("callType", 16, True),
        ("startTime", 40, True),
        ("endTime", 40, False),
    )

    def __init__(self, *, seller, agency) -> None:
        self.serializer = AppCallItemSerializer(context={"seller": seller, "agency": agency})
        self.seconds = SecondsField()

    def __call__(self, item: dict) -> dict:
        attrs = self._plain(item)
        if attrs is not None:
            try:
                return self.serializer.validate(attrs)
            except serializers.ValidationError:
                pass
        return self.serializer.run_validation(item)  # raises the serializer's own error

    def _plain(self, item: dict) -> dict | None:
        attrs = {}
        for name, max_length, required in self.TEXT_FIELDS:
            if name not in item:
                if required:
                    return None
                continue
            value = item[name]
            if value is None and not required:
                attrs[name] = None
                continue
            if type(value) is not str or not value.isascii() or "\x00" in value:
                return None
            value = value.strip()
            if not value or len(value) > max_length:
                return None
            attrs[name] = value
        call_type = attrs["callType"].lower()
        if call_type not in CallType.values:
            return None
        attrs["callType"] = call_type
        if "duration" in item:
            duration = item["duration"]
            if duration is None:
                attrs["duration"] = None
            else:
                try:
                    attrs["duration"] = self.seconds.to_internal_value(duration)
                except serializers.ValidationError:
                    return None
        return attrs


def app_call_items_validate(*, seller: Seller, items: list) -> list[dict]:
    """A sync batch's items as ``calls.sync_services.app_calls_sync`` stores them, in order.

    Any invalid item rejects the whole batch (400, each bad item with its index and reason).
    """
    # One validator for the batch: building a serializer per item costs more than validating it.
    validate = AppCallItemValidator(seller=seller, agency=seller.agency)
    calls: list[dict] = []
    rejected: list[dict] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            rejected.append(
                {
                    "index": index,
                    "appCallId": None,
                    "status": "rejected",
                    "reason": "each item must be an object",
                }
            )
            continue
        try:
            calls.append(validate(item))
        except serializers.ValidationError as exc:
            app_call_id = item.get("appCallId")
            rejected.append(
                {
                    "index": index,
                    "appCallId": None if app_call_id is None else str(app_call_id),
                    "status": "rejected",
                    "reason": first_error_message(exc.detail),
                }
            )
    if rejected:
        raise ApplicationError(
            f"{len(rejected)} of {len(items)} call records are invalid; nothing was saved",
            code="invalid_call_records",
            extra={"created": 0, "duplicate": 0, "rejected": len(rejected), "results": rejected},
        )
    return calls


def buyer_number_clean(value: str, *, region: str) -> str:
    """E.164 when it is a valid number; otherwise the trimmed text (short codes, withheld ids).

    Such calls are kept in the log but cannot become meetings, since a buyer needs a real number.
    """
    try:
        return phone_parse(value, region=region)
    except InvalidPhoneNumber:
        text = "".join(ch for ch in str(value).strip().strip("'\"") if not ch.isspace())
        if not text:
            raise serializers.ValidationError({"buyerNumber": "is required"}) from None
        return text[:20]


class AppCallResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    appCallId = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    reason = serializers.CharField(required=False)


class AppCallSyncOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = AppCallResultSerializer(many=True)


class AppCallSyncErrorSerializer(serializers.Serializer):
    """A refused batch: the counts and each item's result when items were judged (invalid
    items); a body that is no array of objects (malformed JSON, a NUL character) gets only
    ``error`` and ``code``."""

    error = serializers.CharField()
    code = serializers.CharField()
    created = serializers.IntegerField(required=False)
    duplicate = serializers.IntegerField(required=False)
    rejected = serializers.IntegerField(required=False)
    results = AppCallResultSerializer(many=True, required=False)
    details = serializers.JSONField(required=False)


class LastSyncedInputSerializer(serializers.Serializer):
    sellerNumber = serializers.CharField(max_length=32, required=False)


class LastSyncedOutputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["mobile_app_call", "meeting"], required=False)
    message = serializers.CharField(required=False)
    last_synced_call_timestamp = serializers.DateTimeField(allow_null=True)


class ExotelWebhookInputSerializer(serializers.Serializer):
    """The parameters ChirpWorks reads from Exotel (Passthru applet and Connect StatusCallback).

    Values may arrive wrapped in double quotes; ``Legs`` may be a JSON list or the form-encoded
    ``Legs[0][Status]`` keys.
    """

    # Exotel's CallSids are hex (sometimes with a dotted or _ suffix); nothing else gets in.
    CallSid = serializers.RegexField(
        CALL_SID_PATTERN,
        max_length=64,
        error_messages={"invalid": "CallSid may hold only letters, digits, '.', '_' and '-'."},
    )
    CallFrom = serializers.CharField(required=False, allow_blank=True)
    CallTo = serializers.CharField(required=False, allow_blank=True)
    From = serializers.CharField(required=False, allow_blank=True)
    To = serializers.CharField(required=False, allow_blank=True)
    DialWhomNumber = serializers.CharField(required=False, allow_blank=True)
    CallStatus = serializers.CharField(required=False, allow_blank=True)
    DialCallStatus = serializers.CharField(required=False, allow_blank=True)
    Status = serializers.CharField(required=False, allow_blank=True)
    CallType = serializers.CharField(required=False, allow_blank=True)
    EventType = serializers.CharField(required=False, allow_blank=True)
    Direction = serializers.CharField(required=False, allow_blank=True)
    Created = serializers.CharField(required=False, allow_blank=True)
    DateCreated = serializers.CharField(required=False, allow_blank=True)
    StartTime = serializers.CharField(required=False, allow_blank=True)
    EndTime = serializers.CharField(required=False, allow_blank=True)
    DialCallDuration = serializers.CharField(required=False, allow_blank=True)
    ConversationDuration = serializers.CharField(required=False, allow_blank=True)
    RecordingUrl = serializers.CharField(required=False, allow_blank=True)
    Legs = serializers.ListField(child=serializers.DictField(), required=False)

    def to_internal_value(self, data):
        cleaned = {
            key: value.strip().strip('"') if isinstance(value, str) else value
            for key, value in data.items()
        }
        return super().to_internal_value(cleaned)

    def validate(self, attrs: dict) -> dict:
        for key in ("DialCallDuration", "ConversationDuration", "Duration"):
            value = attrs.get(key) if key in attrs else self.initial_data.get(key)
            if value in (None, ""):
                continue
            try:
                seconds = Decimal(str(value).strip().strip('"'))
            except (InvalidOperation, ValueError):
                continue  # not a number: ignored, as Exotel's odd values always were
            if not seconds.is_finite() or seconds > MAX_CALL_SECONDS:
                raise serializers.ValidationError(
                    {key: f"must be at most {MAX_CALL_SECONDS} seconds"}
                )
        return attrs


LEG_KEY = re.compile(r"^Legs\[(\d+)\]\[(\w+)\]$")


def exotel_params(*, query: dict, body: dict) -> dict:
    """One flat dict of a webhook's parameters (query string, then form or JSON body).

    The form-encoded ``Legs[0][Status]`` keys are gathered into a ``Legs`` list like the JSON
    callback's; the secret ``key`` is dropped so it is never stored.
    """
    params: dict = {}
    legs: dict[int, dict] = {}
    for source in (query, body):
        for key in source:
            value = source[key]
            if hasattr(source, "getlist"):
                values = source.getlist(key)
                value = values[-1] if values else ""
            match = LEG_KEY.match(key)
            if match:
                legs.setdefault(int(match[1]), {})[match[2]] = value
            elif key != "key":
                params[key] = value
    if legs and not isinstance(params.get("Legs"), list):
        params["Legs"] = [legs[index] for index in sorted(legs)]
    return params


class ExotelWebhookOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    call_sid = serializers.CharField()
    status = serializers.CharField()
