"""The scenarios of the report, in the order they run."""

from __future__ import annotations

from bench.scenarios.base import Context, Scenario
from bench.scenarios.billing_counter import BillingCounter
from bench.scenarios.billing_reports import BillingReports
from bench.scenarios.booking_race import BookingRace
from bench.scenarios.dashboard import Dashboard
from bench.scenarios.dispensing import Dispensing
from bench.scenarios.free_slots import FreeSlots
from bench.scenarios.lab import LabEntry, LabResults
from bench.scenarios.login_page import LoginPage
from bench.scenarios.login_post import LoginPost
from bench.scenarios.mixed_writers import MixedWriters
from bench.scenarios.otp_burst import OtpBurst
from bench.scenarios.patient_search import PatientSearch
from bench.scenarios.portal import Portal
from bench.scenarios.queue_fanout import QueueFanout

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        LoginPage(),
        LoginPost(),
        Dashboard(),
        PatientSearch(),
        FreeSlots(),
        BookingRace(),
        Dispensing(),
        MixedWriters(),
        BillingCounter(),
        BillingReports(),
        LabEntry(),
        LabResults(),
        Portal(),
        OtpBurst(),
        QueueFanout(),
    )
}

__all__ = ["SCENARIOS", "Context", "Scenario"]
