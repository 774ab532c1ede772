"""A minimal glTF 2.0 writer (pure Python + numpy) for generated assets and tests: meshes, nodes, materials,
embedded PNG textures; written as ``.glb`` or as ``.gltf`` + external ``.bin``. Output is deterministic."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

_TYPES = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}


class GltfBuilder:
    """Collects buffer data and JSON; add meshes and nodes, then :meth:`glb` or :meth:`write_gltf`."""

    def __init__(self) -> None:
        self.doc: dict[str, Any] = {"asset": {"version": "2.0", "generator": "vpstage gltf_write"},
                                    "buffers": [], "bufferViews": [], "accessors": [], "meshes": [],
                                    "nodes": [], "scenes": [{"nodes": []}], "scene": 0}
        self.data = bytearray()

    def _view(self, raw: bytes, target: int | None = None) -> int:
        self.data += b"\0" * (-len(self.data) % 4)
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        self.data += raw
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def accessor(self, values: np.ndarray, indices: bool = False) -> int:
        """Add float32 vertex data (N × C) or uint32 indices; returns the accessor index."""
        arr = np.ascontiguousarray(values, dtype=np.uint32 if indices else np.float32)
        width = 1 if indices else arr.shape[1]
        acc: dict[str, Any] = {"bufferView": self._view(arr.tobytes(), 34963 if indices else 34962),
                               "componentType": 5125 if indices else 5126, "count": int(len(arr.reshape(-1, width))),
                               "type": _TYPES[width]}
        if not indices and width == 3:
            acc["min"], acc["max"] = arr.min(0).tolist(), arr.max(0).tolist()
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

    def material(self, base_color: tuple[float, float, float, float] = (1, 1, 1, 1), png: bytes | None = None,
                 double_sided: bool = False) -> int:
        """Add a material (optionally with a PNG base-colour texture stored in the buffer)."""
        mat: dict[str, Any] = {"pbrMetallicRoughness": {"baseColorFactor": list(base_color), "metallicFactor": 0.0}}
        if double_sided:
            mat["doubleSided"] = True
        if png is not None:
            self.doc.setdefault("images", []).append({"bufferView": self._view(png), "mimeType": "image/png"})
            self.doc.setdefault("textures", []).append({"source": len(self.doc["images"]) - 1})
            mat["pbrMetallicRoughness"]["baseColorTexture"] = {"index": len(self.doc["textures"]) - 1}
        self.doc.setdefault("materials", []).append(mat)
        return len(self.doc["materials"]) - 1

    def mesh(self, positions: np.ndarray, indices: np.ndarray, normals: np.ndarray | None = None,
             uvs: np.ndarray | None = None, colors: np.ndarray | None = None, material: int | None = None) -> int:
        """Add a one-primitive triangle mesh; returns the mesh index."""
        attrs = {"POSITION": self.accessor(positions)}
        for name, values in (("NORMAL", normals), ("TEXCOORD_0", uvs), ("COLOR_0", colors)):
            if values is not None:
                attrs[name] = self.accessor(values)
        prim: dict[str, Any] = {"attributes": attrs, "indices": self.accessor(np.ravel(indices), indices=True)}
        if material is not None:
            prim["material"] = material
        self.doc["meshes"].append({"primitives": [prim]})
        return len(self.doc["meshes"]) - 1

    def node(self, parent: int | None = None, **fields: Any) -> int:
        """Add a node (``mesh``, ``translation``, ``rotation`` (x, y, z, w), ``scale``, ``matrix``, ``name``)
        under ``parent`` (None: a root of the scene); returns its index."""
        self.doc["nodes"].append({k: v for k, v in fields.items() if v is not None})
        index = len(self.doc["nodes"]) - 1
        if parent is None:
            self.doc["scenes"][0]["nodes"].append(index)
        else:
            self.doc["nodes"][parent].setdefault("children", []).append(index)
        return index

    def _json(self, uri: str | None) -> dict[str, Any]:
        doc = json.loads(json.dumps(self.doc))
        doc["buffers"] = [{"byteLength": len(self.data), **({"uri": uri} if uri else {})}]
        return doc

    def glb(self) -> bytes:
        """The binary container."""
        text = json.dumps(self._json(None), separators=(",", ":")).encode()
        text += b" " * (-len(text) % 4)
        data = bytes(self.data) + b"\0" * (-len(self.data) % 4)
        body = struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(data), 0x004E4942) + data
        return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body

    def write_gltf(self, path: Path) -> None:
        """``path`` (.gltf JSON) and ``path.with_suffix('.bin')`` beside it."""
        bin_path = path.with_suffix(".bin")
        bin_path.write_bytes(bytes(self.data))
        path.write_text(json.dumps(self._json(bin_path.name), indent=1) + "\n")
