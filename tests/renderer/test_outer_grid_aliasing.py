"""The ground grid is anti-aliased analytically in the scene pass, so the small cube faces of a low
``resolution_scale`` show it as an 8× supersampled render would, not as streaks (issue 13).

The outer cube map of the demo stage at ``resolution_scale`` 0.25 has 128 px faces. Rendered with the calibration
scene's ground (1 m grid, 3 cm lines, light on dark), each face is compared with the same face rendered at 8× the
size and box-averaged down to 128 px: the ideal anti-aliased picture at that resolution (64 samples per pixel). The
difference is the aliasing the walls then magnify. Measured on llvmpipe: RMS 3.1..3.5 levels (up to 37 on single
pixels) with the former coverage (``fwidth`` footprint, smoothstep edges: lines that run diagonally across the
pixels, i.e. every line converging to the horizon, drawn too wide and too dim), 0.4..1.4 with the
box-filtered coverage (the largest single-pixel differences left are on the horizon row, a geometric
edge that one sample per pixel cannot filter).

On the wall, what the operator sees: the demo's main wall with the outer viewpoint moved to x = −1.5 m, so that the
+X/+Y face seam crosses the wall at column 384, against the same wall drawn from the supersampled cube (its mip
level 3, an 8×8 box average, copied into a 128 px cube). RMS 3.4 levels over the ground rows before (3.1 in a band
around the seam), 1.6 after (1.4). The change of softness that remains at the seam is the same in the
supersampled cube: the two faces' texels meet the wall at different angles, a matter of resolution, not aliasing.
"""

from __future__ import annotations

import numpy as np
import pytest

from renderer.frame import build_frame
from renderer.gl import GLContext
from renderer.gl.stage_renderer import StageRenderer, outer_face_size
from renderer.gl.targets import CubeTarget
from renderer.views import CameraState
from stage.core.config.loader import load_stage_config
from stage.core.config.scene import SceneConfig
from stage.core.lens import LensSolver
from stage.core.live import LiveState

GROUND = {"color": [0.08, 0.08, 0.09], "grid_color": [0.9, 0.9, 0.9], "grid_spacing_m": 1.0,
          "grid_line_width_m": 0.03}
SUPERSAMPLE = 8
GROUND_FACES = (0, 1, 2, 3, 5)
"""+X, −X, +Y, −Y, −Z: the faces that see the ground (+Z sees only sky)."""
MAX_RMS_LEVELS = 2.0
"""RMS difference (8-bit levels, gamma 2.2) allowed per face between the 0.25 face and the supersampled one."""
MAX_WALL_RMS_LEVELS = 2.5
"""RMS difference (8-bit wall image levels) allowed over the ground rows of the wall."""
SEAM_COLUMN = 384


def _faces(renderer_walls, face_px: int) -> np.ndarray:
    """The six level-0 faces (linear green channel, GL row order) of the outer cube rendered at ``face_px``."""
    from OpenGL import GL

    renderer = StageRenderer(SceneConfig(name="grid", ground=GROUND), renderer_walls, (64, 36), 1, face_px)
    try:
        renderer.render_outer((0.0, 1.0, 1.7))
        GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, renderer.outer.texture)
        faces = []
        for face in range(6):
            data = GL.glGetTexImage(GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + face, 0, GL.GL_RGB, GL.GL_FLOAT)
            faces.append(np.frombuffer(data, np.float32).reshape(face_px, face_px, 3)[..., 1].astype(float))
        return np.stack(faces)
    finally:
        renderer.delete()


def _encoded(linear: np.ndarray) -> np.ndarray:
    return 255.0 * np.clip(linear, 0.0, 1.0) ** (1.0 / 2.2)


@pytest.mark.gl
def test_quarter_resolution_cube_faces_match_supersampled_grid(repo, gl_context: GLContext) -> None:
    walls = list(load_stage_config(repo / "configs/demo.yaml").walls)
    n = outer_face_size(walls, 0.25)
    assert n == 128
    faces = _faces(walls, n)
    k = SUPERSAMPLE
    reference = _faces(walls, n * k).reshape(6, n, k, n, k).mean(axis=(2, 4))
    for face in GROUND_FACES:
        error = _encoded(faces[face]) - _encoded(reference[face])
        rms = float(np.sqrt(np.mean(error ** 2)))
        assert rms < MAX_RMS_LEVELS, f"face {face}: ground grid aliased, RMS {rms:.2f} levels vs {k}x supersampled"
        # The grid keeps its brightness: analytic coverage is mean-preserving, like the supersampled average.
        assert abs(faces[face].mean() - reference[face].mean()) < 0.002


def _wall_ground(repo, face_px: int, supersample: int = 1) -> np.ndarray:
    """The bottom half (ground) of the demo's main wall, all outer frustum, with the outer viewpoint placing a cube
    face seam at :data:`SEAM_COLUMN`; the cube rendered at ``face_px`` or, with ``supersample`` (a power of two),
    at ``face_px * supersample`` and box-averaged down to ``face_px`` through its mip chain."""
    from OpenGL import GL

    config = load_stage_config(repo / "configs/demo.yaml")
    config.render.outer.viewpoint_m = (-1.5, 1.0, 1.7)  # +X/+Y seam: direction (1, 1) meets y = 4 m at x = 1.5 m
    scene = SceneConfig(name="grid", ground=GROUND)
    camera = config.cameras[0]
    lens = LensSolver(camera.lens)()
    away = CameraState(camera=camera.id, position_m=(0.0, 0.5, 1.6), rotation_deg=(180.0, 0.0, 0.0),
                       focal_length_mm=lens.focal_length_mm, sensor_mm=camera.sensor_mm,
                       entrance_pupil_m=lens.entrance_pupil_m, priority=camera.priority)
    frame = build_frame(config, scene, LiveState.from_config(config), [away], 0.0)
    walls = [w for w in config.walls if w.name == "main"]
    renderer = StageRenderer(scene, walls, (64, 36), 1, face_px * supersample)
    try:
        renderer.prepare(frame)
        if supersample > 1:
            small = CubeTarget(face_px)
            for face in range(6):
                GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, renderer.outer.texture)
                data = GL.glGetTexImage(GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + face, supersample.bit_length() - 1,
                                        GL.GL_RGBA, GL.GL_FLOAT)
                GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, small.texture)
                GL.glTexSubImage2D(GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + face, 0, 0, 0, face_px, face_px, GL.GL_RGBA,
                                   GL.GL_FLOAT, data)
            small.generate_mipmaps()
            renderer.outer.delete()
            renderer.outer = small
        fb = renderer.wall_image("main", frame)
        try:
            image = fb.read()
        finally:
            fb.delete()
    finally:
        renderer.delete()
    return image[image.shape[0] // 2:, :, :3].astype(float)


@pytest.mark.gl
def test_quarter_resolution_wall_matches_supersampled_cube_across_a_face_seam(repo, gl_context: GLContext) -> None:
    ground = _wall_ground(repo, 128)
    reference = _wall_ground(repo, 128, SUPERSAMPLE)
    error = ground - reference
    rms = float(np.sqrt(np.mean(error ** 2)))
    seam = float(np.sqrt(np.mean(error[:, SEAM_COLUMN - 16: SEAM_COLUMN + 16] ** 2)))
    assert rms < MAX_WALL_RMS_LEVELS, f"wall ground aliased: RMS {rms:.2f} levels vs the supersampled cube"
    assert seam < MAX_WALL_RMS_LEVELS, f"wall ground aliased at the face seam: RMS {seam:.2f} levels"
