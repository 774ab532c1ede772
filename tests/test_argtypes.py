"""Comma-separated numbers that start with a minus sign are values, as people type them, in every command line."""

from __future__ import annotations

import pytest

from renderer.node import build_parser as node_parser
from stage.app.cli import build_parser as stage_parser


@pytest.mark.parametrize("pose", ["-0.6,-2,1.4,12,15,6", "-.5,2,1,0,0,0", "-1e-3,0,1.5,-10,-2,0", "-3, -2, 1, 0, 0, 0"])
def test_render_pose_with_a_negative_first_value(pose: str) -> None:
    args = stage_parser().parse_args(["render", "configs/demo.yaml", "--pose", pose])
    assert args.pose == tuple(float(v) for v in pose.split(","))


def test_set_takes_a_negative_list_as_its_value() -> None:
    args = stage_parser().parse_args(["set", "light_cards.key.position_m", "-1,2.5,-0.5"])
    assert args.value == [-1.0, 2.5, -0.5]


def test_plain_negative_numbers_and_real_options_still_parse() -> None:
    args = stage_parser().parse_args(["set", "exposure_ev", "-1.5"])
    assert args.value == -1.5
    with pytest.raises(SystemExit):
        stage_parser().parse_args(["render", "configs/demo.yaml", "--pose", "-x,1"])


def test_subcommand_parsers_inherit_the_rule() -> None:
    # renderer's own parser too: a value after an option is never mistaken for an unknown option.
    args = node_parser().parse_args(["configs/demo.yaml", "--node", "-1,2"])
    assert args.node == "-1,2"
