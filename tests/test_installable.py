"""The installable web app: its manifest names icons that exist at their stated sizes, the
service worker and the offline page are served from the site's root, and every page of the
application links the manifest."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from PIL import Image

pytestmark = pytest.mark.django_db


def test_the_manifest_and_its_icons():
    client = Client()
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    manifest = json.loads(b"".join(response.streaming_content))
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200
        width, height = Image.open(io.BytesIO(b"".join(image.streaming_content))).size
        assert f"{width}x{height}" == icon["sizes"]


def test_the_service_worker_and_the_offline_page_are_at_the_root():
    client = Client()
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert "javascript" in worker["Content-Type"]
    assert b"/offline.html" in b"".join(worker.streaming_content)
    offline = client.get("/offline.html")
    assert offline.status_code == 200
    assert b"No connection" in b"".join(offline.streaming_content)


def test_pages_link_the_manifest(sign_in, patient):
    page = sign_in(patient).get("/dashboard/")
    assert page.status_code == 200
    assert b'<link rel="manifest" href="/manifest.webmanifest">' in page.content


def test_staff_pages_register_no_service_worker(sign_in, doctor):
    page = sign_in(doctor).get("/dashboard/")
    assert b"installable.js" not in page.content
