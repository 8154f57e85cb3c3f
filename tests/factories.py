"""Factories for tests: clinics, people and their roles."""

from __future__ import annotations

import factory

from clinicflow.accounts.models import Membership, StaffLimit, User
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role

PASSWORD = "Correct-horse-42"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    code = factory.Sequence(lambda n: f"C{n:03d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.DOCTOR


def member(role: Role, clinic: Clinic | None, **user_fields: object) -> User:
    """A person holding ``role`` in ``clinic`` (the admin role in none)."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, clinic=None if role == Role.ADMIN else clinic, role=role)
    return user


def staff_limit(clinic: Clinic, role: Role, max_active: int) -> StaffLimit:
    return StaffLimit.objects.create(clinic=clinic, role=role, max_active=max_active)
