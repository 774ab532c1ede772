"""The ``.cube`` parser (errors name file and line) and the numpy reference interpolation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from stage.core.color.cube_lut import (
    CubeLUT,
    LUTError,
    apply_lut,
    apply_tetrahedral,
    apply_trilinear,
    format_cube,
    identity_table,
    load_cube,
    parse_cube,
)

INTERPOLATIONS = (apply_trilinear, apply_tetrahedral)


def lut_of(table: np.ndarray, **kw) -> CubeLUT:
    return parse_cube(format_cube(table, decimals=9), **kw)


def test_parses_header_comments_and_row_order() -> None:
    text = """# made by hand
TITLE "swap"

DOMAIN_MIN 0 0 0
DOMAIN_MAX 1 1 1
LUT_3D_SIZE 2
0 0 0
1 0 0
0 1 0
1 1 0
0 0 1
1 0 1
0 1 1
1 1 1
"""
    lut = parse_cube(text, "swap.cube")
    assert (lut.size, lut.title, lut.domain_min, lut.domain_max) == (2, "swap", (0, 0, 0), (1, 1, 1))
    assert lut.table.dtype == np.float32 and lut.table.shape == (2, 2, 2, 3)
    assert lut.table[0, 0, 1].tolist() == [1, 0, 0]  # [b][g][r]: red changes fastest in the file
    assert lut.table[1, 0, 0].tolist() == [0, 0, 1]
    assert np.array_equal(lut.table, identity_table(2))
    assert not lut.table.flags.writeable


def test_resolve_input_range_and_crlf_bom() -> None:
    text = "\ufeffLUT_3D_INPUT_RANGE 0.0 2.0\r\nLUT_3D_SIZE 2\r\n" + "0 0 0\r\n" * 8
    lut = parse_cube(text.encode("utf-8"))
    assert lut.domain_max == (2.0, 2.0, 2.0)


def test_domain_maps_inputs() -> None:
    table = identity_table(3)
    lut = parse_cube("DOMAIN_MIN -1 -1 -1\nDOMAIN_MAX 1 1 1\n" + format_cube(table))
    for apply in INTERPOLATIONS:
        np.testing.assert_allclose(apply(lut, [[0.0, -1.0, 1.0]]), [[0.5, 0.0, 1.0]], atol=1e-7)
        np.testing.assert_allclose(apply(lut, [[5.0, -5.0, 0.5]]), [[1.0, 0.0, 0.75]], atol=1e-7)  # clipped


GOOD_HEAD = "LUT_3D_SIZE 2\n"
ROWS = "0 0 0\n" * 8


@pytest.mark.parametrize(("text", "line", "reason"), [
    (GOOD_HEAD + "0 0 0\n" * 7, 8, "expected LUT_3D_SIZE³ = 8 data rows, found 7"),
    (GOOD_HEAD + "0 0 0\n" * 9, 10, "more than LUT_3D_SIZE³ = 8 data rows"),
    (GOOD_HEAD + "0 0 0\n0 abc 0\n" + "0 0 0\n" * 6, 3, "non-numeric value 'abc'"),
    (GOOD_HEAD + "0 0 0\n0 nan 0\n" + "0 0 0\n" * 6, 3, "value 'nan' in data row is not a finite number"),
    (GOOD_HEAD + "0 0 0\n0 0\n" + "0 0 0\n" * 6, 3, "data row needs 3 values (R G B), got 2"),
    ("TITLE \"x\"\nLUT_3D_SIZE 1\n0 0 0\n", 2, "LUT_3D_SIZE 1 out of range 2–129"),
    ("LUT_3D_SIZE 300\n", 1, "LUT_3D_SIZE 300 out of range"),
    ("LUT_3D_SIZE two\n", 1, "LUT_3D_SIZE 'two' is not an integer"),
    ("# no size\n" + ROWS, 2, "data row before LUT_3D_SIZE"),
    ("TITLE \"empty\"\n", 1, "missing LUT_3D_SIZE"),
    ("LUT_1D_SIZE 1024\n0 0 0\n", 1, "1D LUTs are not supported (LUT_1D_SIZE)"),
    ("LUT_3D_SIZE 2\nLUT_3D_SIZE 2\n" + ROWS, 2, "LUT_3D_SIZE given twice (also line 1)"),
    (GOOD_HEAD + ROWS + "DOMAIN_MIN 0 0 0\n", 10, "keyword DOMAIN_MIN after the data rows"),
    ("DOMAIN_MIN 0 0\n" + GOOD_HEAD + ROWS, 1, "DOMAIN_MIN needs three numbers, got 2"),
    ("DOMAIN_MAX 1 0 1\nDOMAIN_MIN 0 0 0\n" + GOOD_HEAD + ROWS, 1, "domain minimum"),
])
def test_malformed_files_name_file_and_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(LUTError) as info:
        parse_cube(text, "grade.cube")
    message = str(info.value)
    assert message.startswith(f"grade.cube:{line}: "), message
    assert reason in message
    assert "\n" not in message
    assert (info.value.source, info.value.line) == ("grade.cube", line)


def test_unknown_keywords_before_data_are_ignored() -> None:
    assert parse_cube("LUT_IN_VIDEO_RANGE\n" + GOOD_HEAD + ROWS).size == 2


def test_load_cube_missing_and_not_utf8(tmp_path) -> None:
    with pytest.raises(LUTError, match=r"nope\.cube: LUT file not found$"):
        load_cube(tmp_path / "nope.cube")
    bad = tmp_path / "bad.cube"
    bad.write_bytes(b"LUT_3D_SIZE 2\n\xff\xfe\n")
    with pytest.raises(LUTError, match=r"bad\.cube: not UTF-8 text"):
        load_cube(bad)


def test_identity_lut_is_exact_both_interpolations() -> None:
    lut = lut_of(identity_table(17))
    x = np.random.default_rng(1).random((2000, 3))
    x[:10] = [[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0.25, 0.75, 1], [1, 1, 0],
              [0.0625, 0.125, 0.1875], [0.999, 0.001, 0.5]]
    for apply in INTERPOLATIONS:
        np.testing.assert_allclose(apply(lut, x), x, atol=1e-7)
    assert np.array_equal(apply_tetrahedral(lut, x[:9]), x[:9])  # on lattice points: exactly the stored values


def test_channel_swap_lut_swaps_channels() -> None:
    lut = lut_of(identity_table(9)[..., ::-1])  # out = (b, g, r)
    x = np.random.default_rng(2).random((500, 3))
    for apply in INTERPOLATIONS:
        np.testing.assert_allclose(apply(lut, x), x[:, ::-1], atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (3, 3), elements=st.floats(-1, 1)), arrays(np.float64, (3,), elements=st.floats(-1, 1)))
def test_affine_luts_are_reproduced_by_both(m: np.ndarray, offset: np.ndarray) -> None:
    table = (identity_table(5).astype(np.float64) @ m.T + offset).astype(np.float32)
    lut = CubeLUT(5, table)
    x = np.random.default_rng(3).random((200, 3))
    for apply in INTERPOLATIONS:
        np.testing.assert_allclose(apply(lut, x), x @ m.T + offset, atol=2e-6)


def test_interpolations_agree_on_grid_and_differ_on_the_neutral_axis() -> None:
    rng = np.random.default_rng(4)
    lut = CubeLUT(5, rng.random((5, 5, 5, 3)).astype(np.float32))
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1, 5)] * 3, indexing="ij"), -1).reshape(-1, 3)
    np.testing.assert_allclose(apply_trilinear(lut, grid), apply_tetrahedral(lut, grid), atol=1e-7)
    # the documented difference: on r = g = b, tetrahedral uses only the two grey corners of the cell
    corners = np.zeros((2, 2, 2, 3), np.float32)
    corners[1, 1, 1] = 1.0  # grey corners 0 and 1, every other corner 0
    two = CubeLUT(2, corners)
    t = np.linspace(0, 1, 11)
    grey = np.stack([t, t, t], -1)
    np.testing.assert_allclose(apply_tetrahedral(two, grey)[:, 0], t, atol=1e-12)
    np.testing.assert_allclose(apply_trilinear(two, grey)[:, 0], t**3, atol=1e-12)
    assert not np.allclose(apply_tetrahedral(lut, rng.random((50, 3))), apply_trilinear(lut, rng.random((50, 3))))


def test_apply_lut_dispatch() -> None:
    lut = lut_of(identity_table(2))
    assert apply_lut(lut, [[0.5, 0.5, 0.5]], "trilinear").tolist() == [[0.5, 0.5, 0.5]]
    with pytest.raises(ValueError, match="unknown interpolation"):
        apply_lut(lut, [[0, 0, 0]], "cubic")


def test_shipped_example_luts(repo) -> None:
    identity = load_cube(repo / "configs" / "luts" / "identity-17.cube")
    assert identity.size == 17 and np.array_equal(identity.table, identity_table(17))
    warm = load_cube(repo / "configs" / "luts" / "warm-17.cube")
    mid = apply_tetrahedral(warm, [[0.5, 0.5, 0.5]])[0]
    assert mid[0] > mid[1] > mid[2]  # warm: red up, blue down in the mid-tones
    np.testing.assert_allclose(apply_tetrahedral(warm, [[0, 0, 0], [1, 1, 1]]), [[0, 0, 0], [1, 1, 1]], atol=1e-5)
