"""The engine's last answer as the next click's prior: kept while the mask is what it became."""

from __future__ import annotations

import numpy as np

from napari_skipclick.session.priors import DecodePriors


def _answer(seed: int) -> tuple[np.ndarray, np.ndarray]:
    probabilities = np.random.default_rng(seed).random((6, 8)).astype(np.float32)
    return probabilities, probabilities > 0.5


def test_the_remembered_answer_is_the_prior_while_the_mask_is_unchanged():
    priors = DecodePriors()
    probabilities, mask = _answer(0)
    np.testing.assert_array_equal(priors.prior((0, 3, 1), mask), mask.astype(np.float32))
    priors.remember((0, 3, 1), probabilities, mask)
    np.testing.assert_array_equal(priors.prior((0, 3, 1), mask), probabilities)
    changed = mask.copy()
    changed[0, 0] = ~changed[0, 0]
    np.testing.assert_array_equal(priors.prior((0, 3, 1), changed), changed.astype(np.float32))
    # another frame, object or engine generation has nothing remembered
    for key in ((0, 4, 1), (0, 3, 2), (1, 3, 1)):
        np.testing.assert_array_equal(priors.prior(key, mask), mask.astype(np.float32))


def test_only_the_most_recently_used_answers_are_kept():
    priors = DecodePriors(size=2)
    answers = {t: _answer(t) for t in range(3)}
    priors.remember((0, 0, 1), *answers[0])
    priors.remember((0, 1, 1), *answers[1])
    priors.prior((0, 0, 1), answers[0][1])  # used: frame 1's answer is now the oldest
    priors.remember((0, 2, 1), *answers[2])
    np.testing.assert_array_equal(priors.prior((0, 0, 1), answers[0][1]), answers[0][0])
    np.testing.assert_array_equal(priors.prior((0, 2, 1), answers[2][1]), answers[2][0])
    assert priors.prior((0, 1, 1), answers[1][1]).max() == 1.0  # forgotten: the mask itself
