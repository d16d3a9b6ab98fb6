"""Centers and memberships (center admins manage their center's users)."""

from __future__ import annotations

from rest_framework import serializers

from accounts import services
from accounts.models import Center, Membership
from api.access import access_for
from api.serializers.base import RegistryModelSerializer, StrictMixin

NOT_YOUR_CENTER = "Unknown center, or not one you administer."


class CenterSerializer(StrictMixin, serializers.ModelSerializer):
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
        access = access_for(self.context["request"])
        if not access.superuser and center.pk not in access.admin_center_ids:
            raise serializers.ValidationError(NOT_YOUR_CENTER, code="does_not_exist")
        return center

    def validate(self, attrs):
        email = attrs.get("user", {}).get("email", "").lower()
        if self.instance is not None and email and email != self.instance.user.username:
            raise serializers.ValidationError({"email": ["A membership's user cannot change."]})
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
        if instance.role:
            services.user_add(
                email=instance.user.username, center=instance.center, role=instance.role
            )
        return instance
