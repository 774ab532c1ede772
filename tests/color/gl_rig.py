"""GL rigs for the colour tests: a small flat wall with its wall-pass targets (:class:`WallRig`), and a wall one
pixel high whose every pixel shows a light card of its own colour (:class:`GridRig`), so a grid of test colours is
rendered through the wall pass eight colours per draw (the wall pass's card limit)."""

from __future__ import annotations

import numpy as np

from renderer.gl.resources import Framebuffer
from renderer.gl.targets import CubeTarget, LayeredTarget
from renderer.gl.wall_pass import MAX_CARDS, WallCompositor, WallFrame, WallSurface
from renderer.lightcards import PlacedCard
from stage.core.color.ocio import DisplayView
from stage.core.config.color import ColorManagement, WallColor
from stage.core.config.walls import FlatWall

WALL_M = 2.0


class WallRig:
    """A flat wall 2 m wide at y = 2 m, its wall-pass compositor, a 4×4 inner target and a black outer cube map."""

    def __init__(self, width_px: int, height_px: int) -> None:
        from OpenGL import GL

        half = WALL_M / 2
        self.wall = FlatWall(name="w", kind="flat", resolution_px=(width_px, height_px), output={"node": "n"},
                             corners={"lower_left": [-half, 2, 0], "lower_right": [half, 2, 0],
                                      "upper_left": [-half, 2, WALL_M * height_px / width_px]})
        self.surface = WallSurface(self.wall)
        self.compositor = WallCompositor()
        self.inner = LayeredTarget(4, 4, 1)
        self.outer = CubeTarget(4)
        GL.glClearColor(0.0, 0.0, 0.0, 1.0)
        for face in range(6):
            self.outer.bind_face(face)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)

    def delete(self) -> None:
        for obj in (self.compositor, self.inner, self.outer, self.surface):
            obj.delete()


class GridRig(WallRig):
    """Renders scene-linear colours through a wall's output transform; :meth:`render` returns the float signal."""

    def __init__(self, width_px: int = MAX_CARDS) -> None:
        super().__init__(width_px, 1)
        self.width_px = width_px

    def frame(self, management: ColorManagement | None, views: dict[str, DisplayView] | None = None,
              white_balance_k: float = 6500.0, exposure_ev: float = 0.0) -> WallFrame:
        return WallFrame(inner_clip=[], soft_edge_pct=0.0, chroma_key=False, key_color=(0, 0, 0), marker_grid=False,
                         marker_spacing_m=1.0, outer_eye_m=(0.0, 0.0, 1.0), exposure_gain=2.0**exposure_ev,
                         white_balance_k=white_balance_k, color_management=management,
                         display_views=views or {})

    def cards(self, colors: np.ndarray) -> list[PlacedCard]:
        pitch = WALL_M / self.width_px
        z = pitch / 2
        return [PlacedCard(f"c{i}", "w", np.array([-WALL_M / 2 + (i + 0.5) * pitch, 2.0, z]), np.array([1.0, 0, 0]),
                           np.array([0, 0, 1.0]), (pitch / 2, pitch / 2), False, 0.0, tuple(float(v) for v in c))
                for i, c in enumerate(colors)]

    def render(self, colors: np.ndarray, color: WallColor, frame: WallFrame, whole_row: bool = False) -> np.ndarray:
        """The wall's signal for each scene-linear colour (N × 3 → N × 3 floats), in a float framebuffer;
        ``whole_row``: every pixel of the (single) draw, including those without a card."""
        self.wall.color = color
        colors = np.asarray(colors, dtype=np.float64).reshape(-1, 3)
        out = []
        fb = Framebuffer(self.width_px, 1, "rgba32f", depth=False)
        try:
            fb.bind()
            for start in range(0, len(colors), self.width_px):
                chunk = colors[start:start + self.width_px]
                self.compositor.draw(self.surface, (0, 0), frame, self.inner, self.outer, self.cards(chunk))
                out.append(fb.read()[0, : self.width_px if whole_row else len(chunk), :3].astype(np.float64))
        finally:
            fb.delete()
        return np.concatenate(out)
