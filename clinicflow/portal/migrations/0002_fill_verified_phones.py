"""Give existing accounts the verified mobile number they proved with a code.

Before this, a number was one account's only by the registration service's check, which two
registrations at the same instant could both pass: duplicates can exist. Each number goes to
the account that proved it first (its earliest used code, registering or signing in) and still
has it as its phone; any later account keeps the number as a contact ``phone`` but not as its
sign-in number (signing in by code already refused a number two accounts held, so no one loses
a way in that worked), and signs in by password as before.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def fill(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    OneTimeCode = apps.get_model("portal", "OneTimeCode")
    proved = (
        OneTimeCode.objects.filter(
            used_at__isnull=False, user__isnull=False, address__startswith="+"
        )
        .exclude(purpose="link")
        .order_by("used_at")
        .values_list("user_id", "address")
    )
    taken: set[str] = set(
        User.objects.exclude(verified_phone="").values_list("verified_phone", flat=True)
    )
    given: set[Any] = set()
    for user_id, phone in proved.iterator():
        if phone in taken or user_id in given:
            continue
        if User.objects.filter(pk=user_id, phone=phone, verified_phone="").update(
            verified_phone=phone
        ):
            taken.add(phone)
            given.add(user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("accounts", "0003_user_verified_phone_unique"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
