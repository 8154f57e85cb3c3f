"""The audit trail.

- ``recorder.record(...)`` writes a named event (sign-in, chart viewed, export, refusal).
- Row changes of every ``Audited`` model are recorded by the recorder's signal receivers and,
  for bulk ``update()``, by ``AuditedQuerySet``: no call in views or services.
- ``chain`` appends to and verifies the per-clinic hash chains.

Lock order: a service takes its own row locks *before* its first audited write, because each
write then holds its clinic's chain lock until the transaction ends.
"""
