"""Resource limits of the scene asset loaders, one test per repro of issue 11: shared glTF children 40 levels deep
(hung), a ``/dev/zero`` buffer (2.8 GB in 8 s), a 100000² PNG header (``DecompressionBombError``), a negative mesh
index (wrapped to the last mesh), NaN in a node matrix (accepted), URIs leaving the folder (read anything)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_scene_config
from stage.core.scene.assets import AssetError, decode_image, load_image, read_asset
from stage.core.scene.gltf import GltfError, load_gltf, parse_gltf
from stage.core.scene.gltf_write import GltfBuilder

TRI = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width × height`` (no pixel data worth the name)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def triangle_doc() -> GltfBuilder:
    g = GltfBuilder()
    g.node(mesh=g.mesh(TRI, [0, 1, 2]))
    return g


def write(tmp_path: Path, g: GltfBuilder, name: str = "model.gltf") -> Path:
    path = tmp_path / name
    g.write_gltf(path)
    return path


def test_shared_children_forty_levels_deep_are_refused_at_once() -> None:
    """Two nodes per level, each the parent of both nodes of the next level: 2⁴⁰ paths. Was: a hang."""
    g = triangle_doc()
    mesh = 0
    levels = [[g.node(mesh=mesh), g.node(mesh=mesh)]]
    for _ in range(40):
        pair = [g.node(0, mesh=mesh), g.node(0, mesh=mesh)]
        g.doc["nodes"][0]["children"].remove(pair[0])
        g.doc["nodes"][0]["children"].remove(pair[1])
        for parent in levels[-1]:
            g.doc["nodes"][parent].setdefault("children", []).extend(pair)
        levels.append(pair)
    with pytest.raises(ValueError, match="more than one parent"):
        parse_gltf(g.glb())


@pytest.mark.parametrize(("children", "problem"), [
    ({0: [1], 1: [0]}, r"scene root nodes\[0\] is a child of nodes\[1\]"),  # a cycle through a root
    ({1: [1]}, "its own child"),
    ({0: [-1]}, r"nodes\[-1\]: no such entry"),
    ({0: [99]}, r"nodes\[99\]: no such entry"),
    ({0: ["1"]}, r"nodes\['1'\]: no such entry"),
])
def test_bad_node_graphs(children: dict[int, list], problem: str) -> None:
    g = triangle_doc()
    g.node()
    for node, kids in children.items():
        g.doc["nodes"][node]["children"] = kids
    with pytest.raises(ValueError, match=problem):
        parse_gltf(g.glb())


def test_negative_mesh_index_is_refused() -> None:
    """Was: ``meshes[-1]`` quietly drew the last mesh."""
    g = triangle_doc()
    g.doc["nodes"][0]["mesh"] = -1
    with pytest.raises(ValueError, match=r"meshes\[-1\]: no such entry"):
        parse_gltf(g.glb())


@pytest.mark.parametrize("field", ["matrix", "translation", "rotation", "scale"])
def test_nan_in_a_node_transform_is_refused(field: str) -> None:
    """Was: accepted, NaN positions reached the GPU."""
    g = triangle_doc()
    size = {"matrix": 16, "translation": 3, "rotation": 4, "scale": 3}[field]
    g.doc["nodes"][0][field] = [float("nan")] * size
    with pytest.raises(ValueError, match=r"nodes\[0\]: node transform has NaN"):
        parse_gltf(g.glb())


def test_nan_positions_and_negative_indices_are_refused() -> None:
    g = GltfBuilder()
    g.node(mesh=g.mesh(np.array([[0.0, 0.0, 0.0], [np.nan, 0.0, 0.0], [0.0, 1.0, 0.0]]), [0, 1, 2]))
    with pytest.raises(ValueError, match="POSITION has NaN"):
        parse_gltf(g.glb())
    g = triangle_doc()
    acc = g.doc["accessors"][g.doc["meshes"][0]["primitives"][0]["indices"]]
    acc["componentType"] = 5120  # int8: bytes 0, 0, 0, 0, 1, 0 ... include -1 below
    g.data[g.doc["bufferViews"][acc["bufferView"]]["byteOffset"]] = 0xFF
    with pytest.raises(ValueError, match="negative index -1"):
        parse_gltf(g.glb())


def test_huge_accessor_count_without_data_is_refused() -> None:
    g = triangle_doc()
    g.doc["accessors"][0].pop("bufferView")
    g.doc["accessors"][0]["count"] = 10**12
    with pytest.raises(ValueError, match="count 1000000000000"):
        parse_gltf(g.glb())


@pytest.mark.parametrize("uri", ["/dev/zero", "../outside.bin", "sub/../../outside.bin", "file:///dev/zero",
                                 "http://example.com/a.bin", "%2E%2E/outside.bin"])
def test_buffer_uris_stay_in_the_gltf_folder(tmp_path: Path, uri: str) -> None:
    """Was: ``/dev/zero`` read 2.8 GB in 8 s; any readable file could be pulled in."""
    (tmp_path / "outside.bin").write_bytes(b"\0" * 64)
    folder = tmp_path / "model"
    folder.mkdir()
    path = write(folder, triangle_doc())
    doc = json.loads(path.read_text())
    doc["buffers"][0]["uri"] = uri
    path.write_text(json.dumps(doc))
    with pytest.raises(GltfError) as exc:
        load_gltf(path)
    assert str(exc.value).startswith(str(path)) and "\n" not in str(exc.value)
    assert "outside" in str(exc.value) or "only relative file paths" in str(exc.value)


def test_special_files_and_folders_are_never_read(tmp_path: Path) -> None:
    for path, problem in ((Path("/dev/zero"), "not a regular file"), (tmp_path, "is a folder")):
        with pytest.raises(AssetError, match=problem):
            read_asset(path)


@pytest.mark.parametrize("side", [100000, 20000, 4097 * 2])
def test_image_headers_that_claim_too_many_pixels(tmp_path: Path, side: int) -> None:
    """Was: ``DecompressionBombError`` traceback for 100000²; smaller bombs warned and decoded."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(side, side))
    with pytest.raises(AssetError, match="image too large"):
        load_image(path)


def test_decode_image_errors_are_typed() -> None:
    for data in (b"", b"\x89PNG\r\n\x1a\n", png_header(4, 4)[:30], b"GIF89a" + b"\0" * 20):
        with pytest.raises(AssetError):
            decode_image(data, "x")


def _scene(folder: Path, texture: str, extra: str = "") -> Path:
    path = folder / "scene.yaml"
    path.write_text(f"name: s\n{extra}objects:\n  - {{kind: plane, position_m: [0, 5, 1], size_m: [1, 1], "
                    f"texture: {texture!r}}}\n")
    return path


def test_scene_asset_paths_are_confined_to_the_scene_folder(tmp_path: Path) -> None:
    from PIL import Image

    library = tmp_path / "library"
    library.mkdir()
    Image.new("RGB", (4, 4)).save(library / "t.png")
    folder = tmp_path / "scenes"
    folder.mkdir()
    for texture in ("../library/t.png", str(library / "t.png")):
        with pytest.raises(ConfigError) as exc:
            load_scene_config(_scene(folder, texture))
        assert "objects[0].texture" in exc.value.lines()[0] and "outside" in exc.value.lines()[0]
        assert "asset_folders" in exc.value.lines()[0]
    (folder / "link.png").symlink_to(library / "t.png")
    with pytest.raises(ConfigError, match="outside"):
        load_scene_config(_scene(folder, "link.png"))
    scene = load_scene_config(_scene(folder, "../library/t.png", "asset_folders: [../library]\n"))
    assert scene.objects[0].texture == "../library/t.png"


def test_strips_and_fans_keep_their_winding_and_stay_fast() -> None:
    from stage.core.scene.gltf import triangles

    idx = np.array([10, 11, 12, 13, 14], dtype=np.uint32)
    assert triangles(5, idx).tolist() == [[10, 11, 12], [12, 11, 13], [12, 13, 14]]
    assert triangles(6, idx).tolist() == [[10, 11, 12], [10, 12, 13], [10, 13, 14]]
    assert triangles(5, idx[:2]).shape == (0, 3) and triangles(6, idx[:0]).shape == (0, 3)
    assert triangles(5, np.arange(4_000_000, dtype=np.uint32)).shape == (3_999_998, 3)  # vectorised
