"""Processes are named once (issue 13): a node called ``render-1`` runs as ``render-1``, not ``render-render-1``."""

from __future__ import annotations

from pathlib import Path

from stage.app.cli import main
from stage.app.orchestrator import children as ch
from stage.core.config.loader import load_stage_config
from tests.procs import REPO


def test_a_node_named_render_is_not_prefixed_twice() -> None:
    config = load_stage_config(REPO / "configs" / "volume-curved.yaml")
    names = [ch.node_spec(Path("c.yaml"), n.name, None, ch.Endpoints("a", "b", "c"), "headless", None).name
             for n in config.nodes]
    assert names and all(not name.startswith("render-render") for name in names)
    assert names[0] == config.nodes[0].name == "render-1"
    assert ch.node_child("node1") == "render-node1"  # a plain name still says what runs


def test_two_nodes_with_one_process_name_are_refused(tmp_path: Path, capsys) -> None:
    text = (REPO / "configs" / "demo.yaml").read_text()
    nodes = "nodes:\n  - name: render-node1\n    outputs:\n      - {name: out1, resolution_px: [64, 64]}\n"
    path = tmp_path / "stage.yaml"
    path.write_text(text.replace("nodes:\n", nodes, 1).replace("scene: ", f"scene: {REPO}/configs/", 1))
    assert main(["validate", str(path)]) == 2
    assert "nodes[1].name: node 'node1' would run as process 'render-node1', as node 'render-node1' does" in (
        capsys.readouterr().err)
