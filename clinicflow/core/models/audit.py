"""The audit trail: append-only, hash-chained events, one chain per clinic (and one for the
platform). See ``clinicflow.core.audit`` for how events are written, sealed and verified."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinicflow.core.scoping import ClinicScopedManager

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKOUT = "lockout", _("Account locked out")
    UNLOCK = "unlock", _("Account unlocked")
    LOGOUT = "logout", _("Signed out")
    SESSION_ENDED = "session_ended", _("Session ended")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Second factor enabled")
    TWO_FACTOR_REMOVED = "two_factor_removed", _("Second factor removed")
    CLINIC_SWITCHED = "clinic_switched", _("Switched clinic")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    MERGE = "merge", _("Records merged")


class AuditChain(models.Model):
    """The head of one hash chain: the last sealed sequence number and hash, locked while
    sealing (writers never lock it)."""

    key = models.CharField(max_length=64, unique=True)
    clinic = models.OneToOneField(
        "core.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_chain"
    )
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_seq__gte=0), name="audit_chain_seq_gte_0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_seq}"


class AuditEvent(models.Model):
    """One event. Written with its ``mac`` (the content's own HMAC) in the writer's
    transaction; ``seq``, ``prev_hash``, ``hash`` and ``sealed_at`` are set once, by the sealer,
    right after commit (null until then: the event is *pending*)."""

    chain = models.ForeignKey(AuditChain, on_delete=models.PROTECT, related_name="events")
    seq = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    clinic = models.ForeignKey(
        "core.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The actor's username when the event happened (kept even if the name changes later).
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    # Text, not inet: the hash covers the exact string that was written.
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    #: HMAC of the content when written ("" on events written before sealing existed).
    mac = models.CharField(max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64, null=True, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    objects = ClinicScopedManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq_unique"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_event_seq_gte_1"),
            models.CheckConstraint(
                condition=models.Q(
                    seq__isnull=True,
                    prev_hash__isnull=True,
                    hash__isnull=True,
                    sealed_at__isnull=True,
                )
                | models.Q(
                    seq__isnull=False,
                    prev_hash__isnull=False,
                    hash__isnull=False,
                    sealed_at__isnull=False,
                ),
                name="audit_event_sealed_whole_or_pending",
            ),
        ]
        indexes = [
            models.Index(
                fields=["chain", "id"],
                condition=models.Q(seq__isnull=True),
                name="audit_pending_idx",
            ),
            models.Index(fields=["clinic", "-occurred_at"], name="audit_clinic_time_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time_idx"),
        ]

    def __str__(self) -> str:
        where = f"#{self.seq}" if self.seq else "(pending)"
        return f"{where} {self.action} {self.object_type}:{self.object_id}"
