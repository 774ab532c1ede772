"""What every wire message shares: the lenient base model, the version rule and the one error type.

Strict configs, lenient wires (CONVENTIONS.md, lesson 12): a config typo must fail, but a reader must survive a
newer writer. So every message carries ``v``, the protocol **major** version, which the decoder checks first (a
different major is one clear :class:`WireError`); within a major, versions only **add** fields (``v_minor``
counts those additions), and readers ignore fields they do not know.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

WIRE_MAJOR = 1
"""Protocol major version: a message with another ``v`` is refused by every decoder."""
WIRE_MINOR = 0
"""Protocol minor version written by this code: fields added within major 1 (0 = the fields documented first)."""


class WireError(ValueError):
    """A message that does not follow this protocol; the message says which frame or field and why."""


class WireModel(BaseModel):
    """Base of every wire message body: unknown fields are ignored (a newer writer may add some), field docstrings
    become the documentation (docs/wire-protocol.md is generated from them)."""

    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)


class VersionedMessage(WireModel):
    """Fields every message body starts with."""

    v: Annotated[int, Field(ge=1)]
    """Protocol major version (1). Decoders refuse any other major version with one clear error."""
    v_minor: Annotated[int, Field(ge=0)] = 0
    """Protocol minor version: fields added within the major version; readers ignore fields they do not know."""


def check_major(body: Any, topic: str) -> None:
    """Raise :class:`WireError` unless ``body`` is an object whose ``v`` is :data:`WIRE_MAJOR`."""
    if not isinstance(body, dict):
        raise WireError(f"{topic}: body must be a JSON object")
    v = body.get("v")
    if isinstance(v, bool) or not isinstance(v, int):
        raise WireError(f"{topic}: v: protocol version missing or not an integer ({v!r})")
    if v != WIRE_MAJOR:
        raise WireError(f"{topic}: protocol version {v} is not supported (this reader speaks major version "
                        f"{WIRE_MAJOR})")


def known_fields(model: type[BaseModel], data: Any) -> Any:
    """``data`` without the keys that ``model`` (and its nested models, also inside ``dict[str, Model]``) does not
    define: how a strict shared model such as :class:`~stage.core.live.LiveState` is read leniently off the wire."""
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        info = model.model_fields.get(key)
        if info is not None:
            out[key] = _known_value(info.annotation, value)
    return out


def _known_value(annotation: Any, value: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return known_fields(annotation, value)
    origin = get_origin(annotation)
    if origin is dict and isinstance(value, dict):
        inner = get_args(annotation)[1]
        return {k: _known_value(inner, v) for k, v in value.items()}
    if origin in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return known_fields(models[0], value) if len(models) == 1 else value
    if origin is Annotated:
        return _known_value(get_args(annotation)[0], value)
    return value
