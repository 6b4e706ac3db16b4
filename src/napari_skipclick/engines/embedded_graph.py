"""Graph algorithms on superpixel and pixel graphs: geodesic distances and an s-t minimum cut."""

from __future__ import annotations

import maxflow
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: terminal capacity standing for "never cut" (hard constraints)
HARD_CAPACITY = 1e9


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
    label is fixed (``hard_bg`` wins where both name a node).
    """
    to_source = np.maximum(unary, 0.0).astype(np.float64)
    to_sink = np.maximum(-unary, 0.0).astype(np.float64)
    to_source[hard_fg] = HARD_CAPACITY
    to_sink[hard_fg] = 0.0
    to_sink[hard_bg] = HARD_CAPACITY
    to_source[hard_bg] = 0.0
    graph = maxflow.Graph[float](n, len(edges))
    nodes = graph.add_nodes(n)
    weights = np.asarray(pair_weights, dtype=np.float64)
    graph.add_edges(nodes[edges[:, 0]], nodes[edges[:, 1]], weights, weights)
    graph.add_grid_tedges(nodes, to_source, to_sink)
    graph.maxflow()
    return ~graph.get_grid_segments(nodes)
