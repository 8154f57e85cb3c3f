"""The sidebar: the clinic's areas, and the pages each domain adds to them.

Core declares the areas (front desk, clinical, pharmacy, ...) and their order; each domain
registers its own entries from its app (``navigation.register(Entry(...))`` in its
``contributions``), so a new domain adds its pages in one place and never edits this module.
An entry names only its URL: the policy action comes from the view behind it (the one the
policy middleware enforces), so a person sees exactly the pages they may open, and a link can
never drift from its page's rule. Areas nobody may open anything in are left out.

Which entries a person sees depends only on their roles and whether they work in a clinic
(all ``policy.allows`` reads), so the sorted entries and their addresses are worked out once
per role set (and language, URLconf, script prefix: what a label's order and an address
depend on) and kept in the process; each page then only marks its own entry. Registering an
entry forgets them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import Resolver404, get_script_prefix, get_urlconf, resolve, reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor


@dataclass(frozen=True)
class Area:
    key: str
    label: str | Promise
    icon: str


#: The clinic's areas, in the sidebar's order. Entries without an area come first.
AREAS = [
    Area("front_desk", _("Front desk"), "bi-door-open"),
    Area("clinical", _("Clinical"), "bi-heart-pulse"),
    Area("pharmacy", _("Pharmacy"), "bi-capsule"),
    Area("lab", _("Lab"), "bi-droplet"),
    Area("billing", _("Billing"), "bi-receipt"),
    Area("reports", _("Reports"), "bi-graph-up"),
    Area("administration", _("Administration"), "bi-gear"),
]
_AREA_KEYS = [area.key for area in AREAS]


@dataclass(frozen=True)
class Entry:
    """A page in the sidebar. ``covers``: URL namespaces or ``namespace:name``s of pages that
    belong to this entry though their path does not start with its URL (the booking form
    belongs to Appointments), so the entry is marked current on them too."""

    label: str | Promise
    url_name: str
    icon: str
    area: str = ""  # "" for the entries above every area (the dashboard)
    order: int = 100
    covers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.area and self.area not in _AREA_KEYS:
            raise ValueError(f"Unknown navigation area {self.area!r} for {self.url_name}")

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    @property
    def action(self) -> str | None:
        return _action_behind(self.url_name, get_urlconf())


@cache
def _action_behind(url_name: str, urlconf: str | None) -> str | None:
    # Cached per URLconf: fixed in a process, but tests may swap it.
    return action_at(reverse(url_name, urlconf=urlconf))


def action_at(address: str) -> str | None:
    """The policy action of the view at ``address`` (a path, maybe with a query), the one the
    policy middleware will ask about; None where there is no page."""
    from clinicflow.core.access import view_action  # the policy's door imports accounts

    try:
        match = resolve(urlsplit(address).path)
    except Resolver404:
        return None
    return view_action(match.func, match)


_ENTRIES: dict[str, Entry] = {}
#: Each role set's sidebar (see ``_sidebar``), worked out once; forgotten on ``register`` and
#: when the registry itself is swapped (``_SHOWN_FROM``: the one they were worked out from).
_SHOWN: dict[tuple[Any, ...], _Sidebar] = {}
_SHOWN_FROM: list[dict[str, Entry]] = []


def register(*entries: Entry) -> None:
    """Add a domain's pages to the sidebar (again with the same URL name: replaced)."""
    for entry in entries:
        _ENTRIES[entry.url_name] = entry
    _SHOWN.clear()


register(Entry(_("Dashboard"), "core:dashboard", "bi-speedometer2", order=0))
register(
    Entry(_("Audit trail"), "core:audit_list", "bi-journal-text", "administration", 60),
    Entry(_("Clinic settings"), "core:clinic_settings", "bi-sliders", "administration", 70),
    Entry(_("API"), "api:docs", "bi-braces", "administration", 80, covers=("api",)),
    Entry(_("Platform admin"), "admin:index", "bi-building-gear", "administration", 90),
)


# ---------------------------------------------------------------- one person's sidebar


@dataclass(frozen=True)
class Link:
    """An entry as one person sees it on one page."""

    label: str | Promise
    url: str
    url_name: str
    icon: str
    current: bool = False


@dataclass(frozen=True)
class Section:
    area: Area | None  # None: the entries above every area
    links: list[Link]


#: The sidebar's areas and links as HTML (needs ``navigation``).
LINKS_TEMPLATE = "includes/_navigation.html"


@dataclass(frozen=True)
class Navigation:
    sections: list[Section] = field(default_factory=list)
    #: The role set's sidebar this was made from, which keeps its HTML per current entry.
    sidebar: _Sidebar | None = field(default=None, compare=False, repr=False)

    def __iter__(self) -> Iterator[Link]:
        for section in self.sections:
            yield from section.links

    def __len__(self) -> int:
        return sum(len(section.links) for section in self.sections)

    @property
    def current(self) -> Link | None:
        return next((link for link in self if link.current), None)

    @property
    def html(self) -> SafeString:
        """The areas and links as the sidebar draws them: drawn once per role set, language
        and current entry (they hold nothing else), then kept with the role set's sidebar."""
        if self.sidebar is None:
            return render_to_string(LINKS_TEMPLATE, {"navigation": self})
        current = self.current
        key = current.url_name if current else None
        drawn = self.sidebar.drawn.get(key)
        if drawn is None:
            drawn = self.sidebar.drawn[key] = render_to_string(LINKS_TEMPLATE, {"navigation": self})
        return drawn


def _may_open(actor: Actor, entry: Entry) -> bool:
    action = entry.action
    return action is not None and policy.allows(actor, action)


@dataclass(frozen=True)
class _Shown:
    """An entry someone may open, with its address and its label in the sidebar's language."""

    entry: Entry
    url: str
    label: str


@dataclass(frozen=True)
class _Sidebar:
    """What a role set may open: in the registry's order (to find the current entry, as
    before), and by area (None first), each area's entries in order."""

    visible: list[_Shown]
    areas: list[tuple[Area | None, list[_Shown]]]
    #: The HTML of the links (``Navigation.html``) by the current entry's URL name.
    drawn: dict[str | None, SafeString] = field(default_factory=dict)


def _key(actor: Actor) -> tuple[Any, ...]:
    # Everything policy.allows reads of the actor, and what labels' order and addresses
    # depend on.
    return (actor.roles, actor.clinic is None, get_language(), get_urlconf(), get_script_prefix())


def _sidebar(actor: Actor) -> _Sidebar:
    if not _SHOWN_FROM or _SHOWN_FROM[0] is not _ENTRIES:  # a test swapped the registry
        _SHOWN.clear()
        _SHOWN_FROM[:] = [_ENTRIES]
    key = _key(actor)
    sidebar = _SHOWN.get(key)
    if sidebar is None:
        visible = [_Shown(e, e.url, str(e.label)) for e in _ENTRIES.values() if _may_open(actor, e)]
        areas = []
        for area in [None, *AREAS]:
            area_key = area.key if area else ""
            shown = sorted(
                (s for s in visible if s.entry.area == area_key),
                key=lambda s: (s.entry.order, s.label),
            )
            if shown:
                # Labels translated once here, not on every page.
                named = Area(area.key, str(area.label), area.icon) if area else None
                areas.append((named, shown))
        sidebar = _SHOWN[key] = _Sidebar(visible, areas)
    return sidebar


def _current(shown: list[_Shown], request: HttpRequest | None) -> Entry | None:
    """The entry the page belongs to: the longest entry URL its path starts with, else the
    entry that covers its URL name or namespace."""
    if request is None:
        return None
    path = request.path
    by_prefix = [s for s in shown if path.startswith(s.url)]
    if by_prefix:
        return max(by_prefix, key=lambda s: len(s.url)).entry
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    names = {match.view_name, match.namespace, *match.namespaces}
    return next((s.entry for s in shown if names & set(s.entry.covers)), None)


def navigation_for(actor: Actor, request: HttpRequest | None = None) -> Navigation:
    """The sidebar of ``actor``, with the entry of ``request``'s page marked current."""
    if not actor.is_authenticated:
        return Navigation()
    sidebar = _sidebar(actor)
    current = _current(sidebar.visible, request)
    return Navigation(
        [
            Section(
                area,
                [
                    Link(s.label, s.url, s.entry.url_name, s.entry.icon, s.entry is current)
                    for s in shown
                ],
            )
            for area, shown in sidebar.areas
        ],
        sidebar,
    )
