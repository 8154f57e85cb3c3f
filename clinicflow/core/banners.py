"""What a person must see on every page until they deal with it (a doctor's unacknowledged
critical lab values): a domain registers a provider from its ``contributions`` for the roles
concerned, and the layout draws what the providers return above the page's content.

A provider runs on every full page its roles open, so it must be cheap (one indexed query);
the layout asks for the banners only when it draws them (never for an HTMX fragment)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role


@dataclass(frozen=True)
class Banner:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


BannerProvider = Callable[[Actor], Banner | None]


@dataclass(frozen=True)
class _Source:
    provider: BannerProvider
    roles: frozenset[Role]


_SOURCES: dict[str, _Source] = {}


def register_banner(key: str, provider: BannerProvider, *, roles: Collection[Role]) -> None:
    """Draw ``provider``'s banner on the pages of people with one of ``roles`` in their
    current clinic (again with the same key: replaced)."""
    _SOURCES[key] = _Source(provider, frozenset(roles))


def banners_for(actor: Actor) -> list[Banner]:
    if not actor.is_authenticated or actor.clinic is None:
        return []
    return [
        banner
        for source in _SOURCES.values()
        if source.roles & actor.roles and (banner := source.provider(actor)) is not None
    ]
