"""The safety checks' severity: a finding known to apply to the patient blocks signing until it
is overridden with a reason; one that only may apply informs and never blocks. A pregnancy
caution fires only where a pregnancy is possible, by what was asked at the visit, and the
checks run again when the answer (or an allergy) is recorded after the medicine was written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import prescribing, safety, services
from clinicflow.clinical.models import PregnancyStatus, Prescription, SafetyAlert
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.frontdesk import services as frontdesk
from clinicflow.patients.services import record_allergy, record_no_known_allergies

#: What a catalogue would say of these medicines (lower-case names).
CATALOGUE = {
    "aspirin": safety.MedicineFacts(
        ingredients=frozenset({"acetylsalicylic acid"}), pregnancy_caution=True
    ),
    "atorvastatin": safety.MedicineFacts(
        ingredients=frozenset({"atorvastatin calcium"}), pregnancy_caution=True
    ),
    "ibuprofen": safety.MedicineFacts(ingredients=frozenset({"ibuprofen"}), pregnancy_caution=True),
    "codeine": safety.MedicineFacts(
        ingredients=frozenset({"codeine phosphate"}), breastfeeding_caution=True
    ),
}


@pytest.fixture(autouse=True)
def catalogue(monkeypatch):
    monkeypatch.setattr(
        safety, "_PROVIDERS", {"test": lambda clinic, name: CATALOGUE.get(name.lower())}
    )


def medicine(name: str) -> dict[str, str]:
    return {"medicine_name": name, "dose": "1", "frequency": "OD", "duration_days": "30"}


# ---------------------------------------------------------------- the rule itself

TODAY = date(2025, 6, 1)


def woman(age: int | None, sex: str = "female") -> SimpleNamespace:
    born = None if age is None else date(TODAY.year - age, 1, 1)
    return SimpleNamespace(sex=sex, birth_date=born)


def found(name: str, patient: SimpleNamespace, pregnancy: str = "") -> list[tuple[str, str]]:
    proposed = safety.Proposed(
        name=name.title(), dose=Decimal("1"), doses_a_day=1, facts=CATALOGUE[name]
    )
    ctx = safety.Context(patient=patient, allergies=[], pregnancy=pregnancy, today=TODAY)
    return [(f.kind, f.severity) for f in safety.check(proposed, ctx)]


@pytest.mark.parametrize(
    ("patient", "pregnancy", "expected"),
    [
        (woman(51), "", []),  # past the childbearing ages, not asked: no question
        (woman(30), "", [("pregnancy", "low")]),  # may be pregnant: informs
        (woman(30), "unknown", [("pregnancy", "low")]),
        (woman(12), "", [("pregnancy", "low")]),
        (woman(50), "", [("pregnancy", "low")]),
        (woman(11), "", []),
        (woman(None), "", [("pregnancy", "low")]),  # age unknown: cannot rule it out
        (woman(30), "not_pregnant", []),
        (woman(30), "pregnant", [("pregnancy", "high")]),
        (woman(51), "pregnant", [("pregnancy", "high")]),  # a recorded answer outranks age
        (woman(30), "breastfeeding", []),  # not pregnant; ibuprofen has no breastfeeding caution
        (woman(30, sex="male"), "", []),
        (woman(30, sex="other"), "", []),
    ],
)
def test_a_pregnancy_caution_fires_only_where_a_pregnancy_is_possible(patient, pregnancy, expected):
    assert found("ibuprofen", patient, pregnancy) == expected


def test_a_breastfeeding_caution_fires_when_she_is_recorded_breastfeeding():
    assert found("codeine", woman(30), "breastfeeding") == [("breastfeeding", "high")]
    assert found("codeine", woman(30), "") == []
    assert found("codeine", woman(30), "pregnant") == []


def test_only_high_findings_block():
    assert safety.Finding("allergy", "x").blocks
    assert not safety.Finding("pregnancy", "x", "low").blocks


# ---------------------------------------------------------------- at the consultation


@pytest.fixture
def consult(receptionist, doctor, practitioner, icd10):
    """Open a consultation of the doctor with this patient."""

    def _consult(person):
        frontdesk.add_walk_in(
            actor=actor_for(receptionist), patient=person, practitioner=practitioner
        )
        entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
        return services.open_encounter(actor=actor_for(doctor), entry=entry)

    return _consult


def prescribe(doctor, encounter, *names):
    return [
        prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=medicine(name))
        for name in names
    ]


def sign(doctor, encounter, **options):
    encounter.refresh_from_db()
    encounter = services.save_note(
        actor=actor_for(doctor), encounter=encounter, fields={"plan": "Medicines"},
        version=encounter.version,
    )  # fmt: skip
    return services.sign(actor=actor_for(doctor), encounter=encounter, **options)


def asked(user, encounter, status):
    return services.record_pregnancy_status(
        actor=actor_for(user), encounter=encounter, status=status
    )


def standing(encounter) -> list[tuple[str, str, str]]:
    """The alerts of the encounter not cleared: (medicine, kind, severity)."""
    return [
        (a.item.medicine_name, a.kind, a.severity)
        for a in SafetyAlert.objects.filter(
            item__prescription__encounter=encounter, cleared_at__isnull=True
        ).select_related("item")
    ]


@pytest.fixture
def asked_allergies(nurse):
    """The patient was asked about allergies (signing needs no acknowledgement)."""
    return lambda person: record_no_known_allergies(actor=actor_for(nurse), patient=person)


def test_a_woman_of_51_gets_no_pregnancy_caution_for_aspirin_and_atorvastatin(
    doctor, consult, register, asked_allergies
):
    """The reported case: two override reasons asked for nothing."""
    person = register(given_name="Maya", age_years="51")
    asked_allergies(person)
    encounter = consult(person)
    prescribe(doctor, encounter, "Aspirin", "Atorvastatin")
    assert standing(encounter) == []
    sign(doctor, encounter)
    assert Prescription.objects.get(encounter=encounter).status == "issued"


def test_a_woman_of_30_not_asked_gets_a_caution_that_informs_and_signs_without_override(
    doctor, consult, register, asked_allergies
):
    person = register(given_name="Sita", age_years="30")
    asked_allergies(person)
    encounter = consult(person)
    [item] = prescribe(doctor, encounter, "Ibuprofen")
    assert standing(encounter) == [("Ibuprofen", "pregnancy", "low")]
    alert = item.alerts.get()
    assert not alert.blocks
    assert prescribing.unresolved(encounter) == []
    with pytest.raises(DomainError, match="needs no override"):
        prescribing.override(actor=actor_for(doctor), alert=alert, reason="asked her")
    alert.refresh_from_db()
    assert not alert.is_overridden
    sign(doctor, encounter)
    assert Prescription.objects.get(encounter=encounter).status == "issued"


def test_recorded_pregnant_makes_the_caution_severe_and_signing_waits_for_an_override(
    doctor, nurse, consult, register, asked_allergies
):
    person = register(given_name="Gita", age_years="28")
    asked_allergies(person)
    encounter = consult(person)
    recorded = asked(nurse, encounter, "pregnant")
    assert (recorded.recorded_by, recorded.encounter) == (nurse, encounter)
    [item] = prescribe(doctor, encounter, "Ibuprofen")
    assert standing(encounter) == [("Ibuprofen", "pregnancy", "high")]
    assert "pregnant" in item.alerts.get().message
    with pytest.raises(DomainError, match="Override each safety warning"):
        sign(doctor, encounter)
    assert Prescription.objects.get(encounter=encounter).status == "draft"
    prescribing.override(
        actor=actor_for(doctor), alert=item.alerts.get(), reason="short course, after week 12"
    )
    sign(doctor, encounter)
    assert Prescription.objects.get(encounter=encounter).status == "issued"


def test_recorded_not_pregnant_means_no_caution(doctor, consult, register, asked_allergies):
    person = register(given_name="Rita", age_years="30")
    asked_allergies(person)
    encounter = consult(person)
    asked(doctor, encounter, "not_pregnant")
    prescribe(doctor, encounter, "Ibuprofen", "Atorvastatin")
    assert standing(encounter) == []


def test_a_man_gets_no_pregnancy_caution(doctor, consult, register):
    encounter = consult(register(given_name="Ram", sex="male", age_years="30"))
    prescribe(doctor, encounter, "Ibuprofen", "Codeine")
    assert standing(encounter) == []


def test_the_answer_given_after_prescribing_changes_the_warnings_of_what_was_written(
    doctor, nurse, consult, register, asked_allergies
):
    person = register(given_name="Laxmi", age_years="25")
    asked_allergies(person)
    encounter = consult(person)
    prescribe(doctor, encounter, "Ibuprofen", "Codeine")
    assert standing(encounter) == [("Ibuprofen", "pregnancy", "low")]

    asked(nurse, encounter, "pregnant")
    assert standing(encounter) == [("Ibuprofen", "pregnancy", "high")]
    with pytest.raises(DomainError, match="Override each safety warning"):
        sign(doctor, encounter)

    asked(doctor, encounter, "breastfeeding")
    assert standing(encounter) == [("Codeine", "breastfeeding", "high")]

    asked(doctor, encounter, "not_pregnant")
    assert standing(encounter) == []
    cleared = SafetyAlert.objects.filter(item__prescription__encounter=encounter)
    assert cleared.count() == 3  # kept, each with the time it stopped applying
    assert all(a.cleared_at is not None for a in cleared)
    sign(doctor, encounter)
    assert Prescription.objects.get(encounter=encounter).status == "issued"


def test_an_allergy_recorded_on_the_chart_meanwhile_is_found_at_signing_and_kept(
    doctor, nurse, consult, register, asked_allergies
):
    """Signing runs the checks again; the warning found then survives the refusal, to be
    answered."""
    person = register(given_name="Anu", sex="male", age_years="40")
    asked_allergies(person)
    encounter = consult(person)
    prescribe(doctor, encounter, "Aspirin")
    record_allergy(actor=actor_for(nurse), patient=person, substance="Aspirin", severity="severe")
    with pytest.raises(DomainError, match="Override each safety warning"):
        sign(doctor, encounter)
    [alert] = SafetyAlert.objects.filter(item__prescription__encounter=encounter)
    assert (alert.kind, alert.severity) == ("allergy", "high")
    prescribing.override(actor=actor_for(doctor), alert=alert, reason="took it last month")
    sign(doctor, encounter)
    assert Prescription.objects.get(encounter=encounter).status == "issued"


def test_an_allergy_recorded_at_the_consultation_checks_what_was_written(doctor, consult, register):
    person = register(given_name="Hari", sex="male", age_years="40")
    encounter = consult(person)
    prescribe(doctor, encounter, "Aspirin")
    services.record_allergy(
        actor=actor_for(doctor), encounter=encounter, substance="aspirin", severity="moderate"
    )
    person.refresh_from_db()
    assert person.allergy_statement == "recorded"
    assert standing(encounter) == [("Aspirin", "allergy", "high")]


def test_the_database_refuses_an_override_of_a_caution_for_information(doctor, consult, register):
    encounter = consult(register(given_name="Uma", age_years="33"))
    [item] = prescribe(doctor, encounter, "Ibuprofen")
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.filter(item=item).update(
            override_reason="x", overridden_by=doctor, overridden_at=timezone.now()
        )


@pytest.mark.parametrize("status", ["", "maybe", "PREGNANT"])
def test_an_unknown_answer_is_refused_and_nothing_is_recorded(doctor, encounter, status):
    with pytest.raises(DomainError) as refused:
        asked(doctor, encounter, status)
    assert refused.value.field == "status"
    assert not PregnancyStatus.objects.exists()


def test_who_may_record_the_pregnancy_status(
    encounter, doctor, nurse, receptionist, pharmacist, other_clinic_doctor
):
    for outsider in (receptionist, pharmacist, other_clinic_doctor):
        with pytest.raises(DomainError, match="may not"):
            asked(outsider, encounter, "pregnant")
    assert not PregnancyStatus.objects.exists()
    asked(nurse, encounter, "unknown")
    asked(doctor, encounter, "not_pregnant")
    assert [s.status for s in PregnancyStatus.objects.all()] == ["not_pregnant", "unknown"]


def test_a_signed_consultation_takes_no_more_answers(doctor, encounter):
    sign(doctor, encounter)
    with pytest.raises(Conflict, match="signed"):
        asked(doctor, encounter, "pregnant")
    with pytest.raises(Conflict, match="signed"):
        services.record_allergy(
            actor=actor_for(doctor), encounter=encounter, substance="Latex", severity="mild"
        )
    assert not PregnancyStatus.objects.exists()
