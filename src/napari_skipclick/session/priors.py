"""The prior an object's next click is decoded with: the engine's own last answer.

An engine refines its previous answer best from the probabilities it gave, as the official
SkipClick protocol and ``skipclick eval`` pass them, not from the mask they were cut to: the
embedded engine's probabilities say where its last mask was sure (an object's colour, 0.9 and
more) and where only the clicks and their geodesics held it (0.75), and its graph cut weighs
the two apart. Decoded from the bare mask, each click's answer lost that, and the widget
needed more clicks than the benchmarks showed (docs/annotation.md, *Clicks and masks*).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

#: what a remembered answer is filed under: the session's engine generation, frame, object
Key = tuple[int, int, int]


class DecodePriors:
    """The probabilities of the latest edits, by (engine generation, frame, object), with the
    mask each became.

    Only the ``size`` most recently used keys are kept (an annotator works on one object at a
    time; a 4K frame's probabilities take 33 MB).
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._kept: OrderedDict[Key, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def remember(self, key: Key, probabilities: np.ndarray, mask: np.ndarray) -> None:
        """Keep the ``probabilities`` of an edit and ``mask``, the object's mask on the frame
        after it (by the overlap rule)."""
        self._kept[key] = (np.array(probabilities, np.float32), mask.copy())
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def prior(self, key: Key, mask: np.ndarray) -> np.ndarray:
        """The prior for the next decode of the object and frame of ``key``, whose mask is
        ``mask`` now: the remembered probabilities while the mask is still the one they became,
        else the mask itself (1 inside, 0 outside: nothing remembered, another engine, or the
        mask changed since by undo, propagation or another object's edit)."""
        kept = self._kept.get(key)
        if kept is None or not np.array_equal(kept[1], mask):
            return mask.astype(np.float32)
        self._kept.move_to_end(key)
        return kept[0]
