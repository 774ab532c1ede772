"""The take file: header, writer, reader (bad lines named by number, a truncated last line tolerated), dedup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stage.core.take import (
    Deduper,
    TakeError,
    TakeExistsError,
    TakeHeader,
    TakeWriter,
    parse_take,
    read_take,
    take_path,
)
from stage.core.wire.pose import PoseMessage
from tests.take.helpers import pose_body

HEADER = TakeHeader(name="A001", created=1767225600.5, config="configs/demo.yaml", cameras=("cam1", "cam2"))


def _write_take(path: Path, bodies: list[dict], force: bool = False) -> None:
    with TakeWriter(path, HEADER, force=force) as writer:
        for body in bodies:
            writer.write(json.dumps(body).encode())


def test_round_trip_keeps_bodies_exactly(tmp_path: Path) -> None:
    path = tmp_path / "takes" / "A001.take.jsonl"
    bodies = [pose_body("cam1", 0), pose_body("cam2", 0, ptr=(10.0, 5.0, 1.0)), pose_body("cam1", 1)]
    _write_take(path, bodies)
    lines = path.read_bytes().splitlines()
    assert json.loads(lines[0]) == {"take": 1, "name": "A001", "created": 1767225600.5,
                                    "config": "configs/demo.yaml", "cameras": ["cam1", "cam2"]}
    assert [json.loads(line) for line in lines[1:]] == bodies  # the bodies as received
    take = read_take(path)
    assert take.header == HEADER and take.warnings == ()
    assert take.cameras == ["cam1", "cam2"]
    assert [s.seq for s in take.samples_for("cam1")] == [0, 1]
    assert take.samples[1] == PoseMessage.model_validate(bodies[1])


def test_multiline_body_is_written_as_one_line(tmp_path: Path) -> None:
    path = tmp_path / "t.take.jsonl"
    with TakeWriter(path, HEADER) as writer:
        writer.write(json.dumps(pose_body(), indent=2).encode())
    assert len(path.read_bytes().splitlines()) == 2
    assert read_take(path).samples[0].seq == 0


def test_refuses_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "t.take.jsonl"
    _write_take(path, [pose_body()])
    with pytest.raises(TakeExistsError, match=r"t\.take\.jsonl: take exists \(use --force"):
        _write_take(path, [])
    assert len(read_take(path).samples) == 1  # untouched
    _write_take(path, [], force=True)
    assert read_take(path).samples == ()


def _lines(*bodies: dict | bytes) -> list[bytes]:
    out = [HEADER.to_line()]
    for b in bodies:
        out.append(b if isinstance(b, bytes) else json.dumps(b).encode() + b"\n")
    return out


def test_bad_middle_line_names_its_line_number() -> None:
    bad = pose_body(seq=1, focal_length_mm=-5.0)
    with pytest.raises(TakeError) as info:
        parse_take(_lines(pose_body(seq=0), bad, pose_body(seq=2)), "x.take.jsonl")
    assert str(info.value).startswith("x.take.jsonl:3: focal_length_mm:")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("line", "reason"), [
    (b"{not json\n", "Invalid JSON"),
    (b"\n", "empty line"),
    (json.dumps({k: v for k, v in pose_body().items() if k != "seq"}).encode() + b"\n", "seq: Field required"),
    (json.dumps({**pose_body(), "v": 99}).encode() + b"\n", "protocol version 99 is not supported"),
])
def test_bad_lines(line: bytes, reason: str) -> None:
    with pytest.raises(TakeError, match=rf"^t:2: .*{reason}"):
        parse_take(_lines(line, pose_body(seq=1)), "t")


def test_fields_of_a_newer_minor_version_are_ignored() -> None:
    """A take holds wire messages: a newer daemon's extra fields are skipped, as every wire reader does."""
    take = parse_take(_lines(pose_body(seq=0), {**pose_body(seq=1), "v_minor": 3, "extra": 1}), "t")
    assert [s.seq for s in take.samples] == [0, 1]


def test_truncated_last_line_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "crash.take.jsonl"
    full = json.dumps(pose_body(seq=1)).encode()
    path.write_bytes(b"".join(_lines(pose_body(seq=0))) + full[: len(full) // 2])
    take = read_take(path)
    assert [s.seq for s in take.samples] == [0]
    assert len(take.warnings) == 1 and take.warnings[0].startswith(f"{path}:3: truncated last line ignored")


def test_complete_last_line_without_newline_is_kept() -> None:
    take = parse_take(_lines(pose_body(seq=0), json.dumps(pose_body(seq=1)).encode()), "t")
    assert [s.seq for s in take.samples] == [0, 1] and take.warnings == ()


@pytest.mark.parametrize(("first", "message"), [
    (b"", "empty file"),
    (b"[1, 2]\n", "not a take file"),
    (b'{"take": 2, "name": "x", "created": 0, "config": null, "cameras": []}\n', "unsupported take version 2"),
    (b'{"take": 1, "name": "x", "created": "now", "config": null, "cameras": []}\n', "header.created"),
    (b'{"take": 1, "name": "x", "created": 0, "config": null, "cameras": "cam1"}\n', "header.cameras"),
    (b"\xff\xfe\n", "not UTF-8|not JSON"),
])
def test_bad_headers(first: bytes, message: str) -> None:
    with pytest.raises(TakeError, match=rf"^t(:1)?: .*({message})"):
        parse_take([first] if first else [], "t")


def test_missing_file_is_a_take_error(tmp_path: Path) -> None:
    with pytest.raises(TakeError, match="nope.take.jsonl: file not found"):
        read_take(tmp_path / "nope.take.jsonl")


def test_take_path_rejects_path_names(tmp_path: Path) -> None:
    assert take_path(tmp_path, "A001") == tmp_path / "A001.take.jsonl"
    for name in ("", "..", "a/b", "../x"):
        with pytest.raises(TakeError, match="plain name"):
            take_path(tmp_path, name)


def test_deduper_skips_resends_and_keeps_restarts() -> None:
    d = Deduper()
    msg = lambda **kw: PoseMessage.model_validate(pose_body(**kw))  # noqa: E731
    assert d.accept(msg(seq=0))
    assert not d.accept(msg(seq=0))  # late-joiner last-value re-send
    assert not d.accept(msg(seq=0, stale=True))  # stale re-send of a recorded seq
    assert d.accept(msg(seq=0, camera="cam2"))  # other camera, own counter
    assert d.accept(msg(seq=1, stale=True))  # first sight of a stale pose: kept once
    assert not d.accept(msg(seq=1, stale=True))
    assert d.accept(msg(seq=0, t_sample=2e9))  # daemon restarted: seq 0 again, a new sample
    assert d.skipped == 3


def test_deduper_window_is_bounded() -> None:
    d = Deduper(window=2)
    for seq in range(3):
        assert d.accept(PoseMessage.model_validate(pose_body(seq=seq)))
    assert d.accept(PoseMessage.model_validate(pose_body(seq=0)))  # forgotten: outside the window
