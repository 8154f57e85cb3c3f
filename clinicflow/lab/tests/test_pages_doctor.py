"""Where the lab meets the doctor and the desk: ordering from the consultation, the direct lab
visit at reception, the doctor's results card and critical banner, the chart's lab timeline
and "Results" panel, and a parameter's trend."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.billing.models import Charge
from clinicflow.core.models import AuditEvent
from clinicflow.core.roles import Role
from clinicflow.lab import alerts, orders, results, samples
from clinicflow.lab.models import (
    CriticalAlert,
    LabOrder,
    LabSection,
    LabTest,
    OrderedTest,
    OrderSource,
    Result,
    TestStatus,
)
from clinicflow.lab.tests.conftest import values_for
from clinicflow.notifications.models import Notice
from tests.factories import member

HIGH_LIPIDS = {"total_cholesterol": "260", "hdl": "35", "triglycerides": "120"}
CRITICAL_LIPIDS = {"total_cholesterol": "300", "hdl": "50", "triglycerides": "1200"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile):
    return orders.place(
        actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
    )


@pytest.fixture
def release(nurse, lab_technician, second_technician):
    """Take the order's sample (``days_ago``), enter ``values`` and verify them."""

    def _release(order, values, days_ago=0):
        samples.collect(
            actor=actor_for(nurse),
            order=order,
            collected_at=max(
                order.ordered_at + timedelta(seconds=1),
                timezone.now() - timedelta(days=days_ago),
            ),
        )
        ordered = order.tests.get()
        results.enter(
            actor=actor_for(lab_technician),
            ordered_test=ordered,
            values=values_for(ordered.test, **values),
        )
        results.verify(actor=actor_for(second_technician), ordered_test=ordered)
        return OrderedTest.objects.get(pk=ordered.pk)

    return _release


def encounter_page(client, encounter):
    return client.get(reverse("clinical:encounter", args=[encounter.pk]))


# ---------------------------------------------------------------- ordering at the consultation


def test_the_test_search_finds_only_this_clinics_active_tests(
    doctor, sign_in, lipid_profile, biochemistry, other_clinic
):
    LabTest.objects.create(
        clinic=lipid_profile.clinic,
        code="LIPOLD",
        name="Lipid profile (old)",
        section=biochemistry,
        is_active=False,
    )
    elsewhere = LabSection.objects.create(clinic=other_clinic, name="Biochemistry")
    LabTest.objects.create(clinic=other_clinic, code="LIPX", name="Lipid panel", section=elsewhere)
    client = sign_in(doctor)
    found = client.get(reverse("lab:test_picker"), {"q": "lip"}, headers=HTMX)
    assert found.status_code == 200
    assert [t.code for t in found.context["options"]] == ["LIPID"]
    by_code = client.get(reverse("lab:test_picker"), {"q": "LIPI"}, headers=HTMX)
    assert [t.code for t in by_code.context["options"]] == ["LIPID"]
    chip = client.get(
        reverse("lab:test_picker"), {"q": "lip", "add": lipid_profile.pk}, headers=HTMX
    )
    assert chip.context["chosen"] == [lipid_profile]
    assert chip.context["options"] == []  # a chosen test is not offered again
    assert b'name="tests"' in chip.content
    removed = client.get(
        reverse("lab:test_picker"),
        {"tests": [lipid_profile.pk], "remove": lipid_profile.pk},
        headers=HTMX,
    )
    assert removed.context["chosen"] == []


def test_a_doctor_orders_tests_from_the_consultation_page(
    doctor, sign_in, encounter, lipid_profile, patient
):
    client = sign_in(doctor)
    page = encounter_page(client, encounter)
    assert b'data-testid="lab-order-form"' in page.content
    response = client.post(
        reverse("lab:order_from_consultation", args=[encounter.pk]),
        {"tests": [lipid_profile.pk], "urgency": "stat", "clinical_note": "Fasting"},
    )
    assert response.status_code == 302
    placed = LabOrder.objects.get()
    assert (placed.encounter, placed.patient, placed.urgency, placed.source) == (
        encounter,
        patient,
        "stat",
        OrderSource.CONSULTATION,
    )
    ordered = placed.tests.get()
    assert Charge.objects.get(source_kind="lab.order", source_id=str(ordered.pk)).amount == (
        Decimal("800.00")
    )
    page = encounter_page(client, encounter)
    assert page.context["sections"][0].context["orders"] == [placed]
    assert b'data-testid="cancel-lab-test"' in page.content


def test_an_order_with_no_test_chosen_is_refused_and_nothing_saved(doctor, sign_in, encounter):
    client = sign_in(doctor)
    response = client.post(
        reverse("lab:order_from_consultation", args=[encounter.pk]),
        {"urgency": "routine"},
        follow=True,
    )
    assert "Choose at least one test." in response.content.decode()
    assert not LabOrder.objects.exists()
    assert not Charge.objects.filter(source_kind="lab.order").exists()


def test_another_doctors_consultation_or_another_role_cannot_order(
    clinic, sign_in, encounter, lipid_profile, nurse, receptionist, other_clinic_doctor
):
    other = member(Role.DOCTOR, clinic, username="dr_other")
    url = reverse("lab:order_from_consultation", args=[encounter.pk])
    data = {"tests": [lipid_profile.pk]}
    assert sign_in(other).post(url, data).status_code == 404
    assert sign_in(receptionist).post(url, data).status_code == 404
    assert sign_in(nurse).post(url, data).status_code == 403
    assert sign_in(other_clinic_doctor).post(url, data).status_code in (403, 404)
    assert not LabOrder.objects.exists()


def test_another_clinics_test_is_refused(doctor, sign_in, encounter, other_clinic):
    elsewhere = LabSection.objects.create(clinic=other_clinic, name="Biochemistry")
    theirs = LabTest.objects.create(clinic=other_clinic, code="X", name="X", section=elsewhere)
    response = sign_in(doctor).post(
        reverse("lab:order_from_consultation", args=[encounter.pk]),
        {"tests": [theirs.pk]},
        follow=True,
    )
    assert "catalogue" in response.content.decode()
    assert not LabOrder.objects.exists()


def test_the_doctor_cancels_a_test_not_yet_collected_with_a_reason(doctor, sign_in, order):
    client = sign_in(doctor)
    ordered = order.tests.get()
    url = reverse("lab:cancel_test", args=[ordered.pk])
    client.post(url, {"reason": " "})
    ordered.refresh_from_db()
    assert ordered.status == TestStatus.ORDERED
    response = client.post(url, {"reason": "Done last week elsewhere"})
    assert response.url.endswith("#lab-tests")
    ordered.refresh_from_db()
    assert (ordered.status, ordered.cancel_reason) == (
        TestStatus.CANCELLED,
        "Done last week elsewhere",
    )


# ---------------------------------------------------------------- the direct lab visit


def test_reception_places_a_direct_lab_visit_naming_the_outside_doctor(
    receptionist, sign_in, patient, lipid_profile
):
    client = sign_in(receptionist)
    assert b'href="/lab/visits/new/"' in client.get(reverse("core:dashboard")).content
    found = client.get(reverse("lab:direct_visit"), {"q": "Priya"}, headers=HTMX)
    assert patient in found.context["found"]
    assert f"?patient={patient.pk}".encode() in found.content
    url = reverse("lab:direct_visit")
    assert client.get(url, {"patient": patient.pk}).status_code == 200
    refused = client.post(url, {"patient": patient.pk, "tests": [lipid_profile.pk]})
    assert refused.status_code == 200
    assert "Name the doctor who prescribed" in refused.content.decode()
    assert refused.context["chosen"] == [lipid_profile]  # the chips are kept
    assert not LabOrder.objects.exists()
    placed = client.post(
        url,
        {
            "patient": patient.pk,
            "tests": [lipid_profile.pk],
            "referrer": "Dr. R. Thapa",
            "urgency": "urgent",
        },
        follow=True,
    )
    order = LabOrder.objects.get()
    assert (order.source, order.referrer, order.encounter, order.ordering_doctor) == (
        OrderSource.DIRECT,
        "Dr. R. Thapa",
        None,
        None,
    )
    assert order.number in placed.content.decode()
    assert Charge.objects.filter(source_kind="lab.order").count() == 1


def test_a_manager_placing_a_visit_lands_on_the_order_page(
    manager, sign_in, patient, lipid_profile
):
    response = sign_in(manager).post(
        reverse("lab:direct_visit"),
        {"patient": patient.pk, "tests": [lipid_profile.pk], "referrer": "Dr. Thapa"},
    )
    assert response.url == reverse("lab:order", args=[LabOrder.objects.get().pk])


def test_another_clinics_patient_is_not_found_for_a_visit(
    receptionist, sign_in, register, other_clinic_manager
):
    theirs = register(actor_user=other_clinic_manager, given_name="Ram")
    response = sign_in(receptionist).get(reverse("lab:direct_visit"), {"patient": theirs.pk})
    assert response.status_code == 404


# ---------------------------------------------------------------- the doctor's day


def test_the_doctors_results_card_lists_pending_then_released(doctor, sign_in, order, release):
    client = sign_in(doctor)
    card = next(
        c
        for c in client.get(reverse("core:dashboard")).context["dashboard"].cards
        if c.key == "lab.results"
    )
    assert card.value == 1
    assert card.detail["pending"] == [order]
    release(order, HIGH_LIPIDS)
    card = next(
        c
        for c in client.get(reverse("core:dashboard")).context["dashboard"].cards
        if c.key == "lab.results"
    )
    assert card.value == 0
    assert [t.order_id for t in card.detail["released"]] == [order.pk]
    # Older than a day but still unread: still listed; read and old: gone.
    OrderedTest.objects.filter(order=order).update(verified_at=timezone.now() - timedelta(days=2))
    card = next(
        c
        for c in client.get(reverse("core:dashboard")).context["dashboard"].cards
        if c.key == "lab.results"
    )
    assert [t.order_id for t in card.detail["released"]] == [order.pk]
    Notice.objects.filter(recipient=doctor).update(read_at=timezone.now())
    card = next(
        c
        for c in client.get(reverse("core:dashboard")).context["dashboard"].cards
        if c.key == "lab.results"
    )
    assert card.detail["released"] == []


def test_a_nurse_sees_the_consultations_lab_tests_but_does_not_order(
    nurse, sign_in, order, encounter
):
    page = encounter_page(sign_in(nurse), encounter)
    assert b'data-testid="lab-tests"' in page.content
    assert b'data-testid="lab-order-form"' not in page.content
    assert b'data-testid="cancel-lab-test"' not in page.content


def test_the_critical_banner_follows_the_alerts_doctor_until_acknowledged(
    clinic, doctor, sign_in, order, release, patient
):
    release(order, CRITICAL_LIPIDS)
    alert = CriticalAlert.objects.get()
    client = sign_in(doctor)
    page = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="critical-banner-alert"' in page
    assert reverse("lab:alert", args=[alert.pk]) in page
    other = member(Role.DOCTOR, clinic, username="dr_other")
    other_page = sign_in(other).get(reverse("core:dashboard")).content.decode()
    assert "data-critical-banner" in other_page  # ready for a live alert, hidden
    assert 'data-testid="critical-banner-alert"' not in other_page
    alerts.acknowledge(actor=actor_for(doctor), alert=alert, action_taken="Called the patient")
    after = client.get(reverse("core:dashboard")).content.decode()
    assert 'data-testid="critical-banner-alert"' not in after


def test_the_banner_costs_a_doctor_one_query_and_two_when_there_are_alerts(doctor, order, release):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinicflow.lab.workspace import critical_banner, open_alerts_of

    actor = actor_for(doctor)
    with CaptureQueriesContext(connection) as queries:
        assert critical_banner(actor).context["alerts"] == []
    assert len(queries) == 1  # nothing to show: one bare EXISTS
    assert "EXISTS" in queries[0]["sql"].upper() or "LIMIT 1" in queries[0]["sql"].upper()

    release(order, CRITICAL_LIPIDS)
    with CaptureQueriesContext(connection) as queries:
        found = open_alerts_of(actor)
        assert found[0].result.parameter.code
        assert found[0].patient.full_name
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        shown = critical_banner(actor).context["alerts"]
        assert [a.pk for a in shown] == [a.pk for a in found]
        assert shown[0].result.parameter.code
    assert len(queries) == 2  # the EXISTS, then the alerts with what the banner prints


# ---------------------------------------------------------------- the chart and trends


def test_the_chart_shows_lab_orders_released_results_and_the_results_panel(
    doctor, receptionist, sign_in, order, release, patient
):
    release(order, HIGH_LIPIDS)
    page = sign_in(doctor).get(reverse("patients:chart", args=[patient.pk]))
    kinds = {e.kind: e for e in page.context["timeline"]}
    assert order.number in kinds["lab_order"].title
    assert "Lipid profile" in kinds["lab_order"].detail
    assert kinds["lab_result"].title == "Results: Lipid profile"
    assert kinds["lab_result"].detail == "2 results flagged"  # cholesterol high, HDL low
    panel = next(p for p in page.context["panels"] if p.template == "lab/_results_panel.html")
    latest = {r.parameter.code: r.flag for r in panel.context["results"]}
    assert latest["hdl"] == "L"
    assert latest["total_cholesterol"] == "H"
    assert reverse("lab:trend", args=[patient.pk, "hdl"]) in page.content.decode()
    desk = sign_in(receptionist).get(reverse("patients:chart", args=[patient.pk]))
    assert not any(p.template == "lab/_results_panel.html" for p in desk.context["panels"])


def test_the_consultation_shows_the_latest_released_results(
    doctor, sign_in, order, release, encounter
):
    release(order, HIGH_LIPIDS)
    page = encounter_page(sign_in(doctor), encounter)
    assert b'data-testid="lab-latest-results"' in page.content
    assert b'data-flag="L"' in page.content


def _orders_over_time(doctor, patient, lipid_profile, release, values_by_days):
    for days_ago, values in values_by_days:
        placed = orders.place(
            actor=actor_for(doctor), patient=patient, tests=[lipid_profile], referrer=""
        )
        LabOrder.objects.filter(pk=placed.pk).update(
            ordered_at=timezone.now() - timedelta(days=days_ago, hours=1)
        )
        placed.refresh_from_db()
        release(placed, values, days_ago=days_ago)


def test_a_parameters_trend_draws_values_over_their_reference_band(
    doctor, sign_in, patient, lipid_profile, release, django_assert_max_num_queries
):
    _orders_over_time(
        doctor,
        patient,
        lipid_profile,
        release,
        [(90, {**HIGH_LIPIDS, "hdl": "38"}), (30, {**HIGH_LIPIDS, "hdl": "45"})],
    )
    client = sign_in(doctor)
    url = reverse("lab:trend", args=[patient.pk, "hdl"])
    before = AuditEvent.objects.filter(action="view").count()
    with django_assert_max_num_queries(25):
        page = client.get(url)
    assert page.status_code == 200
    points = page.context["points"]
    assert [(p["value"], p["flag"], p["low"], p["high"]) for p in points] == [
        ("38", "L", "40", None),
        ("45", "", "40", None),
    ]
    assert points[0]["at"] < points[1]["at"]  # oldest first
    html = page.content.decode()
    assert html.count('data-testid="lab-trend-row"') == 2
    assert html.count("<td>≥ 40</td>") == 2  # each row's own range, as the report prints it
    assert b"vendor/chartjs/chart.umd.js" in page.content
    read = AuditEvent.objects.filter(action="view").order_by("-pk")[0]
    assert read.changes["part"] == "lab trend"
    assert read.changes["parameter"] == "hdl"
    assert AuditEvent.objects.filter(action="view").count() > before


def test_the_trend_table_prints_what_the_template_filters_would_in_any_zone_and_language(
    doctor, sign_in, patient, lipid_profile, release
):
    """The table's rows are drawn in Python (``trend_rows``) for speed: they must read as the
    template's filters print a result (date in the page's zone, value, flag and delta marks,
    applied range), whatever the zone and the language."""
    from django.template import Context, Template
    from django.utils import translation

    from clinicflow.lab.templatetags.lab_results import trend_rows

    _orders_over_time(
        doctor,
        patient,
        lipid_profile,
        release,
        [
            (400, {**HIGH_LIPIDS, "hdl": "38"}),
            (200, {**HIGH_LIPIDS, "hdl": "90.50"}),  # beyond the delta limit
            (10, {**HIGH_LIPIDS, "hdl": "45"}),
        ],
    )
    transcribed = Result.objects.filter(parameter__code="hdl").order_by("collected_at")[0]
    Result.objects.filter(pk=transcribed.pk).update(outside_lab="Star & <Lab>")
    page = sign_in(doctor).get(reverse("lab:trend", args=[patient.pk, "hdl"]))
    rows = page.context["rows"]
    assert [row.display for row in rows] == ["45", "90.5", "38"]  # newest first
    assert "outside lab: Star &amp; &lt;Lab&gt;" in page.content.decode()
    assert any(row.delta_flagged for row in rows)
    as_filters_print = Template(
        "{% load i18n lab_results %}{% for r in results %}"
        '\n    <tr data-testid="lab-trend-row"><td>{{ r.collected_at|date:"j M Y H:i" }}</td>'
        '<td>{{ r.display }}{% if r.outside_lab %} <span class="small text-muted" '
        'data-testid="outside-lab">{% blocktranslate with lab=r.outside_lab %}outside lab: '
        "{{ lab }}{% endblocktranslate %}</span>{% endif %}</td><td>{{ r|flag_badge }}</td>"
        "<td>{{ r.applied_range|applied_range }}</td></tr>\n  {% endfor %}"
    )
    # The same results as the models the rest of the lab draws (read on their own).
    results = list(
        Result.objects.filter(patient=patient, parameter__code="hdl").order_by("-collected_at")
    )
    assert len(results) == len(rows)
    with timezone.override(patient.clinic.zone):
        assert str(trend_rows(rows)) in page.content.decode()
    for zone in ("Asia/Kathmandu", "America/St_Johns", "UTC"):
        for language in ("en", "ne"):
            with timezone.override(zone), translation.override(language):
                expected = as_filters_print.render(Context({"results": results}))
                assert str(trend_rows(rows)) == expected, (zone, language)


def test_the_results_panel_shows_each_parameters_newest_released_value_once(
    doctor, nurse, lab_technician, sign_in, patient, lipid_profile, biochemistry, release, register
):
    """One row per parameter code: its newest released value, another version of the
    parameter (same code in another test) counting as the same; results still to verify and
    other patients' results left out."""
    from clinicflow.lab.chart import latest_values
    from clinicflow.lab.models import LabTest
    from clinicflow.lab.tests.conftest import add_range, numeric

    _orders_over_time(
        doctor,
        patient,
        lipid_profile,
        release,
        [(90, {**HIGH_LIPIDS, "hdl": "38"}), (60, {**HIGH_LIPIDS, "hdl": "41"})],
    )
    hdl_alone = LabTest.objects.create(
        clinic=lipid_profile.clinic, code="HDL", name="HDL alone", section=biochemistry
    )
    add_range(numeric(hdl_alone, "hdl", "HDL cholesterol", "mg/dL"), low=Decimal("40"))
    newest = orders.place(actor=actor_for(doctor), patient=patient, tests=[hdl_alone])
    release(newest, {"hdl": "52"}, days_ago=5)
    pending = orders.place(actor=actor_for(doctor), patient=patient, tests=[lipid_profile])
    samples.collect(actor=actor_for(nurse), order=pending, collected_at=timezone.now())
    results.enter(  # entered, not verified: not released
        actor=actor_for(lab_technician),
        ordered_test=pending.tests.get(),
        values=values_for(lipid_profile, **{**HIGH_LIPIDS, "hdl": "70"}),
    )
    someone_else = register(given_name="Sita")
    other = orders.place(actor=actor_for(doctor), patient=someone_else, tests=[hdl_alone])
    release(other, {"hdl": "99"})

    latest = {r.parameter.code: r.display for r in latest_values(patient)}
    # LDL 260 − 41 − 120/5: calculated from the newest lipid profile (HDL 41), not the older
    assert latest == {"hdl": "52", "total_cholesterol": "260", "triglycerides": "120", "ldl": "195"}
    section = sign_in(doctor).get(reverse("lab:results", args=[patient.pk]))
    assert section.content.decode().count('data-code="hdl"') == 1
    assert [r.display for r in latest_values(patient, limit=1)] == ["52"]


def test_the_results_panel_prints_what_its_template_loop_would_in_any_zone_and_language(
    doctor, sign_in, patient, lipid_profile, release
):
    """The Results panel's rows are drawn in Python (``latest_rows``) for speed: they must
    read as the template's loop printed them (the link to each trend, value, unit, flag and
    delta marks, the outside lab, the day in the page's zone), whatever the zone and the
    language."""
    from django.template import Context, Template
    from django.utils import translation

    from clinicflow.lab.chart import latest_values
    from clinicflow.lab.templatetags.lab_results import latest_rows

    _orders_over_time(
        doctor,
        patient,
        lipid_profile,
        release,
        [(200, {**HIGH_LIPIDS, "hdl": "38"}), (10, {**HIGH_LIPIDS, "hdl": "90.50"})],
    )
    newest = Result.objects.filter(parameter__code="triglycerides").order_by("-collected_at")[0]
    Result.objects.filter(pk=newest.pk).update(outside_lab="Star & <Lab>")
    section = sign_in(doctor).get(reverse("lab:results", args=[patient.pk]))
    html = section.content.decode()
    assert "outside lab: Star &amp; &lt;Lab&gt;" in html
    assert 'data-testid="delta-flag"' in html  # HDL 38 → 90.5
    assert f'href="{reverse("lab:trend", args=[patient.pk, "hdl"])}"' in html
    as_the_loop_printed = Template(
        "{% load i18n lab_results %}{% for r in results %}"
        '\n      <tr data-testid="lab-latest" data-code="{{ r.parameter.code }}">'
        "\n        <td><a href=\"{% url 'lab:trend' patient r.parameter.code %}\">"
        "{{ r.parameter.name }}</a></td>"
        "\n        <td>{{ r.display }} {{ r.parameter.unit_label }} {{ r|flag_badge }}"
        '{% if r.outside_lab %} <span class="small text-muted" data-testid="outside-lab">'
        "{% blocktranslate with lab=r.outside_lab %}outside lab: {{ lab }}"
        "{% endblocktranslate %}</span>{% endif %}</td>"
        '\n        <td>{{ r.collected_at|date:"j M Y" }}</td>\n      </tr>{% endfor %}'
    )
    rows = latest_values(patient)
    assert len(rows) == 4
    with timezone.override(patient.clinic.zone):
        assert str(latest_rows(patient.pk, rows)) in html
    for zone in ("Asia/Kathmandu", "America/St_Johns", "UTC"):
        for language in ("en", "ne"):
            with timezone.override(zone), translation.override(language):
                context = Context({"results": rows, "patient": patient.pk})
                expected = as_the_loop_printed.render(context)
                assert str(latest_rows(patient.pk, rows)) == expected, (zone, language)


def test_a_trend_link_is_quoted_as_the_url_tag_quotes_it(patient):
    """The panel works out a trend's address once and puts each code in it: a code that
    needs quoting reads as ``reverse`` writes it, and one no address can hold is refused as
    ``reverse`` refuses it."""
    from django.urls import NoReverseMatch

    from clinicflow.lab.templatetags.lab_results import _CODE_MARK, _trend_link

    template = reverse("lab:trend", args=[patient.pk, _CODE_MARK])
    for code in ("hdl", "a b", "50%", "ä&ö", "x?y#z", "~:@!$'()*+,;="):
        assert _trend_link(template, patient.pk, code) == reverse(
            "lab:trend", args=[patient.pk, code]
        ), code
    for code in ("a/b", ""):
        with pytest.raises(NoReverseMatch):
            _trend_link(template, patient.pk, code)


def test_the_trend_and_the_chart_cost_the_same_queries_for_more_results(
    doctor, sign_in, patient, lipid_profile, release
):
    _orders_over_time(doctor, patient, lipid_profile, release, [(60, HIGH_LIPIDS)])
    client = sign_in(doctor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        """The lab's queries of the page (the session's and the bell's come and go with
        their caches)."""
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len([q for q in queries.captured_queries if '"lab_' in q["sql"]])

    trend_url = reverse("lab:trend", args=[patient.pk, "hdl"])
    chart_url = reverse("patients:chart", args=[patient.pk])
    few = (count(trend_url), count(chart_url))
    # The trend: the parameter, its values, the banner; the chart: two timeline sources
    # (orders and their tests, released tests), the panel, the banner.
    assert few[0] <= 3
    assert few[1] <= 6
    _orders_over_time(
        doctor, patient, lipid_profile, release, [(40, HIGH_LIPIDS), (20, HIGH_LIPIDS)]
    )
    assert (count(trend_url), count(chart_url)) == few


def test_trends_of_another_clinics_patient_or_an_unknown_parameter_are_not_found(
    doctor, receptionist, sign_in, patient, lipid_profile, register, other_clinic_manager
):
    client = sign_in(doctor)
    theirs = register(actor_user=other_clinic_manager, given_name="Ram")
    assert client.get(reverse("lab:trend", args=[theirs.pk, "hdl"])).status_code == 404
    assert client.get(reverse("lab:trend", args=[patient.pk, "nothing"])).status_code == 404
    desk = sign_in(receptionist).get(reverse("lab:trend", args=[patient.pk, "hdl"]))
    assert desk.status_code == 403


def test_the_results_section_on_its_own_shows_what_the_chart_shows(
    doctor, receptionist, sign_in, order, release, patient, register, other_clinic_manager
):
    client = sign_in(doctor)
    url = reverse("lab:results", args=[patient.pk])
    assert b'data-testid="lab-no-results"' in client.get(url).content
    release(order, HIGH_LIPIDS)
    section = client.get(url)
    latest = {r.parameter.code: r.flag for r in section.context["panel"]["results"]}
    assert latest["hdl"] == "L"
    assert latest["total_cholesterol"] == "H"
    assert AuditEvent.objects.filter(changes__part="latest lab results").exists()
    theirs = register(actor_user=other_clinic_manager, given_name="Ram")
    assert client.get(reverse("lab:results", args=[theirs.pk])).status_code == 404
    assert sign_in(receptionist).get(url).status_code == 403


def test_the_trend_page_shows_the_patients_allergies(doctor, sign_in, patient, lipid_profile):
    from clinicflow.patients.services import record_allergy

    record_allergy(
        actor=actor_for(doctor), patient=patient, substance="Penicillin", severity="severe"
    )
    page = sign_in(doctor).get(reverse("lab:trend", args=[patient.pk, "hdl"]))
    assert page.status_code == 200
    banner = page.content.decode().split('data-testid="allergy-banner"', 1)[1][:400]
    assert "Penicillin" in banner
    assert "No known allergies" not in banner
