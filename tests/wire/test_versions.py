"""Strict configs, lenient wires: every decoder checks the major version first and ignores fields it does not know
(docs/wire-protocol.md, "Versions")."""

from __future__ import annotations

import orjson
import pytest

from stage.core.config.types import StrictModel
from stage.core.live import LiveState, WallLive
from stage.core.wire import render_stats
from stage.core.wire.base import WIRE_MAJOR, WireError, WireModel
from stage.core.wire.pose import PoseMessage, SourceStats, StatsMessage, decode_pose, decode_stats
from stage.core.wire.state import (
    DELTA_TOPIC,
    SNAPSHOT_TOPIC,
    StateFollower,
    decode_state,
    encode_delta,
    encode_snapshot,
)


def _pose(**extra) -> dict:
    body = {
        "v": 1, "camera": "A", "source": "s", "seq": 0, "t_sample": 1.0, "t_recv": 1.0, "t_pub": 1.0,
        "position_m": [0, 0, 0], "rotation_deg": [0, 0, 0],
        "world_from_camera": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        "focal_length_mm": 35.0, "sensor_mm": [36, 24], "focus_m": None, "entrance_pupil_m": 0.0, "fstop": None,
        "timecode": None, "stale": False,
    }
    body.update(extra)
    return body


def _stats(**extra) -> dict:
    src = {"kind": "freed", "packets": 1, "accepted": 1, "rejects": {}, "rate_hz": 1.0, "latency_ms_p50": None,
           "latency_ms_p99": None, "stale_cameras": [], "jitter_ms": 0.1}
    return {"v": 1, "t_pub": 1.0, "uptime_s": 1.0, "sources": {"s": src}, **extra}


def _render(**extra) -> dict:
    return {"v": 1, "node": "n", "t_pub": 1.0, "uptime_s": 1.0, "display": "headless", "scene": None,
            "state_rev": 0, "frame": 1, "fps": 60.0, "frame_ms_p50": None, "frame_ms_p99": None, "missed_frames": 0,
            "pose_age_ms": {}, "pose_to_frame_ms_p50": None, "pose_to_frame_ms_p99": None, "stale_cameras": [],
            "rejects": {}, "state_ignored": 0, **extra}


def test_wire_models_are_lenient_not_the_strict_config_base() -> None:
    for model in (PoseMessage, SourceStats, StatsMessage, render_stats.RenderStats):
        assert issubclass(model, WireModel) and not issubclass(model, StrictModel)
        assert model.model_config["extra"] == "ignore"


def test_unknown_fields_from_a_newer_minor_are_ignored() -> None:
    pose = decode_pose([b"pose/A", orjson.dumps(_pose(v_minor=7, lens_distortion={"k1": 0.1}))])
    assert pose.camera == "A" and pose.v_minor == 7 and not hasattr(pose, "lens_distortion")
    stats = decode_stats([b"stats", orjson.dumps(_stats(temperature_c=40))])
    assert stats.sources["s"].accepted == 1  # jitter_ms, an unknown nested field, is ignored too
    node = render_stats.decode([b"render/n", orjson.dumps(_render(gpu_ms=3.0))])
    assert node.fps == 60.0


@pytest.mark.parametrize("frames", [
    [b"pose/A", orjson.dumps(_pose(v=99))],
    [b"stats", orjson.dumps(_stats(v=99))],
    [b"render/n", orjson.dumps(_render(v=99))],
    [SNAPSHOT_TOPIC.encode(), orjson.dumps({"v": 99, "rev": 1, "state": {}})],
    [DELTA_TOPIC.encode(), orjson.dumps({"v": 99, "rev": 2, "base": 1, "set": {}})],
])
def test_another_major_version_is_refused_with_a_clear_error(frames) -> None:
    decoder = {b"pose/A": decode_pose, b"stats": decode_stats, b"render/n": render_stats.decode}.get(
        frames[0], decode_state)
    with pytest.raises(WireError, match=rf"protocol version 99 is not supported .*major version {WIRE_MAJOR}"):
        decoder(frames)


def test_missing_version_is_refused() -> None:
    body = _pose()
    del body["v"]
    with pytest.raises(WireError, match="v: protocol version missing"):
        decode_pose([b"pose/A", orjson.dumps(body)])


def test_state_reader_ignores_parameters_it_does_not_know() -> None:
    state = LiveState(walls={"main": WallLive()})
    snap = orjson.loads(encode_snapshot(3, state)[1])
    assert snap["v"] == WIRE_MAJOR and "v_minor" in snap
    snap["state"]["haze_density"] = 0.5  # a parameter a newer orchestrator added
    snap["state"]["walls"]["main"]["gamma"] = 2.2
    follower = StateFollower(LiveState())
    assert follower.handle([SNAPSHOT_TOPIC.encode(), orjson.dumps(snap)])
    assert follower.rev == 3 and follower.state.walls["main"].brightness == 1.0
    delta = encode_delta(4, 3, {"haze_density": 0.7, "walls.main.brightness": 0.5})
    assert follower.handle(delta)
    assert follower.rev == 4 and follower.state.walls["main"].brightness == 0.5
