"""Copy the front-end files ClinicFlow serves from node_modules into static/vendor/.

Run by ``make assets`` after ``npm ci``; static/vendor is git-ignored. Nothing is fetched at
run time: the pages load these files from our own server.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

DEVANAGARI = "@expo-google-fonts/noto-sans-devanagari"
FONTS = "fonts/noto-sans-devanagari/NotoSansDevanagari"

# (source under node_modules, destination under static/vendor)
FILES = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"),
    ("bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"),
    ("bootstrap-icons/font/fonts", "bootstrap-icons/fonts"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("chart.js/dist/chart.umd.js", "chartjs/chart.umd.js"),
    ("chart.js/dist/chart.umd.js.map", "chartjs/chart.umd.js.map"),
    ("fullcalendar/index.global.min.js", "fullcalendar/index.global.min.js"),
    # The Devanagari font of the printed PDFs (core/pdf.py): Nepali names and comments.
    (f"{DEVANAGARI}/400Regular/NotoSansDevanagari_400Regular.ttf", f"{FONTS}-Regular.ttf"),
    (f"{DEVANAGARI}/700Bold/NotoSansDevanagari_700Bold.ttf", f"{FONTS}-Bold.ttf"),
    (f"{DEVANAGARI}/LICENSE_FONT", "fonts/noto-sans-devanagari/OFL.txt"),
]


def main() -> int:
    if not MODULES.is_dir():
        print("node_modules is missing: run `npm ci` first.", file=sys.stderr)
        return 1
    missing = [src for src, _ in FILES if not (MODULES / src).exists()]
    if missing:
        print("Missing in node_modules: " + ", ".join(missing), file=sys.stderr)
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for src, dest in FILES:
        source, target = MODULES / src, VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    print(f"Copied {len(FILES)} front-end assets into {VENDOR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
