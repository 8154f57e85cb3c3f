"""The laboratory's catalogue: sections of the lab, the tests a clinic offers (single tests and
panels), what each test reports (its parameters) and the reference ranges a result is flagged
against.

The names follow FHIR where it has one: a ``LabTest`` is an ActivityDefinition (what may be
ordered), a ``Parameter`` an ObservationDefinition (what a result reports, its unit in UCUM and
its permitted values), a ``ReferenceRange`` an ObservationDefinition.qualifiedValue (normal and
critical limits for a sex and an age band). A stored result will keep a snapshot of its range
(``ranges.AppliedRange``), so changing the catalogue never rewrites a reported result.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, tzinfo
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class SampleType(models.TextChoices):
    BLOOD = "blood", _("Whole blood")
    SERUM = "serum", _("Serum")
    PLASMA = "plasma", _("Plasma")
    URINE = "urine", _("Urine")
    STOOL = "stool", _("Stool")
    SWAB = "swab", _("Swab")
    OTHER = "other", _("Other")


class ResultType(models.TextChoices):
    NUMERIC = "numeric", _("Number")
    CHOICE = "choice", _("One of a list")
    TEXT = "text", _("Free text")
    CALCULATED = "calculated", _("Calculated")


class RangeSex(models.TextChoices):
    ANY = "any", _("Any")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


def _value(verbose_name: str) -> models.DecimalField:
    """A measured value or a limit: enough digits for a cell count and for a TSH of 0.005."""
    return models.DecimalField(
        _(verbose_name), max_digits=14, decimal_places=4, null=True, blank=True
    )


class LabSection(Audited, ClinicOwned):
    """A bench of the lab (haematology, biochemistry, microbiology...): worklists and reports
    group by it."""

    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="lab_section_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class LabTest(Audited, ClinicOwned):
    """What a doctor may order: one test (serum creatinine) or a panel of tests (lipid
    profile, whose members are ``PanelMember`` rows). Retired with ``is_active``, never
    deleted once ordered."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    loinc = models.CharField(_("LOINC code"), max_length=10, blank=True)
    section = models.ForeignKey(
        LabSection, on_delete=models.PROTECT, related_name="tests", verbose_name=_("section")
    )
    sample_type = models.CharField(
        _("sample"), max_length=8, choices=SampleType.choices, default=SampleType.SERUM
    )
    container = models.CharField(_("container"), max_length=60, blank=True)
    turnaround_minutes = models.PositiveIntegerField(_("turnaround (minutes)"), default=60)
    #: What the patient pays; ``charging`` keeps the price list's item ``LAB-<code>`` in step.
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0"))
    is_panel = models.BooleanField(_("panel"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="lab_test_unique_code"),
            models.CheckConstraint(
                condition=Q(turnaround_minutes__gt=0), name="lab_test_turnaround_positive"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="lab_test_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PanelMember(Audited, ClinicOwned):
    """One test of a panel, in the order the report lists it."""

    panel = models.ForeignKey(LabTest, on_delete=models.CASCADE, related_name="members")
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="in_panels")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["panel", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "test"], name="lab_panel_member_once"),
            models.CheckConstraint(condition=~Q(panel=F("test")), name="lab_panel_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.panel.code} → {self.test.code}"


class Parameter(Audited, ClinicOwned):
    """One thing a test reports (haemoglobin of a CBC, LDL of a lipid profile).

    ``unit`` is UCUM (``mg/dL``, ``10*3/uL``) for machines and FHIR; ``unit_label`` is what the
    report prints. ``absolute_low``/``absolute_high`` bound what is physically plausible: a
    value beyond them is refused as a typing or sample error rather than flagged. A calculated
    parameter names its formula in ``calculations.FORMULAS``."""

    test = models.ForeignKey(LabTest, on_delete=models.CASCADE, related_name="parameters")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    loinc = models.CharField(_("LOINC code"), max_length=10, blank=True)
    unit = models.CharField(_("unit (UCUM)"), max_length=30, blank=True)
    unit_label = models.CharField(_("unit as printed"), max_length=30, blank=True)
    result_type = models.CharField(
        _("result type"), max_length=10, choices=ResultType.choices, default=ResultType.NUMERIC
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=1)
    #: The permitted answers of a choice result, one a line ("Negative", "Positive").
    choices = models.TextField(_("choices"), blank=True)
    formula = models.CharField(_("formula"), max_length=40, blank=True)
    absolute_low = _value("lowest plausible")
    absolute_high = _value("highest plausible")
    #: A change from the patient's previous result larger than this percentage is flagged
    #: for a second look (the delta check); empty: not checked.
    delta_percent = models.PositiveSmallIntegerField(_("delta check (%)"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["test", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["test", "code"], name="lab_parameter_unique_code"),
            models.CheckConstraint(
                condition=Q(absolute_low__isnull=True)
                | Q(absolute_high__isnull=True)
                | Q(absolute_low__lt=F("absolute_high")),
                name="lab_parameter_absolute_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(result_type=ResultType.CALCULATED) | ~Q(formula=""),
                name="lab_parameter_calculated_has_formula",
            ),
            models.CheckConstraint(
                condition=Q(decimals__lte=4), name="lab_parameter_decimals_stored"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_label or self.unit})" if self.unit else self.name

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class ReferenceRange(Audited, ClinicOwned):
    """The normal (``low``–``high``) and critical limits of a parameter for one sex and one age
    band, in days: ``age_from_days`` inclusive, ``age_to_days`` exclusive (null: no upper
    bound). ``text`` is the normal of a choice or text result ("Negative"). Which range applies
    to a patient is ``ranges.applicable_range``."""

    parameter = models.ForeignKey(Parameter, on_delete=models.CASCADE, related_name="ranges")
    sex = models.CharField(_("sex"), max_length=6, choices=RangeSex.choices, default=RangeSex.ANY)
    age_from_days = models.PositiveIntegerField(_("from age (days)"), default=0)
    age_to_days = models.PositiveIntegerField(_("to age (days)"), null=True, blank=True)
    low = _value("low")
    high = _value("high")
    critical_low = _value("critical low")
    critical_high = _value("critical high")
    text = models.CharField(_("normal"), max_length=120, blank=True)

    class Meta:
        ordering = ["parameter", "sex", "age_from_days"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_to_days__isnull=True) | Q(age_from_days__lt=F("age_to_days")),
                name="lab_range_ages_ordered",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="lab_range_low_not_above_high",
            ),
            models.CheckConstraint(
                condition=Q(critical_low__isnull=True)
                | Q(low__isnull=True)
                | Q(critical_low__lte=F("low")),
                name="lab_range_critical_low_below_low",
            ),
            models.CheckConstraint(
                condition=Q(critical_high__isnull=True)
                | Q(high__isnull=True)
                | Q(high__lte=F("critical_high")),
                name="lab_range_critical_high_above_high",
            ),
            models.CheckConstraint(
                condition=Q(critical_low__isnull=True)
                | Q(critical_high__isnull=True)
                | Q(critical_low__lt=F("critical_high")),
                name="lab_range_criticals_ordered",
            ),
        ]

    def __str__(self) -> str:
        upper = "" if self.age_to_days is None else f"{self.age_to_days}"
        return f"{self.parameter.code} {self.sex} {self.age_from_days}–{upper} d"


# ---------------------------------------------------------------- the clinic's lab settings


class LabSettings(Audited, ClinicOwned):
    """How a clinic's lab tells doctors of critical values: at verification (the default) or
    as soon as a result is entered, and after how many unacknowledged minutes the manager on
    duty is told instead."""

    alert_on_entry = models.BooleanField(_("alert critical values when entered"), default=False)
    escalate_after_minutes = models.PositiveSmallIntegerField(
        _("escalate an unacknowledged alert after (minutes)"), default=15
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="lab_settings_one_per_clinic"),
            models.CheckConstraint(
                condition=Q(escalate_after_minutes__gt=0), name="lab_settings_escalation_positive"
            ),
        ]


# ---------------------------------------------------------------- orders and samples


class LabCounter(ClinicOwned):
    """The last number given out in a series ("order", "sample") on a day: order numbers and
    accession numbers are taken under this row's lock, so two desks never share one."""

    series = models.CharField(max_length=10)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "series", "day"], name="lab_counter_one_per_day"
            )
        ]


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    STAT = "stat", _("STAT")


class OrderSource(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    DIRECT = "direct", _("Direct lab visit")


class LabOrder(Audited, ClinicOwned):
    """A requisition (FHIR: the ServiceRequests of one requisition): the tests a doctor
    ordered at a consultation, or reception registered for an outside prescription. Each
    ordered test is an ``OrderedTest``; the report (DiagnosticReport) is the order's verified
    results. ``verify_token`` is what the printed report's QR code carries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("order number"), max_length=20)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="lab_orders"
    )
    encounter = models.ForeignKey(
        "clinical.Encounter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_orders",
    )
    source = models.CharField(_("source"), max_length=12, choices=OrderSource.choices)
    #: The doctor results go to (the one who ordered, or the outside prescriber's name).
    ordering_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_orders",
    )
    referrer = models.CharField(_("referred by"), max_length=120, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    clinical_note = models.CharField(_("clinical note"), max_length=500, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    verify_token = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    #: The report's QR code is as good as a key to its verification page: never in the trail.
    audit_secrets: ClassVar[tuple[str, ...]] = ("verify_token",)

    class Meta:
        ordering = ["-ordered_at"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="lab_order_unique_number"),
            models.CheckConstraint(
                condition=~Q(source=OrderSource.CONSULTATION) | Q(encounter__isnull=False),
                name="lab_order_consultation_has_encounter",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "ordered_at"], name="lab_order_patient_idx"),
            models.Index(fields=["clinic", "ordered_at"], name="lab_order_clinic_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class TestStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    COLLECTED = "collected", _("Collected")
    RECEIVED = "received", _("Received in lab")
    RESULTED = "resulted", _("Resulted")
    VERIFIED = "verified", _("Verified")
    AMENDED = "amended", _("Amended")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Sample rejected")
    #: Done by an outside lab, whose report is attached (``OutsideReport``): no sample of
    #: ours; its values may then be transcribed (resulted) and verified as ours are.
    OUTSIDE = "outside", _("Done by an outside lab")


#: A test still waiting for the lab's work (what worklists and turnaround watch).
OPEN_STATUSES = (
    TestStatus.ORDERED,
    TestStatus.COLLECTED,
    TestStatus.RECEIVED,
    TestStatus.RESULTED,
    TestStatus.REJECTED,
)
#: A test whose results have been released to the doctor and the patient.
RELEASED_STATUSES = (TestStatus.VERIFIED, TestStatus.AMENDED)


class SampleStatus(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    RECEIVED = "received", _("Received in lab")
    REJECTED = "rejected", _("Rejected")


class RejectionReason(models.TextChoices):
    HAEMOLYSED = "haemolysed", _("Haemolysed")
    CLOTTED = "clotted", _("Clotted")
    INSUFFICIENT = "insufficient", _("Insufficient volume")
    WRONG_CONTAINER = "wrong_container", _("Wrong container")
    UNLABELLED = "unlabelled", _("Unlabelled")


class Sample(Audited, ClinicOwned):
    """A specimen (FHIR Specimen) taken for some tests of an order, one per sample type and
    container. ``collected_at`` is when it was taken, as the collector says, never when its
    label was printed (``label_printed_at``, kept apart)."""

    order = models.ForeignKey(LabOrder, on_delete=models.PROTECT, related_name="samples")
    accession = models.CharField(_("accession number"), max_length=20)
    sample_type = models.CharField(_("sample"), max_length=8, choices=SampleType.choices)
    container = models.CharField(_("container"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SampleStatus.choices, default=SampleStatus.COLLECTED
    )
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    label_printed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(
        _("why rejected"), max_length=16, choices=RejectionReason.choices, blank=True
    )
    rejection_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-collected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "accession"], name="lab_sample_unique_accession"
            ),
            models.CheckConstraint(
                condition=~Q(status=SampleStatus.RECEIVED) | Q(received_at__isnull=False),
                name="lab_sample_received_when",
            ),
            models.CheckConstraint(
                condition=~Q(status=SampleStatus.REJECTED)
                | (Q(rejected_at__isnull=False) & ~Q(rejection_reason="")),
                name="lab_sample_rejected_why",
            ),
        ]

    def __str__(self) -> str:
        return self.accession


class OutsideReport(Audited, ClinicOwned):
    """An outside lab's report of some tests of an order, kept as the patient's document
    (``patients.PatientDocument``, category lab report, checked and served as every upload).
    The tests it covers point at it (``OrderedTest.outside_report``) instead of a sample of
    ours; ``sampled_on`` is when the outside lab took the sample (the day the ranges and the
    patient's age are read at), ``reported_on`` the date on the report."""

    order = models.ForeignKey(LabOrder, on_delete=models.PROTECT, related_name="outside_reports")
    document = models.ForeignKey(
        "patients.PatientDocument", on_delete=models.PROTECT, related_name="+"
    )
    lab_name = models.CharField(_("outside lab"), max_length=120)
    reported_on = models.DateField(_("report date"))
    sampled_on = models.DateField(_("sample date"))
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["attached_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "document"], name="lab_outside_report_document_once"
            ),
            models.CheckConstraint(condition=~Q(lab_name=""), name="lab_outside_report_lab_named"),
            models.CheckConstraint(
                condition=Q(sampled_on__lte=F("reported_on")),
                name="lab_outside_report_sampled_before_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lab_name} {self.reported_on:%Y-%m-%d}"

    def sampled_at(self, zone: tzinfo) -> datetime:
        """When the sample was taken, as its results hold it: the report gives a day, not a
        time, so the day's start in the clinic's ``zone`` (never later than the day itself)."""
        return datetime.combine(self.sampled_on, time.min, tzinfo=zone)


class OrderedTest(Audited, ClinicOwned):
    """One test or panel of an order (FHIR ServiceRequest), its sample and where it stands.
    Every step keeps who and when; billing charges it as source ``lab.order``."""

    order = models.ForeignKey(LabOrder, on_delete=models.PROTECT, related_name="tests")
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, null=True, blank=True, related_name="tests"
    )
    #: Done by an outside lab instead: its report, in place of a sample of ours.
    outside_report = models.ForeignKey(
        OutsideReport, on_delete=models.PROTECT, null=True, blank=True, related_name="tests"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TestStatus.choices, default=TestStatus.ORDERED
    )
    comment = models.CharField(_("report comment"), max_length=500, blank=True)
    resulted_at = models.DateTimeField(null=True, blank=True)
    resulted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "test"], name="lab_ordered_test_once"),
            models.CheckConstraint(
                condition=~Q(
                    status__in=["collected", "received", "resulted", "verified", "amended"]
                )
                | Q(sample__isnull=False)
                | Q(outside_report__isnull=False),
                name="lab_ordered_test_sampled",
            ),
            models.CheckConstraint(
                condition=~Q(status=TestStatus.OUTSIDE) | Q(outside_report__isnull=False),
                name="lab_ordered_test_outside_has_report",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["verified", "amended"]) | Q(verified_by__isnull=False),
                name="lab_ordered_test_verified_by",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(resulted_by__isnull=True)
                | ~Q(verified_by=F("resulted_by")),
                name="lab_ordered_test_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(status=TestStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="lab_ordered_test_cancel_reason",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="lab_ordered_test_status_idx")]

    def __str__(self) -> str:
        return f"{self.order.number} {self.test.code}"


class Flag(models.TextChoices):
    NORMAL = "", _("Normal")
    LOW = "L", _("Low")
    HIGH = "H", _("High")
    CRITICAL_LOW = "LL", _("Critically low")
    CRITICAL_HIGH = "HH", _("Critically high")
    ABNORMAL = "A", _("Abnormal")


class ResultStatus(models.TextChoices):
    ENTERED = "entered", _("Entered")
    VERIFIED = "verified", _("Verified")
    #: A correction of a verified result, released by its author at once (the original
    #: stays, superseded, with the reason on the correction).
    AMENDED = "amended", _("Amended")
    SUPERSEDED = "superseded", _("Superseded by an amendment")


#: The flags of a critical value.
CRITICAL_FLAGS = frozenset({Flag.CRITICAL_LOW.value, Flag.CRITICAL_HIGH.value})


def shown_value(value: Decimal | None, text: str) -> str:
    """A result as written: its number without trailing zeros, else its text."""
    return f"{value.normalize():f}" if value is not None else text


class Result(Audited, ClinicOwned):
    """One parameter's value (FHIR Observation), with the range it was flagged against as it
    stood (``applied_range``, see ``ranges.AppliedRange``). An amendment never edits a
    verified result: it supersedes it with a new row that names it (``amends``) and why.

    ``patient``, ``parameter`` and ``collected_at`` are kept on the row so a patient's trend
    of one parameter is one index range."""

    ordered_test = models.ForeignKey(OrderedTest, on_delete=models.PROTECT, related_name="results")
    parameter = models.ForeignKey(Parameter, on_delete=models.PROTECT, related_name="+")
    #: Indexed by the trend index, which leads with the patient.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    collected_at = models.DateTimeField()
    #: The outside lab that measured it, as named on its report (the value was transcribed
    #: from it); blank: measured by our lab. Kept on the row as the range is, for the trend.
    outside_lab = models.CharField(_("outside lab"), max_length=120, blank=True)
    value = _value("value")
    text = models.CharField(_("result"), max_length=500, blank=True)
    flag = models.CharField(_("flag"), max_length=2, choices=Flag.choices, blank=True)
    applied_range = models.JSONField(_("applied range"), null=True, blank=True)
    #: The patient's previous value of this parameter, and whether the change is beyond the
    #: parameter's delta limit.
    previous_value = _value("previous value")
    delta_flagged = models.BooleanField(_("delta check"), default=False)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ResultStatus.choices, default=ResultStatus.ENTERED
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    amend_reason = models.CharField(_("why amended"), max_length=300, blank=True)

    class Meta:
        ordering = ["ordered_test", "parameter__order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ordered_test", "parameter"],
                condition=~Q(status="superseded"),
                name="lab_result_one_current",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("entered_by")),
                name="lab_result_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_by__isnull=False),
                name="lab_result_verified_by",
            ),
            models.CheckConstraint(
                condition=(Q(amends__isnull=True) & ~Q(status="amended"))
                | (
                    Q(amends__isnull=False)
                    & Q(status__in=["amended", "superseded"])
                    & ~Q(amend_reason="")
                ),
                name="lab_result_amendment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(text=""), name="lab_result_has_value"
            ),
        ]
        indexes = [
            models.Index(
                fields=["patient", "parameter", "collected_at"], name="lab_result_trend_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.parameter.code} {self.display}"

    @property
    def display(self) -> str:
        return shown_value(self.value, self.text)

    @property
    def is_critical(self) -> bool:
        return self.flag in CRITICAL_FLAGS


class CriticalAlert(Audited, ClinicOwned):
    """A critical result the ordering doctor must acknowledge. Unacknowledged after the
    clinic's minutes, it escalates to the manager on duty; who was told and who acknowledged,
    and when, stay on the row."""

    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="alert")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    escalated_at = models.DateTimeField(null=True, blank=True)
    #: Everyone told, in order: ``{"user": id, "name": ..., "at": iso time, "as": "doctor" |
    #: "escalation"}``.
    told = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: What the acknowledger did: "patient called back", "repeat sample ordered"...
    action_taken = models.CharField(_("action taken"), max_length=300, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="lab_alert_acknowledged_by",
            )
        ]
        indexes = [
            models.Index(
                fields=["clinic", "raised_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="lab_alert_open_idx",
            )
        ]
