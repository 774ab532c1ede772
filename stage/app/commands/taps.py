"""``stage tap``, ``stage record``, ``stage export``: watch, record and convert the pose stream.

``tap`` prints every message as one JSON line ``{"topic": ..., ...body}``; ``record`` writes a take file
(:mod:`stage.core.take`); ``export`` turns a take into a Nuke ``.chan``, a CSV or OpenTrackIO JSON lines
(:mod:`stage.core.export`). The socket loops live here; formats and conversions are pure functions elsewhere.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import zmq

from stage.app.cli import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from stage.core import argtypes
from stage.core.config.loader import load_stage_config
from stage.core.config.paths import stage_files
from stage.core.config.stage import Endpoints, StageConfig
from stage.core.keys import KeysError, secure
from stage.core.take import TAKE_SUFFIX, Deduper, Take, TakeError, TakeHeader, TakeWriter, read_take, take_path
from stage.core.wire.pose import POSE_TOPIC_PREFIX, WireError, decode_any, decode_pose

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = Endpoints().pose
POLL_MS = 100
"""Socket poll slice: how quickly a loop notices a stop request, a timeout or a due fsync."""
FORMATS = ("chan", "csv", "opentrackio")
CHAN_DEFAULT_FPS = "24"
"""Plate rate a .chan export resamples to without ``--fps`` (OpenTrackIO then uses the take's own rate)."""


def _count(text: str) -> int:
    """argparse type: a positive integer."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tap", help="print the pose stream as JSON lines")
    p.add_argument("endpoint", nargs="?", type=argtypes.endpoint,
                   help=f"daemon PUB endpoint (default: the config's, else {DEFAULT_ENDPOINT})")
    p.add_argument("--topic", default="", metavar="PREFIX", help="only topics starting with PREFIX (pose/cam1, stats)")
    p.add_argument("--count", type=_count, metavar="N", help="exit after N decodable messages")
    p.add_argument("--timeout", type=argtypes.seconds, metavar="S", help="exit 1 when no message arrives for S seconds")
    p.add_argument("--config", help="stage config whose endpoints.pose to use")
    p.set_defaults(func=cmd_tap)

    p = sub.add_parser("record", help="record the pose stream to a take file")
    p.add_argument("config", help="stage config YAML (its endpoints.pose and cameras)")
    p.add_argument("--take", required=True, metavar="NAME", help="take name: writes DIR/NAME.take.jsonl")
    p.add_argument("--dir", help="directory for takes (default: the stage folder's takes/, beside the config: "
                   "docs/operator-guide.md, \"Where files go\")")
    p.add_argument("--duration", type=argtypes.seconds, metavar="S",
                   help="stop after S seconds (default: SIGINT/SIGTERM)")
    p.add_argument("--endpoint", type=argtypes.endpoint,
                   help="daemon PUB endpoint (default: the config's endpoints.pose)")
    p.add_argument("--force", action="store_true", help="overwrite an existing take")
    p.add_argument("--wait", type=argtypes.seconds, default=5.0, metavar="S",
                   help="give up (exit 2, nothing written) when no pose arrives within S seconds (default 5)")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("export", help="convert a take to Nuke .chan, CSV or OpenTrackIO JSON")
    p.add_argument("take", help="take file (.take.jsonl), or with --config a take name in the stage's takes/")
    p.add_argument("--config", metavar="CONFIG", help="stage config whose takes folder a take NAME is looked up in")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--camera", metavar="ID", help="camera to export (needed when the take has several)")
    p.add_argument("--out", metavar="PATH", help="output file (default: stdout)")
    p.add_argument("--start-frame", type=_start_frame, default=1, metavar="N|timecode",
                   help="chan: number of the first frame (default 1), or `timecode` to number frames by the take's "
                        "timecode at --fps")
    p.add_argument("--per-sample", action="store_true",
                   help="chan: one line per tracking sample instead of one per plate frame at --fps")
    p.add_argument("--tracked-point", action="store_true",
                   help="chan: place the camera at the tracked point, not the entrance pupil")
    p.add_argument("--fps", default=None, metavar="RATE",
                   help="plate frame rate, e.g. 24, 25, 30000/1001: chan resamples to it (default 24), opentrackio "
                        "writes timecode at it (default: the take's sample rate)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export)


def _subscriber(ctx: zmq.Context, endpoint: str, topic: str) -> zmq.Socket:
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
    secure(sock, endpoint, server=False)
    sock.connect(endpoint)
    return sock


def tap_line(frames: list[bytes]) -> str:
    """A valid pose or stats message as ``{"topic": ..., ...body}`` on one line; raises ``WireError``."""
    decode_any(frames)
    return json.dumps({"topic": frames[0].decode(), **json.loads(frames[1])}, allow_nan=False)


def cmd_tap(args: argparse.Namespace) -> int:
    endpoint = args.endpoint or (load_stage_config(args.config).endpoints.pose if args.config else DEFAULT_ENDPOINT)
    printed = bad = 0
    with zmq.Context() as ctx:
        try:
            sock = _subscriber(ctx, endpoint, args.topic)
        except (zmq.ZMQError, KeysError) as exc:
            return _connect_failed("tap", endpoint, exc)
        try:
            last = time.monotonic()
            while args.count is None or printed < args.count:
                if not sock.poll(POLL_MS):
                    if args.timeout is not None and time.monotonic() - last >= args.timeout:
                        print(f"tap: no message from {endpoint} within {args.timeout:g} s", file=sys.stderr)
                        return EXIT_FAILURE
                    continue
                frames = sock.recv_multipart()
                last = time.monotonic()
                try:
                    line = tap_line(frames)
                except WireError as exc:
                    bad += 1
                    print(f"tap: undecodable message #{bad}: {exc}", file=sys.stderr, flush=True)
                    continue
                print(line, flush=True)
                printed += 1
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # `stage tap | head`: the reader is gone, which is fine
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        finally:
            sock.close(linger=0)
            if bad:
                print(f"tap: {printed} messages, {bad} undecodable", file=sys.stderr)
    return EXIT_OK


class _StopOnSignals:
    """Turns SIGINT and SIGTERM into a flag while active (main thread only), restoring the handlers after."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum

    def __enter__(self) -> _StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def _connect_failed(command: str, endpoint: str, exc: Exception) -> int:
    """One line for a subscriber that could not be set up: missing keys (exit 1) or a bad endpoint (exit 2)."""
    if isinstance(exc, KeysError):
        print(f"stage {command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{command}: cannot connect to {endpoint!r}: {exc}", file=sys.stderr)
    return EXIT_USAGE


class _NothingArrived(Exception):
    """No pose came within the wait: nothing is recorded."""


def _record_loop(sock: zmq.Socket, writer_factory, stop: _StopOnSignals, args: argparse.Namespace,
                 counts: Counter[str], dedup: Deduper) -> tuple[Path, int, float]:
    """Receive poses until stopped; the take file is opened only when the first pose has arrived.

    Returns ``(path, bad messages, seconds recorded)``; raises :class:`_NothingArrived` when no pose came within
    ``args.wait`` seconds (or before a stop signal or the end of ``args.duration``).
    """
    rejected = 0
    start = time.monotonic()
    writer = None
    try:
        while stop.signal is None:
            now = time.monotonic() - start
            limits = [POLL_MS]
            if args.duration is not None:
                limits.append((args.duration - now) * 1e3)
            if writer is None:
                limits.append((args.wait - now) * 1e3)
            left_ms = min(limits)
            if left_ms <= 0:
                break
            if not sock.poll(max(1, int(left_ms))):
                if writer is not None:
                    writer.maybe_sync()
                continue
            frames = sock.recv_multipart()
            try:
                message = decode_pose(frames)
            except WireError as exc:  # also another protocol major version (the decoder checks it)
                rejected += 1
                log.warning("skipped a bad message: %s", exc)
                continue
            if not dedup.accept(message):
                continue
            if writer is None:
                writer = writer_factory().__enter__()
                start = time.monotonic()
            writer.write(frames[1])
            counts[message.camera] += 1
    finally:
        if writer is not None:
            writer.__exit__(None, None, None)
    if writer is None:
        raise _NothingArrived(time.monotonic() - start)
    return writer.path, rejected, time.monotonic() - start


def cmd_record(args: argparse.Namespace) -> int:
    config = load_stage_config(args.config)
    endpoint = args.endpoint or config.endpoints.pose
    header = TakeHeader(name=args.take, created=time.time(), config=args.config,
                        cameras=tuple(c.id for c in config.cameras))
    counts: Counter[str] = Counter()
    dedup = Deduper()
    try:
        path = take_path(args.dir or takes_folder(args.config, config), args.take)
        if path.exists() and not args.force:
            raise TakeError(f"{path}: take exists (use --force to overwrite)")
        with zmq.Context() as ctx, _StopOnSignals() as stop:
            sock = _subscriber(ctx, endpoint, POSE_TOPIC_PREFIX)
            print(f"recording {path} from {endpoint}; Ctrl-C to stop", file=sys.stderr, flush=True)
            try:
                path, rejected, elapsed = _record_loop(
                    sock, lambda: TakeWriter(path, header, force=args.force), stop, args, counts, dedup)
            finally:
                sock.close(linger=0)
    except _NothingArrived as exc:
        print(f"record: no pose arrived from {endpoint} in {exc.args[0]:.1f} s (is `stage up` or `stage track` "
              "running?); nothing written", file=sys.stderr)
        return EXIT_USAGE
    except TakeError as exc:
        print(f"record: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (zmq.ZMQError, KeysError) as exc:
        return _connect_failed("record", endpoint, exc)
    per_camera = ", ".join(f"{cam} {n}" for cam, n in sorted(counts.items())) or "no samples"
    extra = f"; skipped {dedup.skipped} re-sends" + (f", {rejected} bad messages" if rejected else "")
    print(f"recorded {path}: {sum(counts.values())} samples ({per_camera}) in {elapsed:.1f} s{extra}")
    return EXIT_OK


def _lines_with_progress(lines: Iterator[bytes], total: int, enabled: bool) -> Iterator[bytes]:
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, desc="reading take", disable=not enabled,
              file=sys.stderr, leave=False) as bar:
        for line in lines:
            bar.update(len(line))
            yield line


def _read(path: str, progress: bool) -> Take:
    return read_take(path, lambda lines, total: _lines_with_progress(lines, total, progress))


def _start_frame(text: str) -> int | None:
    """``--start-frame``: a frame number, or ``timecode`` (None: number frames by the take's timecode)."""
    if text == "timecode":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a frame number or 'timecode'") from None


def _chan(args: argparse.Namespace, samples: list) -> str:
    from stage.core.export import ExportError
    from stage.core.export.chan import chan_text, nuke_aperture_hint
    from stage.core.export.opentrackio_export import parse_rate
    from stage.core.export.resample import resample

    plate_fps = args.fps if args.fps is not None else CHAN_DEFAULT_FPS
    if args.per_sample:
        if args.start_frame is None:
            raise ExportError("--start-frame timecode needs plate frames: leave out --per-sample")
        frames = list(enumerate(samples, start=args.start_frame))
    else:
        frames = resample(samples, parse_rate(plate_fps), args.start_frame)
    if samples:
        span = f"frames {frames[0][0]}-{frames[-1][0]}" if frames else "no whole frame"
        rate = "one per sample" if args.per_sample else f"at {plate_fps} fps"
        print(f"chan: {len(samples)} samples → {len(frames)} lines, {span} ({rate}); {nuke_aperture_hint(samples[0])}",
              file=sys.stderr)
    return chan_text(frames, at_entrance_pupil=not args.tracked_point)


def _render(args: argparse.Namespace, samples: list) -> str:
    if args.format == "chan":
        return _chan(args, samples)
    if args.format == "csv":
        from stage.core.export.csv_export import to_csv

        return to_csv(samples)
    from stage.core.export.opentrackio_export import parse_rate, to_opentrackio

    return to_opentrackio(samples, parse_rate(args.fps) if args.fps is not None else None)


def takes_folder(config_file: str, config: StageConfig) -> Path:
    """The stage's takes folder: ``<stage folder>/takes`` (:func:`stage.core.config.paths.stage_folder`)."""
    return stage_files(config_file, config.files.folder)["takes"]


def _export_source(args: argparse.Namespace) -> str:
    """The take file to export: ``take`` as given, or — with ``--config`` and no such file — the take of that name
    in the stage's takes folder."""
    if args.config is None or Path(args.take).exists():
        return args.take
    name = args.take.removesuffix(TAKE_SUFFIX)
    try:
        return str(take_path(takes_folder(args.config, load_stage_config(args.config)), name))
    except TakeError:
        return args.take


def cmd_export(args: argparse.Namespace) -> int:
    from stage.core.export import ExportError

    try:
        take = _read(_export_source(args), progress=not args.quiet and sys.stderr.isatty())
        for warning in take.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        cameras = take.cameras
        if args.camera is None and len(cameras) != 1:
            found = ", ".join(cameras) if cameras else "none"
            print(f"export: {args.take}: choose a camera with --camera (cameras with samples: {found})",
                  file=sys.stderr)
            return EXIT_USAGE
        camera = args.camera or cameras[0]
        if camera not in cameras:
            print(f"export: {args.take}: no samples of camera {camera!r} (cameras: {', '.join(cameras) or 'none'})",
                  file=sys.stderr)
            return EXIT_USAGE
        samples = take.samples_for(camera)
        text = _render(args, samples)
    except (TakeError, ExportError) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return EXIT_OK
    try:
        Path(args.out).write_text(text)
    except OSError as exc:
        print(f"export: {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"exported {len(samples)} samples of {camera} to {args.out} ({args.format})", file=sys.stderr)
    return EXIT_OK
