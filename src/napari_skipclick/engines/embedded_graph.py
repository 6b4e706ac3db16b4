"""Graph algorithms on superpixel and pixel graphs: geodesic distances, pair weights,
connectivity and an s-t minimum cut."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    dijkstra,
    maximum_flow,
)

#: the largest scaled capacity total: residual capacities (at most twice it) fit in int32
CAPACITY_RANGE = 2**29


def geodesic_distance(
    n: int,
    edges: np.ndarray,
    costs: np.ndarray,
    sources: np.ndarray,
    extra_sources: np.ndarray | None = None,
    extra_cost: float = 0.0,
) -> np.ndarray:
    """Shortest-path distance from the nearest source superpixel to every superpixel.

    ``extra_sources`` are reached through one virtual node at ``extra_cost`` (soft seeds, such as
    the image border). Unreachable superpixels get ``inf``.
    """
    rows, cols, data = [edges[:, 0]], [edges[:, 1]], [costs]
    start = [int(s) for s in sources]
    size = n
    if extra_sources is not None and len(extra_sources):
        rows.append(np.full(len(extra_sources), n))
        cols.append(extra_sources)
        data.append(np.full(len(extra_sources), extra_cost, dtype=np.float64))
        start.append(n)
        size = n + 1
    if not start:
        return np.full(n, np.inf)
    weights = np.concatenate(data).astype(np.float64) + 1e-9
    graph = csr_matrix((weights, (np.concatenate(rows), np.concatenate(cols))), shape=(size, size))
    dist = dijkstra(graph, directed=False, indices=start, min_only=True)
    return np.asarray(dist[:n])


def superpixel_pair_weights(a: dict) -> np.ndarray:
    """Boundary length times a contrast-sensitive factor for each superpixel edge of the
    feature arrays ``a``."""
    contrast = a["edge_contrast"]
    mean = float(np.mean(contrast**2)) if contrast.size else 0.0
    beta = 1.0 / (2.0 * max(mean, 1e-6))
    return a["edge_length"] * np.exp(-beta * contrast**2)


def connected_superpixels(edges: np.ndarray, fg: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Keep only the foreground superpixels connected to a seed through foreground."""
    n = len(fg)
    inside = fg[edges[:, 0]] & fg[edges[:, 1]]
    e = edges[inside]
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    keep = np.isin(comp, comp[seeds[fg[seeds]]])
    return fg & keep


def min_cut(
    n: int,
    edges: np.ndarray,
    pair_weights: np.ndarray,
    unary: np.ndarray,
    hard_fg: np.ndarray,
    hard_bg: np.ndarray,
) -> np.ndarray:
    """Foreground labels minimising ``sum(unary cost) + sum(pair weight over cut edges)``.

    ``unary`` > 0 favours foreground by that cost; ``hard_fg``/``hard_bg`` index nodes whose
    label is fixed (``hard_bg`` wins where both name a node). Where several labellings reach the
    minimum, the one with the most foreground is returned.

    Args:
        n: number of nodes.
        edges: ``(E, 2)`` node pairs; a pair's weight is paid when its labels differ.
        pair_weights: ``(E,)`` non-negative weights.
        unary: ``(n,)`` cost of labelling each node background rather than foreground.
        hard_fg: nodes fixed to foreground.
        hard_bg: nodes fixed to background.
    """
    fixed = np.zeros(n, dtype=np.int8)
    fixed[np.asarray(hard_fg, dtype=np.int64)] = 1
    fixed[np.asarray(hard_bg, dtype=np.int64)] = -1
    unary = np.asarray(unary, dtype=np.float64)
    to_source = np.maximum(unary, 0.0)
    to_sink = np.maximum(-unary, 0.0)
    a, b = np.asarray(edges, dtype=np.int64).T
    weights = np.asarray(pair_weights, dtype=np.float64)
    # A fixed node is merged into its terminal: its edges become terminal links of the free node
    # beside it, so no "infinite" capacity is needed.
    for x, y in ((a, b), (b, a)):
        free_x = fixed[x] == 0
        to_fg, to_bg = free_x & (fixed[y] == 1), free_x & (fixed[y] == -1)
        to_source += np.bincount(x[to_fg], weights=weights[to_fg], minlength=n)
        to_sink += np.bincount(x[to_bg], weights=weights[to_bg], minlength=n)
    labels = fixed > 0
    free = np.flatnonzero(fixed == 0)
    if free.size:
        index = np.full(n, -1, dtype=np.int64)
        index[free] = np.arange(free.size)
        inner = (fixed[a] == 0) & (fixed[b] == 0) & (a != b)
        labels[free] = _source_side(
            index[a[inner]], index[b[inner]], weights[inner], to_source[free], to_sink[free]
        )
    return labels


def _source_side(
    a: np.ndarray, b: np.ndarray, weights: np.ndarray, to_source: np.ndarray, to_sink: np.ndarray
) -> np.ndarray:
    """Largest source side of a minimum s-t cut, by scipy's Dinic maximum flow on integers.

    Capacities are scaled by the power of two that maps the larger of the two terminal totals
    (or twice the largest arc, repeated edges summed), ``bound``, into
    ``(CAPACITY_RANGE / 2, CAPACITY_RANGE]`` and
    rounded to integers: each capacity is off by at most half a unit, less than ``bound / 2**28``
    in the caller's units (about 4e-9 of the total), so the cut found is optimal up to that times
    the number of cut edges. Capacities that are multiples of a power of two, integers included,
    are exact, so their ties stay ties.
    """
    m = to_source.size
    shift = np.minimum(to_source, to_sink)  # the same cost on both sides never decides anything
    to_source, to_sink = to_source - shift, to_sink - shift
    source, sink = m, m + 1
    nodes = np.arange(m)
    tails = np.concatenate([a, b, np.full(m, source), nodes])
    heads = np.concatenate([b, a, nodes, np.full(m, sink)])
    # Dinic's level search starts at its source: from the terminal with fewer links it is
    # quicker, so the mirrored problem (every arc reversed, sink to source) is solved then.
    mirrored = np.count_nonzero(to_source) > np.count_nonzero(to_sink)
    if mirrored:
        tails, heads = heads, tails
    caps = np.concatenate([weights, weights, to_source, to_sink])
    capacity = csr_matrix((caps, (tails, heads)), shape=(m + 2, m + 2))  # repeated arcs summed
    tails = np.repeat(np.arange(m + 2), np.diff(capacity.indptr))
    pair_caps = capacity.data[(tails < m) & (capacity.indices < m)]
    bound = max(to_source.sum(), to_sink.sum(), 2 * pair_caps.max(initial=0.0))
    scale = 2.0 ** np.floor(np.log2(CAPACITY_RANGE / bound)) if bound > 0 else 1.0
    capacity.data = np.rint(capacity.data * scale).astype(np.int32)
    capacity.eliminate_zeros()
    start, end = (sink, source) if mirrored else (source, sink)
    residual = capacity - maximum_flow(capacity, start, end, method="dinic").flow
    if not mirrored:
        residual = residual.T
    residual = residual.tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    # the nodes that still reach the sink in the residual graph (found from the sink along
    # reversed residual arcs) lie on the sink side of every minimum cut; the rest is foreground
    sink_side = breadth_first_order(residual, sink, directed=True, return_predecessors=False)
    labels = np.ones(m + 2, dtype=bool)
    labels[sink_side] = False
    return labels[:m]
