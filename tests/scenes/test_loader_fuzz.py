"""File fuzz of every loader a show reads: scene YAML, glTF (binary and JSON), ``.cube`` LUTs, presets and takes.
Whatever the bytes, each loader returns a value or raises its one typed error with a one-line message — never
another exception, a hang or an unbounded allocation. Fast variants try a few dozen files each; ``--run-slow``
tries thousands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stage.app.orchestrator.presets import PresetError, read_preset, write_preset
from stage.core.color.cube_lut import LUTError, format_cube, identity_table, load_cube
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_scene_config
from stage.core.live import LiveState
from stage.core.scene.assets import AssetError
from stage.core.scene.gltf import load_gltf
from stage.core.scene.gltf_write import GltfBuilder
from stage.core.take import TakeError, TakeHeader, read_take
from tests.take.helpers import pose_body

REPO = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


def _gltf_bytes() -> bytes:
    g = GltfBuilder()
    mesh = g.mesh(np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]), [0, 1, 2], material=g.material((1, 0.5, 0.5, 1)))
    parent = g.node(translation=[1.0, 0.0, 0.0])
    g.node(parent, mesh=mesh, scale=[2.0, 2.0, 2.0])
    return g.glb()


def _take_bytes() -> bytes:
    header = TakeHeader(name="t", created=1767225600.5, config=None, cameras=("cam1",))
    lines = [header.to_line()] + [json.dumps(pose_body(seq=i)).encode() + b"\n" for i in range(3)]
    return b"".join(lines)


def _preset_bytes(tmp: Path) -> bytes:
    from stage.core.config.loader import load_stage_config

    state = LiveState.from_config(load_stage_config(REPO / "configs" / "demo.yaml"))
    return write_preset(tmp, "p", state).read_bytes()


SEEDS: dict[str, Callable[[Path], bytes]] = {
    "scene": lambda tmp: (REPO / "scenes" / "demo.yaml").read_bytes(),
    "gltf": lambda tmp: _gltf_bytes(),
    "gltf-json": lambda tmp: json.dumps({"asset": {"version": "2.0"}, "nodes": [{"children": [1]}, {}],
                                         "scenes": [{"nodes": [0]}]}).encode(),
    "lut": lambda tmp: format_cube(identity_table(3), "t").encode(),
    "preset": _preset_bytes,
    "take": lambda tmp: _take_bytes(),
}


def _load(kind: str, path: Path) -> None:
    if kind == "scene":
        load_scene_config(path)
    elif kind.startswith("gltf"):
        load_gltf(path, warn=False)
    elif kind == "lut":
        load_cube(path)
    elif kind == "preset":
        read_preset(path.parent, path.stem)
    else:
        read_take(path)


TYPED = (ConfigError, AssetError, LUTError, PresetError, TakeError)
SUFFIX = {"scene": ".yaml", "gltf": ".glb", "gltf-json": ".gltf", "lut": ".cube", "preset": ".yaml",
          "take": ".take.jsonl"}


def _mutations() -> st.SearchStrategy[Callable[[bytes], bytes]]:
    """Byte flips, cuts, splices of junk and repeats: the ways files go bad on disk and in hostile hands."""
    junk = st.sampled_from([b"\xff", b"\0", b"[", b"{", b"]", b"}", b"\n", b"nan", b"-1", b"1e999", b"&a *a",
                            b'"', b"99999999999", b"-", b":", b"\t", b"!!python/object/apply:os.system"])
    flip = st.builds(lambda i, v: lambda d: d[: i % max(len(d), 1)] + bytes([v]) + d[i % max(len(d), 1) + 1:],
                     st.integers(0, 10_000), st.integers(0, 255))
    cut = st.builds(lambda i: lambda d: d[: i % max(len(d), 1)], st.integers(0, 10_000))
    splice = st.builds(lambda i, j: lambda d: d[: i % max(len(d), 1)] + j + d[i % max(len(d), 1):],
                       st.integers(0, 10_000), junk)
    repeat = st.builds(lambda i, n: lambda d: d[: i % max(len(d), 1)] * n, st.integers(0, 400), st.integers(2, 50))
    return st.one_of(flip, cut, splice, repeat)


def _check(kind: str, tmp: Path, mutations: list[Callable[[bytes], bytes]]) -> None:
    data = SEEDS[kind](tmp)
    for mutate in mutations:
        data = mutate(data)
    path = tmp / f"fuzzed{SUFFIX[kind]}"
    path.write_bytes(data)
    try:
        _load(kind, path)
    except TYPED as exc:
        lines = exc.lines() if isinstance(exc, ConfigError) else [str(exc)]
        assert all(line and "\n" not in line for line in lines), lines
        assert "Traceback" not in str(exc)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("kind", list(SEEDS))
def test_seeds_load(kind: str, tmp: Path) -> None:
    path = tmp / f"seed{SUFFIX[kind]}"
    path.write_bytes(SEEDS[kind](tmp))
    if kind == "preset":
        path = path.with_name("p.yaml")
    _load(kind, path)


@pytest.mark.parametrize("kind", list(SEEDS))
@FAST
@given(mutations=st.lists(_mutations(), min_size=1, max_size=4))
def test_mutated_files_raise_only_typed_errors(kind: str, tmp: Path, mutations: list) -> None:
    _check(kind, tmp, mutations)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(SEEDS))
@SLOW
@given(mutations=st.lists(_mutations(), min_size=1, max_size=6))
def test_mutated_files_raise_only_typed_errors_long(kind: str, tmp: Path, mutations: list) -> None:
    _check(kind, tmp, mutations)
