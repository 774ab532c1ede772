"""``stage track`` / ``python -m tracking``: run the tracking daemon in the foreground.

Either from a stage config, or — for a first look at a tracker — from ``--source`` URLs, one camera per source
with identity calibration:

    stage track configs/flat-wall.yaml
    stage track --source freed://0.0.0.0:40000?preset=sony --source opentrackio://239.135.1.1:55555 \\
                --publish tcp://127.0.0.1:5556
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from pydantic import TypeAdapter, ValidationError

from stage.core import argtypes
from stage.core.config.cameras import Camera
from stage.core.config.errors import ConfigError, Problem
from stage.core.config.sources import Source
from stage.core.keys import KeysError
from stage.core.priority import CLOCK_BOOST, apply_priority
from stage.core.take import TakeError
from tracking.daemon import TrackingDaemon, TrackingSetup

log = logging.getLogger(__name__)

DEFAULT_PUBLISH = "tcp://127.0.0.1:5556"
FIRST_LOOK_SENSOR_MM = (36.0, 24.0)
"""Sensor assumed by ``--source`` cameras (full-frame); the tracker's own focal length is used when it sends one."""
FIRST_LOOK_FOCAL_MM = 35.0

_SOURCE_ADAPTER: TypeAdapter = TypeAdapter(Source)


def source_from_url(url: str, index: int) -> Source:
    """``freed://HOST:PORT?preset=sony``, ``opentrackio://GROUP:PORT``, ``sim://orbit?rate_hz=120``,
    ``replay://path/to/take.jsonl?speed=fast`` → a source config. Raises :class:`ConfigError`."""
    where = f"--source {url}"
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    kind = {"freed": "freed", "opentrackio": "opentrackio", "otrk": "opentrackio", "sim": "simulated",
            "replay": "replay"}.get(parts.scheme)
    if kind is None:
        raise ConfigError(where, [Problem("", "scheme must be freed://, opentrackio://, sim:// or replay://")])
    data: dict = {"name": query.pop("name", f"{kind}{index}"), "kind": kind}
    try:
        if kind == "freed":
            data.update(bind=parts.hostname or "0.0.0.0", **({"port": parts.port} if parts.port else {}))
        elif kind == "opentrackio":
            data.update(address=parts.hostname or "239.135.1.1", **({"port": parts.port} if parts.port else {}))
        elif kind == "simulated":
            data.update(move=parts.netloc or "orbit")
        else:
            data.update(take=parts.netloc + parts.path)
    except ValueError as exc:
        raise ConfigError(where, [Problem("", str(exc))]) from None
    data.update(query)
    try:
        return _SOURCE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = [Problem(".".join(map(str, e["loc"][1:])), e["msg"]) for e in exc.errors(include_url=False)]
        raise ConfigError(where, problems) from None


def setup_from_urls(urls: list[str], publish: str) -> TrackingSetup:
    sources = [source_from_url(url, i + 1) for i, url in enumerate(urls)]
    cameras = [
        Camera(
            id=s.name,
            source=s.name,
            sensor_mm=FIRST_LOOK_SENSOR_MM,
            lens={"kind": "fixed", "focal_length_mm": FIRST_LOOK_FOCAL_MM},
        )
        for s in sources
    ]
    return TrackingSetup(sources=sources, cameras=cameras, pose_endpoint=publish)


def setup_from_config(path: str, publish: str | None) -> TrackingSetup:
    from stage.core.config.loader import load_stage_config

    config = load_stage_config(path)
    return TrackingSetup(
        sources=list(config.sources),
        cameras=list(config.cameras),
        pose_endpoint=publish or config.endpoints.pose,
        base_dir=str(Path(path).parent),
        priority=config.cluster.priority if config.cluster.frame_lock else "normal",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", help="stage config YAML (or give --source)")
    p.add_argument("--source", action="append", default=[], metavar="URL",
                   help="a tracking source URL instead of a config (repeatable)")
    p.add_argument("--publish", type=argtypes.endpoint, metavar="ENDPOINT",
                   help=f"ZeroMQ PUB endpoint (default: the config's, or {DEFAULT_PUBLISH}); port * picks a free one")
    p.add_argument("--duration", type=argtypes.seconds, metavar="SEC", help="stop after this many seconds")


def run(args: argparse.Namespace) -> int:
    if bool(args.config) == bool(args.source):
        print("stage track: error: give a CONFIG or one or more --source URLs (not both)", file=sys.stderr)
        return 2
    if args.config:
        setup = setup_from_config(args.config, args.publish)
    else:
        setup = setup_from_urls(args.source, args.publish or DEFAULT_PUBLISH)
    apply_priority(setup.priority, "stage track", boost=CLOCK_BOOST)  # before any socket: ZeroMQ's thread inherits it
    try:
        daemon = TrackingDaemon(setup)
    except TakeError as exc:
        print(f"stage track: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"stage track: cannot open a socket: {exc}", file=sys.stderr)
        return 1
    except KeysError as exc:  # a publish endpoint off loopback needs the CURVE keys
        print(f"stage track: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # zmq.ZMQError for a busy endpoint
        if type(exc).__module__.startswith("zmq"):
            print(f"stage track: cannot bind {setup.pose_endpoint}: {exc}", file=sys.stderr)
            return 1
        raise

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        daemon.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("tracking daemon publishing on %s (%d sources, %d cameras)", daemon.endpoint,
                len(setup.sources), len(setup.cameras))
    try:
        daemon.run(args.duration)
    finally:
        daemon.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argtypes.ArgumentParser(prog="python -m tracking", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="count", default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose < 2 else logging.DEBUG,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except ConfigError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        log.debug("tracking daemon failed", exc_info=exc)
        print(f"{parser.prog}: error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 1
