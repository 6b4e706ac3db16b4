"""The colour of every object ID: one rule for the labels layer, the table, stores and exports."""

from __future__ import annotations

#: RGB colours of object IDs 1, 2, 3, ... (cycled): Kelly's colours of maximum contrast,
#: without white and black. The Labels layer must show ID ``i`` in ``color_for(i)``.
COLORS: tuple[tuple[int, int, int], ...] = (
    (243, 195, 0),
    (135, 86, 146),
    (243, 132, 0),
    (161, 202, 241),
    (190, 0, 50),
    (194, 178, 128),
    (132, 132, 130),
    (0, 136, 86),
    (230, 143, 172),
    (0, 103, 165),
    (249, 147, 121),
    (96, 78, 151),
    (246, 166, 0),
    (179, 68, 108),
    (220, 211, 0),
    (136, 45, 23),
    (141, 182, 0),
    (101, 69, 34),
    (226, 88, 34),
    (43, 61, 38),
)


def color_for(obj_id: int) -> tuple[int, int, int]:
    """The RGB colour of object ID ``obj_id`` (>= 1)."""
    if obj_id < 1:
        raise ValueError(f"object IDs start at 1, got {obj_id}")
    return COLORS[(obj_id - 1) % len(COLORS)]
