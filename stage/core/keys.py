"""CURVE keys of a stage: who may talk to the orchestrator's control endpoint (and to any ZeroMQ socket that leaves
loopback).

Layout (``stage keys`` makes it; the first ``stage up`` too), in the user's config folder —
``$VPSTAGE_KEYS``, else ``$XDG_CONFIG_HOME/vpstage/keys``, else ``~/.config/vpstage/keys``; ``--keys DIR`` overrides::

    keys/                      mode 0700, owned by the user running the show
      server.key               the orchestrator's public key (ZeroMQ certificate, ``zmq.auth`` format)
      server.key_secret        its secret key                              mode 0600
      client.key               this user's client public key (stage status/set/down ...)
      client.key_secret        its secret key                              mode 0600
      authorized/              public keys allowed to connect: one ``NAME.key`` per client
        client.key             (a copy of ../client.key)

The control endpoint is always a CURVE server. Every other ZeroMQ socket (pose stream, live state, render stats)
uses CURVE exactly when its endpoint leaves loopback (:func:`secure`): the binding side is the server, with the
same ``server`` pair, and the connecting side a client with ``client``; children of ``stage up`` find the folder
through ``$VPSTAGE_KEYS``.

The server authenticates every client against ``authorized/`` through ZAP (pyzmq's ``zmq.auth``
``ThreadAuthenticator``); a client that lacks an authorized secret key gets no answer — ZeroMQ reports the refused
handshake to it. Secret files and the folder must not be readable by anyone else (checked on load, like ssh), so
another account on the machine cannot ``stage down`` the show. To let another machine or account in, copy its
``NAME.key`` (public only) into ``authorized/`` and give it ``server.key``; the orchestrator reads ``authorized/``
at start.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import zmq
import zmq.auth

if TYPE_CHECKING:
    from zmq.auth.thread import ThreadAuthenticator

log = logging.getLogger(__name__)

ENV = "VPSTAGE_KEYS"
SERVER = "server"
CLIENT = "client"
AUTHORIZED = "authorized"
ZAP_DOMAIN = "vpstage"


class KeysError(RuntimeError):
    """Keys missing, unreadable or readable by others; one line."""


_AUTHENTICATORS: dict[int, ThreadAuthenticator] = {}
"""One ZAP handler per context (ZAP is per context), started by the first CURVE server socket on it."""


def is_loopback(endpoint: str) -> bool:
    """True for ``tcp://127.x``/``localhost``/``[::1]``, ``ipc://`` and ``inproc://`` endpoints (``tcp://*`` and
    ``tcp://0.0.0.0`` are every interface: not loopback)."""
    if not endpoint.startswith(("tcp://", "udp://", "pgm://", "epgm://")):
        return True
    host = endpoint.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")
    return host.startswith("127.") or host in ("localhost", "::1")


def default_dir() -> Path:
    """``$VPSTAGE_KEYS``, else ``$XDG_CONFIG_HOME/vpstage/keys``, else ``~/.config/vpstage/keys``."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "vpstage" / "keys"


def key_paths(directory: Path, name: str) -> tuple[Path, Path]:
    return directory / f"{name}.key", directory / f"{name}.key_secret"


def ensure_keys(directory: Path | None = None) -> list[Path]:
    """Create what is missing of the layout (module docstring) with private permissions; returns the files made.
    Existing keys are kept."""
    directory = Path(directory or default_dir())
    made: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)
        for name in (SERVER, CLIENT):
            public, secret = key_paths(directory, name)
            if not (public.is_file() and secret.is_file()):
                old = os.umask(0o077)
                try:
                    zmq.auth.create_certificates(directory, name)
                finally:
                    os.umask(old)
                made += [public, secret]
            os.chmod(secret, 0o600)
        authorized = directory / AUTHORIZED
        authorized.mkdir(exist_ok=True, mode=0o700)
        own = authorized / f"{CLIENT}.key"
        if not own.is_file():
            shutil.copyfile(key_paths(directory, CLIENT)[0], own)
            made.append(own)
    except OSError as exc:
        raise KeysError(f"cannot create keys in {directory}: {exc.strerror or exc}") from None
    if made:
        log.info("made CURVE keys in %s: %s", directory, ", ".join(str(p.relative_to(directory)) for p in made))
    return made


def _check_private(path: Path) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise KeysError(f"{path}: {exc.strerror or exc} (run `stage keys`)") from None
    if st.st_uid != os.getuid():
        raise KeysError(f"{path}: owned by another user (uid {st.st_uid})")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeysError(f"{path}: readable by other users (chmod {'700' if path.is_dir() else '600'} {path})")


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    secret: bytes


def load_pair(directory: Path, name: str) -> KeyPair:
    """The key pair ``name`` of a keys folder, after checking that only its owner can read it."""
    directory = Path(directory)
    public, secret = key_paths(directory, name)
    _check_private(directory)
    _check_private(secret)
    try:
        pub, sec = zmq.auth.load_certificate(secret)
    except (OSError, ValueError) as exc:
        raise KeysError(f"{secret}: unreadable key ({exc})") from None
    if not pub or not sec:
        raise KeysError(f"{secret}: no secret key in it")
    return KeyPair(pub, sec)


def load_public(directory: Path, name: str) -> bytes:
    path = key_paths(Path(directory), name)[0]
    try:
        pub, _ = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise KeysError(f"{path}: unreadable key ({exc}) (run `stage keys`)") from None
    return pub


def make_server(sock: zmq.Socket, pair: KeyPair) -> None:
    """Make ``sock`` a CURVE server that sends every handshake to the ZAP authenticator (call before bind)."""
    sock.curve_secretkey = pair.secret
    sock.curve_publickey = pair.public
    sock.curve_server = True
    sock.zap_domain = ZAP_DOMAIN.encode()


def make_client(sock: zmq.Socket, pair: KeyPair, server_public: bytes) -> None:
    """Make ``sock`` a CURVE client of the server with public key ``server_public`` (call before connect)."""
    sock.curve_secretkey = pair.secret
    sock.curve_publickey = pair.public
    sock.curve_serverkey = server_public


def client_keys(directory: Path | None = None) -> tuple[KeyPair, bytes]:
    """``(client pair, server public key)`` from a keys folder (default :func:`default_dir`)."""
    directory = Path(directory or default_dir())
    if not directory.is_dir():
        raise KeysError(f"no keys in {directory}: run `stage keys` (as the user who runs `stage up`) or give --keys")
    return load_pair(directory, CLIENT), load_public(directory, SERVER)


def secure(sock: zmq.Socket, endpoint: str, server: bool, directory: Path | None = None) -> bool:
    """CURVE on ``sock`` when ``endpoint`` leaves loopback (call before bind/connect): ``server`` for the binding
    side (with a ZAP handler on its context, started when missing), a client otherwise. True when CURVE is on;
    raises :class:`KeysError` when the keys are missing or not private."""
    if is_loopback(endpoint):
        return False
    directory = Path(directory or default_dir())
    if server:
        make_server(sock, load_pair(directory, SERVER))
        if id(sock.context) not in _AUTHENTICATORS:
            start_authenticator(sock.context, directory)
    else:
        pair, server_public = client_keys(directory)
        make_client(sock, pair, server_public)
    log.info("CURVE on %s (%s)", endpoint, "server" if server else "client")
    return True


def stop_authenticator(context: zmq.Context) -> None:
    """Stop the ZAP handler of ``context`` (before ``context.term()``, which would wait for it forever)."""
    auth = _AUTHENTICATORS.pop(id(context), None)
    if auth is not None:
        auth.stop()


def start_authenticator(context: zmq.Context, directory: Path) -> ThreadAuthenticator:
    """A ZAP handler on ``context`` accepting exactly the CURVE clients whose public keys are in
    ``<directory>/authorized`` (one per context: an existing one is returned)."""
    from zmq.auth.thread import ThreadAuthenticator  # only a CURVE server needs it (it pulls in asyncio: 50 ms)

    if id(context) in _AUTHENTICATORS:
        return _AUTHENTICATORS[id(context)]
    authorized = Path(directory) / AUTHORIZED
    _check_private(authorized)
    count = len(list(authorized.glob("*.key")))
    auth = ThreadAuthenticator(context, log=logging.getLogger("stage.core.keys.zap"))
    auth.start()
    auth.configure_curve(domain=ZAP_DOMAIN, location=str(authorized))
    log.info("CURVE clients: %d authorized key(s) in %s", count, authorized)
    _AUTHENTICATORS[id(context)] = auth
    return auth
