"""The lab's own pages through a day: the nurse collects from the list at the time the sample
was taken, the bench receives, rejects, scans a label, enters results (a bad value shown at its
input, nothing saved; the LDL previewed as values are typed), a second technician verifies and
amends; the dashboard counts what waits. Every page for the right roles only, another
clinic's records a 404, lists in a bounded number of queries, results reads audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core import dashboards
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.navigation import navigation_for
from clinicflow.core.roles import Role
from clinicflow.lab import orders, results, samples
from clinicflow.lab.models import (
    CriticalAlert,
    LabSection,
    LabTest,
    Parameter,
    Result,
    ResultStatus,
    Sample,
    SampleStatus,
    TestStatus,
)
from clinicflow.lab.tests.conftest import lab_queries, values_for
from tests.factories import member

pytestmark = pytest.mark.django_db

NORMAL = {"total_cholesterol": "180", "hdl": "50", "triglycerides": "100"}


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile):
    return orders.place(
        actor=actor_for(doctor),
        patient=patient,
        tests=[lipid_profile],
        urgency="urgent",
        encounter=encounter,
    )


@pytest.fixture
def sample(order, nurse):
    (taken,) = samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=5)
    )
    return taken


@pytest.fixture
def ordered_test(order, sample):
    return order.tests.get()


def enter(technician, ordered_test, **values):
    results.enter(
        actor=actor_for(technician),
        ordered_test=ordered_test,
        values=values_for(ordered_test.test, **values),
    )


def entry_data(ordered_test, **by_code) -> dict[str, str]:
    """The entry form's fields (prefixed by the test) from values by parameter code."""
    ids = dict(Parameter.objects.filter(test=ordered_test.test).values_list("code", "pk"))
    return {f"t{ordered_test.pk}-p{ids[code]}": value for code, value in by_code.items()}


def views_of(part: str) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(action=AuditAction.VIEW)
        if (e.changes or {}).get("part") == part
    ]


# ---------------------------------------------------------------- who may open what


PAGES = {
    "collect_list": ({Role.NURSE, Role.LAB_TECHNICIAN}, lambda o, s, t: []),
    "collect": ({Role.NURSE, Role.LAB_TECHNICIAN}, lambda o, s, t: [o.pk]),
    "worklist": ({Role.LAB_TECHNICIAN}, lambda o, s, t: []),
    "to_verify": ({Role.LAB_TECHNICIAN}, lambda o, s, t: []),
    "sample_entry": ({Role.LAB_TECHNICIAN}, lambda o, s, t: [s.pk]),
    "test_entry": ({Role.LAB_TECHNICIAN}, lambda o, s, t: [t.pk]),
    "dashboard": ({Role.LAB_TECHNICIAN, Role.MANAGER}, lambda o, s, t: []),
}
ROLES = [
    Role.NURSE,
    Role.LAB_TECHNICIAN,
    Role.MANAGER,
    Role.DOCTOR,
    Role.RECEPTIONIST,
    Role.PHARMACIST,
    Role.CASHIER,
]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_opens_for_its_roles_and_is_refused_to_the_others(
    name, clinic, order, sample, ordered_test, sign_in
):
    allowed, args = PAGES[name]
    url = reverse(f"lab:{name}", args=args(order, sample, ordered_test))
    for role in ROLES:
        client = sign_in(member(role, clinic, username=f"{role}-{name}"))
        expected = 200 if role in allowed else 403
        assert client.get(url).status_code == expected, role


@pytest.mark.parametrize("name", ["collect", "sample_entry", "test_entry"])
def test_another_clinics_order_sample_or_test_is_not_found(
    name, other_clinic, order, sample, ordered_test, sign_in
):
    role = Role.NURSE if name == "collect" else Role.LAB_TECHNICIAN
    outsider = sign_in(member(role, other_clinic, username="outsider"))
    url = reverse(f"lab:{name}", args=PAGES[name][1](order, sample, ordered_test))
    assert outsider.get(url).status_code == 404


def test_the_lab_pages_show_the_age_of_a_patient_with_a_birth_date(
    patient, doctor, nurse, lab_technician, second_technician, order, ordered_test, sign_in
):
    """The patient's header counts the age on today's date even where the page does not pass
    one (these pages failed for every patient with a known birth date)."""
    patient.birth_date = timezone.localdate() - timedelta(days=365 * 40 + 30)
    patient.save(update_fields=["birth_date"])
    enter(lab_technician, ordered_test, **{**NORMAL, "triglycerides": "1250"})
    results.verify(actor=actor_for(second_technician), ordered_test=ordered_test)
    alert = CriticalAlert.objects.get(patient=patient)
    pages = [
        (nurse, reverse("lab:collect", args=[order.pk])),
        (lab_technician, reverse("lab:sample_entry", args=[ordered_test.sample_id])),
        (lab_technician, reverse("lab:test_entry", args=[ordered_test.pk])),
        (doctor, reverse("lab:order", args=[order.pk])),
        (doctor, reverse("lab:alert", args=[alert.pk])),
    ]
    for person, url in pages:
        page = sign_in(person).get(url)
        assert page.status_code == 200, url
        assert " · 40 y · " in page.content.decode(), url


def test_another_clinics_technician_cannot_verify_amend_or_receive(
    other_clinic, ordered_test, sample, sign_in
):
    outsider = sign_in(member(Role.LAB_TECHNICIAN, other_clinic, username="outsider"))
    assert outsider.post(reverse("lab:verify_test", args=[ordered_test.pk])).status_code == 404
    assert outsider.post(reverse("lab:receive", args=[sample.pk])).status_code == 404
    assert outsider.post(reverse("lab:entry_preview", args=[ordered_test.pk])).status_code == 404
    assert Sample.objects.get(pk=sample.pk).status == SampleStatus.COLLECTED


def test_the_lab_sidebar_follows_the_role(clinic):
    def labels(role):
        actor = actor_for(member(role, clinic, username=f"nav-{role}"))
        return {str(link.label) for link in navigation_for(actor)}

    assert {"Collect samples", "Worklist", "To verify", "Lab dashboard"} <= labels(
        Role.LAB_TECHNICIAN
    )
    nurse = labels(Role.NURSE)
    assert "Collect samples" in nurse
    assert "Worklist" not in nurse
    manager = labels(Role.MANAGER)
    assert "Lab dashboard" in manager
    assert "Collect samples" not in manager


# ---------------------------------------------------------------- collection


def test_the_collection_list_puts_stat_first_and_names_sample_and_container(
    doctor, patient, encounter, lipid_profile, biochemistry, clinic, nurse, sign_in
):
    cbc = LabTest.objects.create(
        clinic=clinic,
        code="CBC",
        name="Blood count",
        section=biochemistry,
        sample_type="blood",
        container="EDTA purple top",
    )
    routine = orders.place(
        actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
    )
    stat = orders.place(
        actor=actor_for(doctor), patient=patient, tests=[cbc], urgency="stat", encounter=encounter
    )
    page = sign_in(nurse).get(reverse("lab:collect_list"))
    numbers = [o.number for o in page.context["rows"]]
    assert numbers == [stat.number, routine.number]
    assert "EDTA purple top" in page.content.decode()
    assert views_of("lab orders to collect")


def test_the_nurse_collects_at_the_time_typed_in_the_clinics_zone(order, nurse, clinic, sign_in):
    client = sign_in(nurse)
    url = reverse("lab:collect", args=[order.pk])
    page = client.get(url)
    assert page.context["form"]["tests"].value()  # every waiting test ticked
    taken = timezone.localtime(timezone.now() - timedelta(minutes=30), clinic.zone)
    response = client.post(
        url,
        {"tests": [order.tests.get().pk], "collected_at": taken.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    collected = Sample.objects.get()
    assert collected.collected_at == taken.replace(second=0, microsecond=0)
    assert order.tests.get().status == TestStatus.COLLECTED
    after = client.get(url)
    assert collected.accession in after.content.decode()
    assert not after.context["has_waiting"]


def test_a_collection_time_in_the_future_is_shown_at_its_field_and_nothing_is_taken(
    order, nurse, clinic, sign_in
):
    later = timezone.localtime(timezone.now() + timedelta(hours=2), clinic.zone)
    page = sign_in(nurse).post(
        reverse("lab:collect", args=[order.pk]),
        {"tests": [order.tests.get().pk], "collected_at": later.strftime("%Y-%m-%dT%H:%M")},
    )
    assert page.status_code == 200
    assert page.context["form"].errors["collected_at"] == ["The collection time is in the future."]
    assert not Sample.objects.exists()


def test_the_label_button_appears_only_when_the_label_page_exists(order, sample, nurse, sign_in):
    from django.urls import NoReverseMatch

    page = sign_in(nurse).get(reverse("lab:collect", args=[order.pk]))
    ((shown, label),) = page.context["samples"]
    assert shown == sample
    try:
        expected = reverse("lab:sample_label", args=[sample.pk])
    except NoReverseMatch:
        expected = None
    assert label == expected


# ---------------------------------------------------------------- the bench


def test_a_scanned_accession_opens_its_sample(sample, lab_technician, sign_in):
    client = sign_in(lab_technician)
    response = client.get(reverse("lab:worklist"), {"q": sample.accession.lower()})
    assert response.status_code == 302
    assert response.url == reverse("lab:sample_entry", args=[sample.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert views_of("lab sample results")


def test_the_worklist_filters_by_stage_and_section(
    ordered_test, sample, lab_technician, clinic, sign_in
):
    client = sign_in(lab_technician)
    assert [t.pk for t in client.get(reverse("lab:worklist")).context["rows"]] == [ordered_test.pk]
    receive = client.get(reverse("lab:worklist"), {"stage": "receive"})
    assert len(receive.context["rows"]) == 1
    assert not client.get(reverse("lab:to_verify")).context["rows"]
    other = LabSection.objects.create(clinic=clinic, name="Microbiology")
    assert not client.get(reverse("lab:worklist"), {"section": other.pk}).context["rows"]
    assert views_of("lab worklist")


def test_the_bench_receives_and_rejects_samples(ordered_test, sample, lab_technician, sign_in):
    client = sign_in(lab_technician)
    refused = client.post(reverse("lab:reject", args=[sample.pk]), {"reason": "", "note": "x"})
    assert refused.status_code == 302
    assert Sample.objects.get(pk=sample.pk).status == SampleStatus.COLLECTED
    client.post(reverse("lab:receive", args=[sample.pk]))
    assert Sample.objects.get(pk=sample.pk).status == SampleStatus.RECEIVED
    client.post(
        reverse("lab:reject", args=[sample.pk]), {"reason": "haemolysed", "note": "Pink serum"}
    )
    rejected = Sample.objects.get(pk=sample.pk)
    assert (rejected.status, rejected.rejection_note) == (SampleStatus.REJECTED, "Pink serum")
    ordered_test.refresh_from_db()
    assert ordered_test.status == TestStatus.REJECTED


def test_the_worklist_costs_the_same_queries_with_more_samples(
    doctor, patient, encounter, lipid_profile, nurse, lab_technician, sign_in
):
    def one_more():
        placed = orders.place(
            actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
        )
        samples.collect(actor=actor_for(nurse), order=placed, collected_at=timezone.now())

    client = sign_in(lab_technician)
    one_more()
    few, _page = lab_queries(client, reverse("lab:worklist"))
    for _ in range(6):
        one_more()
    many, page = lab_queries(client, reverse("lab:worklist"))
    assert many == few
    assert len(page.context["rows"]) == 7
    nurse_client = sign_in(nurse)
    for _ in range(2):
        orders.place(
            actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
        )
    few, _page = lab_queries(nurse_client, reverse("lab:collect_list"))
    for _ in range(5):
        orders.place(
            actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
        )
    many, page = lab_queries(nurse_client, reverse("lab:collect_list"))
    assert many == few
    assert len(page.context["rows"]) == 7


# ---------------------------------------------------------------- result entry


def test_the_entry_page_lists_parameters_in_order_with_ranges_and_inputs(
    ordered_test, lab_technician, sign_in
):
    page = sign_in(lab_technician).get(reverse("lab:test_entry", args=[ordered_test.pk]))
    html = page.content.decode()
    (block,) = page.context["blocks"]
    assert [r.parameter.code for r in block.rows] == [
        "total_cholesterol",
        "hdl",
        "triglycerides",
        "ldl",
    ]
    assert [r.range_text for r in block.rows[:3]] == ["≤ 200", "≥ 40", "≤ 150"]
    assert block.rows[3].value is None  # calculated: shown, never typed
    assert html.count('inputmode="decimal"') == 3
    assert views_of("lab result entry")


def test_each_input_of_the_entry_page_has_a_name_of_its_own(ordered_test, lab_technician, sign_in):
    """A value and its comment are told apart by their labels (a screen reader, a browser
    test), not only by where they sit on the page."""
    page = sign_in(lab_technician).get(reverse("lab:test_entry", args=[ordered_test.pk]))
    html = page.content.decode()
    labels = re.findall(r'<label[^>]*for="(id_t\d+-[pc]\d+)"[^>]*>\s*([^<]+?)\s*</label>', html)
    names = [name for _for, name in labels]
    assert "Total cholesterol" in names
    assert "Comment on Total cholesterol" in names
    assert len(names) == len(set(names))


def test_a_bad_value_is_shown_at_its_input_and_nothing_is_saved(
    ordered_test, lab_technician, sign_in
):
    client = sign_in(lab_technician)
    data = entry_data(ordered_test, total_cholesterol="5000", hdl="50", triglycerides="90")
    page = client.post(reverse("lab:test_entry", args=[ordered_test.pk]), data)
    assert page.status_code == 200
    (block,) = page.context["blocks"]
    tc = block.rows[0]
    assert "not a plausible Total cholesterol" in " ".join(tc.value.errors)
    assert 'data-testid="field-error"' in page.content.decode()
    assert not Result.objects.exists()
    ordered_test.refresh_from_db()
    assert ordered_test.status == TestStatus.COLLECTED
    assert Sample.objects.get().status == SampleStatus.COLLECTED


def test_the_preview_computes_ldl_without_saving(ordered_test, lab_technician, sign_in):
    client = sign_in(lab_technician)
    data = entry_data(ordered_test, total_cholesterol="240", hdl="35", triglycerides="150")
    page = client.post(
        reverse("lab:entry_preview", args=[ordered_test.pk]), data, HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    ((parameter, reading),) = page.context["rows"]
    assert parameter.code == "ldl"
    assert str(reading.value) == "175.0"
    assert 'hx-swap-oob="true"' in page.content.decode()
    assert not Result.objects.exists()
    half = client.post(
        reverse("lab:entry_preview", args=[ordered_test.pk]),
        entry_data(ordered_test, total_cholesterol="240", hdl="abc"),
    )
    assert "HDL cholesterol: enter a number." in half.content.decode()


def test_saved_results_show_their_flags_and_the_delta_check(
    order, ordered_test, lab_technician, second_technician, doctor, patient, encounter,
    lipid_profile, nurse, sign_in,
):  # fmt: skip
    enter(lab_technician, ordered_test, **NORMAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered_test)
    later = orders.place(
        actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
    )
    samples.collect(actor=actor_for(nurse), order=later, collected_at=timezone.now())
    again = later.tests.get()
    client = sign_in(lab_technician)
    data = entry_data(again, total_cholesterol="240", hdl="20", triglycerides="1200")
    data["next"] = reverse("lab:test_entry", args=[again.pk])
    saved = client.post(reverse("lab:test_entry", args=[again.pk]), data, follow=True)
    html = saved.content.decode()
    assert 'data-flag="H"' in html
    assert 'data-flag="LL"' not in html
    assert 'data-flag="HH"' in html  # triglycerides above 1000
    assert 'data-testid="delta-flag"' in html  # HDL 50 → 20
    assert "Friedewald does not apply" in html  # LDL kept as the reason it is missing


# ---------------------------------------------------------------- verification and amendment


def test_the_person_who_entered_sees_why_they_cannot_verify(ordered_test, lab_technician, sign_in):
    enter(lab_technician, ordered_test, **NORMAL)
    client = sign_in(lab_technician)
    page = client.get(reverse("lab:test_entry", args=[ordered_test.pk]))
    assert results.SAME_PERSON in page.content.decode()
    assert 'data-testid="verify"' not in page.content.decode()
    refused = client.post(reverse("lab:verify_test", args=[ordered_test.pk]), follow=True)
    assert results.SAME_PERSON in refused.content.decode()
    ordered_test.refresh_from_db()
    assert ordered_test.status == TestStatus.RESULTED


def test_a_second_technician_verifies_from_the_list_to_verify(
    ordered_test, lab_technician, second_technician, sign_in
):
    enter(lab_technician, ordered_test, **NORMAL)
    client = sign_in(second_technician)
    listed = client.get(reverse("lab:to_verify"))
    assert [t.pk for t in listed.context["rows"]] == [ordered_test.pk]
    client.post(reverse("lab:verify_test", args=[ordered_test.pk]))
    ordered_test.refresh_from_db()
    assert (ordered_test.status, ordered_test.verified_by) == (
        TestStatus.VERIFIED,
        second_technician,
    )


def test_a_verified_result_is_amended_with_a_reason_and_its_history_shown(
    ordered_test, lab_technician, second_technician, sign_in
):
    enter(lab_technician, ordered_test, **NORMAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered_test)
    hdl = Result.objects.get(ordered_test=ordered_test, parameter__code="hdl")
    client = sign_in(second_technician)
    url = reverse("lab:amend", args=[hdl.pk])
    without_reason = client.post(url, {f"r{hdl.pk}-value": "45", f"r{hdl.pk}-reason": " "})
    assert without_reason.status_code == 200
    assert 'data-testid="amend-error"' in without_reason.content.decode()
    same = client.post(url, {f"r{hdl.pk}-value": "50", f"r{hdl.pk}-reason": "Typo"})
    assert "The amended value is the same as the result." in same.content.decode()
    assert not Result.objects.filter(amends=hdl).exists()
    done = client.post(
        url, {f"r{hdl.pk}-value": "45", f"r{hdl.pk}-reason": "Transcription error"}, follow=True
    )
    correction = Result.objects.get(amends=hdl)
    assert (correction.status, str(correction.value)) == (ResultStatus.AMENDED, "45.0000")
    html = done.content.decode()
    assert "<s>50</s>" in html
    assert "Transcription error" in html
    assert 'data-testid="amendment"' in html


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard_counts_what_waits_and_the_late_tests(
    order, ordered_test, lab_technician, manager, sign_in
):
    enter(lab_technician, ordered_test, **NORMAL)
    type(order).objects.filter(pk=order.pk).update(ordered_at=timezone.now() - timedelta(hours=3))
    page = sign_in(manager).get(reverse("lab:dashboard"))
    counts = {p.figure.key: p.count for p in page.context["panels"]}
    assert counts == {
        "lab.to_collect": 0,
        "lab.to_receive": 0,
        "lab.to_result": 0,
        "lab.to_verify": 1,
        "lab.turnaround": 1,
        "lab.critical_open": 0,
    }
    assert views_of("lab dashboard")


def test_the_dashboard_cards_reach_the_technician_nurse_and_manager(
    order, clinic, lab_technician, nurse, manager
):
    def keys(person, role):
        return {c.key: c.value for c in dashboards.cards_for(actor_for(person), role)}

    assert keys(nurse, Role.NURSE)["lab.to_collect"] == 1
    technician = keys(lab_technician, Role.LAB_TECHNICIAN)
    assert {"lab.to_receive", "lab.to_result", "lab.to_verify", "lab.turnaround"} <= set(technician)
    assert "lab.critical_open" in keys(manager, Role.MANAGER)


def test_values_comments_and_the_report_comment_are_saved_from_the_page(
    ordered_test, lab_technician, sign_in
):
    client = sign_in(lab_technician)
    data = entry_data(ordered_test, **NORMAL)
    hdl = Parameter.objects.get(test=ordered_test.test, code="hdl")
    data[f"t{ordered_test.pk}-c{hdl.pk}"] = "Lipaemic sample"
    data[f"t{ordered_test.pk}-report_comment"] = "Fasting 12 hours"
    response = client.post(reverse("lab:test_entry", args=[ordered_test.pk]), data)
    assert response.status_code == 302
    ordered_test.refresh_from_db()
    assert (ordered_test.status, ordered_test.comment) == (TestStatus.RESULTED, "Fasting 12 hours")
    assert Result.objects.get(parameter=hdl).comment == "Lipaemic sample"
    assert str(Result.objects.get(parameter__code="ldl").value) == "110.0000"  # 180 - 50 - 20


def test_the_order_page_leads_to_collection_and_result_entry(
    order, ordered_test, lab_technician, doctor, sign_in
):
    bench = sign_in(lab_technician).get(reverse("lab:order", args=[order.pk])).content.decode()
    assert reverse("lab:collect", args=[order.pk]) in bench
    assert reverse("lab:test_entry", args=[ordered_test.pk]) in bench
    ordering = sign_in(doctor).get(reverse("lab:order", args=[order.pk])).content.decode()
    assert reverse("lab:test_entry", args=[ordered_test.pk]) not in ordering
