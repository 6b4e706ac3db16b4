"""Per-image features of the embedded engine: superpixels, their colour statistics and graph."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab
from skimage.segmentation import slic

from .embedded_refine import pixel_pair_weights

#: colour histogram bins per Lab channel (L, a, b)
LAB_BINS = (12, 16, 16)
#: value range per Lab channel mapped onto the bins (a and b beyond it land in the end bins)
LAB_RANGE = ((0.0, 100.0), (-64.0, 64.0), (-64.0, 64.0))


def lab_bin_index(lab: np.ndarray) -> np.ndarray:
    """Return the flat colour-histogram bin of every pixel of a float Lab image."""
    index = np.zeros(lab.shape[:2], dtype=np.int32)
    for channel, (bins, (low, high)) in enumerate(zip(LAB_BINS, LAB_RANGE, strict=True)):
        scaled = (lab[..., channel] - low) * (bins / (high - low))
        index = index * bins + np.clip(scaled.astype(np.int32), 0, bins - 1)
    return index


_LAB8_SCALE = np.array([2.55, 1.0, 1.0], np.float32)
_LAB8_SHIFT = np.array([0.0, 128.0, 128.0], np.float32)


def lab_uint8(lab: np.ndarray) -> np.ndarray:
    """Lab quantised to uint8 per channel: ``L·2.55``, ``a + 128``, ``b + 128``."""
    scaled = lab * np.array([2.55, 1.0, 1.0], np.float32) + np.array(
        [0.0, 128.0, 128.0], np.float32
    )
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def lab_float(lab8: np.ndarray) -> np.ndarray:
    """Inverse of ``lab_uint8``: float32 Lab."""
    return (lab8.astype(np.float32) - _LAB8_SHIFT) / _LAB8_SCALE


def lab_lightness(lab8: np.ndarray) -> np.ndarray:
    """The L channel of ``lab_float(lab8)``, without converting a and b."""
    return (lab8[..., 0].astype(np.float32) - _LAB8_SHIFT[0]) / _LAB8_SCALE[0]


def superpixels(
    lab: np.ndarray, pixels_per_segment: float, compactness: float, iterations: int
) -> np.ndarray:
    """SLIC superpixels of a float Lab image, labelled 0..n-1 without gaps.

    SLIC rescales its input to [0, 1], so ``compactness`` (meant for Lab units) is scaled alike.
    """
    height, width = lab.shape[:2]
    n_segments = max(int(height * width / pixels_per_segment), 16)
    span = max(float(lab.max() - lab.min()), 1e-6)
    labels = slic(
        lab,
        n_segments=n_segments,
        compactness=compactness / span,
        start_label=0,
        enforce_connectivity=True,
        convert2lab=False,
        channel_axis=-1,
        max_num_iter=iterations,
    )
    _, labels = np.unique(labels, return_inverse=True)
    return labels.reshape(height, width).astype(np.int32)


def _neighbour_pairs(labels: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label pairs and Lab colour differences of 4-neighbour pixels in different superpixels."""
    firsts, seconds, diffs = [], [], []
    for a, b, ca, cb in (
        (labels[:, :-1], labels[:, 1:], lab[:, :-1], lab[:, 1:]),
        (labels[:-1, :], labels[1:, :], lab[:-1, :], lab[1:, :]),
    ):
        crossing = a != b
        firsts.append(a[crossing])
        seconds.append(b[crossing])
        diffs.append(np.linalg.norm(ca[crossing] - cb[crossing], axis=1))
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    pairs = np.stack([np.minimum(first, second), np.maximum(first, second)], axis=1)
    return pairs, np.concatenate(diffs)


def superpixel_graph(labels: np.ndarray, lab: np.ndarray) -> dict[str, np.ndarray]:
    """Edges between touching superpixels with boundary length and mean contrast across it."""
    n = int(labels.max()) + 1
    pairs, diffs = _neighbour_pairs(labels, lab)
    keys = pairs[:, 0].astype(np.int64) * n + pairs[:, 1]
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    contrast = np.bincount(inverse, weights=diffs) / counts
    edges = np.stack([unique // n, unique % n], axis=1).astype(np.int32)
    return {
        "edges": edges,
        "edge_length": counts.astype(np.float32),
        "edge_contrast": contrast.astype(np.float32),
    }


def superpixel_stats(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Pixel count of each superpixel and whether it touches the image border."""
    n = int(labels.max()) + 1
    size = np.bincount(labels.ravel(), minlength=n).astype(np.float32)
    border = np.zeros(n, dtype=bool)
    border[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    return {"size": size, "border": border}


def colour_histograms(labels: np.ndarray, bins: np.ndarray) -> dict[str, np.ndarray]:
    """Sparse superpixel-by-colour-bin pixel counts as (superpixel, bin, count) triplets."""
    n_bins = int(np.prod(LAB_BINS))
    keys = labels.ravel().astype(np.int64) * n_bins + bins.ravel()
    unique, counts = np.unique(keys, return_counts=True)
    return {
        "hist_segment": (unique // n_bins).astype(np.int32),
        "hist_bin": (unique % n_bins).astype(np.int32),
        "hist_count": counts.astype(np.float32),
    }


def compute_features(
    image: np.ndarray, pixels_per_segment: float, compactness: float, slic_iterations: int
) -> dict[str, np.ndarray]:
    """All arrays the embedded engine's decode reads, for one RGB uint8 image."""
    lab = rgb2lab(image).astype(np.float32)
    labels = superpixels(lab, pixels_per_segment, compactness, slic_iterations)
    arrays = {"labels": labels, "pixel_bin": lab_bin_index(lab).astype(np.int16)}
    arrays.update(superpixel_stats(labels))
    arrays.update(superpixel_graph(labels, lab))
    arrays.update(colour_histograms(labels, arrays["pixel_bin"].astype(np.int32)))
    arrays["weight_right"], arrays["weight_down"] = pixel_pair_weights(lab)
    arrays["lab"] = lab_uint8(lab)
    return arrays
