"""The catalogue: all-or-nothing CSV import with a report, export that reads back, the facts it
gives prescribing's safety checks, the prescriber's picker, and the pending prescriptions."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.pharmacy import catalogue
from clinicflow.pharmacy.models import Medicine

pytestmark = pytest.mark.django_db

HEADER = ",".join(catalogue.COLUMNS)
PARACETAMOL = "Paracetamol,,tablet,500 mg,tablet,paracetamol,analgesic,4000,500,no,no,100,2.00"
AMOXICILLIN = "Amoxicillin,Amoxy,capsule,500 mg,capsule,amoxicillin,penicillin,,,no,no,50,8.50"


def csv_of(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_a_good_file_adds_then_updates(pharmacist):
    actor = actor_for(pharmacist)
    assert catalogue.import_csv(actor=actor, content=csv_of(PARACETAMOL, AMOXICILLIN)) == (2, 0)
    cheaper = PARACETAMOL.replace(",2.00", ",1.50")
    assert catalogue.import_csv(actor=actor, content=csv_of(cheaper)) == (0, 1)
    medicine = Medicine.objects.get(generic_name="Paracetamol")
    assert str(medicine.sale_price) == "1.50"
    assert medicine.ingredient_set == {"paracetamol"}


def test_one_bad_row_imports_nothing_and_the_report_names_row_and_field(pharmacist):
    bad_price = AMOXICILLIN.replace(",8.50", ",cheap")
    bad_flag = PARACETAMOL.replace("no,no", "maybe,no").replace("Paracetamol", "Ibuprofen", 1)
    content = csv_of(PARACETAMOL, bad_price, bad_flag, PARACETAMOL)
    with pytest.raises(catalogue.ImportRefused) as refused:
        catalogue.import_csv(actor=actor_for(pharmacist), content=content)
    found = {(e.row, e.field) for e in refused.value.errors}
    assert found == {(3, "sale_price"), (4, "pregnancy_caution"), (5, "generic_name")}
    assert not Medicine.objects.exists()


def test_a_control_character_in_the_file_is_refused_at_its_row_and_field(pharmacist):
    pasted = PARACETAMOL.replace("analgesic", "analgesic\x01")
    with pytest.raises(catalogue.ImportRefused) as refused:
        catalogue.import_csv(actor=actor_for(pharmacist), content=csv_of(pasted))
    assert {(e.row, e.field) for e in refused.value.errors} == {(2, "drug_class")}
    assert not Medicine.objects.exists()


def test_files_that_are_not_a_catalogue_are_refused(pharmacist):
    actor = actor_for(pharmacist)
    with pytest.raises(DomainError, match="Missing columns"):
        catalogue.import_csv(actor=actor, content=b"name,price\nx,1\n")
    with pytest.raises(DomainError, match="UTF-8"):
        catalogue.import_csv(actor=actor, content=HEADER.encode() + b"\n\xff\xfe\n")


def test_only_pharmacists_and_managers_import(doctor, other_clinic_manager, pharmacist):
    for outsider in (doctor,):
        with pytest.raises(DomainError, match="may not"):
            catalogue.import_csv(actor=actor_for(outsider), content=csv_of(PARACETAMOL))
    catalogue.import_csv(actor=actor_for(other_clinic_manager), content=csv_of(PARACETAMOL))
    catalogue.import_csv(actor=actor_for(pharmacist), content=csv_of(AMOXICILLIN))
    assert Medicine.objects.count() == 2  # each clinic its own row
    assert Medicine.objects.filter(generic_name="Paracetamol").get().clinic.code == "PKR"


def test_the_import_page_shows_the_report(pharmacist, sign_in):
    upload = SimpleUploadedFile("m.csv", csv_of(AMOXICILLIN.replace(",8.50", ",x")), "text/csv")
    page = sign_in(pharmacist).post("/pharmacy/medicines/import/", {"file": upload})
    assert page.status_code == 200
    report = page.content.decode().split('data-testid="import-report"')[1]
    assert "<td>2</td><td>sale_price</td>" in report


def test_the_export_reads_back_as_an_import(pharmacist, sign_in):
    actor = actor_for(pharmacist)
    catalogue.import_csv(actor=actor, content=csv_of(PARACETAMOL, AMOXICILLIN))
    response = sign_in(pharmacist).get("/pharmacy/medicines/export.csv")
    exported = b"".join(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    assert [r["generic_name"] for r in rows] == ["Paracetamol", "Amoxicillin"]
    assert catalogue.import_csv(actor=actor, content=exported) == (0, 2)


@pytest.fixture
def stocked(pharmacist):
    catalogue.import_csv(actor=actor_for(pharmacist), content=csv_of(PARACETAMOL, AMOXICILLIN))


def test_the_catalogue_feeds_the_safety_checks(stocked, clinic):
    from clinicflow.clinical import safety

    facts = safety.facts_for(clinic, "amoxy")
    assert facts.from_catalogue
    assert facts.classes == {"penicillin"}
    assert facts.ingredients == {"amoxicillin"}
    unknown = safety.facts_for(clinic, "Mystery Tonic")
    assert not unknown.from_catalogue


def test_prescribing_a_catalogue_medicine_checks_its_class_and_dose(
    stocked, doctor, nurse, manager, receptionist, register
):
    from clinicflow.clinical import prescribing
    from clinicflow.clinical.services import open_encounter
    from clinicflow.frontdesk import services as frontdesk
    from clinicflow.patients.services import record_allergy
    from clinicflow.scheduling.services import create_practitioner

    practitioner = create_practitioner(
        actor=actor_for(manager), user=doctor, specialization="GP", details={}
    )
    patient = register(sex="male")
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Penicillin", severity="severe"
    )
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=patient, practitioner=practitioner)
    visit = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
    encounter = open_encounter(actor=actor_for(doctor), entry=visit)
    details = {"dose": "1", "frequency": "TDS", "duration_days": "5"}
    amoxicillin = prescribing.add_item(
        actor=actor_for(doctor), encounter=encounter, details={"medicine_name": "Amoxy", **details}
    )
    assert not amoxicillin.free_text
    assert [a.kind for a in amoxicillin.alerts.all()] == ["allergy"]  # by class: penicillin
    paracetamol = prescribing.add_item(
        actor=actor_for(doctor),
        encounter=encounter,
        details={**details, "medicine_name": "Paracetamol", "dose": "3", "frequency": "QID"},
    )
    assert [a.kind for a in paracetamol.alerts.all()] == ["max_dose"]  # 6000 mg > 4000 mg


def test_the_picker_lists_matching_medicines(stocked, doctor, sign_in):
    page = sign_in(doctor).get("/pharmacy/medicines/options/", {"medicine_name": "amox"})
    assert 'data-medicine-name="Amoxicillin"' in page.content.decode()
    assert "Paracetamol" not in page.content.decode()


def test_a_signed_prescription_waits_in_the_pharmacys_list(
    doctor, manager, receptionist, register, pharmacist, nurse, sign_in
):
    from clinicflow.clinical import prescribing, services
    from clinicflow.frontdesk import services as frontdesk
    from clinicflow.scheduling.services import create_practitioner

    practitioner = create_practitioner(
        actor=actor_for(manager), user=doctor, specialization="GP", details={}
    )
    patient = register()
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=patient, practitioner=practitioner)
    visit = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
    encounter = services.open_encounter(actor=actor_for(doctor), entry=visit)
    client = sign_in(pharmacist)
    assert patient.mrn not in client.get("/pharmacy/").content.decode()  # a draft is not listed
    prescribing.add_item(
        actor=actor_for(doctor),
        encounter=encounter,
        details={
            "medicine_name": "ORS",
            "dose": "1",
            "frequency": "TDS",
            "duration_days": "2",
            "dose_unit": "sachet",
        },
    )
    encounter = services.save_note(
        actor=actor_for(doctor), encounter=encounter, fields={"plan": "Fluids"}, version=0
    )
    services.sign(actor=actor_for(doctor), encounter=encounter, allergies_unasked_acknowledged=True)
    listed = client.get("/pharmacy/").content.decode()
    assert patient.mrn in listed
    assert "1 sachet three times a day for 2 days" in listed
    assert sign_in(nurse).get("/pharmacy/").status_code == 403


def test_the_demo_catalogue_imports_whole_and_once(clinic):
    from clinicflow.accounts.demo import load_demo
    from clinicflow.accounts.models import User
    from clinicflow.pharmacy.demo import load_demo_catalogue

    load_demo()
    pharmacist = User.objects.get(username="pharmacist")
    added = load_demo_catalogue(pharmacist=pharmacist)
    assert added > 200
    assert load_demo_catalogue(pharmacist=pharmacist) == 0
    assert Medicine.objects.filter(drug_class="penicillin").exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_control_character_stored_before_the_rule_does_not_break_the_export(
    stocked, pharmacist, manager, sign_in, fmt
):
    from openpyxl import load_workbook

    Medicine.objects.filter(generic_name="Paracetamol").update(drug_class="Analgesic\x01")
    for person in (pharmacist, manager):
        response = sign_in(person).get(f"/pharmacy/medicines/export.{fmt}")
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        if fmt == "xlsx":
            rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
            header = rows[0]
        else:
            rows = list(csv.reader(io.StringIO(content.decode())))
            header = rows[0]
        classes = [row[header.index("drug_class")] for row in rows[1:]]
        assert "Analgesic" in classes
