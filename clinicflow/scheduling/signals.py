"""What scheduling tells other domains, without knowing them."""

from django.dispatch import Signal

#: Sent inside the transaction of every booking, move and status change of an appointment,
#: with ``appointment``, ``from_status`` ("" for a new booking) and ``actor``. The front desk
#: listens to queue an appointment checked in outside the queue.
appointment_changed = Signal()
