"""The portal's forms: big fields, one task each. Forms parse; services decide.

The registration form has no role, clinic-membership or staff field at all: whatever such
fields a request carries are never read (``services.complete_registration`` makes a patient
account, nothing else)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.core.models import Clinic
from clinicflow.patients.models import Sex
from clinicflow.portal.models import Relationship

BIG = "form-control form-control-lg"


def _text(label: Any, *, autocomplete: str = "", inputmode: str = "", **kwargs: Any) -> Any:
    attrs = {"class": BIG}
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if inputmode:
        attrs["inputmode"] = inputmode
    return forms.CharField(label=label, widget=forms.TextInput(attrs=attrs), **kwargs)


def _date(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date", "class": BIG})
    )


def _sex() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Sex"),
        choices=[c for c in Sex.choices if c[0] != Sex.UNKNOWN],
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )


class RegisterForm(ClinicFlowForm):
    address = _text(
        _("Mobile number or e-mail"),
        autocomplete="username",
        max_length=254,
        help_text=_("We send a 6-digit code there to check it is yours."),
    )
    given_name = _text(_("Given name"), autocomplete="given-name", max_length=100)
    family_name = _text(_("Family name"), autocomplete="family-name", max_length=100)
    birth_date = _date(_("Birth date"))
    sex = _sex()
    clinic = forms.ModelChoiceField(
        label=_("Clinic"),
        queryset=Clinic.objects.filter(is_active=True).order_by("name"),
        empty_label=_("Choose your clinic"),
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": BIG}),
        help_text=_("At least 10 characters; not a common password; not only digits."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": BIG}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned


class CodeForm(ClinicFlowForm):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "class": f"{BIG} code-input",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


class CodeSignInForm(ClinicFlowForm):
    phone = _text(
        _("Mobile number"),
        autocomplete="tel",
        inputmode="tel",
        max_length=32,
        help_text=_("The number you registered with. We send a 6-digit code to it."),
    )


def _relationship(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=Relationship.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )


class LinkForm(ClinicFlowForm):
    mrn = _text(
        _("Record number (MRN)"),
        max_length=20,
        help_text=_("On a card, bill or prescription from the clinic, e.g. KTM-000123."),
    )
    birth_date = _date(_("Birth date on the record"))
    relationship = _relationship(_("This person is"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One's own record came with the account: what is linked later is mostly family.
        self.fields["relationship"].initial = Relationship.CHILD


class DeskLinkForm(ClinicFlowForm):
    account = forms.CharField(
        label=_("Account (username, e-mail or mobile number)"), max_length=254
    )
    relationship = forms.ChoiceField(
        label=_("This patient is the account holder's"),
        choices=[
            (Relationship.SELF, _("own record")),
            (Relationship.CHILD, _("child")),
            (Relationship.PARENT, _("parent")),
            (Relationship.SPOUSE, _("spouse")),
            (Relationship.SIBLING, _("brother or sister")),
            (Relationship.OTHER, _("someone they look after")),
        ],
    )


class NewMemberForm(ClinicFlowForm):
    """A family member who has no record at the clinic yet (their own details, not the
    account holder's)."""

    given_name = _text(_("Given name"), max_length=100)
    family_name = _text(_("Family name"), max_length=100)
    birth_date = _date(_("Birth date"))
    sex = _sex()
    relationship = forms.ChoiceField(
        label=_("This person is"),
        choices=[c for c in Relationship.choices if c[0] != Relationship.SELF],
        initial=Relationship.CHILD,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    clinic = forms.ModelChoiceField(
        label=_("Clinic"),
        queryset=Clinic.objects.filter(is_active=True).order_by("name"),
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
        help_text=_("Where the new record is kept."),
    )


class ContactForm(ClinicFlowForm):
    """A new phone or e-mail for the record ``patient`` (posted: the page may be stale)."""

    patient = forms.UUIDField(widget=forms.HiddenInput)
    address = _text(
        _("New mobile number or e-mail"),
        autocomplete="tel",
        max_length=254,
        help_text=_("We send a 6-digit code there to check it is yours."),
    )


class PostalAddressForm(ClinicFlowForm):
    patient = forms.UUIDField(widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"class": BIG, "rows": 3, "autocomplete": "street-address"}),
    )


class PortalSettingsForm(ClinicFlowForm):
    adolescents_own_account = forms.BooleanField(
        label=_("Adolescents may hold their own account"),
        required=False,
        help_text=_("Off: patients under 18 are looked after by a parent or guardian only."),
    )
    adolescent_from_age = forms.IntegerField(label=_("From the age of"), min_value=12, max_value=17)
