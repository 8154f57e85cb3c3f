"""ClinicFlow benchmarks: a production-like server on PostgreSQL and Redis, measured over HTTP.

Run ``make bench`` (or ``.venv/bin/python bench/run.py --help``); see ``bench/README.md``.
"""
