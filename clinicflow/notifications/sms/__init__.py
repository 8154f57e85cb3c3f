"""SMS for the notifications: segment counting (``segments``), Nepali mobile numbers
(``numbers``), the gateways (``backends``) and a loopback stand-in of them for tests,
demos and the bench (``standin``)."""
