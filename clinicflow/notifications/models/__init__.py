from clinicflow.notifications.models.clinic_settings import MessagingSettings
from clinicflow.notifications.models.inbound import InboundSms
from clinicflow.notifications.models.notice import Notice
from clinicflow.notifications.models.outbox import Channel, Message, MessageStatus
from clinicflow.notifications.models.preferences import (
    ConsentChange,
    Language,
    PatientPreference,
    UserPreference,
)
from clinicflow.notifications.models.templates import MessageTemplate

__all__ = [
    "Channel",
    "ConsentChange",
    "InboundSms",
    "Language",
    "Message",
    "MessageStatus",
    "MessageTemplate",
    "MessagingSettings",
    "Notice",
    "PatientPreference",
    "UserPreference",
]
