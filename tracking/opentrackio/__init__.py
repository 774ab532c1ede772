"""OpenTrackIO (SMPTE RIS-OSVP 1.0.x) transport and message parsing: pure functions, no sockets.

Modules: :mod:`.header` (16-byte datagram header, Fletcher-16), :mod:`.reassembly` (segments →
payload), :mod:`.decode` (JSON/CBOR payload → :class:`~tracking.sample.TrackerSample`).
"""
