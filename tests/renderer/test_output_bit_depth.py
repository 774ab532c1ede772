"""HDR outputs carry 10 bits per channel: ``nodes[].outputs[].bit_depth`` (``auto``: 10 when a wall on the output
starts with a PQ signal). A PQ wall on an 8-bit output bands (one 8-bit PQ step is a 4 % luminance jump at 100
nits); LED processors take HDR at 10 bits. Headless, the output is an RGB10_A2 framebuffer; windowed, the window asks
the display for 10 bits (Xvfb at depth 30 gives them; at depth 24 the node warns). Either way the node's 10-bit
signal is the offline render's float signal in 10 bits (within a code: llvmpipe does not round to nearest), and
snapshots of 10-bit outputs are 16-bit PNGs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

from renderer.gl.resources import Framebuffer
from renderer.node_outputs import NodeRenderer, write_snapshots
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.color.bit_depth import HIGH_BITS, output_bits, wall_needs_high_bit_depth
from stage.core.color.ocio import DisplayView
from stage.core.color.png16 import load_png16
from stage.core.config.color import ColorManagement, WallColor
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.live import LiveState
from tests.renderer.node_helpers import (
    MAIN_RECT,
    NODE,
    SIDE_RECT,
    TINY_CONFIG,
    bound,
    headless_node_image,
    region,
    snapshot_record,
    start_node,
    stop,
    take_snapshot,
    wait_stats,
)

CAMERA = CameraState("cam1", (0.0, 0.5, 1.6), (4.0, 2.0, 0.0), 24.0, (24.89, 14.0), 0.12)
STUDIO = ColorManagement(ocio_config="ocio://studio-config-latest", working_space="ACEScg")
PQ_MAIN = "    color: {transfer: pq, gamut: rec2020}\n    output: {node: n1, offset_px: [0, 8]}"


def _write(tmp_path: Path, main_pq: bool = True, bit_depth: str | None = None, name: str = "stage.yaml") -> Path:
    text = TINY_CONFIG
    if main_pq:
        text = text.replace("    output: {node: n1, offset_px: [0, 8]}", PQ_MAIN)
    if bit_depth is not None:
        text = text.replace("resolution_px: [200, 80]}", f"resolution_px: [200, 80], bit_depth: {bit_depth}}}")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _codes(image16: np.ndarray) -> np.ndarray:
    """A 16-bit image of a 10-bit signal (GL's unorm10 → unorm16) back in 10-bit codes, as floats."""
    return image16[:, :, :3].astype(np.float64) / 65535.0 * 1023.0


# -- which outputs need 10 bits (pure) -------------------------------------------------------------------------------


def test_built_in_pq_needs_high_bit_depth_and_sdr_does_not() -> None:
    assert wall_needs_high_bit_depth(WallColor(transfer="pq", gamut="rec2020"), None)
    assert not wall_needs_high_bit_depth(WallColor(), None)
    assert not wall_needs_high_bit_depth(WallColor(transfer="bt1886"), ColorManagement())


def test_an_ocio_display_decides_and_the_live_choice_wins() -> None:
    assert wall_needs_high_bit_depth(WallColor(display="Rec.2100-PQ - Display"), STUDIO)
    assert not wall_needs_high_bit_depth(WallColor(display="sRGB - Display"), STUDIO)
    assert wall_needs_high_bit_depth(WallColor(display="sRGB - Display"), STUDIO,
                                     DisplayView("Rec.2100-PQ - Display"))


@pytest.mark.parametrize(("setting", "needs", "bits"), [("auto", True, 10), ("auto", False, 8), (8, True, 8),
                                                        (10, False, 10)])
def test_output_bits_follow_the_setting(setting, needs: bool, bits: int) -> None:
    assert output_bits(setting, needs) == bits


def test_bit_depth_defaults_to_auto_and_rejects_other_depths_in_one_line(tmp_path: Path) -> None:
    assert load_stage_config(_write(tmp_path)).nodes[0].outputs[0].bit_depth == "auto"
    assert load_stage_config(_write(tmp_path, bit_depth="10", name="ten.yaml")).nodes[0].outputs[0].bit_depth == 10
    with pytest.raises(ConfigError) as err:
        load_stage_config(_write(tmp_path, bit_depth="12", name="twelve.yaml"))
    message = str(err.value)
    assert "twelve.yaml:" in message and "bit_depth" in message and len(message.splitlines()) == 1


def test_validate_shows_each_outputs_bits_and_warns_about_pq_on_8_bits(tmp_path: Path, capsys) -> None:
    from stage.app.cli import main

    assert main(["validate", str(_write(tmp_path))]) == 0
    out = capsys.readouterr()
    assert "  n1             o1 200 × 80, 10-bit (auto)" in out.out and "warning" not in out.err
    eight = _write(tmp_path, bit_depth="8", name="eight.yaml")
    assert main(["validate", str(eight)]) == 0
    out = capsys.readouterr()
    assert "o1 200 × 80, 8-bit\n" in out.out
    warning = [line for line in out.err.splitlines() if "bit_depth" in line]
    assert len(warning) == 1 and warning[0].startswith(f"{eight}:")
    assert "nodes[0].outputs[0].bit_depth: warning:" in warning[0]
    assert "wall 'main' sends an HDR (PQ) signal over this 8-bit output" in warning[0]
    assert main(["validate", str(_write(tmp_path, main_pq=False, bit_depth="8", name="sdr.yaml"))]) == 0
    assert "bit_depth" not in capsys.readouterr().err


# -- headless --------------------------------------------------------------------------------------------------------


@pytest.mark.gl
def test_a_10_bit_framebuffer_reads_back_its_10_bit_codes(gl_context) -> None:
    from OpenGL import GL

    fb = Framebuffer(4, 2, "rgb10_a2", depth=False)
    try:
        fb.bind()
        GL.glClearColor(520 / 1023, 769 / 1023, 1.0, 1.0)  # PQ 100 and 1000 nits
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        image = fb.read()
    finally:
        fb.delete()
    assert image.dtype == np.uint16
    assert np.array_equal(np.round(_codes(image)[0, 0]), [520, 769, 1023])


def _node_image(config_path: Path) -> tuple[dict[str, int], np.ndarray]:
    return headless_node_image(config_path, cameras=[CAMERA])


@pytest.mark.gl
def test_a_headless_pq_output_is_the_offline_signal_rounded_to_10_bits(gl_context, tmp_path: Path) -> None:
    path = _write(tmp_path)
    bits, image = _node_image(path)
    gl_context.make_current()
    assert bits == {"o1": HIGH_BITS} and image.dtype == np.uint16
    config = load_stage_config(path)
    offline = render_frame(config, load_scene_config(config.scene), [CAMERA], context=gl_context)
    expected = _codes(offline.walls_16bit["main"])  # the float signal, to 1/64 of a 10-bit code
    node = np.round(region(_codes(image), MAIN_RECT))
    # llvmpipe's float → unorm10 conversion is not round-to-nearest: up to one code off (exact codes stay exact);
    # an 8-bit output would be up to 2 codes off (its steps are 4 codes)
    assert np.abs(node - expected).max() <= 1.0 + 1.0 / 64
    assert len(np.unique(node)) > 40  # a picture, not a flat colour
    side = np.round(region(_codes(image), SIDE_RECT))  # the SDR wall beside it, at 10-bit precision too
    # against the offline 8-bit image: its rounding (2 codes) plus the conversion's (1)
    assert np.abs(side - offline.walls["side"][:, :, :3] / 255.0 * 1023.0).max() <= 3.01


@pytest.mark.gl
def test_an_sdr_output_stays_8_bit_and_bit_depth_10_forces_10(gl_context, tmp_path: Path) -> None:
    bits, image = _node_image(_write(tmp_path, main_pq=False))
    assert bits == {"o1": 8} and image.dtype == np.uint8
    bits, image = _node_image(_write(tmp_path, main_pq=False, bit_depth="10", name="ten.yaml"))
    assert bits == {"o1": 10} and image.dtype == np.uint16
    bits, image = _node_image(_write(tmp_path, bit_depth="8", name="eight.yaml"))
    assert bits == {"o1": 8} and image.dtype == np.uint8
    gl_context.make_current()


@pytest.mark.gl
def test_switching_a_wall_to_pq_live_on_an_8_bit_output_warns_once(gl_context, tmp_path: Path, caplog) -> None:
    text = TINY_CONFIG.replace("render:", "color: {ocio_config: 'ocio://studio-config-latest', working_space: ACEScg}\n"
                                          "render:")
    path = tmp_path / "ocio.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_stage_config(path)
    live = LiveState.from_config(config)
    node = NodeRenderer(config, load_scene_config(config.scene), NODE, "headless", live)
    try:
        assert node.bits == {"o1": 8}
        hdr = live.model_copy(deep=True)
        hdr.walls["main"].display = "Rec.2100-PQ - Display"
        with caplog.at_level(logging.WARNING, logger="renderer.node_outputs"):
            node.apply_state(hdr)
            node.apply_state(hdr)
        warnings = [r.getMessage() for r in caplog.records if "8-bit output o1" in r.getMessage()]
        assert len(warnings) == 1 and "wall main" in warnings[0]
    finally:
        node.close()
        gl_context.make_current()


def test_snapshots_of_10_bit_outputs_are_16_bit_pngs(tmp_path: Path) -> None:
    ramp = (np.arange(1024, dtype=np.float64) / 1023.0 * 65535.0).round().astype(np.uint16)
    image = np.zeros((2, 1024, 4), np.uint16)
    image[:, :, 0] = ramp
    image[:, :, 3] = 65535
    write_snapshots(tmp_path, NODE, {"o1": image, "o2": np.zeros((2, 3, 4), np.uint8)}, 1)
    assert np.array_equal(load_png16(tmp_path / f"{NODE}-o1.0001.png"), image[:, :, :3])
    assert np.array_equal(load_png16(tmp_path / f"{NODE}-o1.png"), image[:, :, :3])
    assert load_png16(tmp_path / f"{NODE}-o2.0001.png").max() == 0


# -- windowed --------------------------------------------------------------------------------------------------------


def _windowed_snapshot(config_path: Path, display: str, tmp_path: Path) -> tuple[np.ndarray, list[str], dict, dict]:
    ctx = zmq.Context()
    try:
        stats_sub, stats_ep = bound(ctx, zmq.SUB)
        snap_dir = tmp_path / f"snap-{display.strip(':')}"
        proc = start_node(config_path, "--stats", stats_ep, "--pose", "tcp://127.0.0.1:9", "--state",
                          "tcp://127.0.0.1:9", "--snapshot-dir", str(snap_dir), display="--windowed",
                          env={"DISPLAY": display, "WAYLAND_DISPLAY": ""})
        try:
            stats = wait_stats(stats_sub, lambda s: s.frame > 0)
            take_snapshot(proc, 1)
            record = snapshot_record(snap_dir, 1)
            assert stop(proc) == 0
        finally:
            proc.kill()
        return load_png16(snap_dir / f"{NODE}-o1.0001.png"), list(proc.lines), record, stats.output_bits
    finally:
        ctx.destroy(linger=0)


@pytest.mark.gl
def test_a_window_on_a_depth_30_display_carries_the_10_bit_signal(tmp_path: Path, xvfb_display_30: str,
                                                                     gl_context) -> None:
    path = _write(tmp_path)
    window, lines, record, bits = _windowed_snapshot(path, xvfb_display_30, tmp_path)
    assert not any("framebuffer for a 10-bit output" in line for line in lines)
    assert bits == {"o1": 10}  # as the node reports it in its stats (``stage status``)
    expected = headless_node_image(path, record["time_s"])[1][:, :, :3]
    gl_context.make_current()
    assert np.array_equal(np.round(_codes(window)), np.round(_codes(expected)))


@pytest.mark.gl
def test_a_window_on_a_depth_24_display_warns_that_it_got_8_bits(tmp_path: Path, xvfb_display: str) -> None:
    window, lines, _, bits = _windowed_snapshot(_write(tmp_path), xvfb_display, tmp_path)
    assert any("the display gave a 8-bit framebuffer for a 10-bit output" in line for line in lines)
    assert bits == {"o1": 8}  # the real state, not the config's wish
    codes = _codes(window)
    assert np.allclose(codes, np.round(codes / 1023.0 * 255.0) / 255.0 * 1023.0, atol=0.01)  # 8-bit steps


def test_stage_status_shows_each_outputs_bits() -> None:
    from stage.app.orchestrator.status_text import _node_lines

    node = {"fps": 60.0, "frame": 10, "missed_frames": 0, "pose_age_ms": {}, "pose_to_frame_ms_p50": None,
            "state_rev": 1, "output_bits": {"o1": 10, "o2": 8}}
    assert _node_lines({"n1": node})[1].strip() == "outputs: o1 10-bit, o2 8-bit"
    assert len(_node_lines({"n1": {**node, "output_bits": {}}})) == 1  # a node older than the field


def _ocio_show(tmp_path: Path):
    """A store and health for the tiny stage under the ACES studio config (SDR walls at start)."""
    from types import SimpleNamespace

    from stage.app.orchestrator.health import Health
    from stage.app.orchestrator.store import StateStore

    text = TINY_CONFIG.replace("render:", "color: {ocio_config: 'ocio://studio-config-latest', working_space: ACEScg}"
                                          "\nrender:")
    path = tmp_path / "ocio.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_stage_config(path)
    scene = str(config.scene)
    store = StateStore(config, [scene], LiveState.from_config(config, scene=scene), tmp_path / "presets")
    return SimpleNamespace(store=store, config=config, health=Health([NODE]))


def _report_bits(show, bits: int) -> None:
    from stage.core.wire import render_stats

    stats = render_stats.RenderStats(
        v=1, node=NODE, t_pub=0.0, uptime_s=1.0, display="headless", scene=None, state_rev=0, frame=1, fps=60.0,
        frame_ms_p50=1.0, frame_ms_p99=2.0, missed_frames=0, pose_age_ms={}, pose_to_frame_ms_p50=None,
        pose_to_frame_ms_p99=None, stale_cameras=[], rejects={}, state_ignored=0, output_bits={"o1": bits})
    show.health.on_render(render_stats.encode(stats), time.monotonic())


WARNING = ("wall main: an HDR signal over 8-bit output n1/o1 bands until the node restarts (bit_depth: auto) or the "
           "output is set to bit_depth: 10")


def test_stage_set_warns_when_a_wall_goes_hdr_on_an_output_its_node_runs_at_8_bits(tmp_path: Path) -> None:
    from stage.app.orchestrator.control import Request
    from stage.app.orchestrator.handlers import HANDLERS
    from stage.app.orchestrator.status_text import format_reply

    show = _ocio_show(tmp_path)

    def set_display(display: str) -> dict:
        return HANDLERS["set"](show, Request([], "set", {"param": "walls.main.display", "value": display}))

    assert "warnings" not in set_display("Rec.2100-PQ - Display")  # no stats yet: the node's depth is not known
    _report_bits(show, 8)
    set_display("sRGB - Display")
    reply = set_display("Rec.2100-PQ - Display")
    assert reply["warnings"] == [WARNING]
    assert format_reply("set", reply).splitlines()[1] == f"warning: {WARNING}"
    assert "warnings" not in set_display("sRGB - Display")  # SDR again: nothing to warn about
    _report_bits(show, 10)
    assert "warnings" not in set_display("Rec.2100-PQ - Display")  # a 10-bit output carries it


def test_a_tablet_switching_a_wall_to_hdr_on_an_8_bit_output_gets_a_warning(tmp_path: Path) -> None:
    from stage.app.orchestrator.osc_server import OscServer
    from stage.app.orchestrator.output_warnings import change_warnings
    from tests.orchestrator import Tablet

    show = _ocio_show(tmp_path)
    _report_bits(show, 8)
    server = OscServer(show.store, "127.0.0.1", 0, ["127.0.0.0/8"])
    server.warnings = lambda changed: change_warnings(show.config, show.store.state, show.health, changed)
    tablet = Tablet(server)
    try:
        replies = tablet.send("/stage/walls/main/display", "Rec.2100-PQ - Display")
        assert ("/stage/warning", [WARNING]) in replies
        assert show.store.state.walls["main"].display == "Rec.2100-PQ - Display"  # applied, not refused
        assert not [r for r in tablet.send("/stage/walls/main/brightness", 0.5) if r[0] == "/stage/warning"]
    finally:
        tablet.sock.close()
        server.close()
