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

from django.db import models
from django.db.models import F, Q
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
    is_panel = models.BooleanField(_("panel"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="lab_test_unique_code"),
            models.CheckConstraint(
                condition=Q(turnaround_minutes__gt=0), name="lab_test_turnaround_positive"
            ),
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
