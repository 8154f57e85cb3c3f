"""What the lab tells through the notifications app: the patient that their lab report is
ready (once each time an order's last open test is released), and the doctor — or, escalated,
the managers — of a critical value (in-app, urgent, not something one may turn off).
Registered as event kinds; emitted inside the transaction of the verification
(``results.verify``) and of the alert (``alerts``)."""

from __future__ import annotations

from typing import Any

from clinicflow.lab.models import OPEN_STATUSES, RELEASED_STATUSES, LabOrder, OrderedTest
from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

REPORT_READY = "lab.report_ready"
REPORT_AMENDED = "lab.report_amended"
CRITICAL = "lab.critical"

KINDS = (
    EventKind(
        key=REPORT_READY,
        label="Lab report ready",
        audience=Audience.PATIENT,
        channels=(Channel.SMS, Channel.EMAIL),
        placeholders=("patient", "number", "tests"),
        texts={
            "en": Text(
                subject="Your lab report {number} is ready",
                body="Dear {patient},\n\nThe results of your tests ({tests}) are ready. "
                "Please collect the report, or ask your doctor about them.\n\n{clinic}",
                sms="{clinic}: your lab report {number} is ready.",
            ),
            "ne": Text(
                subject="तपाईंको ल्याब रिपोर्ट {number} तयार छ",
                body="{patient} ज्यू,\n\nतपाईंको जाँच ({tests}) को नतिजा तयार छ। रिपोर्ट लिन "
                "आउनुहोला, वा आफ्नो डाक्टरलाई सोध्नुहोला।\n\n{clinic}",
                sms="तपाईंको ल्याब रिपोर्ट {number} तयार छ।",
            ),
        },
    ),
    EventKind(
        key=REPORT_AMENDED,
        label="Lab report corrected",
        audience=Audience.PATIENT,
        channels=(Channel.SMS, Channel.EMAIL),
        placeholders=("patient", "number", "parameter"),
        texts={
            "en": Text(
                subject="Your lab report {number} was corrected",
                body="Dear {patient},\n\nA result of your lab report {number} ({parameter}) "
                "was corrected after it was released. Please use the corrected report, and ask "
                "your doctor if you have questions.\n\n{clinic}",
                sms="{clinic}: a result of your lab report {number} was corrected. Please use "
                "the new report.",
            ),
            "ne": Text(
                subject="तपाईंको ल्याब रिपोर्ट {number} सच्याइयो",
                body="{patient} ज्यू,\n\nतपाईंको ल्याब रिपोर्ट {number} को एउटा नतिजा "
                "({parameter}) सच्याइएको छ। सच्याइएको रिपोर्ट प्रयोग गर्नुहोला, र केही सोध्नु "
                "भए आफ्नो डाक्टरलाई सोध्नुहोला।\n\n{clinic}",
                sms="ल्याब रिपोर्ट {number} को नतिजा सच्याइयो।",
            ),
        },
    ),
    EventKind(
        key=CRITICAL,
        label="Critical lab value",
        audience=Audience.STAFF,
        channels=(Channel.IN_APP,),
        placeholders=("parameter", "value", "flag", "patient", "note"),
        urgent=True,
        optional=False,
        texts={
            "en": Text(
                subject="Critical value: {parameter} {value} ({flag}) for {patient}",
                body="Acknowledge it and say what was done.{note}",
            ),
            "ne": Text(
                subject="गम्भीर नतिजा: {patient} को {parameter} {value} ({flag})",
                body="प्राप्त भएको पुष्टि गर्नुहोस् र के गरियो लेख्नुहोस्।{note}",
            ),
        },
    ),
)


def register() -> None:
    for kind in KINDS:
        events.register_kind(kind)


def report_ready(ordered_test: OrderedTest) -> events.Emitted | None:
    """After ``ordered_test`` is released: when none of its order's tests is still open, the
    patient's report is ready. Keyed by the order and how many of its tests are released, so
    each verification runs this safely, the report is told once, and a test added to the order
    later and released tells again."""
    order: LabOrder = ordered_test.order
    tests = list(
        OrderedTest.objects.for_clinic(order.clinic_id)
        .filter(order=order)
        .select_related("test")
        .order_by("pk")
    )
    released = [t for t in tests if t.status in RELEASED_STATUSES]
    if not released or any(t.status in OPEN_STATUSES for t in tests):
        return None
    patient = order.patient
    return events.emit(
        REPORT_READY,
        clinic=order.clinic,
        key=f"{order.pk}:{len(released)}",
        patient=patient,
        values={
            "patient": patient.given_name,
            "number": order.number,
            "tests": ", ".join(t.test.name for t in released),
        },
    )


def report_amended(correction: Any) -> events.Emitted:
    """A released result corrected: the patient, who may hold the first report, is told (each
    correction once)."""
    order: LabOrder = correction.ordered_test.order
    patient = order.patient
    return events.emit(
        REPORT_AMENDED,
        clinic=order.clinic,
        key=str(correction.pk),
        patient=patient,
        values={
            "patient": patient.given_name,
            "number": order.number,
            "parameter": correction.parameter.name,
        },
    )


def critical(
    *, clinic: Any, alert_key: str, people: list[Any], values: dict[str, Any], url: str
) -> events.Emitted:
    """A critical value told to ``people`` (in-app; the notice's key is the alert's)."""
    return events.emit(CRITICAL, clinic=clinic, key=alert_key, users=people, values=values, url=url)
