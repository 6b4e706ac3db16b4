"""The s-t minimum cut of the embedded engine against brute force, known cuts and extreme scales."""

from __future__ import annotations

import importlib
import itertools
import sys

import numpy as np
import pytest

from napari_skipclick.engines import embedded_graph
from napari_skipclick.engines.embedded_graph import min_cut


def _energy(labels, edges, weights, unary) -> float:
    """Cost of a labelling: unary cost of the side not taken plus the weights of cut edges."""
    labels = np.asarray(labels, dtype=bool)
    cost = np.where(labels, np.maximum(-unary, 0.0), np.maximum(unary, 0.0)).sum()
    if len(edges):
        cost += weights[labels[edges[:, 0]] != labels[edges[:, 1]]].sum()
    return float(cost)


def _brute_force(n, edges, weights, unary, hard_fg, hard_bg):
    """Minimum energy over every labelling that keeps the hard labels, and the union of the
    foreground of all labellings reaching it."""
    best, union = np.inf, np.zeros(n, dtype=bool)
    for bits in itertools.product([False, True], repeat=n):
        labels = np.array(bits)
        if not labels[hard_fg].all() or labels[hard_bg].any():
            continue
        cost = _energy(labels, edges, weights, unary)
        if cost < best - 1e-9:
            best, union = cost, labels.copy()
        elif cost <= best + 1e-9:
            union |= labels
    return best, union


def _random_problem(rng, integer: bool):
    n = int(rng.integers(1, 9))
    pairs = rng.integers(0, n, size=(int(rng.integers(0, 3 * n + 1)), 2))
    edges = pairs[pairs[:, 0] != pairs[:, 1]]
    if integer:  # small integers make exact ties between labellings common
        weights = rng.integers(0, 4, len(edges)).astype(float)
        unary = rng.integers(-4, 5, n).astype(float)
    else:
        weights = rng.exponential(1.0, len(edges))
        unary = rng.normal(0.0, 2.0, n)
    hard_fg = rng.choice(n, size=int(rng.integers(0, min(n, 2) + 1)), replace=False)
    hard_bg = np.setdiff1d(rng.choice(n, size=int(rng.integers(0, min(n, 2) + 1))), hard_fg)
    return n, edges, weights, unary, hard_fg, hard_bg


@pytest.mark.parametrize("integer", [False, True], ids=["real", "integer"])
def test_cut_value_equals_brute_force_on_tiny_graphs(integer):
    rng = np.random.default_rng(7)
    for _ in range(150):
        n, edges, weights, unary, hard_fg, hard_bg = _random_problem(rng, integer)
        labels = min_cut(n, edges, weights, unary, hard_fg, hard_bg)
        best, union = _brute_force(n, edges, weights, unary, hard_fg, hard_bg)
        assert labels.dtype == bool and labels.shape == (n,)
        assert labels[hard_fg].all() and not labels[hard_bg].any()
        scale = 1.0 + np.abs(unary).sum() + weights.sum()
        assert _energy(labels, edges, weights, unary) == pytest.approx(best, abs=1e-7 * scale)
        if integer:  # exact capacities: among equal cuts, the largest foreground
            np.testing.assert_array_equal(labels, union)


def test_known_cut_on_a_chain():
    # 0 - 1 - 2 - 3 - 4 with a weak link between 2 and 3: the cut goes there
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    weights = np.array([5.0, 5.0, 0.5, 5.0])
    unary = np.array([3.0, 0.2, 0.2, -0.2, -3.0])
    labels = min_cut(5, edges, weights, unary, np.array([], int), np.array([], int))
    np.testing.assert_array_equal(labels, [True, True, True, False, False])
    # a strong link everywhere: the whole chain follows the larger total (3.4 against 3.2)
    labels = min_cut(5, edges, np.full(4, 5.0), unary, np.array([], int), np.array([], int))
    np.testing.assert_array_equal(labels, [True] * 5)


def test_known_cut_on_a_grid_with_hard_seeds():
    # 3x4 grid, no unary cost: the seeds alone decide and the cut takes the cheap column edges
    index = np.arange(12).reshape(3, 4)
    horizontal = np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1)
    vertical = np.stack([index[:-1].ravel(), index[1:].ravel()], axis=1)
    edges = np.concatenate([horizontal, vertical])
    weights = np.concatenate([np.tile([4.0, 1.0, 4.0], 3), np.full(len(vertical), 4.0)])
    labels = min_cut(12, edges, weights, np.zeros(12), np.array([0]), np.array([11]))
    np.testing.assert_array_equal(labels.reshape(3, 4), np.tile([True, True, False, False], (3, 1)))


def test_background_seed_wins_over_foreground_seed():
    edges = np.array([[0, 1]])
    labels = min_cut(2, edges, np.array([1.0]), np.array([9.0, 9.0]), np.array([0]), np.array([0]))
    np.testing.assert_array_equal(labels, [False, True])


def test_degenerate_graphs():
    none = np.array([], dtype=int)
    assert min_cut(
        3, np.zeros((0, 2), int), np.zeros(0), np.array([1.0, -1.0, 0.0]), none, none
    ).tolist() == [True, False, True]
    assert min_cut(
        2, np.array([[0, 1]]), np.array([1.0]), np.zeros(2), np.array([0]), np.array([1])
    ).tolist() == [True, False]
    assert min_cut(
        1, np.zeros((0, 2), int), np.zeros(0), np.array([-1e-12]), none, none
    ).tolist() == [False]


@pytest.mark.parametrize("magnitude", [1e-9, 1.0, 1e12])
def test_scale_of_the_costs_does_not_matter(magnitude):
    # a chain whose best cut is decided by a margin of 1 % of the costs
    edges = np.array([[0, 1], [1, 2], [2, 3]])
    weights = np.array([1.0, 0.99, 1.0]) * magnitude
    unary = np.array([2.0, 0.0, 0.0, -2.0]) * magnitude
    none = np.array([], dtype=int)
    labels = min_cut(4, edges, weights, unary, none, none)
    np.testing.assert_array_equal(labels, [True, True, False, False])


def test_repeated_edges_add_up_without_overflow():
    # 1000 copies of one edge outweigh everything: the two nodes stay together, and of the two
    # labellings of equal cost (1.0 either way) the one with more foreground is returned
    edges = np.tile([[0, 1]], (1000, 1))
    labels = min_cut(2, edges, np.ones(1000), np.array([1.0, -1.0]), [], [])
    np.testing.assert_array_equal(labels, [True, True])
    labels = min_cut(2, edges, np.full(1000, 1e-3), np.array([1.2, -1.0]), [], [])
    np.testing.assert_array_equal(labels, [True, True])
    labels = min_cut(2, edges, np.full(1000, 1e-3), np.array([1.2, -1.3]), [], [])
    np.testing.assert_array_equal(labels, [True, False])


def test_large_grid_matches_the_optimum_of_its_own_cut_value():
    # a noisy disk on a 60x80 pixel grid: the result must beat or tie simple alternatives and
    # recover the disk far better than thresholding the noisy unary alone
    rng = np.random.default_rng(3)
    h, w = 60, 80
    index = np.arange(h * w).reshape(h, w)
    edges = np.concatenate(
        [
            np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
            np.stack([index[:-1].ravel(), index[1:].ravel()], axis=1),
        ]
    )
    yy, xx = np.mgrid[:h, :w]
    disk = ((yy - 30) ** 2 + (xx - 40) ** 2 < 18**2).ravel()
    unary = np.where(disk, 1.0, -1.0) + rng.normal(0.0, 1.5, h * w)
    weights = np.full(len(edges), 1.5)
    none = np.array([], dtype=int)
    labels = min_cut(h * w, edges, weights, unary, none, none)
    cost = _energy(labels, edges, weights, unary)
    for other in (disk, unary > 0, np.zeros(h * w, bool), np.ones(h * w, bool)):
        assert cost <= _energy(other, edges, weights, unary) + 1e-6
    assert (labels != disk).mean() < 0.5 * ((unary > 0) != disk).mean()


def test_needs_no_gpl_solver(monkeypatch):
    # PyMaxflow (GPL) must not be needed: the module imports and cuts with it unimportable
    monkeypatch.setitem(sys.modules, "maxflow", None)
    module = importlib.reload(embedded_graph)
    labels = module.min_cut(2, np.array([[0, 1]]), np.array([0.5]), np.array([1.0, -1.0]), [], [])
    np.testing.assert_array_equal(labels, [True, False])
