"""Safety checks at prescribing (and again at dispensing): local, data-driven rules over the
patient's allergies and medicines and what the catalogue knows of a medicine. The pharmacy's
catalogue registers a *facts* provider; until then a medicine is known only by its name.

Each rule returns findings with a severity: a finding known to apply to this patient is high
and blocks signing until overridden with a reason; one that only may apply (a woman who may be
pregnant) is low and informs. Alert fatigue kills safety checks, so a rule fires only where its
risk can exist: a pregnancy caution for a woman who may be pregnant and is not recorded as not
pregnant at this visit, a breastfeeding caution when she is recorded breastfeeding."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from clinicflow.clinical.models import BLOCKING, AlertKind, Pregnancy, Severity


@dataclass(frozen=True)
class MedicineFacts:
    """What a rule may know of a medicine (all lower case)."""

    ingredients: frozenset[str]
    classes: frozenset[str] = frozenset()
    max_daily_mg: Decimal | None = None
    mg_per_unit: Decimal | None = None
    pregnancy_caution: bool = False
    breastfeeding_caution: bool = False
    paediatric_caution: bool = False
    #: Known from the pharmacy's catalogue (else only the typed name is known).
    from_catalogue: bool = False


@dataclass(frozen=True)
class Proposed:
    """The item being checked, before or after it is saved."""

    name: str
    dose: Decimal
    doses_a_day: int
    facts: MedicineFacts
    exclude_item: Any = None


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    severity: str = Severity.HIGH
    #: What, within its kind, the finding is about (the substance, the other medicine).
    about: str = ""

    @property
    def key(self) -> str:
        """The finding's identity across runs of the checks, in no language."""
        return f"{self.kind}:{self.about}"[:160]

    @property
    def blocks(self) -> bool:
        return self.severity in BLOCKING


@dataclass
class Context:
    patient: Any
    allergies: list[str]  # active allergy substances, lower case
    active: list[tuple[str, MedicineFacts]] = field(default_factory=list)  # other medicines
    #: The pregnancy status recorded at this visit (a ``Pregnancy`` value), "" if not asked.
    pregnancy: str = ""
    today: date = field(default_factory=date.today)


#: ``provider(clinic, name)``: what a clinic's catalogue knows of the medicine so named.
FactsProvider = Callable[[Any, str], MedicineFacts | None]
_PROVIDERS: dict[str, FactsProvider] = {}


def register_facts(name: str, provider: FactsProvider) -> None:
    _PROVIDERS[name] = provider


def facts_for(clinic: Any, name: str) -> MedicineFacts:
    for provider in _PROVIDERS.values():
        found = provider(clinic, name)
        if found is not None:
            return found
    return MedicineFacts(ingredients=frozenset({" ".join(name.lower().split())}))


def _mentions(substance: str, words: Iterable[str]) -> bool:
    """An allergy to "penicillin" matches "penicillin", "penicillins" or "amoxicillin
    (penicillin)"; very short words never match on their own."""
    substance = substance.strip()
    if len(substance) < 4:
        return False
    return any(substance in word or (len(word) >= 4 and word in substance) for word in words)


def allergy(item: Proposed, ctx: Context) -> list[Finding]:
    known = item.facts.ingredients | item.facts.classes | {item.name.lower()}
    return [
        Finding(
            AlertKind.ALLERGY,
            _("Allergy: the patient is allergic to %(substance)s.") % {"substance": substance},
            about=substance,
        )
        for substance in ctx.allergies
        if _mentions(substance, known)
    ]


def duplicate(item: Proposed, ctx: Context) -> list[Finding]:
    return [
        Finding(
            AlertKind.DUPLICATE,
            _("Duplicate therapy: %(other)s has the same ingredient (%(shared)s).")
            % {"other": other, "shared": ", ".join(sorted(shared))},
            about=other,
        )
        for other, facts in ctx.active
        if (shared := item.facts.ingredients & facts.ingredients)
    ]


def max_dose(item: Proposed, ctx: Context) -> list[Finding]:
    facts = item.facts
    if facts.max_daily_mg is None or facts.mg_per_unit is None:
        return []
    daily = item.dose * item.doses_a_day * facts.mg_per_unit
    if daily <= facts.max_daily_mg:
        return []
    return [
        Finding(
            AlertKind.MAX_DOSE,
            _("%(daily)s mg a day is above the maximum of %(max)s mg.")
            % {"daily": daily.normalize(), "max": facts.max_daily_mg.normalize()},
        )
    ]


def _age(patient: Any, today: date) -> int | None:
    born = getattr(patient, "birth_date", None)
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def paediatric(item: Proposed, ctx: Context) -> list[Finding]:
    age = _age(ctx.patient, ctx.today)
    if item.facts.paediatric_caution and age is not None and age < 12:
        return [Finding(AlertKind.PAEDIATRIC, _("Caution in children under 12."))]
    return []


#: Ages at which a woman not asked may be pregnant. The WHO counts 15-49 as reproductive age;
#: the window is a little wider at the young end, where a missed pregnancy costs most, and ends
#: at 50 (a woman of 51 is not asked about every medicine). Recorded answers outrank it.
CHILDBEARING_AGES = range(12, 51)


def may_be_pregnant(patient: Any, today: date) -> bool:
    """Whether a pregnancy is possible for a patient not asked: a woman of childbearing age
    (or whose age is not known)."""
    if getattr(patient, "sex", "") != "female":
        return False
    age = _age(patient, today)
    return age is None or age in CHILDBEARING_AGES


def pregnancy(item: Proposed, ctx: Context) -> list[Finding]:
    """Pregnancy and breastfeeding cautions, by what was recorded at the visit: pregnant makes
    a medicine to avoid in pregnancy a decision to take (high); not asked or unknown, for a
    woman who may be pregnant, a question to ask (low); not pregnant, nothing."""
    facts = item.facts
    if ctx.pregnancy == Pregnancy.BREASTFEEDING:
        if not facts.breastfeeding_caution:
            return []
        return [
            Finding(
                AlertKind.BREASTFEEDING,
                _("The patient is breastfeeding: avoid %(medicine)s while breastfeeding.")
                % {"medicine": item.name},
            )
        ]
    if not facts.pregnancy_caution or ctx.pregnancy == Pregnancy.NOT_PREGNANT:
        return []
    if ctx.pregnancy == Pregnancy.PREGNANT:
        return [
            Finding(
                AlertKind.PREGNANCY,
                _("The patient is pregnant: avoid %(medicine)s in pregnancy unless it is needed.")
                % {"medicine": item.name},
                about="pregnant",
            )
        ]
    if not may_be_pregnant(ctx.patient, ctx.today):
        return []
    return [
        Finding(
            AlertKind.PREGNANCY,
            _("Caution in pregnancy: ask whether she may be pregnant, and record the answer."),
            Severity.LOW,
            about="possible",
        )
    ]


#: The rules, in the order their findings are shown.
RULES: list[Callable[[Proposed, Context], list[Finding]]] = [
    allergy,
    duplicate,
    max_dose,
    paediatric,
    pregnancy,
]


def check(item: Proposed, ctx: Context) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(item, ctx)]
