"""The keyset pager of the pages: a hand-edited link starts from the top and says so."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOTICE = 'data-testid="cursor-refused"'


@pytest.mark.parametrize("cursor", ["abc", "1e5", "9" * 30])
def test_a_hand_edited_page_link_shows_the_first_page_and_says_so(manager, sign_in, cursor):
    page = sign_in(manager).get(reverse("core:audit_list"), {"after": cursor})
    assert page.status_code == 200
    refused = cursor != "9" * 30  # a number too large for the key is still a number
    assert page.context["page"].cursor_refused is refused
    assert (NOTICE in page.content.decode()) is refused


def test_a_page_link_given_out_by_the_pager_says_nothing(manager, sign_in):
    page = sign_in(manager).get(reverse("core:audit_list"), {"after": "12"})
    assert page.context["page"].cursor == "12"
    assert NOTICE not in page.content.decode()


def test_the_patient_search_pages_say_so_too(receptionist, sign_in):
    page = sign_in(receptionist).get(reverse("patients:search"), {"after": "abc"})
    assert NOTICE in page.content.decode()
