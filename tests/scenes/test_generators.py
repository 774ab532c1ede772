"""The shipped assets are exactly what the generator scripts make (no hand-edited or downloaded asset can creep in,
and the generators stay deterministic)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_make_scenes_reproduces_the_shipped_scenes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scripts import make_scenes

    monkeypatch.setattr(make_scenes, "SCENES", tmp_path)
    monkeypatch.setattr(make_scenes, "ASSETS", tmp_path / "assets")
    assert make_scenes.main() == 0
    made = _files(tmp_path)
    shipped = {name: data for name, data in _files(REPO / "scenes").items() if name != "demo.yaml"}
    assert sorted(made) == sorted(shipped)
    changed = [name for name in made if made[name] != shipped[name]]
    assert not changed, f"generated assets differ from the shipped ones: {changed} (run scripts/make_scenes.py)"
    assert sum(len(d) for name, d in made.items() if name.startswith("assets/")) < 5 * 1024 * 1024


def test_make_luts_reproduces_the_shipped_luts(tmp_path: Path) -> None:
    from scripts import make_luts

    assert make_luts.main(["--out", str(tmp_path)]) == 0
    assert _files(tmp_path) == _files(REPO / "configs" / "luts")
