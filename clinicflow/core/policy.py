"""The one access policy of ClinicFlow.

Every view, API route and WebSocket consumer names an *action*; this table says which roles may
take it and, per role, which objects (the *object rule*). On top of every object rule, an object
that belongs to a clinic is only ever reachable from that clinic. An action missing from the
table refuses everyone (default deny), and ``tests/test_policy_matrix.py`` walks every route to
keep the table and the code in step.

Read the table as the clinic's rule book: ``grant(Role.MANAGER, ...)`` means "managers may".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import ALL_ROLES, CLINICAL_ROLES, STAFF_ROLES, Role

# ---------------------------------------------------------------- object rules


class ObjectRule:
    """Which objects a role may act on, as a filter (for lists) and a check (for one object)."""

    def q(self, actor: Actor) -> Q:
        raise NotImplementedError

    def q_for(self, actor: Actor, model: type[Model]) -> Q:
        return self.q(actor)

    def check(self, actor: Actor, obj: Model) -> bool:
        manager = type(obj)._base_manager
        return manager.filter(Q(pk=obj.pk) & self.q_for(actor, type(obj))).exists()


class AnyObject(ObjectRule):
    """Any object of the clinic."""

    def q(self, actor: Actor) -> Q:
        return Q()

    def check(self, actor: Actor, obj: Model) -> bool:
        return True


@dataclass(frozen=True)
class OwnedBy(ObjectRule):
    """Objects that lead to the acting user (a doctor's own schedule, a patient's own records).
    ``paths`` are tried in order; the first that fits the model is used (``user`` on a
    doctor's profile, ``practitioner__user`` on their appointments and hours)."""

    paths: tuple[str, ...]

    def __init__(self, *paths: str):
        object.__setattr__(self, "paths", paths)

    def path_for(self, model: type[Model]) -> str:
        names = {f.name for f in model._meta.get_fields()}
        for path in self.paths:
            if path.split("__", 1)[0] in names:
                return path
        raise LookupError(f"No owner path of {self.paths} fits {model.__name__}")

    def q_for(self, actor: Actor, model: type[Model]) -> Q:
        return Q(**{self.path_for(model): actor.user})

    def q(self, actor: Actor) -> Q:
        raise TypeError("OwnedBy needs the model: use q_for(actor, model)")

    def check(self, actor: Actor, obj: Model) -> bool:
        path = self.path_for(type(obj))
        if "__" not in path:
            return getattr(obj, f"{path}_id", None) == getattr(actor.user, "pk", object())
        return type(obj)._base_manager.filter(Q(pk=obj.pk) & self.q_for(actor, type(obj))).exists()


@dataclass(frozen=True)
class Unassigned(ObjectRule):
    """Objects nobody has been given yet (a walk-in no doctor has been assigned)."""

    field: str

    def q_for(self, actor: Actor, model: type[Model]) -> Q:
        names = {f.name for f in model._meta.get_fields()}
        if self.field not in names:
            return Q(pk__in=[])
        return Q(**{f"{self.field}__isnull": True})

    def q(self, actor: Actor) -> Q:
        raise TypeError("Unassigned needs the model: use q_for(actor, model)")

    def check(self, actor: Actor, obj: Model) -> bool:
        names = {f.name for f in type(obj)._meta.get_fields()}
        return self.field in names and getattr(obj, f"{self.field}_id", None) is None


@dataclass(frozen=True)
class AnyOf(ObjectRule):
    """Objects that any of the rules lets through."""

    rules: tuple[ObjectRule, ...]

    def __init__(self, *rules: ObjectRule):
        object.__setattr__(self, "rules", rules)

    def q_for(self, actor: Actor, model: type[Model]) -> Q:
        combined = Q(pk__in=[])
        for rule in self.rules:
            combined |= rule.q_for(actor, model)
        return combined

    def q(self, actor: Actor) -> Q:
        raise TypeError("AnyOf needs the model: use q_for(actor, model)")

    def check(self, actor: Actor, obj: Model) -> bool:
        return any(rule.check(actor, obj) for rule in self.rules)


class ClinicOnlyStaff(ObjectRule):
    """People a manager may manage: those who work *only* in the manager's clinic and hold no
    manager or admin role anywhere. Password, e-mail and second factor belong to the whole
    account, so someone who also works (or is a patient) elsewhere, or who manages, is the
    platform admin's to manage — otherwise one clinic's manager could take over an account
    that reaches into another clinic."""

    def protected(self, actor: Actor) -> QuerySet[Any]:
        from clinicflow.accounts.models import Membership

        return (
            Membership.objects.filter(is_active=True)
            .filter(Q(role__in=[Role.MANAGER, Role.ADMIN]) | ~Q(clinic=actor.clinic))
            .values("user")
        )

    def q(self, actor: Actor) -> Q:
        return ~Q(pk__in=self.protected(actor))

    def check(self, actor: Actor, obj: Model) -> bool:
        return not self.protected(actor).filter(user=obj.pk).exists()


class ManagedByAccount(ObjectRule):
    """Records a portal account looks after (its own and its family's), and rows about them:
    exactly ``portal.access.patients_of``, the one answer to "which patients may this account
    see"."""

    def q_for(self, actor: Actor, model: type[Model]) -> Q:
        from clinicflow.portal.access import patients_of

        managed = patients_of(actor.user, actor.clinic).values("pk")
        if model._meta.label_lower == PATIENT:
            return Q(pk__in=managed)
        if "patient" in {f.name for f in model._meta.get_fields()}:
            return Q(patient__in=managed)
        return Q(pk__in=[])

    def q(self, actor: Actor) -> Q:
        raise TypeError("ManagedByAccount needs the model: use q_for(actor, model)")


ANY = AnyObject()

# ---------------------------------------------------------------- rules


class Audience(enum.Enum):
    PUBLIC = "public"  # anyone, signed in or not (login page, health check)
    SIGNED_IN = "signed_in"  # any signed-in person, whatever their roles (logout, own sessions)
    ROLES = "roles"  # only the roles granted


@dataclass(frozen=True)
class Rule:
    audience: Audience
    description: str
    grants: Mapping[Role, ObjectRule] = field(default_factory=dict)
    #: Reachable while a signed-in person still has a required step to finish (change a
    #: temporary password, enrol a second factor): the pages of those steps and logout.
    before_account_setup: bool = False
    #: Role actions act in the actor's clinic; without one (a platform admin before the first
    #: clinic exists) they are refused, except those that say otherwise.
    needs_clinic: bool = True
    #: What the action hands out, per role and kind of record (``app_label.model``): the names
    #: of the fields a role receives, the least its task needs. A kind not named here is its
    #: serializer's to shape (``tests/test_policy_matrix.py`` still pins what each role gets).
    fields: Mapping[Role, Mapping[str, frozenset[str]]] = field(default_factory=dict)


def public(description: str) -> Rule:
    return Rule(Audience.PUBLIC, description, before_account_setup=True)


def signed_in(description: str, *, before_account_setup: bool = False) -> Rule:
    return Rule(Audience.SIGNED_IN, description, before_account_setup=before_account_setup)


def grant(
    roles: frozenset[Role] | set[Role],
    description: str,
    *,
    only: Mapping[Role, ObjectRule] | None = None,
    needs_clinic: bool = True,
    fields: Mapping[str, frozenset[str]] | None = None,
    fields_only: Mapping[Role, Mapping[str, frozenset[str]]] | None = None,
) -> Rule:
    """The roles may take the action on any object of their clinic, except where ``only``
    narrows a role to some objects. ``fields``: what every role receives of each kind of
    record (``{"patients.patient": PATIENT_IDENTITY}``); ``fields_only`` narrows some roles."""
    narrowed = dict(only or {})
    shown = dict(fields_only or {})
    if fields is not None:
        shown = {role: shown.get(role, fields) for role in roles}
    return Rule(
        Audience.ROLES,
        description,
        grants={role: narrowed.get(role, ANY) for role in roles},
        needs_clinic=needs_clinic,
        fields=shown,
    )


MANAGEMENT = frozenset({Role.MANAGER, Role.ADMIN})
WORKFORCE = STAFF_ROLES | {Role.ADMIN}
#: Who registers patients and opens their charts: the front desk, the clinicians, management.
FRONT_AND_CLINIC = CLINICAL_ROLES | {Role.RECEPTIONIST} | MANAGEMENT

#: A doctor's own patients in the queue (or their own profile), and those nobody has yet.
OWN_OR_UNASSIGNED = AnyOf(OwnedBy("practitioner__user", "user"), Unassigned("practitioner"))

# ---------------------------------------------------------------- what a role receives

PATIENT = "patients.patient"
#: Finding a patient: enough to tell namesakes apart and to match a caller (name, MRN, age,
#: sex, phone), nothing of the chart. Every staff role may find a patient; few may read one.
PATIENT_IDENTITY = frozenset(
    {"id", "mrn", "given_name", "family_name", "sex", "age_years", "phone", "is_active"}
)
#: Reading the record: identity with birth date, contact, emergency contact, and the clinical
#: details kept on the record itself (measurements, medicines, notes, allergy statement).
PATIENT_RECORD = PATIENT_IDENTITY | {
    "birth_date",
    "birth_date_estimated",
    "email",
    "address",
    "blood_group",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "height_cm",
    "weight_kg",
    "current_medications",
    "notes",
    "allergy_statement",
    "created_at",
}

#: What the portal shows of a record to the account looking after it: the record without
#: the staff's own working notes (a parent managing a teenager's record reads no more).
PORTAL_RECORD = PATIENT_RECORD - {"notes"}

#: What the portal hands the account of each kind of row about a record it looks after (its
#: API; the pages show the same): the least a patient needs, never a staff member's working
#: notes or reasons, who recorded a row, a row's internal keys or the audit's internals.
PORTAL_ROWS: dict[str, frozenset[str]] = {
    "scheduling.appointment": frozenset(
        {"id", "practitioner", "practitioner_name", "starts_at", "ends_at", "kind", "reason",
         "status", "may_change"}
    ),
    "clinical.prescription": frozenset({"id", "issued_at", "status", "prescriber_name", "items"}),
    "clinical.prescriptionitem": frozenset(
        {"id", "medicine_name", "strength", "form", "dose", "dose_unit", "route", "frequency",
         "times_of_day", "duration_days", "quantity", "instructions", "status"}
    ),
    "lab.laborder": frozenset({"id", "number", "ordered_at", "tests"}),
    "lab.orderedtest": frozenset({"id", "code", "name", "status", "verified_at", "results"}),
    "lab.result": frozenset(
        {"id", "code", "name", "value", "text", "unit", "flag", "reference", "collected_at",
         "status"}
    ),
    "patients.allergy": frozenset({"id", "substance", "reaction", "severity", "recorded_at"}),
    "patients.condition": frozenset(
        {"id", "description", "icd10_code", "onset", "status", "recorded_at"}
    ),
    "patients.patientdocument": frozenset(
        {"id", "title", "category", "document_date", "content_type", "size", "uploaded_at"}
    ),
    "billing.invoice": frozenset(
        {"id", "number", "kind", "issued_at", "credit_of", "total", "payer_share", "paid",
         "credited", "patient_due", "lines", "payments"}
    ),
    "billing.invoiceline": frozenset(
        {"id", "description", "quantity", "unit_price", "discount", "tax", "total"}
    ),
    "billing.payment": frozenset({"id", "number", "purpose", "amount", "received_at", "invoice"}),
    "scheduling.visitreview": frozenset(
        {"id", "appointment", "practitioner_name", "doctor_rating", "clinic_rating", "comment",
         "created_at"}
    ),
}  # fmt: skip


def portal_rows(*kinds: str) -> dict[str, frozenset[str]]:
    """The portal's field sets of these kinds of row (for a grant's ``fields``)."""
    return {kind: PORTAL_ROWS[kind] for kind in kinds}


#: Ordering and following an order (the front desk's direct lab visits): which tests were
#: ordered for whom and where each stands, never a result, a sample or the clinical note.
LAB_ORDER = "lab.laborder"
LAB_ORDERED_TEST = "lab.orderedtest"
LAB_RESULT = "lab.result"
LAB_ORDER_STATUS = frozenset(
    {
        "id", "number", "patient", "patient_name", "patient_mrn", "source", "urgency",
        "ordering_doctor", "ordering_doctor_name", "referrer", "ordered_at", "tests",
    }
)  # fmt: skip
LAB_TEST_STATUS = frozenset(
    {"id", "test", "code", "name", "status", "cancelled_at", "cancel_reason"}
)
#: A released result as a clinician reads it: the value, its flag against the range printed,
#: the previous value and the delta check, who verified it and any amendment's reason.
LAB_RESULT_CLINICAL = frozenset(
    {
        "id", "ordered_test", "parameter", "code", "name", "unit", "value", "text", "flag",
        "reference", "previous_value", "delta_flagged", "comment", "status", "collected_at",
        "verified_by", "verified_at", "amends", "amend_reason",
    }
)  # fmt: skip
#: The bench's view adds who typed each value, when, and the range snapshot as stored.
LAB_RESULT_BENCH = LAB_RESULT_CLINICAL | {"entered_by", "entered_at", "applied_range"}

# ---------------------------------------------------------------- the table

POLICY: dict[str, Rule] = {
    # The public face of the site and the way in.
    "site.home": public("The public home page."),
    "site.health": public("Liveness of the database, cache and beat, for monitors."),
    "auth.login": public("Sign in with a password and, when enrolled, a second factor."),
    "auth.password_reset": public("Ask for and use a password-reset e-mail."),
    "auth.logout": signed_in("Sign out.", before_account_setup=True),
    "auth.password_change": signed_in("Change one's own password.", before_account_setup=True),
    "auth.two_factor": signed_in(
        "Enrol, confirm or remove one's own second factor.", before_account_setup=True
    ),
    # One's own account.
    "account.profile": signed_in("See and edit one's own name and contact details."),
    "account.sessions": signed_in("See one's own active sessions and end any of them."),
    "clinic.switch": signed_in("Switch between the clinics one works in."),
    "dashboard.view": signed_in("The home dashboard of one's roles."),
    "notifications.receive": signed_in("Receive one's own live notifications."),
    "notifications.manage": grant(
        MANAGEMENT, "Set when reminders go, the quiet hours and the clinic's message texts."
    ),
    "notifications.inbound": public(
        "An SMS gateway hands over the SMS patients sent (the address carries the shared "
        "secret; replies confirm or cancel an appointment, STOP opts out)."
    ),
    "notifications.email_reports": public(
        "An e-mail provider reports what became of a message (delivered, bounced); "
        "django-anymail checks the webhook's shared secret."
    ),
    "notifications.patient_preferences": grant(
        {Role.RECEPTIONIST} | MANAGEMENT,
        "Record at the desk how a patient wants to hear from the clinic (language, channels, "
        "quiet hours) and their SMS opt-out or opt-in.",
    ),
    "notifications.log": grant(
        MANAGEMENT,
        "Read the log of e-mails and SMS sent to patients and staff, and send a failed one again.",
    ),
    "api.me": signed_in("Read one's own identity, clinic and roles over the API."),
    "api.docs": grant(WORKFORCE, "Read the API schema and its documentation pages."),
    # Running a clinic.
    "clinic.settings": grant(MANAGEMENT, "Edit the clinic's details and security settings."),
    "staff.view": grant(MANAGEMENT, "List and read the clinic's staff."),
    "staff.manage": grant(
        MANAGEMENT,
        "Create, edit, activate and deactivate staff; reset passwords, lockouts and 2FA.",
        only={Role.MANAGER: ClinicOnlyStaff()},
    ),
    "staff.manage_managers": grant({Role.ADMIN}, "Give or take the manager role; manage managers."),
    "audit.view": grant(MANAGEMENT, "Read the clinic's audit trail."),
    "audit.export": grant(MANAGEMENT, "Export the clinic's audit trail to CSV."),
    # Patients.
    "patients.search": grant(
        WORKFORCE,
        "Find patients by name, phone, e-mail or MRN: who they are, not their chart.",
        fields={PATIENT: PATIENT_IDENTITY},
    ),
    "patients.register": grant(FRONT_AND_CLINIC, "Register a patient."),
    "patients.edit": grant(FRONT_AND_CLINIC, "Edit a patient's details."),
    "patients.chart": grant(
        FRONT_AND_CLINIC,
        "Open a patient's chart: details, allergies, problems, timeline.",
        fields={PATIENT: PATIENT_RECORD},
    ),
    "patients.clinical_edit": grant(
        CLINICAL_ROLES, "Record allergies and conditions; resolve or correct them."
    ),
    "patients.documents.view": grant(
        FRONT_AND_CLINIC, "Open a patient's documents (each opening is audited)."
    ),
    "patients.documents.upload": grant(
        FRONT_AND_CLINIC, "Upload a document for a patient; mark one filed in error."
    ),
    "patients.deactivate": grant(MANAGEMENT, "Deactivate or reactivate a patient record."),
    "patients.merge": grant(MANAGEMENT, "Merge a duplicate record into the surviving one."),
    "patients.export": grant(MANAGEMENT, "Export the patient list to CSV."),
    # Scheduling.
    "scheduling.directory": public("The clinic's doctors by specialization (public page)."),
    "scheduling.feed": public(
        "A doctor's calendar feed, reached only with its secret, revocable token."
    ),
    "scheduling.photo": public("A doctor's photo, for the public directory: active doctors only."),
    "scheduling.view": grant(
        FRONT_AND_CLINIC,
        "See appointments and schedules, and each doctor's day (doctors: their own).",
        only={Role.DOCTOR: OwnedBy("practitioner__user", "user")},
    ),
    "appointments.book": grant(
        {Role.RECEPTIONIST, Role.DOCTOR} | MANAGEMENT, "Book an appointment for a patient."
    ),
    "appointments.manage": grant(
        {Role.RECEPTIONIST, Role.DOCTOR, Role.NURSE} | MANAGEMENT,
        "Confirm, check in, move, cancel or mark an appointment, attach the patient's "
        "documents to it (doctors: their own).",
        only={Role.DOCTOR: OwnedBy("practitioner__user")},
    ),
    "scheduling.availability": grant(
        {Role.DOCTOR} | MANAGEMENT,
        "Set a doctor's working hours and leave (doctors: their own).",
        only={Role.DOCTOR: OwnedBy("user", "practitioner__user")},
    ),
    "scheduling.manage": grant(
        MANAGEMENT, "Doctor profiles and their photos, specializations and clinic-wide holidays."
    ),
    # The front desk: the day's queue, vitals and the waiting-room board.
    "frontdesk.board": public(
        "The waiting-room token board, reached only with its secret, revocable link."
    ),
    "frontdesk.queue": grant(
        FRONT_AND_CLINIC,
        "See today's queue and follow it live (doctors: their own and unassigned patients).",
        only={Role.DOCTOR: OWN_OR_UNASSIGNED},
    ),
    "frontdesk.check_in": grant(
        {Role.RECEPTIONIST, Role.NURSE} | MANAGEMENT,
        "Check in today's appointments and add walk-ins.",
    ),
    "frontdesk.register_walk_in": grant(
        {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR} | MANAGEMENT,
        "Register an unregistered walk-in from their visit, or link the visit to their record, "
        "so that vitals and the consultation can follow (doctors: their own and unassigned).",
        only={Role.DOCTOR: OWN_OR_UNASSIGNED},
    ),
    "frontdesk.manage": grant(
        {Role.RECEPTIONIST, Role.NURSE} | MANAGEMENT,
        "Move a patient along the queue, change priority, give them to a doctor, cancel.",
    ),
    "frontdesk.see_patients": grant(
        {Role.DOCTOR} | MANAGEMENT,
        "Call the next patient in, and finish the visit (doctors: their own and unassigned).",
        only={Role.DOCTOR: OWN_OR_UNASSIGNED},
    ),
    "frontdesk.vitals": grant(
        {Role.NURSE, Role.DOCTOR} | MANAGEMENT,
        "Record vitals for a patient in the queue (doctors: their own and unassigned).",
        only={Role.DOCTOR: OWN_OR_UNASSIGNED},
    ),
    "frontdesk.export": grant(
        {Role.RECEPTIONIST} | MANAGEMENT, "Export the day's queue to CSV or Excel."
    ),
    "frontdesk.waits": grant(
        {Role.RECEPTIONIST} | MANAGEMENT, "Wait-time figures per doctor, today and by day."
    ),
    "frontdesk.setup": grant(
        MANAGEMENT, "Doctors' rooms and token prefixes; the board screens' private links."
    ),
    # The consultation.
    "clinical.view": grant(
        {Role.DOCTOR, Role.NURSE},
        "Read consultation notes and diagnoses (the front desk sees only that a visit happened).",
    ),
    "clinical.write": grant(
        {Role.DOCTOR},
        "Write, sign and amend one's own consultations; diagnoses; note templates.",
        only={
            Role.DOCTOR: OwnedBy(
                "practitioner__user",
                "encounter__practitioner__user",
                "prescription__encounter__practitioner__user",
                "item__prescription__encounter__practitioner__user",
                "owner",
            )
        },
    ),
    "prescriptions.view": grant(
        {Role.DOCTOR, Role.NURSE, Role.PHARMACIST},
        "Open, print and verify an issued prescription (the page its QR code opens).",
    ),
    # The pharmacy.
    "pharmacy.queue": grant(
        {Role.PHARMACIST} | MANAGEMENT, "See the prescriptions waiting to be dispensed."
    ),
    "pharmacy.catalogue.view": grant(
        {Role.PHARMACIST, Role.DOCTOR, Role.NURSE} | MANAGEMENT,
        "Look up the clinic's medicines (prescribers pick from them); export the catalogue.",
    ),
    "pharmacy.catalogue.manage": grant(
        {Role.PHARMACIST} | MANAGEMENT, "Import and edit the clinic's medicines."
    ),
    "pharmacy.stock.view": grant(
        {Role.PHARMACIST} | MANAGEMENT,
        "See stock by batch, the stock ledger, goods receipts and the stock alerts.",
    ),
    "pharmacy.stock.manage": grant(
        {Role.PHARMACIST} | MANAGEMENT,
        "Receive goods, count and adjust stock with a reason, write off expired batches.",
    ),
    "pharmacy.dispense": grant(
        {Role.PHARMACIST},
        "Review a prescription, dispense it from stock, print labels, take returns, cancel.",
    ),
    "pharmacy.history": grant(
        {Role.PHARMACIST} | MANAGEMENT, "Search and export what was dispensed, to whom."
    ),
    "pharmacy.reports": grant(
        {Role.PHARMACIST} | MANAGEMENT,
        "Stock valuation, movements by period and dispensed quantities, with exports.",
    ),
    # The laboratory.
    "lab.catalogue.view": grant(
        {Role.DOCTOR, Role.NURSE, Role.LAB_TECHNICIAN, Role.RECEPTIONIST} | MANAGEMENT,
        "Look up the lab's tests, panels, parameters, ranges and prices; export the catalogue.",
    ),
    "lab.catalogue.manage": grant(
        {Role.LAB_TECHNICIAN} | MANAGEMENT,
        "Edit and import the lab's catalogue and its reference ranges; the lab's settings.",
    ),
    "lab.order": grant(
        {Role.DOCTOR, Role.RECEPTIONIST} | MANAGEMENT,
        "Order tests: doctors from their consultations, reception for a direct lab visit with "
        "an outside prescription; cancel an order not yet collected.",
        fields={LAB_ORDER: LAB_ORDER_STATUS, LAB_ORDERED_TEST: LAB_TEST_STATUS},
    ),
    "lab.view": grant(
        {Role.DOCTOR, Role.NURSE, Role.LAB_TECHNICIAN} | MANAGEMENT,
        "See lab orders, samples, results and reports, with flags and trends (each opening "
        "of a patient's results is audited).",
        fields={LAB_RESULT: LAB_RESULT_CLINICAL},
        fields_only={Role.LAB_TECHNICIAN: {LAB_RESULT: LAB_RESULT_BENCH}},
    ),
    "lab.collect": grant(
        {Role.NURSE, Role.LAB_TECHNICIAN},
        "Collect samples at the time they were taken and print their barcode labels.",
    ),
    "lab.work": grant(
        {Role.LAB_TECHNICIAN},
        "Receive or reject samples, enter results, verify others' results, amend a verified "
        "result with a reason.",
    ),
    "lab.outside.attach": grant(
        {Role.DOCTOR, Role.LAB_TECHNICIAN},
        "Attach an outside lab's report (kept as the patient's document) to an order, for the "
        "tests it covers (doctors: the orders they placed); the lab transcribes its values.",
        only={Role.DOCTOR: OwnedBy("ordering_doctor", "order__ordering_doctor")},
    ),
    "lab.alerts.acknowledge": grant(
        {Role.DOCTOR} | MANAGEMENT,
        "Acknowledge a critical value and say what was done (doctors: their own patients' "
        "alerts; managers: escalated ones).",
    ),
    "lab.dashboard": grant(
        {Role.LAB_TECHNICIAN} | MANAGEMENT,
        "The lab's day: samples to collect, to result and to verify, turnaround breaches and "
        "unacknowledged critical values.",
    ),
    "lab.verify_report": public(
        "Confirm a printed lab report from its QR code: the order number, the tests and when "
        "they were verified, never the patient (the address carries the report's token)."
    ),
    # Billing.
    "billing.desk": grant(
        {Role.CASHIER, Role.PHARMACIST} | MANAGEMENT,
        "The cash desk: patients waiting to pay, invoices, payments and receipts (a "
        "pharmacist: the pharmacy's own sales, where the clinic lets the pharmacy take payment).",
    ),
    "billing.balances": grant(
        {Role.CASHIER, Role.RECEPTIONIST, Role.PHARMACIST} | MANAGEMENT,
        "See a patient's charges, invoices and outstanding balance.",
    ),
    "billing.charges.add": grant(
        {Role.CASHIER, Role.RECEPTIONIST} | MANAGEMENT,
        "Add a service from the price list to a patient's bill.",
    ),
    "billing.charges.void": grant(
        {Role.CASHIER} | MANAGEMENT, "Void an unbilled charge, with the reason."
    ),
    "billing.invoices.issue": grant(
        {Role.CASHIER, Role.PHARMACIST} | MANAGEMENT,
        "Draft, discount and issue invoices (a pharmacist: the pharmacy's own sales, where "
        "the clinic lets the pharmacy take payment).",
    ),
    "billing.invoices.credit": grant(
        {Role.CASHIER} | MANAGEMENT, "Correct an issued invoice with a credit note."
    ),
    "billing.discounts.approve": grant(
        MANAGEMENT, "Approve a discount above the clinic's threshold."
    ),
    "billing.payments.take": grant(
        {Role.CASHIER, Role.PHARMACIST} | MANAGEMENT,
        "Take payments and deposits, use a patient's credit on a bill.",
    ),
    "billing.refunds.request": grant(
        {Role.CASHIER} | MANAGEMENT, "Refund a patient's credit (above a threshold: approved)."
    ),
    "billing.refunds.approve": grant(MANAGEMENT, "Approve or reject a refund above the threshold."),
    "billing.shifts": grant(
        {Role.CASHIER, Role.PHARMACIST} | MANAGEMENT,
        "Open and close one's own shift at the counter, counting the cash (managers see "
        "everyone's).",
        only={Role.CASHIER: OwnedBy("cashier"), Role.PHARMACIST: OwnedBy("cashier")},
    ),
    "billing.shifts.sign_off": grant(MANAGEMENT, "Sign off cashiers' closed shifts."),
    "billing.claims": grant(
        {Role.CASHIER} | MANAGEMENT,
        "Submit payers' claims, record a payer's payment or rejection.",
    ),
    "billing.prices.view": grant(
        {Role.CASHIER, Role.RECEPTIONIST, Role.PHARMACIST, Role.DOCTOR} | MANAGEMENT,
        "See the price list.",
    ),
    "billing.prices.manage": grant(MANAGEMENT, "Set prices, payers and billing settings."),
    "billing.reports": grant(
        MANAGEMENT, "Takings, outstanding balances, refunds, discounts, tax and claims."
    ),
    "billing.webhook": public("A payment gateway reports a QR payment (signed callback)."),
    "billing.verify": public(
        "Confirm a printed invoice, credit note or receipt from its QR code: number, date and "
        "amount, never the patient (the address carries the document's unguessable token)."
    ),
    # The patient portal: a patient account acts only for the records it looks after.
    "portal.register": public(
        "Create a patient account with a phone or e-mail proved by a one-time code; a new "
        "record with a fresh MRN at the chosen clinic."
    ),
    "portal.code_sign_in": public(
        "Sign in to a patient account with a one-time code sent to its verified phone."
    ),
    "portal.family": grant(
        {Role.PATIENT},
        "See the family members one's account looks after, choose whom the portal shows, "
        "read their details, stop looking after one.",
        only={Role.PATIENT: ManagedByAccount()},
        fields={PATIENT: PORTAL_RECORD},
    ),
    "portal.link": grant(
        {Role.PATIENT},
        "Link one's account to an existing record (MRN, birth date and a code sent to the "
        "phone or e-mail on the record).",
    ),
    "portal.add_member": grant(
        {Role.PATIENT},
        "Make a record, at a clinic of one's choice, for a family member who has none there "
        "yet, looked after by one's account (a few a day).",
    ),
    "portal.book": grant(
        {Role.PATIENT},
        "Book an appointment online for a record one's account looks after, within the "
        "clinic's online-booking window.",
        only={Role.PATIENT: ManagedByAccount()},
        fields=portal_rows("scheduling.appointment"),
    ),
    "portal.appointments": grant(
        {Role.PATIENT},
        "See the upcoming appointments of a record one's account looks after; cancel or move "
        "one online until the clinic's limit before its time.",
        only={Role.PATIENT: ManagedByAccount()},
        fields=portal_rows("scheduling.appointment"),
    ),
    "portal.queue": grant(
        {Role.PATIENT},
        "See where a record one's account looks after stands in today's queue: the token, "
        "how many are before it and the wait, kept live as the queue moves.",
        only={Role.PATIENT: ManagedByAccount()},
    ),
    "portal.preferences": grant(
        {Role.PATIENT},
        "Choose how a record one's account looks after hears from the clinic: which messages "
        "through what, language, quiet hours; stop SMS or have them again (recorded as "
        "consent given by the person).",
        only={Role.PATIENT: ManagedByAccount()},
    ),
    "portal.contact": grant(
        {Role.PATIENT},
        "Change the phone or e-mail of a record one's account looks after (the new one proved "
        "by a code sent to it; the old one told) and its postal address; on one's own record "
        "the account's sign-in phone or e-mail changes with it.",
        only={Role.PATIENT: ManagedByAccount()},
    ),
    "portal.medicines": grant(
        {Role.PATIENT},
        "See the medicine schedule of a record one's account looks after, tick each dose "
        "taken or skipped, see the adherence.",
        only={Role.PATIENT: ManagedByAccount()},
    ),
    "portal.reviews": grant(
        {Role.PATIENT},
        "Rate the doctor and the clinic after a completed visit of a record one's account "
        "looks after (one review per visit).",
        only={Role.PATIENT: ManagedByAccount()},
        fields=portal_rows("scheduling.appointment", "scheduling.visitreview"),
    ),
    "portal.booking_settings": grant(
        MANAGEMENT,
        "Set how patients book online: how far ahead, how late, whether the desk confirms, "
        "until when they may cancel or move.",
    ),
    "portal.settings": grant(
        MANAGEMENT,
        "Set how the portal treats the clinic's patients: whether adolescents may hold their "
        "own account, and from which age (12 to 17).",
    ),
    "reviews.moderate": grant(
        MANAGEMENT, "Read patients' reviews of visits; hide one with the reason, or show it again."
    ),
    "portal.records": grant(
        {Role.PATIENT},
        "Read the chosen family member's record: visits and diagnoses, prescriptions, verified "
        "lab reports and trends, vitals, documents, allergies, problems, appointments, who "
        "viewed the chart, and the summary PDF (each read audited).",
        only={Role.PATIENT: ManagedByAccount()},
        fields={
            PATIENT: PORTAL_RECORD,
            **portal_rows(
                "clinical.prescription",
                "clinical.prescriptionitem",
                "lab.laborder",
                "lab.orderedtest",
                "lab.result",
                "patients.allergy",
                "patients.condition",
                "patients.patientdocument",
            ),
        },
    ),
    "portal.documents.upload": grant(
        {Role.PATIENT},
        "Add a document (PDF, PNG or JPEG) to the chosen family member's record.",
        only={Role.PATIENT: ManagedByAccount()},
    ),
    "portal.bills": grant(
        {Role.PATIENT},
        "See the chosen family member's invoices, payments and balance, an invoice's payment "
        "QR, and download invoices and receipts (each read audited).",
        only={Role.PATIENT: ManagedByAccount()},
        fields=portal_rows("billing.invoice", "billing.invoiceline", "billing.payment"),
    ),
    "portal.desk_link": grant(
        {Role.RECEPTIONIST} | MANAGEMENT,
        "At the desk, after checking ID: link a portal account to a patient's record, or "
        "remove an account that looks after it.",
    ),
    # The platform.
    "platform.admin": grant(
        {Role.ADMIN}, "The platform admin site: clinics, limits, managers.", needs_clinic=False
    ),
}

#: Views mounted by a third-party URLconf carry no action attribute; their namespace names it.
NAMESPACE_ACTIONS: dict[str, str] = {"admin": "platform.admin"}


# ---------------------------------------------------------------- asking the policy


class UnknownAction(LookupError):
    pass


def rule_for(action: str) -> Rule:
    try:
        return POLICY[action]
    except KeyError:
        raise UnknownAction(action) from None


def allows(actor: Actor, action: str) -> bool:
    """May the actor take this action at all (on some object of their clinic)?"""
    try:
        rule = rule_for(action)
    except UnknownAction:
        return False
    if rule.audience is Audience.PUBLIC:
        return True
    if not actor.is_authenticated:
        return False
    if rule.audience is Audience.SIGNED_IN:
        return True
    if rule.needs_clinic and actor.clinic is None:
        return False
    return any(role in rule.grants for role in actor.roles)


def _object_rules(actor: Actor, action: str) -> list[ObjectRule]:
    rule = rule_for(action)
    return [rule.grants[role] for role in actor.roles if role in rule.grants]


def reaches_whole_clinic(actor: Actor, action: str) -> bool:
    """May the actor take this action on *every* object of their clinic (no object rule narrows
    it)? Lets a live channel already scoped to the clinic skip a per-message check."""
    if not allows(actor, action):
        return False
    if rule_for(action).audience is not Audience.ROLES:
        return True
    return any(isinstance(r, AnyObject) for r in _object_rules(actor, action))


def clinic_path(model: type[Model]) -> str | None:
    """The lookup from ``model`` to the clinic it belongs to, or None for clinic-less models."""
    declared = getattr(model, "clinic_path", None)
    if declared is not None:
        return str(declared)
    names = {f.name for f in model._meta.get_fields()}
    return "clinic" if "clinic" in names else None


def _in_actor_clinic(actor: Actor, obj: Model) -> bool:
    path = clinic_path(type(obj))
    if path is None:
        return True
    if actor.clinic is None:
        return False
    if path == "clinic":
        return getattr(obj, "clinic_id", None) == actor.clinic.pk
    if path == "pk":
        return obj.pk == actor.clinic.pk
    return type(obj)._base_manager.filter(pk=obj.pk, **{path: actor.clinic}).exists()


def allows_object(actor: Actor, action: str, obj: Model) -> bool:
    """May the actor take this action on this object? Same clinic always, then the object rule."""
    if not allows(actor, action):
        return False
    rule = rule_for(action)
    if rule.audience is not Audience.ROLES:
        return _in_actor_clinic(actor, obj)
    if not _in_actor_clinic(actor, obj):
        return False
    return any(object_rule.check(actor, obj) for object_rule in _object_rules(actor, action))


def in_clinic(queryset: QuerySet[Any], path: str, clinic: Any) -> QuerySet[Any]:
    """The rows of ``queryset`` that belong to ``clinic`` through ``path``. A path across a
    to-many relation (a user's memberships) is matched in a subquery, so a row is never
    repeated once per matching relation."""
    for_clinic = getattr(queryset, "for_clinic", None)
    if for_clinic is not None:
        return for_clinic(clinic)
    if path == "pk":
        return queryset.filter(pk=clinic.pk)
    if "__" in path:
        owners = queryset.model._base_manager.filter(**{path: clinic}).values("pk")
        return queryset.filter(pk__in=owners)
    return queryset.filter(**{path: clinic})


def restrict(actor: Actor, action: str, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The objects of ``queryset`` the actor may take this action on (an empty set if none)."""
    if not allows(actor, action):
        return queryset.none()
    path = clinic_path(queryset.model)
    if path is not None:
        if actor.clinic is None:
            return queryset.none()
        queryset = in_clinic(queryset, path, actor.clinic)
    if rule_for(action).audience is not Audience.ROLES:
        return queryset
    object_rules = _object_rules(actor, action)
    if any(isinstance(r, AnyObject) for r in object_rules):
        return queryset
    combined = Q()
    for object_rule in object_rules:
        combined |= object_rule.q_for(actor, queryset.model)
    return queryset.filter(combined).distinct()


def require(actor: Actor, action: str, obj: Model | None = None) -> Any:
    """The actor's clinic, for a service about to take ``action`` (on ``obj``); a refusal
    otherwise. Services call it first, so a path that skipped the view's check is still
    refused."""
    if actor.clinic is None or not allows(actor, action):
        raise DomainError(_("You may not do this."), code="forbidden")
    if obj is not None and not allows_object(actor, action, obj):
        raise DomainError(_("You may not do this."), code="forbidden")
    return actor.clinic


def fields_for(actor: Actor, action: str, kind: str) -> frozenset[str] | None:
    """The fields of a ``kind`` of record (``app_label.model``) the actor receives from this
    action: those of each of their roles granted it, together; None when the action declares
    none for that kind (its serializer decides)."""
    rule = rule_for(action)
    if not any(kind in per_kind for per_kind in rule.fields.values()):
        return None
    shown: frozenset[str] = frozenset()
    for role in actor.roles:
        shown |= rule.fields.get(role, {}).get(kind, frozenset())
    return shown


def actions_for_roles(roles: frozenset[Role]) -> set[str]:
    """Every role-granted action open to these roles (navigation, docs)."""
    return {
        a for a, r in POLICY.items() if r.audience is Audience.ROLES and roles & r.grants.keys()
    }


__all__ = [
    "ALL_ROLES",
    "ANY",
    "MANAGEMENT",
    "NAMESPACE_ACTIONS",
    "PATIENT_IDENTITY",
    "PATIENT_RECORD",
    "POLICY",
    "PORTAL_RECORD",
    "PORTAL_ROWS",
    "AnyOf",
    "Audience",
    "ManagedByAccount",
    "ObjectRule",
    "OwnedBy",
    "Rule",
    "Unassigned",
    "UnknownAction",
    "allows",
    "allows_object",
    "fields_for",
    "require",
    "restrict",
    "rule_for",
]
