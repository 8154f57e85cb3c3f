"""The clinic's message texts: every event kind per channel and language, edited by managers
with a preview (sample values, SMS parts and cost), checked so that a text is never code,
reset to the default; one clinic's texts never another's."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.notifications import events, message_templates
from clinicflow.notifications.models import Message, MessageTemplate
from clinicflow.scheduling.messages import BOOKED, REMINDER

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:templates")
VALUES = {
    "patient": "Priya",
    "doctor": "Dr. Rai",
    "date": "3 Apr",
    "time": "9:00",
    "clinic_phone": "01-555",
}


def edit(event=REMINDER, channel="sms", language="en", what="template_edit"):
    return reverse(f"notifications:{what}", args=[event, channel, language])


@pytest.fixture
def priya(register):
    return register(phone="+9779841000001", email="priya@example.com")


def figures(html):
    """SMS parts, encoding and cost as the preview shows them."""
    found = []
    for name in ("sms-segments", "sms-encoding", "sms-cost"):
        after = html.split(f'data-testid="{name}">', 1)[1]
        found.append(after.split("<", 1)[0].split()[0] if after.split("<", 1)[0].split() else "")
    return tuple(found)


def remind(clinic, patient, key="1"):
    return events.emit(REMINDER, clinic=clinic, key=key, patient=patient, values=VALUES)


def test_the_list_shows_every_kind_channel_and_language_with_default_or_own(
    clinic, manager, sign_in
):
    MessageTemplate.objects.create(
        clinic=clinic, event=BOOKED, channel="sms", language="ne", body="भेट {date}"
    )
    page = sign_in(manager).get(LIST)
    assert page.status_code == 200
    groups = {kind.key: texts for kind, texts in page.context["groups"]}
    assert {(t.channel, t.language) for t in groups[BOOKED]} == {
        ("sms", "en"), ("sms", "ne"), ("email", "en"), ("email", "ne"),
    }  # fmt: skip
    # A staff kind told in-app only, with an English default only.
    replied = groups["appointment.patient_replied"]
    assert {(t.channel, t.language) for t in replied} == {("in_app", "en"), ("in_app", "ne")}
    assert not next(t for t in replied if t.language == "ne").has_default_in_language
    own = [t for t in groups[BOOKED] if t.is_own]
    assert [(t.channel, t.language, t.body) for t in own] == [("sms", "ne", "भेट {date}")]
    assert "भेट {date}" in page.content.decode()
    assert edit(BOOKED, "email", "ne") in page.content.decode()


def test_a_manager_writes_the_clinics_reminder_and_it_is_sent(clinic, manager, priya, sign_in):
    client = sign_in(manager)
    page = client.get(edit())
    assert page.status_code == 200
    assert "subject" not in page.context["form"].fields  # an SMS has none
    assert "Reply C to confirm" in page.content.decode()  # the default, to start from

    response = client.post(edit(), {"body": "{clinic}: see {doctor} {date} {time}. C/X"})

    assert response.status_code == 302
    row = MessageTemplate.objects.for_clinic(clinic).get()
    assert (row.event, row.channel, row.language, row.updated_by) == (
        REMINDER,
        "sms",
        "en",
        manager,
    )
    remind(clinic, priya)
    sms = Message.objects.get(channel="sms")
    assert sms.body == f"{clinic.name}: see Dr. Rai 3 Apr 9:00. C/X"
    # The e-mail still says the default.
    assert Message.objects.get(channel="email").subject == "Reminder: Dr. Rai, 3 Apr at 9:00"


def test_an_email_text_has_a_subject_and_it_is_required(clinic, manager, sign_in):
    client = sign_in(manager)
    url = edit(BOOKED, "email", "ne")
    response = client.post(url, {"subject": "  ", "body": "{patient} ज्यू"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"subject": ["An e-mail needs a subject."]}
    assert not MessageTemplate.objects.for_clinic(clinic).exists()

    assert client.post(url, {"subject": "भेट {date}", "body": "{patient} ज्यू"}).status_code == 302
    row = MessageTemplate.objects.for_clinic(clinic).get()
    assert (row.subject, row.body, row.language) == ("भेट {date}", "{patient} ज्यू", "ne")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("Hello {{ settings.SECRET_KEY }}", "Braces are only for placeholders"),
        ("{patient.__class__} is due", "Braces are only for placeholders"),
        ("{% load static %}{patient}", "Braces are only for placeholders"),
        ("Hi {secret_key}", "Unknown placeholder(s): {secret_key}. Use: {clinic}, {clinic_phone}"),
        ("Pay {", "Braces are only for placeholders"),
        ("   ", "Write the message."),
        ("x" * 801, "within 800 characters"),
    ],
)
def test_a_text_that_is_not_plain_words_and_placeholders_is_refused(
    body, words, clinic, manager, sign_in
):
    response = sign_in(manager).post(edit(), {"body": body})
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors["body"])
    assert not MessageTemplate.objects.all_clinics().exists()


def test_the_service_refuses_code_and_strangers_whatever_the_page_sent(
    clinic, manager, receptionist
):
    boss = actor_for(manager)
    with pytest.raises(DomainError) as refused:
        message_templates.save_template(
            actor=boss, event=REMINDER, channel="email", language="en",
            subject="{patient.__class__.__init__.__globals__}", body="Hi",
        )  # fmt: skip
    assert refused.value.field == "subject"
    for event, channel, language, field in [
        ("no.such", "sms", "en", "event"),
        (REMINDER, "in_app", "en", "channel"),
        (REMINDER, "sms", "fr", "language"),
    ]:
        with pytest.raises(DomainError) as refused:
            message_templates.save_template(
                actor=boss, event=event, channel=channel, language=language, subject="", body="x"
            )
        assert refused.value.field == field
    with pytest.raises(DomainError) as refused:
        message_templates.save_template(
            actor=actor_for(receptionist), event=REMINDER, channel="sms", language="en",
            subject="", body="Come",
        )  # fmt: skip
    assert refused.value.code == "forbidden"
    assert not MessageTemplate.objects.all_clinics().exists()


def test_one_clinics_text_never_reaches_another(
    clinic, other_clinic, manager, other_clinic_manager, priya, sign_in
):
    sign_in(manager).post(edit(), {"body": "Ours: {date} {time}"})
    other = sign_in(other_clinic_manager)
    page = other.get(edit())
    assert "Reply C to confirm" in page.content.decode()
    assert "Ours" not in other.get(LIST).content.decode()
    other.post(edit(), {"body": "Theirs: {date}"})
    assert other.post(edit(what="template_reset")).status_code == 302
    # Resetting theirs left ours.
    assert MessageTemplate.objects.for_clinic(clinic).get().body == "Ours: {date} {time}"
    assert not MessageTemplate.objects.for_clinic(other_clinic).exists()
    remind(clinic, priya)
    assert Message.objects.get(channel="sms").body == "Ours: 3 Apr 9:00"


def test_reset_goes_back_to_the_default(clinic, manager, priya, sign_in):
    client = sign_in(manager)
    client.post(edit(), {"body": "Ours: {date}"})
    page = client.get(edit())
    assert b'data-testid="reset"' in page.content
    response = client.post(edit(what="template_reset"), follow=True)
    assert "The default text is used again." in response.content.decode()
    assert not MessageTemplate.objects.for_clinic(clinic).exists()
    assert b'data-testid="reset"' not in client.get(edit()).content
    remind(clinic, priya)
    assert Message.objects.get(channel="sms").body.startswith("Reminder: Dr. Rai")


def test_the_preview_fills_sample_values_and_counts_the_sms(clinic, manager, sign_in, settings):
    settings.SMS_PRICE_PER_SEGMENT = "0.60"
    client = sign_in(manager)
    fragment = client.post(
        edit(what="template_preview"),
        {"body": "Hi {patient}, {date} {time}."},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html  # only the preview
    assert "Hi Priya, 12 Mar 10:30." in html
    assert figures(html) == ("1", "GSM-7", "0.60")
    assert 'data-testid="reminder-warning"' not in html

    nepali = client.post(
        edit(language="ne", what="template_preview"),
        {"body": "सम्झना: {date} {time} {doctor}। " * 3},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert figures(nepali) == ("2", "UCS-2", "1.20")  # 120 units: 67 + 53
    assert 'data-testid="reminder-warning"' in nepali


def test_an_sms_other_than_a_reminder_may_be_longer_without_the_warning(manager, sign_in):
    html = (
        sign_in(manager)
        .post(edit(BOOKED, what="template_preview"), {"body": "x" * 200}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert figures(html)[0] == "2"
    assert 'data-testid="reminder-warning"' not in html
    assert "This text is sent as 2 SMS." in html


def test_the_edit_page_shows_the_preview_of_the_current_text_without_javascript(manager, sign_in):
    page = sign_in(manager).get(edit(language="ne")).content.decode()
    assert 'id="preview"' in page
    assert "सम्झना: 12 Mar 10:30 Dr. Anil Shrestha। C पुष्टि, X रद्द" in page
    assert figures(page) == ("1", "UCS-2", "0")


def test_the_preview_escapes_and_never_evaluates(manager, sign_in):
    client = sign_in(manager)
    shown = client.post(
        edit(BOOKED, "email", "en", "template_preview"),
        {"subject": "<b>{doctor}</b>", "body": "<script>alert(1)</script> {patient}"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Priya" in shown
    assert "&lt;b&gt;Dr. Anil Shrestha&lt;/b&gt;" in shown
    assert "<script>alert" not in shown
    code = client.post(
        edit(what="template_preview"),
        {"body": "{{ settings.SECRET_KEY }} {patient.__class__}"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert settings.SECRET_KEY not in code
    assert "Patient" not in code
    assert "Braces are only for placeholders" in code
    assert not MessageTemplate.objects.all_clinics().exists()  # a preview saves nothing


def test_a_message_that_does_not_exist_is_not_found(manager, sign_in):
    client = sign_in(manager)
    assert client.get(edit("no.such")).status_code == 404
    assert client.get(edit(REMINDER, "in_app")).status_code == 404
    assert client.get(edit(REMINDER, "sms", "fr")).status_code == 404
    assert client.post(edit("no.such", what="template_reset")).status_code == 404


@pytest.mark.parametrize("role", ["receptionist", "doctor"])
def test_only_managers_edit_texts(role, request, clinic, sign_in):
    client = sign_in(request.getfixturevalue(role))
    MessageTemplate.objects.create(
        clinic=clinic, event=REMINDER, channel="sms", language="en", body="Ours"
    )
    assert client.get(LIST).status_code == 403
    assert client.get(edit()).status_code == 403
    assert client.post(edit(), {"body": "Mine"}).status_code == 403
    assert client.post(edit(what="template_preview"), {"body": "x"}).status_code == 403
    assert client.post(edit(what="template_reset")).status_code == 403
    assert MessageTemplate.objects.for_clinic(clinic).get().body == "Ours"
