"""API routes of the platform: who am I."""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeView(APIView):
    """Who am I, where am I working, and with which roles."""

    policy_action: ClassVar[str] = "api.me"

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.UUIDField(),
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "clinic": serializers.DictField(allow_null=True),
                "roles": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        actor = request.actor  # type: ignore[attr-defined]
        clinic = actor.clinic
        return Response(
            {
                "id": str(actor.user.pk),
                "username": actor.user.username,
                "name": actor.user.get_full_name(),
                "clinic": (
                    {"id": str(clinic.pk), "code": clinic.code, "name": clinic.name}
                    if clinic
                    else None
                ),
                "roles": sorted(str(role) for role in actor.roles),
            }
        )
