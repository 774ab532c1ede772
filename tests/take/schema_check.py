"""A small JSON Schema (draft 2020-12) checker for the keywords OpenTrackIO's schema.json uses.

``jsonschema`` is not a dependency; this covers type, properties, required, additionalProperties, items,
minItems/maxItems, minimum/maximum/exclusiveMinimum, minLength/maxLength, pattern, enum and anyOf, and refuses
any other validation keyword so that a schema update cannot silently pass unchecked.
"""

from __future__ import annotations

import re
from typing import Any

ANNOTATIONS = {"$id", "$schema", "description", "units", "uniqueItems"}
CHECKED = {"type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "minimum",
           "maximum", "exclusiveMinimum", "minLength", "maxLength", "pattern", "enum", "anyOf"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``value``, as ``path: reason``."""
    unknown = set(schema) - ANNOTATIONS - CHECKED
    if unknown:
        raise NotImplementedError(f"{path}: schema keywords not supported by this checker: {sorted(unknown)}")
    out: list[str] = []
    if "type" in schema and not _type_ok(value, schema["type"]):
        return [f"{path}: expected {schema['type']}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: {value} > maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{path}: {value} <= exclusiveMinimum {schema['exclusiveMinimum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            out.append(f"{path}: length {len(value)} out of range")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            out.append(f"{path}: {len(value)} items out of range")
        for i, item in enumerate(value):
            out += errors(item, schema.get("items", {}), f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [f"{path}: missing required {k!r}" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            if key in props:
                out += errors(item, props[key], f"{path}.{key}")
            elif schema.get("additionalProperties", True) is False:
                out.append(f"{path}: unexpected property {key!r}")
    if "anyOf" in schema and all(errors(value, alt, path) for alt in schema["anyOf"]):
        out.append(f"{path}: matches none of anyOf")
    return out
