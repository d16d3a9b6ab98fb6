"""Centers and memberships (center admins manage their center's users)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts import research_fields as research
from accounts import services
from accounts.access import Action, access_of, users_administered
from accounts.models import Center, Membership
from api.serializers.base import RegistryModelSerializer, ResearchFieldsMixin, StrictMixin

NOT_YOUR_CENTER = "Unknown center, or not one you administer."
# Finding 7 of the security review: adding someone else's colleague gave their tokens away.
EXISTING_PERSON = (
    "This person already has an account outside your centers; a superuser adds existing "
    "accounts to further centers. You can add new people and change your members' roles."
)


class CenterSerializer(ResearchFieldsMixin, StrictMixin, serializers.ModelSerializer):
    research_fields = research.CENTER

    class Meta:
        model = Center
        fields = ["id", "code", "name", "created_at"]
        read_only_fields = fields


class MembershipSerializer(RegistryModelSerializer):
    email = serializers.EmailField(source="user.email", help_text="The user's login e-mail.")
    center = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Center.objects.all(),
        error_messages={"does_not_exist": NOT_YOUR_CENTER},
    )

    class Meta:
        model = Membership
        fields = ["id", "email", "center", "role", "created_at"]
        read_only_fields = ["created_at"]
        validators = []

    def validate_center(self, center: Center) -> Center:
        if not access_of(self.context["request"].user).allows(Action.ADMINISTER, center.pk):
            raise serializers.ValidationError(NOT_YOUR_CENTER, code="does_not_exist")
        return center

    def validate(self, attrs):
        email = attrs.get("user", {}).get("email", "").lower()
        if self.instance is not None and email and email != self.instance.user.username.lower():
            raise serializers.ValidationError({"email": ["A membership's user cannot change."]})
        if self.instance is None and email:
            user = self.context["request"].user
            existing = get_user_model().objects.filter(username=email)
            if existing.exists() and not users_administered(user).filter(username=email).exists():
                raise serializers.ValidationError({"email": [EXISTING_PERSON]})
        return attrs

    def create(self, validated_data):
        user = services.user_add(
            email=validated_data["user"]["email"],
            center=validated_data["center"],
            role=validated_data["role"],
        )
        return Membership.objects.select_related("user", "center").get(
            user=user, center=validated_data["center"]
        )

    def update(self, instance, validated_data):
        instance.role = validated_data.get("role", instance.role)
        instance.center = validated_data.get("center", instance.center)
        instance.full_clean()
        instance.save()
        return instance
