"""SMS gateways: one small class each (see ``base``)."""

from clinicflow.notifications.sms.backends.base import (
    PermanentSmsError,
    SmsBackend,
    SmsError,
    SmsSent,
    TemporarySmsError,
    get_backend,
)

__all__ = [
    "PermanentSmsError",
    "SmsBackend",
    "SmsError",
    "SmsSent",
    "TemporarySmsError",
    "get_backend",
]
