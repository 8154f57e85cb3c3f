"""Where the access policy is enforced: three doors, one rule book.

- Web views: :class:`PolicyMiddleware` reads the action a view declares (``@requires`` on a
  function, ``policy_action`` on a class; third-party URLconfs by namespace) and refuses
  anything the policy does not allow. A view that declares nothing is refused to everyone.
- API: :class:`PolicyPermission`, DRF's default permission class, asks per viewset action.
- WebSockets: :class:`PolicyConsumer` asks on connect.

Objects are fetched through :func:`policy.restrict` (``FilteredListView``,
``ScopedViewSetMixin``, :func:`access_object`), so another clinic's row, or a row the object
rule excludes, is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import ResolverMatch, reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.permissions import BasePermission

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.readiness import PendingStep, pending_step
from clinicflow.accounts.services.sessions import expiry_reason, live_session, session_group
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.reads import record_row_read, record_rows_read
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.core.scoping import scope_guard

logger = logging.getLogger(__name__)

V = TypeVar("V", bound=Callable[..., Any])

STEP_URLS = {
    PendingStep.PASSWORD_CHANGE: "accounts:password_change",
    PendingStep.TWO_FACTOR_ENROLMENT: "accounts:two_factor",
}


def actor_of(request: Any) -> Actor:
    """Who is asking (set by ``ActorMiddleware`` on every request; DRF's request passes the
    attribute through)."""
    actor: Actor = request.actor
    return actor


def requires(action: str) -> Callable[[V], V]:
    """Declare the policy action of a function view: ``@requires("staff.view")``."""
    policy.rule_for(action)  # an unknown action fails at import, not at the first request

    def decorate(view: V) -> V:
        view.policy_action = action  # type: ignore[attr-defined]
        return view

    return decorate


def view_action(view_func: Any, match: ResolverMatch | None = None) -> str | None:
    action = getattr(view_func, "policy_action", None)
    if action is None and hasattr(view_func, "view_class"):
        action = getattr(view_func.view_class, "policy_action", None)
    if action is None and match is not None:
        for namespace in match.namespaces:
            if namespace in policy.NAMESPACE_ACTIONS:
                return policy.NAMESPACE_ACTIONS[namespace]
    return action


def is_api_view(view_func: Any) -> bool:
    # Imported here: DRF's views module imports this one (our default permission class).
    from rest_framework.views import APIView

    cls = getattr(view_func, "cls", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


def record_refusal(request: HttpRequest, action: str | None) -> None:
    match = getattr(request, "resolver_match", None)
    record(
        AuditAction.PERMISSION_DENIED,
        object_type="route",
        object_id=(match.view_name if match else "")[:64],
        object_repr=request.path[:200],
        changes={"action": action or "(undeclared)", "method": request.method},
    )


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for an HTMX request (which would swap a 302's target in)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class PolicyMiddleware:
    """Default deny for every web view; the scope guard for everything a view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scope_guard():
            return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if is_api_view(view_func):
            return None  # PolicyPermission decides, per API action
        action = view_action(view_func, request.resolver_match)
        if action is None:
            logger.error("View %s declares no policy action: refused.", request.path)
            record_refusal(request, None)
            raise PermissionDenied
        try:
            rule = policy.rule_for(action)
        except policy.UnknownAction:
            logger.error("View %s names unknown action %r: refused.", request.path, action)
            record_refusal(request, action)
            raise PermissionDenied from None
        if rule.audience is policy.Audience.PUBLIC:
            return None
        actor: Actor = request.actor  # type: ignore[attr-defined]
        if not actor.is_authenticated:
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(reverse("accounts:login"))
            return redirect_to_login(request.get_full_path())
        step = pending_step(actor)
        if step is not None and not rule.before_account_setup:
            return redirect(request, reverse(STEP_URLS[step]))
        if not policy.allows(actor, action):
            record_refusal(request, action)
            raise PermissionDenied
        return None


class PolicyPermission(BasePermission):
    """DRF's default permission: the viewset's ``policy_actions[action]`` (or the view's
    ``policy_action``) must be allowed; objects outside the actor's reach are 404."""

    message = "You do not have permission to do this."

    @staticmethod
    def action_of(view: Any) -> str | None:
        actions = getattr(view, "policy_actions", None)
        if actions is not None:
            return actions.get(getattr(view, "action", None))
        return getattr(view, "policy_action", None)

    def has_permission(self, request: Any, view: Any) -> bool:
        action = self.action_of(view)
        if action is None and request.method.upper() not in view.allowed_methods:
            return True  # the view has no such method: DRF answers 405, with nothing in it
        if action is None:
            record_refusal(request._request, None)
            return False
        try:
            rule = policy.rule_for(action)
        except policy.UnknownAction:
            record_refusal(request._request, action)
            return False
        if rule.audience is policy.Audience.PUBLIC:
            return True
        actor: Actor = request.actor
        if not actor.is_authenticated:
            return False
        if pending_step(actor) is not None and not rule.before_account_setup:
            self.message = "Finish setting up your account (password or second factor) first."
            return False
        if not policy.allows(actor, action):
            record_refusal(request._request, action)
            return False
        return True

    def has_object_permission(self, request: Any, view: Any, obj: Model) -> bool:
        action = self.action_of(view)
        if action is None or not policy.allows_object(request.actor, action, obj):
            raise Http404
        return True


def access_object(actor: Actor, action: str, queryset: QuerySet[Any], **lookup: Any) -> Any:
    """One object the actor may take ``action`` on, or 404 (missing and "not yours" alike)."""
    return get_object_or_404(policy.restrict(actor, action, queryset), **lookup)


def in_callers_clinic(queryset: QuerySet[Any], request: Any) -> QuerySet[Any]:
    """The rows of ``queryset`` a request may name by id (a filter's or a serializer's
    choices): a clinic-owned model's rows in the caller's clinic, none without a clinic (the
    schema generator); other models' rows as they are."""
    path = policy.clinic_path(queryset.model)
    if path is None:
        return queryset
    clinic = getattr(getattr(request, "actor", None), "clinic", None)
    return policy.in_clinic(queryset, path, clinic) if clinic is not None else queryset.none()


def referenced_object(
    request: Any, action: str, model: type[Model], pk: Any, *, optional: bool = False
) -> Any:
    """The record an API body names by id, if the caller may take ``action`` on it; otherwise a
    field error (missing and "not yours" read alike). ``optional``: no id, no record."""
    if optional and pk in (None, ""):
        return None
    try:
        return access_object(actor_of(request), action, model._default_manager.all(), pk=pk)
    except Http404:
        raise DomainError(_("No such record."), field=model._meta.model_name) from None


class ScopedViewSetMixin:
    """For DRF viewsets: the queryset is what the actor may take the current action on; each
    row handed out carries only the fields the policy gives the actor's roles for the action;
    and a viewset whose rows are patients' data says where each row's patient is
    (``patient_key``), so that every read of them is audited."""

    queryset: Any
    request: Any
    basename: str
    #: ``pk`` when the rows are patients, ``patient_id`` when they are about one; None when
    #: they are about no patient.
    patient_key: ClassVar[str | None] = None

    def get_queryset(self) -> QuerySet[Any]:
        action = PolicyPermission.action_of(self)
        if action is None:
            return self.queryset.none()
        return policy.restrict(self.request.actor, action, self.queryset.all())

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """Every row the viewset hands out passes here (DRF's lists, reads and custom actions
        all serialise through it): narrowed to the policy's fields, and a read of patients'
        data is audited, one event per request."""
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        action = PolicyPermission.action_of(self)
        actor = getattr(self.request, "actor", None)
        if action is not None and actor is not None:
            narrow_to_policy(serializer, actor, action)
        if args and self.patient_key and self.request.method == "GET":
            self.record_read(args[0], many=bool(kwargs.get("many")))
        return serializer

    def record_read(self, shown: Any, *, many: bool) -> None:
        part = self.basename.replace("-", " ")
        if many:
            record_rows_read(
                self.queryset.model,
                shown,
                patient_key=self.patient_key or "pk",
                part=part,
                via="api",
                filters={k: v for k, v in self.request.query_params.items() if k != "cursor"},
            )
        elif shown is not None:
            record_row_read(shown, patient_key=self.patient_key or "pk", part=part, via="api")


def narrow_to_policy(serializer: Any, actor: Actor, action: str) -> None:
    """Drop the output fields of a model serializer's rows that the policy does not give the
    actor for this action (nothing, where it declares no field set for that kind of record).
    Input-only fields stay: they hand nothing out."""
    rows = getattr(serializer, "child", serializer)
    model = getattr(getattr(rows, "Meta", None), "model", None)
    if model is None:
        return
    shown = policy.fields_for(actor, action, model._meta.label_lower)
    if shown is None:
        return
    for name in [n for n, f in rows.fields.items() if not f.write_only and n not in shown]:
        del rows.fields[name]


class PolicyConsumer(AsyncJsonWebsocketConsumer):
    """A WebSocket that asks the policy on connect and closes when its session ends."""

    policy_action: str
    actor: Actor

    async def connect(self) -> None:
        authorised = await database_sync_to_async(self._authorise)()
        if authorised is None:
            await self.close(code=4403)
            return
        self.actor, session_id = authorised
        if session_id is not None:  # a signed-in screen closes when its session ends
            await self.join(session_group(session_id))
        await self.accept()
        await self.joined()

    def _authorise(self) -> tuple[Actor, Any] | None:
        """The actor and their session's id, or None to refuse. A consumer of a public action
        overrides this with its own check (e.g. a secret link) and returns no session."""
        user = self.scope.get("user")
        session = self.scope.get("session")
        actor = actor_for(user, session)
        if not actor.is_authenticated or session is None:
            return None
        user_session = live_session(actor.user, session.session_key)
        if user_session is None or expiry_reason(user_session, actor.clinic) is not None:
            return None
        if pending_step(actor) is not None or not policy.allows(actor, self.policy_action):
            return None
        return actor, user_session.pk

    async def joined(self) -> None:
        """Called once the socket is accepted: join the consumer's own groups here."""

    async def join(self, *groups: str) -> None:
        """Listen to these groups until the socket closes."""
        self._joined = [*getattr(self, "_joined", []), *groups]
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=4401)
