"""The one typed error raised by the tracking parsers.

Every parser in :mod:`tracking` is a pure function of its input that either returns a frozen value
object or raises :class:`TrackingParseError`. The ``reason`` attribute is a short machine-readable
code (one of :data:`REASONS`) the daemon can count and log; the message is one line naming the
packet problem, in the style of python-osc's ``ParseError``.
"""

from __future__ import annotations

REASONS = frozenset(
    {
        "bad_length",  # datagram shorter/longer than the format or its own length field says
        "bad_checksum",  # checksum mismatch
        "bad_type",  # wrong message type, magic or encoding byte
        "bad_json",  # payload is not valid JSON / CBOR (or not an object)
        "schema",  # a field we use is missing, of the wrong type or out of range
        "non_finite",  # NaN or infinity in a value
        "limit",  # valid per the format's schema, but outside a configured sanity limit (or a double's range)
        "bad_range",  # an argument to an encoder does not fit its wire field
    }
)


class TrackingParseError(ValueError):
    """A tracker datagram could not be turned into a value.

    Attributes:
        reason: machine-readable code, one of :data:`REASONS`.
    """

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown parse error reason {reason!r}")
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # keep picklable across processes with the two-argument constructor
        return (type(self), (self.reason, str(self)))
