"""Doctors' photos: images only, checked by content, kept privately under random names, shown
on the public directory through a view, and only while the doctor is active."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.patients.file_responses import SANDBOX_POLICY
from clinicflow.patients.tests.files import pdf_bytes, png_claiming
from clinicflow.scheduling.models import Practitioner
from clinicflow.scheduling.services import (
    PHOTO_MAX_MB,
    remove_practitioner_photo,
    set_practitioner_photo,
)

pytestmark = pytest.mark.django_db


def jpeg_bytes(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 140, 120)).save(out, format="JPEG")
    return out.getvalue()


def _fresh(practitioner: Practitioner) -> Practitioner:
    return Practitioner.objects.for_clinic(practitioner.clinic).get(pk=practitioner.pk)


def test_the_manager_uploads_a_photo_kept_privately_with_a_thumbnail(
    cardiologist, manager, sign_in
):
    client = sign_in(manager)
    page = client.post(
        reverse("scheduling:practitioner_photo_change", args=[cardiologist.pk]),
        {"photo": SimpleUploadedFile("me.jpg", jpeg_bytes())},
        follow=True,
    )
    assert "The photo was saved." in page.content.decode()
    doctor = _fresh(cardiologist)
    assert doctor.photo.name.startswith(f"practitioners/{doctor.clinic_id}/")
    assert "me" not in doctor.photo.name  # a random name, never the given one
    with doctor.photo_thumbnail.open("rb") as thumb, Image.open(thumb) as image:
        assert max(image.size) <= 240
    assert 'data-testid="photo-form"' in page.content.decode()


def test_the_directory_shows_the_photo_to_anyone(cardiologist, manager, client):
    set_practitioner_photo(
        actor=actor_for(manager), practitioner=cardiologist, content=jpeg_bytes()
    )
    directory = client.get(reverse("scheduling:directory")).content.decode()
    url = reverse("scheduling:practitioner_photo", args=[cardiologist.pk])
    assert url in directory
    thumb = client.get(url)
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    full = client.get(url, {"full": "1"})
    for shown in (thumb, full):  # in the browser, in a sandbox where nothing runs
        assert shown["Content-Disposition"].startswith("inline")
        assert shown["Content-Security-Policy"] == SANDBOX_POLICY
    with Image.open(io.BytesIO(b"".join(full.streaming_content))) as image:
        assert image.size == (800, 600)


def test_an_inactive_doctors_photo_is_not_found(cardiologist, manager, client):
    set_practitioner_photo(
        actor=actor_for(manager), practitioner=cardiologist, content=jpeg_bytes()
    )
    Practitioner.objects.for_clinic(cardiologist.clinic).filter(pk=cardiologist.pk).update(
        is_active=False
    )
    url = reverse("scheduling:practitioner_photo", args=[cardiologist.pk])
    assert client.get(url).status_code == 404


def test_a_doctor_without_a_photo_has_none_to_serve(cardiologist, client):
    url = reverse("scheduling:practitioner_photo", args=[cardiologist.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (pdf_bytes(), "must be a JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 50, "Only PDF documents and PNG or JPEG"),
        (jpeg_bytes() + b"<script>x</script>", "web content"),
        (png_claiming(13000, 13000), "The image is larger than 40 megapixels"),
    ],
    ids=["pdf", "gif", "polyglot", "decompression-bomb"],
)
def test_anything_but_a_clean_image_is_refused_and_nothing_changes(
    cardiologist, manager, content, message
):
    with pytest.raises(DomainError, match=message) as refused:
        set_practitioner_photo(actor=actor_for(manager), practitioner=cardiologist, content=content)
    assert refused.value.field == "photo"
    assert not _fresh(cardiologist).photo


def test_a_photo_too_large_to_decode_is_refused_on_the_page(cardiologist, manager, sign_in):
    page = sign_in(manager).post(
        reverse("scheduling:practitioner_photo_change", args=[cardiologist.pk]),
        {"photo": SimpleUploadedFile("me.png", png_claiming(13000, 13000))},
        follow=True,
    )
    assert "The image is larger than 40 megapixels" in page.content.decode()
    assert not _fresh(cardiologist).photo


def test_a_photo_over_the_size_limit_is_refused(cardiologist, manager):
    too_big = jpeg_bytes() + b"\x00" * (PHOTO_MAX_MB * 1024 * 1024)
    with pytest.raises(DomainError, match="at most"):
        set_practitioner_photo(actor=actor_for(manager), practitioner=cardiologist, content=too_big)


def test_a_doctor_cannot_change_photos_and_a_receptionist_cannot_either(
    cardiologist, receptionist, sign_in
):
    url = reverse("scheduling:practitioner_photo_change", args=[cardiologist.pk])
    for person in (cardiologist.user, receptionist):
        response = sign_in(person).post(url, {"photo": SimpleUploadedFile("a.jpg", jpeg_bytes())})
        assert response.status_code == 403
        with pytest.raises(DomainError):
            set_practitioner_photo(
                actor=actor_for(person), practitioner=cardiologist, content=jpeg_bytes()
            )
    assert not _fresh(cardiologist).photo


def test_another_clinics_manager_cannot_reach_the_profile(
    cardiologist, other_clinic_manager, sign_in
):
    response = sign_in(other_clinic_manager).post(
        reverse("scheduling:practitioner_photo_change", args=[cardiologist.pk]),
        {"photo": SimpleUploadedFile("a.jpg", jpeg_bytes())},
    )
    assert response.status_code == 404


def test_a_new_photo_replaces_the_old_files_and_removing_clears_them(
    cardiologist, manager, django_capture_on_commit_callbacks
):
    actor = actor_for(manager)
    first = set_practitioner_photo(actor=actor, practitioner=cardiologist, content=jpeg_bytes())
    storage = first.photo.storage
    old = (first.photo.name, first.photo_thumbnail.name)
    with django_capture_on_commit_callbacks(execute=True):
        second = set_practitioner_photo(
            actor=actor, practitioner=cardiologist, content=jpeg_bytes((300, 300))
        )
    assert not any(storage.exists(name) for name in old)
    assert storage.exists(second.photo.name)
    with django_capture_on_commit_callbacks(execute=True):
        removed = remove_practitioner_photo(actor=actor, practitioner=cardiologist)
    assert not removed.photo
    assert not storage.exists(second.photo.name)


def test_the_api_gives_the_photo_url(cardiologist, manager, receptionist, sign_in):
    set_practitioner_photo(
        actor=actor_for(manager), practitioner=cardiologist, content=jpeg_bytes()
    )
    body = sign_in(receptionist).get(f"/api/v1/practitioners/{cardiologist.pk}/").json()
    assert body["photo_url"] == reverse("scheduling:practitioner_photo", args=[cardiologist.pk])
