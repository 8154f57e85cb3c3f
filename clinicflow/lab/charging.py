"""What the lab tells billing: each test's price is the price list's item ``LAB-<code>``,
kept in step with the catalogue; each ordered test is charged as it is ordered (source
``lab.order``) and its unbilled charge voided when it is cancelled or done by an outside
lab."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models.signals import post_save
from django.urls import reverse

from clinicflow.billing import charges, prices, sources
from clinicflow.billing.models import ItemKind, PriceItem
from clinicflow.lab.models import LabTest, OrderedTest, TestStatus


def item_code(test: LabTest) -> str:
    return f"LAB-{test.code}"


def _links(ids: Any) -> dict[str, str]:
    # Every clinic: the ids come from the charges of the invoice being shown, its clinic's own.
    rows = OrderedTest.objects.all_clinics().filter(
        pk__in=[int(i) for i in ids if str(i).isdigit()]
    )
    return {
        str(pk): reverse("lab:order", args=[order])
        for pk, order in rows.values_list("pk", "order_id")
    }


ORDER = sources.SourceKind("lab.order", "Laboratory", links=_links)


def catalogued(
    sender: Any, instance: LabTest, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    prices.keep_item(
        instance.clinic,
        code=item_code(instance),
        name=instance.name,
        kind=ItemKind.LAB,
        amount=instance.price,
        on=instance.clinic.local_date(),
        department=instance.section.name,
        manual=True,
    )


def ordered(
    sender: Any, instance: OrderedTest, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    if instance.status == TestStatus.CANCELLED:
        charges.void_source(
            clinic=instance.clinic_id,
            source=ORDER.key,
            source_id=instance.pk,
            reason=f"Test cancelled: {instance.cancel_reason}",
        )
        return
    if instance.status == TestStatus.OUTSIDE and instance.outside_report is not None:
        # The patient paid the outside lab: our charge for the test goes (while unbilled).
        charges.void_source(
            clinic=instance.clinic_id,
            source=ORDER.key,
            source_id=instance.pk,
            reason=f"Done by an outside lab: {instance.outside_report.lab_name}",
        )
        return
    if not created:
        return
    test, order = instance.test, instance.order
    item = PriceItem.objects.for_clinic(instance.clinic_id).filter(code=item_code(test)).first()
    charges.capture(
        clinic=instance.clinic_id,
        patient_id=order.patient_id,
        source=ORDER.key,
        source_id=instance.pk,
        item=item,
        description=test.name,
        department=test.section.name,
        quantity=Decimal(1),
        unit_price=test.price,
        performer=order.ordering_doctor_id,
        by=order.ordered_by_id,
        new_source=True,
    )


def register() -> None:
    sources.register(ORDER)
    post_save.connect(catalogued, sender=LabTest, dispatch_uid="billing.lab_test_price")
    post_save.connect(ordered, sender=OrderedTest, dispatch_uid="billing.lab_order")
