"""Load stage and scene configs from YAML, with every problem reported by file, line and key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from stage.core.color.ocio import OcioError
from stage.core.color.texture_space import check_texture_space
from stage.core.config.advice import stage_advice
from stage.core.config.checks import check_stage
from stage.core.config.errors import ConfigError, Problem, format_loc
from stage.core.config.scene import SceneConfig, check_scene, scene_color_spaces
from stage.core.config.stage import StageConfig
from stage.core.files import InputFileError, read_limited

M = TypeVar("M", bound=BaseModel)

MAX_CONFIG_BYTES = 8 * 1024 * 1024
"""Largest config, scene or preset file read."""
MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and lists in a YAML document (a stage config needs about 8)."""
MAX_YAML_NODES = 1_000_000
"""Most nodes a YAML document may expand to, counting every alias use (a "billion laughs" document is refused)."""


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit (PyYAML composes recursively: 3000 levels raise RecursionError)
    and a cap on the expanded size of anchors and aliases. Breaking a limit raises ``yaml.YAMLError``."""

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", mark)
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth

    def get_single_node(self):  # noqa: ANN201
        node = super().get_single_node()
        if node is not None:
            problem = expansion_problem(node)
            if problem:
                raise yaml.composer.ComposerError(None, None, problem, node.start_mark)
        return node


def expansion_problem(node: yaml.Node) -> str | None:
    """Why ``node`` is too big once every alias is expanded (more than :data:`MAX_YAML_NODES` values, deeper than
    :data:`MAX_YAML_DEPTH`, or an alias inside its own anchor), else None. Shared nodes are measured once."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        key = id(current)
        kids: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            kids = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            kids = [n for pair in current.value for n in pair]
        if children_done:
            visiting.discard(key)
            size[key] = min(1 + sum(size[id(k)] for k in kids), MAX_YAML_NODES + 1)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            continue
        if key in size:
            continue
        if key in visiting:
            return "an alias refers to its own anchor (a cycle)"
        visiting.add(key)
        stack.append((current, True))
        stack.extend((k, False) for k in kids if id(k) not in size)
    if size[id(node)] > MAX_YAML_NODES:
        return f"expands to more than {MAX_YAML_NODES} values (anchors and aliases used too often)"
    if depth[id(node)] > MAX_YAML_DEPTH:
        return f"nested deeper than {MAX_YAML_DEPTH} levels once aliases are expanded"
    return None


def safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load`` with :class:`LimitedLoader`'s depth and size limits."""
    return yaml.load(text, Loader=LimitedLoader)  # noqa: S506 - LimitedLoader is a SafeLoader


def _strip_union_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop pydantic's union tags from an error location (the discriminator value ``'flat'`` in
    ``('walls', 0, 'flat', 'corners')``, or a member name such as ``'str'``), keeping the keys and
    indices a person sees in the file."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("kind") == part:
            continue  # discriminator tag
        if isinstance(part, str) and node is not None and not isinstance(node, dict | list):
            continue  # union member name below a scalar
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


class _LineIndex:
    """Maps key paths of a YAML document to 1-based line numbers."""

    def __init__(self, text: str):
        try:
            self._root = yaml.compose(text, Loader=LimitedLoader)
        except yaml.YAMLError:
            self._root = None

    def line(self, loc: tuple[Any, ...]) -> int | None:
        node = self._root
        line = None
        for part in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode):
                nxt = None
                for key, value in node.value:
                    if key.value == part:
                        nxt = value
                        line = key.start_mark.line + 1
                        break
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                node = None
        if node is not None and not loc:
            line = node.start_mark.line + 1
        return line


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        key = str(ctx.get("discriminator", "kind")).strip("'")
        return f"unknown {key} {ctx.get('tag')!r} (expected one of {ctx.get('expected_tags')})"
    if kind == "union_tag_not_found":
        return f"required key {err.get('ctx', {}).get('discriminator', 'kind')} is missing"
    value = err.get("input")
    if kind not in ("model_type",) and not isinstance(value, dict | list) and value is not None:
        return f"{msg} (got {value!r})"
    return msg


def read_yaml(path: Path) -> tuple[Any, str]:
    """Parse a YAML file; problems raise :class:`ConfigError` with the line number."""
    file = str(path)
    try:
        raw = read_limited(path, MAX_CONFIG_BYTES)
    except InputFileError as exc:
        raise ConfigError(file, [Problem("", exc.reason)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(file, [Problem("", f"not UTF-8 text (byte {exc.start})")]) from None
    try:
        data = safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ConfigError(file, [Problem("", f"malformed YAML: {reason}", line)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(file, [Problem("", f"malformed YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(file, [Problem("", "top level must be a mapping of keys")])
    return data, text


def validate_document(model: type[M], data: dict[str, Any], text: str, file: str) -> M:
    """Validate parsed YAML against ``model``; every error becomes a :class:`Problem` with a line."""
    lines = _LineIndex(text)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = _strip_union_tags(tuple(err["loc"]), data)
            problems.append(Problem(format_loc(loc), _message(err), lines.line(loc)))
        raise ConfigError(file, _dedupe(problems)) from None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def load_stage_config(path: str | Path):
    """Load and fully check a stage config (models + cross-field checks).

    Raises :class:`ConfigError` listing every problem.
    """

    path = Path(path)
    data, text = read_yaml(path)
    config = validate_document(StageConfig, data, text, str(path))
    raise_found(check_stage(config, base_dir=path.parent), text, str(path))
    return config


def load_scene_config(path: str | Path, stage_color: Any = None):
    """Load and check a scene file. Raises :class:`ConfigError` listing every problem. With ``stage_color`` (the
    stage's :class:`~stage.core.config.color.ColorManagement`, its ``ocio_config`` resolved) the textures' and
    panorama's ``color_space`` names are checked against its OCIO config (none: only the built-in names)."""

    path = Path(path)
    data, text = read_yaml(path)
    scene = validate_document(SceneConfig, data, text, str(path))
    found = check_scene(scene, base_dir=path.parent)
    if stage_color is not None:
        found += check_scene_color_spaces(scene, stage_color.ocio_config)
    raise_found(found, text, str(path))
    return scene


def check_scene_color_spaces(scene: SceneConfig, ocio_config: str | None) -> list[tuple[tuple[Any, ...], str]]:
    """The declared texture/panorama colour spaces that ``ocio_config`` (``None``: the built-in set) lacks."""
    found: list[tuple[tuple[Any, ...], str]] = []
    for loc, name in scene_color_spaces(scene):
        try:
            problem = check_texture_space(name, ocio_config)
        except OcioError as exc:
            problem = str(exc)
        if problem:
            found.append((loc, problem))
    return found


def raise_found(found: list[tuple[tuple[Any, ...], str]], text: str, file: str) -> None:
    """Raise the cross-field check results ``[(key path, reason), ...]`` as one :class:`ConfigError`."""
    if found:
        index = _LineIndex(text)
        raise ConfigError(file, [Problem(format_loc(loc), msg, index.line(loc)) for loc, msg in found])


def stage_warnings(path: str | Path, config: Any) -> list[str]:
    """The warnings for a loaded stage config (:mod:`stage.core.config.advice`), as
    ``file:line: key: warning: reason``."""
    found = stage_advice(config)
    if not found:
        return []
    _, text = read_yaml(Path(path))
    index = _LineIndex(text)
    return [Problem(format_loc(loc), f"warning: {msg}", index.line(loc)).format(str(path)) for loc, msg in found]
