"""The embedded engine's settings: names, types, defaults and what each does.

A module of its own, with no numpy, so that the engine registry reads the settings from the
one place the engine takes them from (``skipclick --help`` stays light).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _setting(default: float | bool, help: str) -> float | bool:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class EmbeddedSettings:
    """Tunable settings of the embedded engine (docs/engines.md, Settings)."""

    max_side: int = _setting(
        1280,
        "longest side in pixels the engine works at: a larger frame is downsized for encode and"
        " decode and its masks are scaled back up (0: full size)",
    )
    pixels_per_segment: float = _setting(60.0, "superpixel size (encode); smaller: precise, slower")
    compactness: float = _setting(20.0, "SLIC regularity (encode); lower follows edges more")
    slic_iterations: int = _setting(10, "SLIC iterations (encode); 5 encodes about 40 % faster")
    colour_weight: float = _setting(2.0, "weight of the colour log-likelihood ratio")
    colour_smoothing: float = _setting(0.7, "histogram smoothing, in bins")
    geodesic_weight: float = _setting(1.0, "weight of the geodesic term")
    geodesic_scale: float = _setting(
        20.0, "geodesic distance difference worth one unit of log-odds"
    )
    hop_cost: float = _setting(2.0, "cost of each superpixel step in the geodesic distance")
    border_cost: float = _setting(40.0, "geodesic cost of reaching the image border")
    thin_fraction: float = _setting(
        0.1, "foreground-coloured share that puts a superpixel in the band"
    )
    border_weight: float = _setting(
        0.2, "weight of border superpixels as background colour samples"
    )
    click_weight: float = _setting(
        300.0, "weight of each click-disk pixel in the colour histograms"
    )
    click_support: float = _setting(
        0.1, "share of the clicked colours' peak that counts as clicked"
    )
    prior_weight: float = _setting(0.5, "weight of the previous mask's log-odds")
    prior_relax: float = _setting(
        8.0, "a click correcting the previous mask this deep (px) voids its prior around it"
    )
    relax_samples: float = _setting(
        0.5,
        "a deep positive click's voided prior adds object colour samples, at most this share"
        " of the mask's area",
    )
    smoothness: float = _setting(1.0, "superpixel graph-cut smoothness")
    keep_connected: bool = _setting(True, "drop foreground not connected to a positive click")
    refine: bool = _setting(True, "run the pixel refinement")
    pixel_smoothness: float = _setting(10.0, "pixel graph-cut smoothness")
    coarse_weight: float = _setting(1.0, "pull of the superpixel decision in the pixel refinement")
    pixel_geodesic_weight: float = _setting(0.3, "weight of the geodesic term in the refinement")
    click_radius: float = _setting(
        3.0,
        "radius in pixels of the disk each click fixes and samples (a correcting click's reaches"
        " no farther than the previous mask's edge)",
    )
    shallow_negatives: bool = _setting(
        True,
        "a negative click whose disk the previous mask's edge narrows (an error thinner than"
        " click_radius) fixes only its disk, not its superpixel",
    )
    thin_objects: bool = _setting(True, "run the thin-object pass")
    thin_width: float = _setting(
        8.0, "widest line, in pixels, that counts as thin (median over the positive clicks)"
    )
    colour_tolerance: float = _setting(
        15.0, "Lab distance for the click disks of thin objects and lines, and the path cost"
    )
    line_disk_share: float = _setting(
        0.5,
        "a positive click on a line whose colour-consistent disk covers at most this share of"
        " its disk fixes only that part (a pole, not the snow beside it; 0: never)",
    )
    ridge_strength: float = _setting(
        3.0,
        "least scale-normalised line response (lightness) for a click on a line",
    )
    line_contrast: float = _setting(
        3.0,
        "least contrast of a long line to the spread of its surroundings for a lone click on"
        " it, or a click beside a flood, to be read as a pole (0: never)",
    )
    way_share: float = _setting(
        0.66,
        "share of the way between two positive clicks that must read a line along it for a"
        " click at a pole's end, which reads none, to count as on it (0: never)",
    )
    thin_margin: float = _setting(
        20.0, "smallest margin in pixels of the thin pass's crop around the positive clicks"
    )
    leak_reach: float = _setting(
        4.0,
        "margin (band widths) around the clicks' box beyond which a result flooded",
    )
    leak_ratio: float = _setting(
        2.0,
        "a result this many times the thin mask leaked (two thirds of the clicks on a line)",
    )
    flood_share: float = _setting(
        0.5, "share of the superpixel result beyond that margin that makes it a flood"
    )
    thin_held: float = _setting(
        0.12,
        "largest share of the thin mask's rim on the band limit (more: wider)",
    )
    keep_share: float = _setting(0.5, "share of a sound previous mask the thin mask must keep")
    band_min: float = _setting(
        4.0, "smallest half-width in pixels of the band around a thin object's core"
    )
    band_factor: float = _setting(1.0, "band half-width per pixel of measured line width")
    path_max_cost: float = _setting(
        1.6, "mean cost per pixel above which two clicks are not joined by a path"
    )
    path_weight: float = _setting(6.0, "pull of the path pixels towards the object")
    pixel_cost: float = _setting(
        1.0, "geodesic cost per unit of background log-likelihood (thin pass)"
    )
    pixel_geo_scale: float = _setting(
        10.0, "geodesic difference worth one unit of log-odds (thin pass)"
    )
    pixel_geo_weight: float = _setting(1.0, "weight of the geodesic term (thin pass)")
    zoom_area: float = _setting(
        0.04,
        "decode in a crop around the object when the crop covers at most this share of the frame"
        " (0: never)",
    )
    zoom_expansion: float = _setting(1.4, "crop side per side of the object's box (zoom)")
    zoom_min_side: int = _setting(120, "smallest side in pixels of the zoom crop")
    first_zoom_side: int = _setting(
        240,
        "side in pixels of the crop a first click is also decoded in; its answer, when it stays"
        " inside the crop and is at most half the frame's, is the object (0: never)",
    )
    guard_share: float = _setting(
        0.25,
        "an addition no positive click lies in is undone when larger than this share of the"
        " mask (0: never)",
    )
    settle_reach: float = _setting(
        8.0,
        "where no click corrects the previous mask (a zoom refinement), an addition reaching"
        " farther than this many pixels from it is undone (0: never)",
    )
    flood_factor: float = _setting(
        2.0,
        "the newest positive click's addition is undone where thicker than this many times the"
        " click's distance to the previous mask (0: never)",
    )
    early_guard_share: float = _setting(
        2.0,
        "before guard_after, a positive click's addition no positive click lies in is undone"
        " when larger than this many times the mask (0: never)",
    )
    guard_after: int = _setting(
        3,
        "clicks from which the guards apply (the mask of one or two clicks is still rough); a"
        " negative click's large unasked additions are undone from the second click, a positive"
        " click's floods (early_guard_share) before it",
    )
