"""OpenTrackIO datagram header: parse, checksum and encode (pure).

Layout (big-endian), 16 bytes then the payload:

=====  ====  =============================================================
bytes  type  field
=====  ====  =============================================================
0-3    4s    identifier ``b"OTrk"``
4      u8    reserved
5      u8    encoding: 0x01 JSON, 0x02 CBOR
6-7    u16   sequence number (wraps)
8-11   u32   segment offset: where this segment's payload starts in the message
12-13  u16   top bit = last segment; low 15 bits = payload length in bytes
14-15  u16   Fletcher-16 checksum over header bytes 0..13 followed by the payload
=====  ====  =============================================================

Checksum variant, verified against the reference sender's packets (tests/data/reference/opentrackio/packets):
both running sums are taken **mod 256** (not the textbook mod 255), and the field is
``(sum2 << 8) | sum1``. Computed in closed form with numpy: over the n checksummed bytes c_j,
``sum1 = Σ c_j`` and ``sum2 = Σ (n − j)·c_j`` (mod 256).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from tracking.errors import TrackingParseError

MAGIC = b"OTrk"
HEADER_LENGTH = 16
ENCODING_JSON = 0x01
ENCODING_CBOR = 0x02
ENCODINGS = (ENCODING_JSON, ENCODING_CBOR)
LAST_SEGMENT_FLAG = 0x8000
MAX_PAYLOAD_LENGTH = 0x7FFF
DEFAULT_PORT = 55555
"""Default UDP port; multicast group 239.135.1.N for source number N in 1..200."""

_HEADER = struct.Struct(">4sBBHIHH")
_MAX_DATAGRAM = HEADER_LENGTH + MAX_PAYLOAD_LENGTH
# Column 0: ones (plain sum), column 1: byte index (index-weighted sum). float64 keeps it on BLAS and is
# exact here: the largest weighted sum, 32783² · 255 / 2 ≈ 1.4e11, is far below 2**53.
_SUM_WEIGHTS = np.stack([np.ones(_MAX_DATAGRAM), np.arange(_MAX_DATAGRAM, dtype=np.float64)], axis=1)


def _sums(data: bytes) -> tuple[int, int]:
    """``(Σ b_k, Σ k·b_k)`` over the bytes of ``data`` (at most 32783 bytes)."""
    total, weighted = (np.frombuffer(data, dtype=np.uint8).astype(np.float64) @ _SUM_WEIGHTS[: len(data)]).tolist()
    return int(total), int(weighted)


@dataclass(frozen=True, slots=True)
class Datagram:
    """One parsed, checksum-verified OpenTrackIO datagram.

    Attributes:
        encoding: 0x01 JSON or 0x02 CBOR.
        sequence: u16 sequence number.
        segment_offset: byte offset of ``payload`` in the whole message.
        last_segment: True on the final segment of a message.
        payload: this segment's payload bytes.
    """

    encoding: int
    sequence: int
    segment_offset: int
    last_segment: bool
    payload: bytes

    @property
    def is_complete(self) -> bool:
        """True if this one datagram carries a whole message (offset 0 and last segment)."""
        return self.segment_offset == 0 and self.last_segment


def fletcher16_datagram(data: bytes) -> int:
    """Checksum of a whole datagram: header bytes 0..13 then ``data[16:]`` (bytes 14-15 excluded).

    Closed form over the datagram without copying: with n = len(data) − 2 checksummed bytes and
    c_j the virtual concatenation, datagram index k maps to j = k (k < 14) or j = k − 2 (k ≥ 16).
    """
    n = len(data) - 2
    total, weighted = _sums(data)
    total -= data[14] + data[15]
    weighted -= 14 * data[14] + 15 * data[15]
    head = sum(data[:14])
    # sum2 = Σ_j (n − j) c_j = n·total − Σ_k k·b_k + 2·Σ_{k≥16} b_k
    sum1 = total & 0xFF
    sum2 = (n * total - weighted + 2 * (total - head)) & 0xFF
    return (sum2 << 8) | sum1


def fletcher16(data: bytes) -> int:
    """OpenTrackIO Fletcher-16 (mod 256 sums) of a plain byte string: ``(sum2 << 8) | sum1``."""
    n = len(data)
    if n > _MAX_DATAGRAM:
        raise TrackingParseError("bad_length", f"{n} bytes is longer than any OpenTrackIO datagram")
    total, weighted = _sums(data)
    return (((n * total - weighted) & 0xFF) << 8) | (total & 0xFF)


def parse_datagram(data: bytes) -> Datagram:
    """Parse and verify one OpenTrackIO datagram.

    Raises:
        TrackingParseError: ``bad_length`` (shorter than the header, or payload length field not equal
            to the bytes received), ``bad_type`` (identifier not "OTrk" or unknown encoding),
            ``bad_checksum``.
    """
    if len(data) < HEADER_LENGTH:
        raise TrackingParseError("bad_length", f"OpenTrackIO datagram is {len(data)} bytes, shorter than the header")
    magic, _reserved, encoding, sequence, offset, flag_length, checksum = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TrackingParseError("bad_type", f"OpenTrackIO identifier {magic!r} is not {MAGIC!r}")
    if encoding not in ENCODINGS:
        raise TrackingParseError("bad_type", f"OpenTrackIO encoding 0x{encoding:02X} is neither JSON nor CBOR")
    length = flag_length & MAX_PAYLOAD_LENGTH
    if len(data) != HEADER_LENGTH + length:
        raise TrackingParseError(
            "bad_length", f"OpenTrackIO payload length field says {length} bytes, datagram has {len(data) - 16}"
        )
    computed = fletcher16_datagram(data)
    if computed != checksum:
        raise TrackingParseError(
            "bad_checksum", f"OpenTrackIO checksum 0x{checksum:04X} does not match computed 0x{computed:04X}"
        )
    return Datagram(encoding, sequence, offset, bool(flag_length & LAST_SEGMENT_FLAG), data[HEADER_LENGTH:])


def encode_datagram(
    payload: bytes, encoding: int = ENCODING_JSON, sequence: int = 0, segment_offset: int = 0, last_segment: bool = True
) -> bytes:
    """Build one datagram (header + payload) with a correct checksum; for tests and simulators."""
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise TrackingParseError("bad_range", f"OpenTrackIO payload of {len(payload)} bytes exceeds 32767")
    flag_length = (LAST_SEGMENT_FLAG if last_segment else 0) | len(payload)
    head = _HEADER.pack(MAGIC, 0, encoding, sequence & 0xFFFF, segment_offset, flag_length, 0)[:14]
    return head + fletcher16(head + payload).to_bytes(2, "big") + payload


def segment_message(
    message: bytes, encoding: int, first_sequence: int, max_payload: int = 1500 - HEADER_LENGTH,
    sequence_per_segment: bool = True,
) -> list[bytes]:
    """Split a message into datagrams of at most ``max_payload`` payload bytes.

    ``sequence_per_segment=True`` numbers segments first_sequence, +1, +2 … as the SMPTE reference
    sender does; False gives every segment the same sequence number.
    """
    chunks = [message[i : i + max_payload] for i in range(0, max(len(message), 1), max_payload)]
    return [
        encode_datagram(
            chunk,
            encoding,
            first_sequence + (i if sequence_per_segment else 0),
            i * max_payload,
            last_segment=i == len(chunks) - 1,
        )
        for i, chunk in enumerate(chunks)
    ]
