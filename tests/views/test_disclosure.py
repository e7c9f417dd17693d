"""Disclosure control: primary, inherited and complementary suppression, and the audit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from gateway.views.disclosure import encode_keys, protect_cells

K = 5


def _table(cells: dict[tuple[str, ...], int], dims: list[str]) -> pa.Table:
    cols = {d: [key[i] for key in cells] for i, d in enumerate(dims)}
    return pa.table({**cols, "n": list(cells.values())})


def _protect(cells: dict[tuple[str, ...], int], k: int = K) -> dict[tuple[str, ...], bool]:
    dims = [f"d{i}" for i in range(len(next(iter(cells))))]
    table = _table(cells, dims)
    result = protect_cells(encode_keys(table, dims), table["n"].to_numpy(), k)
    assert result.audit_complete
    return dict(zip(cells, result.hidden.tolist(), strict=True))


GRID = {
    ("NG", "fishing"): 2, ("NG", "construction"): 30, ("NG", "agri"): 100,
    ("GH", "fishing"): 40, ("GH", "construction"): 50, ("GH", "agri"): 60,
    ("KE", "fishing"): 70, ("KE", "construction"): 80, ("KE", "agri"): 90,
}  # fmt: skip


def test_cells_below_k_are_hidden_and_large_tables_untouched() -> None:
    hidden = _protect({("a",): 4, ("b",): 5, ("c",): 50, ("d",): 60})
    assert hidden[("a",)] and not hidden[("c",)] and not hidden[("d",)]
    assert not any(_protect({("a",): 5, ("b",): 6}).values())


def test_single_small_cell_gets_a_complement_in_its_margin() -> None:
    hidden = _protect({("a",): 2, ("b",): 50, ("c",): 60})
    # total - visible must not give back 2: the smallest other cell is hidden too
    assert hidden == {("a",): True, ("b",): True, ("c",): False}


def test_every_published_margin_keeps_hidden_mass_at_least_k_over_two_cells() -> None:
    hidden = _protect(GRID)
    assert hidden[("NG", "fishing")]
    for axis in (0, 1):
        for value in {key[axis] for key in GRID}:
            group = [c for c in GRID if c[axis] == value and hidden[c]]
            assert not group or (len(group) >= 2 and sum(GRID[c] for c in group) >= K)


def test_no_hidden_small_cell_is_pinned_by_the_margins() -> None:
    # Linear algebra as the attacker would do it: rows, columns and total are published.
    hidden = _protect(GRID)
    unknown = [c for c in GRID if hidden[c]]
    rows = []
    for axis in (0, 1):
        for value in {key[axis] for key in GRID}:
            rows.append([1.0 if c[axis] == value else 0.0 for c in unknown])
    rows.append([1.0] * len(unknown))
    matrix = np.array(rows)
    target = np.eye(len(unknown))[unknown.index(("NG", "fishing"))]
    solution, *_ = np.linalg.lstsq(matrix.T, target, rcond=None)
    assert not np.allclose(matrix.T @ solution, target)


def test_pinned_cell_via_lone_complement_is_widened() -> None:
    # Hiding only NG-construction (the lone hidden cell of its column, mass >= k) would let
    # column total - visible = 30 and then row: 32 - 30 = 2. The audit must prevent it.
    cells = {("NG", "fishing"): 2, ("NG", "construction"): 30, ("GH", "fishing"): 40,
             ("GH", "construction"): 50, ("GH", "agri"): 10, ("NG", "agri"): 500}  # fmt: skip
    hidden = _protect(cells)
    for column in ("fishing", "construction", "agri"):
        assert sum(hidden[c] for c in cells if c[1] == column) != 1


def test_finer_levels_inherit_hidden_parents() -> None:
    # (NG, construction) is hidden at the 2-d level, so its gender split must not be shown.
    cells = {(c, s, g): v // 2 + (v % 2 if g == "f" else 0)
             for (c, s), v in GRID.items() for g in ("f", "m")}  # fmt: skip
    fine = _protect(cells)
    coarse = _protect(GRID)
    for (c, s, g), is_hidden in fine.items():
        if coarse[(c, s)]:
            assert is_hidden, (c, s, g)


def test_pattern_does_not_depend_on_row_order() -> None:
    table = _table(GRID, ["a", "b"])
    shuffled = table.take(pa.array([8, 3, 5, 0, 7, 1, 6, 2, 4]))
    first = protect_cells(encode_keys(table, ["a", "b"]), table["n"].to_numpy(), K).hidden
    second = protect_cells(encode_keys(shuffled, ["a", "b"]), shuffled["n"].to_numpy(), K).hidden
    keys = list(zip(table["a"].to_pylist(), table["b"].to_pylist(), strict=True))
    keys2 = list(zip(shuffled["a"].to_pylist(), shuffled["b"].to_pylist(), strict=True))
    assert dict(zip(keys, first.tolist(), strict=True)) == dict(
        zip(keys2, second.tolist(), strict=True)
    )


def test_nulls_are_a_category_and_empty_input_is_fine() -> None:
    table = pa.table({"a": ["x", None, "y"], "n": [9, 1, 9]})
    result = protect_cells(encode_keys(table, ["a"]), table["n"].to_numpy(), K)
    assert result.hidden.tolist() == [True, True, False] or result.hidden.tolist()[1]
    empty = protect_cells(np.zeros((0, 2), dtype=np.int64), np.zeros(0), K)
    assert empty.hidden.size == 0


def test_too_many_dimensions_is_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        protect_cells(np.ones((1, 5), dtype=np.int64), np.ones(1), K)


@pytest.mark.slow
def test_audit_completes_on_the_benchmark_query_of_demo_shaped_data() -> None:
    # country x exploitation_type x month on demo-shaped data (three partners, 65k reports;
    # the caller's own rows count for nothing): one connected system of ~10^4 hidden cells,
    # where the SVD audit used to give up (views.audit_incomplete).
    from connectors.synthetic.synth import generate

    parts = []
    for org, (n, seed) in enumerate(((30_000, 1000), (20_000, 1010), (15_000, 1050))):
        t = generate("incident_reports", n, seed=seed).select(
            ["country", "exploitation_type", "occurred_on"]
        )
        parts.append(t.append_column("org", pa.array([org] * n)))
    rows = pa.concat_tables(parts)
    month = pa.compute.strftime(rows["occurred_on"], format="%Y-%m")
    table = pa.table(
        {"c": rows["country"], "t": rows["exploitation_type"], "m": month, "o": rows["org"]}
    )
    cube = table.group_by(["c", "t", "m", "o"]).aggregate([("o", "count")])
    others = pa.compute.not_equal(cube["o"], 0).to_numpy(zero_copy_only=False)  # caller: 0
    counts = np.where(others, cube["o_count"].to_numpy(), 0)
    orgs = np.where(others, cube["o"].to_numpy(), -1)
    result = protect_cells(encode_keys(cube, ["c", "t", "m"]), counts, 10, orgs=orgs, min_orgs=2)
    assert result.audit_complete
    assert result.primary > 1000 and result.hidden.sum() >= result.primary


def test_box_certificates_agree_with_exact_linear_algebra(monkeypatch: pytest.MonkeyPatch) -> None:
    # Force the certificate path on every system, then attack the result as an analyst would:
    # every published cell of every level is an equation over the hidden finest cells.
    from itertools import combinations, product

    from gateway.views import disclosure

    monkeypatch.setattr(disclosure, "AUDIT_LIMIT", 0)
    rng = np.random.default_rng(5)
    shape = (6, 5, 7)
    cells = list(product(*(range(n) for n in shape)))
    counts = rng.integers(1, 16, size=len(cells))
    table = pa.table({f"d{j}": [f"v{c[j]}" for c in cells] for j in range(3)})
    result = protect_cells(encode_keys(table, ["d0", "d1", "d2"]), counts, K + 5)
    assert result.audit_complete
    hidden = result.hidden
    unknown = np.flatnonzero(hidden)
    equations = []
    for size in range(3):
        for dims in combinations(range(3), size):
            groups: dict[tuple[int, ...], list[int]] = {}
            for i, c in enumerate(cells):
                groups.setdefault(tuple(c[j] for j in dims), []).append(i)
            for members, coarse_hidden in zip(
                groups.values(), _level_pattern(groups, counts, K + 5), strict=True
            ):
                row = np.isin(unknown, members).astype(float)
                if not coarse_hidden and row.any():
                    equations.append(row)
    matrix = np.array(equations)
    _, singular, vt = np.linalg.svd(matrix)
    null = vt[int(np.count_nonzero(singular > 1e-9)) :]
    determined = np.all(np.abs(null) < 1e-9, axis=0)
    primary = counts[unknown] < K + 5
    assert not (determined & primary).any()


def _level_pattern(
    groups: dict[tuple[int, ...], list[int]], counts: np.ndarray, k: int
) -> list[bool]:
    """The hidden pattern of a coarser query (the same as inside the finer one's lattice)."""
    keys = list(groups)
    width = len(keys[0])
    table = pa.table({f"d{j}": [f"v{key[j]}" for key in keys] for j in range(width)})
    sums = np.array([counts[m].sum() for m in groups.values()])
    coded = encode_keys(table, [f"d{j}" for j in range(width)]) if width else np.zeros((1, 0))
    return [bool(h) for h in protect_cells(coded.astype(np.int64), sums, k).hidden]


def test_a_box_of_hidden_cells_is_a_certificate_and_an_l_shape_is_not() -> None:
    from gateway.views.certificates import Margin, box_certified

    codes = np.array([(r, c) for r in range(3) for c in range(3)], dtype=np.int64)
    index = {tuple(c): i for i, c in enumerate(codes.tolist())}
    rows = Margin((0,), np.ones(3, bool), codes[:, 0].copy())
    cols = Margin((1,), np.ones(3, bool), codes[:, 1].copy())
    box = np.zeros(9, bool)
    box[[index[(0, 0)], index[(0, 1)], index[(1, 0)], index[(1, 1)]]] = True
    assert box_certified(np.flatnonzero(box), box, codes, [rows, cols]).all()
    ell = box.copy()
    ell[index[(1, 1)]] = False  # (1, 0) is now alone in its row: row total - visible gives it
    assert not box_certified(np.flatnonzero(ell), ell, codes, [rows, cols]).any()
    # Two hidden cells of one row differ only in the column: a certificate only when the
    # column margins are not published.
    pair = np.zeros(9, bool)
    pair[[index[(2, 0)], index[(2, 2)]]] = True
    assert not box_certified(np.flatnonzero(pair), pair, codes, [rows, cols]).any()
    unpublished = Margin((1,), np.zeros(3, bool), codes[:, 1].copy())
    assert box_certified(np.flatnonzero(pair), pair, codes, [rows, unpublished]).all()
