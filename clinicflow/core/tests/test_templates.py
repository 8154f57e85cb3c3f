"""What every template shares: asking the policy (``may``, ``on``), nothing the CSP refuses,
and the files a browser asks for on its own (the icon, Swagger's styles)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.patients import timeline
from clinicflow.patients.timeline import TimelineEntry
from tests.factories import member

ROOT = Path(settings.BASE_DIR)
#: The pages the site serves. An e-mail's HTML (``<app>/templates/<app>/mail/``) is not one: mail
#: clients read it, never under our CSP, and need its styles inline.
TEMPLATES = sorted(
    path
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("clinicflow/*/templates/**/*.html")]
    if path.parent.name != "mail"
)

#: What a strict CSP (no 'unsafe-inline') refuses: style attributes, <style> without the
#: request's nonce, inline <script>, and inline event handlers.
REFUSED = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style(?![^>]*\snonce=)", re.I),
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
}


COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def test_no_template_holds_what_the_csp_refuses():
    assert len(TEMPLATES) > 50
    found = [
        (str(path.relative_to(ROOT)), what)
        for path in TEMPLATES
        for what, pattern in REFUSED.items()
        if pattern.search(COMMENTS.sub("", path.read_text()))
    ]
    assert found == []


def test_every_whole_page_draws_its_head_from_the_shared_include():
    """So each carries the icon, our styles and htmx's settings (the token board once missed
    the one that keeps htmx from injecting a <style> the CSP refuses)."""
    pages = [p for p in TEMPLATES if "<!doctype" in p.read_text().lower()]
    plain = {"templates/errors/500.html"}  # drawn when anything may be broken: no tags
    assert len(pages) >= 5
    missing = [
        str(p.relative_to(ROOT))
        for p in pages
        if '{% include "includes/_head.html" %}' not in p.read_text()
        and str(p.relative_to(ROOT)) not in plain
    ]
    assert missing == []


def test_every_action_a_template_asks_about_is_in_the_policy():
    asked = {
        (str(path.relative_to(ROOT)), action)
        for path in TEMPLATES
        for action in re.findall(r"\|may:\"([^\"]+)\"", path.read_text())
    }
    assert len(asked) > 10
    assert [(where, a) for where, a in sorted(asked) if a not in policy.POLICY] == []


def _render(source: str, **context: object) -> str:
    return Template("{% load clinicflow %}" + source).render(Context(context)).strip()


@pytest.mark.django_db
def test_a_template_asks_the_policy_whether_a_role_may_act(clinic):
    nurse = actor_for(member(Role.NURSE, clinic))
    doctor = actor_for(member(Role.DOCTOR, clinic))
    source = '{% if actor|may:"clinical.write" %}yes{% else %}no{% endif %}'
    assert _render(source, actor=doctor) == "yes"
    assert _render(source, actor=nurse) == "no"
    assert _render(source, actor=Actor.anonymous()) == "no"
    assert _render(source) == "no"  # no actor in the context
    unknown = '{% if actor|may:"clinical.wirte" %}yes{% else %}no{% endif %}'
    assert _render(unknown, actor=doctor) == "no"


@pytest.mark.django_db
def test_a_template_asks_the_policy_about_one_object(clinic, other_clinic):
    manager = actor_for(member(Role.MANAGER, clinic))
    receptionist = member(Role.RECEPTIONIST, clinic)
    other_manager = member(Role.MANAGER, clinic, username="second_manager")
    elsewhere = member(Role.RECEPTIONIST, other_clinic, username="elsewhere")
    source = '{% if actor|may:"staff.manage"|on:person %}yes{% else %}no{% endif %}'
    assert _render(source, actor=manager, person=receptionist) == "yes"
    assert _render(source, actor=manager, person=other_manager) == "no"  # the object rule
    assert _render(source, actor=manager, person=elsewhere) == "no"  # not of this clinic
    assert _render(source, actor=manager, person=None) == "no"
    assert _render(source, actor=None, person=receptionist) == "no"


@pytest.mark.django_db
def test_a_template_asks_whether_a_person_may_follow_a_link(clinic):
    doctor = actor_for(member(Role.DOCTOR, clinic))
    receptionist = actor_for(member(Role.RECEPTIONIST, clinic))
    source = "{% if actor|may:url %}link{% else %}text{% endif %}"
    note = reverse("clinical:encounter", args=[uuid.uuid4()])  # clinical.view: clinicians
    assert _render(source, actor=doctor, url=note) == "link"
    assert _render(source, actor=receptionist, url=note) == "text"
    search = reverse("patients:search") + "?q=Priya#results"
    assert _render(source, actor=receptionist, url=search) == "link"
    assert _render(source, actor=doctor, url="/no/such/page/") == "text"


@pytest.mark.django_db
def test_the_chart_links_a_timeline_entry_only_for_those_who_may_open_it(
    register, doctor, receptionist, sign_in, monkeypatch
):
    patient = register()
    note = reverse("clinical:encounter", args=[uuid.uuid4()])
    entry = TimelineEntry(timezone.now(), "encounter", "Consultation with Dr Test", url=note)
    monkeypatch.setattr(timeline, "_SOURCES", {"test": lambda patient, limit: [entry]})
    chart = reverse("patients:chart", args=[patient.pk])

    front_desk = sign_in(receptionist).get(chart).content.decode()
    assert "Consultation with Dr Test" in front_desk
    assert f'href="{note}"' not in front_desk
    assert f'href="{note}"' in sign_in(doctor).get(chart).content.decode()


@pytest.mark.django_db
def test_the_swagger_page_brings_its_styles_as_a_file(manager, sign_in):
    page = sign_in(manager).get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    assert "/static/css/swagger.css" in html
    csp = page["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert re.search(r"script-src 'self'(;|$)", csp)


@pytest.mark.django_db
def test_redoc_leads_to_swagger(manager, sign_in):
    page = sign_in(manager).get("/api/redoc/")
    assert page.status_code == 302
    assert page["Location"] == reverse("api:docs")


@pytest.mark.django_db
def test_the_icon_browsers_ask_for_is_served_to_anyone(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(answer.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
