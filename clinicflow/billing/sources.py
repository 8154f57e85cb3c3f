"""What can be charged for, as the domains that do the work register it: billing never
imports the consultation's, the pharmacy's or the lab's models to know what to bill.

A domain registers each *kind* of source once (from its ``contributions.py``) and, inside
its own service's transaction, calls ``billing.charges.capture`` with the source's id; the
database charges a source once. ``manual`` (a service added at the counter from the price
list) is billing's own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: ids of one kind of source → where each can be opened (for the invoice screen's links).
Links = Callable[[Iterable[str]], dict[str, str]]
#: (clinic, ids of one kind of source): told that their invoice is paid in full (what it
#: returns is not used).
Settled = Callable[[Any, list[str]], object]


@dataclass(frozen=True)
class SourceKind:
    key: str
    label: str
    #: Which payment counter this kind belongs to ("pharmacy" for the pharmacy's own sales).
    counter: str = "cashier"
    links: Links | None = None
    #: Called inside the payment's transaction, under the invoice's row lock, when an
    #: invoice carrying charges of this kind becomes paid in full (at a counter, by a
    #: gateway or from the patient's credit): a booking held for its fee is confirmed.
    settled: Settled | None = None
    #: Its invoice is paid in one payment of all that is due, never in part (a fee that
    #: holds a booking: a part would hold nothing).
    paid_whole: bool = False
    #: A charge of this kind, with the appointment's id as its source id, is the visit's
    #: consultation paid ahead: the visit is not charged its consultation again.
    prepays_visit: bool = False


_KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> None:
    _KINDS[kind.key] = kind


def get(key: str) -> SourceKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"no charge source {key!r} is registered") from None


def find(key: str) -> SourceKind | None:
    """The kind registered as ``key``, or None (a kind whose domain is not installed)."""
    return _KINDS.get(key)


def registered() -> list[SourceKind]:
    return list(_KINDS.values())


def prepaying_visits() -> list[str]:
    """The kinds whose charge is a visit's consultation paid ahead (see ``prepays_visit``)."""
    return [kind.key for kind in _KINDS.values() if kind.prepays_visit]


def links_for(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Where each (kind, id) can be opened, asking each kind once."""
    by_kind: dict[str, list[str]] = {}
    for kind, source_id in pairs:
        by_kind.setdefault(kind, []).append(source_id)
    found: dict[tuple[str, str], str] = {}
    for kind, ids in by_kind.items():
        links = _KINDS[kind].links if kind in _KINDS else None
        if links is not None:
            found.update({(kind, i): url for i, url in links(ids).items()})
    return found


MANUAL = SourceKind("manual", "Added at the counter")
register(MANUAL)
