"""glTF loader (pure numpy): transforms, attributes, both file forms, degraded features, one-line errors."""

from __future__ import annotations

import json
import logging
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_scene_config
from stage.core.scene.gltf import GltfError, load_gltf, node_matrix, parse_gltf
from stage.core.scene.gltf_write import GltfBuilder

TRI = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def one_triangle(**extra_doc: object) -> GltfBuilder:
    g = GltfBuilder()
    colors = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]], float)
    uvs = np.array([[0, 0], [1, 0], [0, 1]], float)
    mesh = g.mesh(TRI, [0, 1, 2], None, uvs, colors, g.material((0.5, 0.5, 0.5, 1.0)))
    g.node(mesh=mesh)
    g.doc.update(extra_doc)
    return g


def test_node_transforms_compose_parent_then_child() -> None:
    g = GltfBuilder()
    mesh = g.mesh(TRI, [0, 1, 2])
    half = math.sqrt(0.5)
    parent = g.node(translation=[10.0, 0.0, 0.0], rotation=[0.0, 0.0, half, half])  # +90° about Z
    g.node(parent, mesh=mesh, translation=[1.0, 0.0, 0.0], scale=[2.0, 2.0, 2.0])
    prim = parse_gltf(g.glb()).primitives[0]
    # child: p -> 2p + (1,0,0); parent: Rz(90) then + (10,0,0). Vertex (1,0,0) -> (3,0,0) -> (0,3,0) -> (10,3,0).
    assert np.allclose(prim.positions, [[10, 1, 0], [10, 3, 0], [8, 1, 0]], atol=1e-6)
    assert np.allclose(prim.normals, [[0, 0, 1]] * 3, atol=1e-6)  # computed (no NORMAL), turned by Rz: still +Z
    m = node_matrix({"matrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 5, 6, 7, 1]})  # column-major
    assert np.allclose(m[:3, 3], [5, 6, 7])


def test_vertex_colours_texcoords_material_and_texture() -> None:
    g = one_triangle()
    from scripts.scene_art import png_bytes

    image = np.zeros((4, 4, 3), np.uint8)
    image[0, 0] = (255, 0, 0)
    g.doc["materials"].append({"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}, "doubleSided": True})
    g.doc["images"] = [{"bufferView": g._view(png_bytes(image)), "mimeType": "image/png"}]
    g.doc["textures"] = [{"source": 0}]
    g.doc["meshes"][0]["primitives"][0]["material"] = 1
    prim = parse_gltf(g.glb()).primitives[0]
    assert np.allclose(prim.colors[:, :3], np.eye(3))
    assert np.allclose(prim.uvs, [[0, 0], [1, 0], [0, 1]])
    assert prim.double_sided and prim.texture is not None and tuple(prim.texture[0, 0]) == (255, 0, 0, 255)
    assert parse_gltf(one_triangle().glb()).primitives[0].base_color == (0.5, 0.5, 0.5, 1.0)


def test_gltf_with_external_buffer(tmp_path: Path) -> None:
    one_triangle().write_gltf(tmp_path / "tri.gltf")
    assert (tmp_path / "tri.bin").is_file()
    model = load_gltf(tmp_path / "tri.gltf")
    assert len(model.primitives) == 1 and np.allclose(model.primitives[0].positions, TRI)
    (tmp_path / "tri.bin").unlink()
    with pytest.raises(GltfError, match=r"tri\.gltf: .*file not found: .*tri\.bin"):
        load_gltf(tmp_path / "tri.gltf")


def test_unsupported_features_warn_not_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    g = one_triangle(skins=[{"joints": [0]}], animations=[{"channels": [], "samplers": []}],
                     extensionsUsed=["KHR_materials_unlit", "KHR_texture_transform"])
    g.doc["meshes"][0]["primitives"][0]["targets"] = [{}]
    g.doc["meshes"].append({"primitives": [{"attributes": {"POSITION": 0}, "mode": 1}]})  # lines
    g.node(mesh=1)
    path = tmp_path / "odd.glb"
    path.write_bytes(g.glb())
    with caplog.at_level(logging.WARNING, logger="stage.core.scene.gltf"):
        model = load_gltf(path)
    assert len(model.primitives) == 1
    text = " ".join(model.warnings)
    for word in ("skins", "animations", "KHR_texture_transform", "morph targets", "points/lines"):
        assert word in text
    assert "KHR_materials_unlit" not in text
    assert len(caplog.records) == len(model.warnings)


@pytest.mark.parametrize("data, problem", [
    (b"glTF" + struct.pack("<II", 2, 999) + b"xx", "truncated"),
    (b"glTF" + struct.pack("<II", 1, 12), "version 1"),
    (b"not json at all", "bad glTF"),
    (json.dumps({"asset": {"version": "2.0"}, "meshes": [{"primitives": [{"attributes": {"POSITION": 3}}]}],
                 "nodes": [{"mesh": 0}]}).encode(), "bad glTF"),
])
def test_corrupt_file_is_one_line_naming_the_file(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "broken.glb"
    path.write_bytes(data)
    with pytest.raises(GltfError) as info:
        load_gltf(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)) and problem in message


def test_scene_with_missing_or_bad_asset_fails_validation_with_one_line(tmp_path: Path) -> None:
    scene = tmp_path / "s.yaml"
    scene.write_text("name: s\nobjects:\n  - {kind: box}\n  - {kind: gltf, path: model.glb}\n")
    with pytest.raises(ConfigError) as info:
        load_scene_config(scene)
    assert str(info.value) == f"{scene}:4: objects[1].path: file not found: {tmp_path / 'model.glb'}"
    (tmp_path / "model.glb").write_bytes(b"glTF\x02\x00\x00\x00")
    with pytest.raises(ConfigError) as info:
        load_scene_config(scene)
    assert str(info.value).startswith(f"{scene}:4: objects[1].path: {tmp_path / 'model.glb'}: bad glTF")
    scene.write_text("name: s\nsky: {kind: panorama, path: sky.png}\n")
    (tmp_path / "sky.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(ConfigError, match=r"s\.yaml:2: sky\.path: .*sky\.png: "):
        load_scene_config(scene)
