"""glTF 2.0 → CPU meshes (pure numpy): ``.glb`` or ``.gltf`` (external or ``data:`` buffers and images).

:func:`parse_gltf` takes the file's bytes and returns a :class:`GltfModel`: one :class:`GltfPrimitive` per
drawn mesh primitive, with the node hierarchy's transforms baked into positions and normals (glTF's own axes:
+Y up, +Z front, metres). Read: POSITION, NORMAL (computed when absent), COLOR_0, TEXCOORD_0, indices, triangle
lists/strips/fans, ``baseColorFactor``, ``baseColorTexture`` (PNG/JPEG) and ``doubleSided``.
Not supported, degraded with a warning (logged, and listed in ``GltfModel.warnings``): skins and morph targets
(the rest pose is drawn), animations, cameras, sparse accessors, points/lines, texture coordinate sets other than
0, blending (drawn opaque) and extensions other than the trivial ones. Anything structurally broken raises
:class:`GltfError` with one line naming the file and the problem.
"""

from __future__ import annotations

import base64
import json
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np

from stage.core.scene.assets import AssetError, confine, decode_image, read_asset

logger = logging.getLogger(__name__)

GLB_MAGIC, JSON_CHUNK, BIN_CHUNK = b"glTF", 0x4E4F534A, 0x004E4942
COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
TRIVIAL_EXTENSIONS = frozenset({"KHR_materials_unlit", "KHR_materials_emissive_strength", "KHR_materials_ior",
                                "KHR_materials_specular"})
"""Extensions whose absence changes nothing in this renderer's simple shading."""
MAX_NODES = 65536
"""Most nodes a document may have; each is visited once (glTF node hierarchies are disjoint trees)."""
MAX_DEPTH = 64
"""Deepest node hierarchy."""
MAX_ELEMENTS = 16 * 1024 * 1024
"""Most elements one accessor may have, and most vertices a model may have in all."""


class GltfError(AssetError):
    """A glTF file that cannot be read; one line naming the file and the problem."""


@dataclass(frozen=True)
class GltfPrimitive:
    """One triangle mesh in model space (node transforms applied)."""

    positions: np.ndarray
    """N × 3 float32, metres."""
    normals: np.ndarray
    """N × 3 float32, unit."""
    uvs: np.ndarray
    """N × 2 float32 (zeros without TEXCOORD_0); v = 0 is the image's top row (glTF convention)."""
    colors: np.ndarray
    """N × 4 float32 linear RGBA vertex colours (ones without COLOR_0)."""
    indices: np.ndarray
    """M × 3 uint32, counter-clockwise front faces."""
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    """Linear ``baseColorFactor``."""
    texture: np.ndarray | None = None
    """Base-colour image, H × W × 4 uint8 sRGB, row 0 top."""
    double_sided: bool = False


@dataclass
class GltfModel:
    primitives: list[GltfPrimitive] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_glb(data: bytes) -> tuple[dict[str, Any], bytes | None]:
    """Split a binary glTF container into its JSON document and BIN chunk (``struct.error`` when truncated)."""
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    if magic != GLB_MAGIC:
        raise ValueError("not a binary glTF (bad magic)")
    if version != 2:
        raise ValueError(f"glTF container version {version} (only 2 is supported)")
    if length > len(data):
        raise ValueError(f"truncated: header says {length} bytes, file has {len(data)}")
    offset, doc, binary = 12, None, None
    while offset + 8 <= length:
        size, kind = struct.unpack_from("<II", data, offset)
        chunk = data[offset + 8: offset + 8 + size]
        if len(chunk) != size:
            raise ValueError("truncated chunk")
        if kind == JSON_CHUNK:
            doc = json.loads(chunk.decode("utf-8"))
        elif kind == BIN_CHUNK and binary is None:
            binary = bytes(chunk)
        offset += 8 + size + (-size % 4)
    if doc is None:
        raise ValueError("no JSON chunk")
    return doc, binary


def item(doc: dict[str, Any], key: str, index: Any) -> Any:
    """``doc[key][index]`` for a whole, in-range, non-negative ``index`` (Python's ``list[-1]`` would quietly pick
    the last one); else ``ValueError`` naming it."""
    items = doc.get(key)
    if not isinstance(items, list):
        raise ValueError(f"{key}: missing or not a list")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(items):
        raise ValueError(f"{key}[{index!r}]: no such entry ({len(items)} {key})")
    return items[index]


def node_matrix(node: dict[str, Any]) -> np.ndarray:
    """4×4 ``parent_from_node`` of a glTF node: ``matrix`` (column-major) or ``T · R · S``; ``ValueError`` when it
    is not made of finite numbers."""
    m = _node_matrix(node)
    if not np.isfinite(m).all():
        raise ValueError("node transform has NaN or infinite values")
    return m


def _node_matrix(node: dict[str, Any]) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=float).reshape(4, 4).T
    x, y, z, w = (float(v) for v in node.get("rotation", (0.0, 0.0, 0.0, 1.0)))
    r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                  [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                  [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
    m = np.eye(4)
    m[:3, :3] = r @ np.diag([float(v) for v in node.get("scale", (1.0, 1.0, 1.0))])
    m[:3, 3] = [float(v) for v in node.get("translation", (0.0, 0.0, 0.0))]
    return m


def smooth_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals of a triangle mesh (unit; +Z where a vertex has no area)."""
    tri = positions[indices].astype(float)
    face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals = np.zeros((len(positions), 3))
    for corner in range(3):
        np.add.at(normals, indices[:, corner], face)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.where(length > 1e-12, normals / np.maximum(length, 1e-12), [0.0, 0.0, 1.0])


def triangles(mode: int, indices: np.ndarray) -> np.ndarray | None:
    """Indices of triangle list/strip/fan ``mode`` as M × 3; None for points and lines."""
    if mode == 4:
        return indices[: len(indices) // 3 * 3].reshape(-1, 3)
    n = len(indices)
    if mode == 5:  # strip: every other triangle swaps its first two corners to keep the winding
        i = np.arange(max(n - 2, 0))
        odd = i % 2 == 1
        first, second = np.where(odd, i + 1, i), np.where(odd, i, i + 1)
        return np.stack([indices[first], indices[second], indices[i + 2]], axis=1).astype(np.uint32).reshape(-1, 3)
    if mode == 6:  # fan around the first index
        i = np.arange(1, max(n - 1, 1))
        hub = np.full(len(i), indices[0] if n else 0)
        return np.stack([hub, indices[i], indices[i + 1]], axis=1).astype(np.uint32).reshape(-1, 3)
    return None


class _Reader:
    """Accessors, materials and nodes of one document."""

    def __init__(self, doc: dict[str, Any], buffers: list[bytes], warn: Callable[[str], None]) -> None:
        self.doc, self.buffers, self.warn = doc, buffers, warn

    def view_bytes(self, index: int) -> tuple[bytes, int | None]:
        view = item(self.doc, "bufferViews", index)
        start = int(view.get("byteOffset", 0))
        item(self.doc, "buffers", view["buffer"])
        if start < 0 or int(view["byteLength"]) < 0:
            raise ValueError(f"bufferViews[{index}]: negative offset or length")
        data = self.buffers[view["buffer"]][start: start + int(view["byteLength"])]
        if len(data) != int(view["byteLength"]):
            raise ValueError(f"bufferViews[{index}] runs past the end of its buffer")
        return data, view.get("byteStride")

    def accessor(self, index: int) -> np.ndarray:
        acc = item(self.doc, "accessors", index)
        if acc.get("componentType") not in COMPONENTS or acc.get("type") not in WIDTH:
            raise ValueError(f"accessors[{index}]: unknown componentType or type")
        dtype, width, count = np.dtype(COMPONENTS[acc["componentType"]]), WIDTH[acc["type"]], int(acc["count"])
        if not 0 <= count <= MAX_ELEMENTS:
            raise ValueError(f"accessors[{index}]: count {count} (0 to {MAX_ELEMENTS})")
        if "sparse" in acc:
            self.warn(f"accessors[{index}]: sparse accessors are not supported (base values used)")
        if "bufferView" not in acc:
            return np.zeros((count, width), np.float32)
        data, stride = self.view_bytes(acc["bufferView"])
        offset, elem = int(acc.get("byteOffset", 0)), dtype.itemsize * width
        stride = int(stride or elem)
        if offset < 0 or stride < elem:
            raise ValueError(f"accessors[{index}]: negative byteOffset or byteStride below the element size")
        if count and offset + stride * (count - 1) + elem > len(data):
            raise ValueError(f"accessors[{index}] runs past the end of its buffer view")
        rows = np.ndarray((count, width), dtype, data, offset, (stride, dtype.itemsize)) if count else np.zeros(
            (0, width), dtype)
        out = rows.astype(np.float64)
        if acc.get("normalized") and dtype.kind in "iu":
            out = np.maximum(out / np.iinfo(dtype).max, -1.0)
        return out

    def material(self, index: int | None) -> tuple[tuple[float, ...], np.ndarray | None, bool]:
        if index is None:
            return (1.0, 1.0, 1.0, 1.0), None, False
        mat = item(self.doc, "materials", index)
        pbr = mat.get("pbrMetallicRoughness", {})
        factor = tuple(float(v) for v in pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0)))
        if mat.get("alphaMode") == "BLEND":
            self.warn(f"materials[{index}]: alphaMode BLEND is drawn opaque")
        texture = None
        ref = pbr.get("baseColorTexture")
        if ref is not None:
            if ref.get("texCoord", 0) != 0 or "KHR_texture_transform" in ref.get("extensions", {}):
                self.warn(f"materials[{index}]: only TEXCOORD_0 without a texture transform is supported")
            texture = self.image(item(self.doc, "textures", ref["index"]).get("source"))
        return factor, texture, bool(mat.get("doubleSided", False))

    def image(self, index: int | None) -> np.ndarray | None:
        if index is None:
            self.warn("texture without a PNG/JPEG source ignored")
            return None
        img = item(self.doc, "images", index)
        if "bufferView" in img:
            data = self.view_bytes(img["bufferView"])[0]
        else:
            data = self.buffers_from_uri(img["uri"])
        return decode_image(data, f"images[{index}]")

    def buffers_from_uri(self, uri: str) -> bytes:
        raise ValueError(f"external image {uri!r} needs the file's folder")  # replaced by load_gltf


def _data_uri(uri: str) -> bytes:
    head, _, payload = uri.partition(",")
    if not head.endswith(";base64"):
        raise ValueError("only base64 data: URIs are supported")
    return base64.b64decode(payload, validate=True)


def parse_gltf(data: bytes, folder: Path | None = None, warn: Callable[[str], None] | None = None) -> GltfModel:
    """Parse glTF bytes (binary container or JSON); ``folder`` resolves external URIs (None: none allowed)."""
    model = GltfModel()

    def note(msg: str) -> None:
        model.warnings.append(msg)
        if warn is not None:
            warn(msg)

    def external(uri: str) -> bytes:
        if not isinstance(uri, str):
            raise ValueError("uri must be a string")
        if uri.startswith("data:"):
            return _data_uri(uri)
        if folder is None:
            raise ValueError(f"external file {uri!r} cannot be resolved here")
        if ":" in uri.split("/")[0] or uri.startswith(("/", "\\")):
            raise ValueError(f"uri {uri!r}: only relative file paths (or data: URIs) are read")
        return read_asset(confine(folder / unquote(uri), [folder], "a glTF reads files beside it only"))

    if data[:4] == GLB_MAGIC:
        doc, binary = parse_glb(data)
    else:
        doc, binary = json.loads(data.decode("utf-8")), None
    if not isinstance(doc, dict) or not str(doc.get("asset", {}).get("version", "")).startswith("2"):
        raise ValueError("not a glTF 2.0 document (asset.version must be 2.x)")
    buffers = [(binary or b"") if "uri" not in b else external(b["uri"]) for b in doc.get("buffers", [])]
    reader = _Reader(doc, buffers, note)
    reader.buffers_from_uri = external  # type: ignore[method-assign]
    for ext in sorted(set(doc.get("extensionsUsed", [])) - TRIVIAL_EXTENSIONS):
        note(f"extension {ext} is not supported (ignored)")
    for what in ("skins", "animations", "cameras"):
        if doc.get(what):
            note(f"{what} are not supported (ignored)")
    for index, m in _walk_nodes(doc):
        node = doc["nodes"][index]
        if "mesh" in node:
            _add_mesh(reader, model, node["mesh"], m, note)
            if sum(len(p.positions) for p in model.primitives) > MAX_ELEMENTS:
                raise ValueError(f"more than {MAX_ELEMENTS} vertices in all")
    return model


def _walk_nodes(doc: dict[str, Any]) -> list[tuple[int, np.ndarray]]:
    """``(node index, model_from_node)`` of every node under the default scene's roots, each node once.

    glTF requires disjoint strict trees (glTF 2.0 spec, "Nodes and Hierarchy"): a node shared by two parents or a
    cycle is refused here, so a document of nodes sharing children 40 levels deep cannot mean 2⁴⁰ visits.
    """
    nodes = doc.get("nodes", [])
    if not isinstance(nodes, list) or len(nodes) > MAX_NODES:
        raise ValueError(f"nodes: not a list of at most {MAX_NODES}")
    parent_of: dict[int, int] = {}
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise ValueError(f"nodes[{i}]: not an object")
        children = node.get("children", [])
        if not isinstance(children, list):
            raise ValueError(f"nodes[{i}].children: not a list")
        for c in children:
            item(doc, "nodes", c)
            if c in parent_of or c == i:
                raise ValueError(f"nodes[{c}] has more than one parent or is its own child (glTF node hierarchies "
                                 "are disjoint trees)")
            parent_of[c] = i
    if doc.get("scenes"):
        roots = item(doc, "scenes", doc.get("scene", 0)).get("nodes", [])
        for r in roots:
            item(doc, "nodes", r)
            if r in parent_of:
                raise ValueError(f"scene root nodes[{r}] is a child of nodes[{parent_of[r]}]")
    else:
        roots = [i for i in range(len(nodes)) if i not in parent_of]
    out: list[tuple[int, np.ndarray]] = []
    seen: set[int] = set()
    stack = [(r, np.eye(4), 0) for r in roots]
    while stack:
        index, parent, depth = stack.pop()
        if index in seen:
            raise ValueError(f"nodes[{index}] is reached twice (listed twice as a root?)")
        if depth > MAX_DEPTH:
            raise ValueError(f"node hierarchy deeper than {MAX_DEPTH}")
        seen.add(index)
        try:
            m = parent @ node_matrix(nodes[index])
        except ValueError as exc:
            raise ValueError(f"nodes[{index}]: {exc}") from None
        out.append((index, m))
        stack.extend((c, m, depth + 1) for c in nodes[index].get("children", []))
    return out


def _add_mesh(reader: _Reader, model: GltfModel, index: Any, m: np.ndarray, note: Callable[[str], None]) -> None:
    for p, prim in enumerate(item(reader.doc, "meshes", index)["primitives"]):
        where = f"meshes[{index}].primitives[{p}]"
        if prim.get("targets"):
            note(f"{where}: morph targets are not supported (base shape drawn)")
        if "KHR_draco_mesh_compression" in prim.get("extensions", {}):
            note(f"{where}: Draco compression is not supported (primitive skipped)")
            continue
        attrs = prim["attributes"]
        pos = reader.accessor(attrs["POSITION"])[:, :3]
        if not np.isfinite(pos).all():
            raise ValueError(f"{where}: POSITION has NaN or infinite values")
        if "indices" in prim:
            values = reader.accessor(prim["indices"]).ravel()
            if values.size and values.min() < 0:
                raise ValueError(f"{where}: negative index {int(values.min())}")
            raw = values.astype(np.uint32)
        else:
            raw = np.arange(len(pos), dtype=np.uint32)
        tris = triangles(int(prim.get("mode", 4)), raw)
        if tris is None:
            note(f"{where}: mode {prim.get('mode')} (points/lines) is not supported (skipped)")
            continue
        if tris.size and int(tris.max()) >= len(pos):
            raise ValueError(f"{where}: index {int(tris.max())} out of range ({len(pos)} vertices)")
        normals = reader.accessor(attrs["NORMAL"])[:, :3] if "NORMAL" in attrs else smooth_normals(pos, tris)
        uvs = reader.accessor(attrs["TEXCOORD_0"])[:, :2] if "TEXCOORD_0" in attrs else np.zeros((len(pos), 2))
        colors = np.ones((len(pos), 4))
        if "COLOR_0" in attrs:
            c = reader.accessor(attrs["COLOR_0"])
            colors[:, : c.shape[1]] = c
        factor, texture, double = reader.material(prim.get("material"))
        world = pos @ m[:3, :3].T + m[:3, 3]
        n = normals @ np.linalg.inv(m[:3, :3])  # inverse transpose, row vectors
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        if np.linalg.det(m[:3, :3]) < 0:  # mirrored node: keep faces counter-clockwise
            tris = tris[:, ::-1]
        f32 = np.float32
        model.primitives.append(GltfPrimitive(world.astype(f32), n.astype(f32), uvs.astype(f32),
                                              colors.astype(f32), np.ascontiguousarray(tris, np.uint32),
                                              factor, texture, double))  # type: ignore[arg-type]


def load_gltf(path: Path, warn: bool = True) -> GltfModel:
    """Read and parse a glTF file; warnings are logged when ``warn``; problems raise :class:`GltfError`."""
    data = read_asset(path)

    def log(msg: str) -> None:
        logger.warning("%s: %s", path, msg)

    try:
        return parse_gltf(data, path.parent, log if warn else None)
    except AssetError as exc:
        raise GltfError(f"{path}: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError, struct.error, UnicodeDecodeError, OverflowError,
            AttributeError, RecursionError, MemoryError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
        raise GltfError(f"{path}: bad glTF: {detail}".replace("\n", " ")) from None
