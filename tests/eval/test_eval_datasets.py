"""Manifest sets: every kind of bad sample gets its own clear message."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.eval.datasets import (
    DatasetError,
    SampleError,
    iter_samples,
    load_sample,
    read_manifest,
)
from support.scenes import save_sideways

H, W = 12, 16


def _good_mask():
    mask = np.zeros((H, W), np.uint8)
    mask[3:9, 4:12] = 1
    mask[2, 4:12] = 255
    return mask


def _rgb():
    return np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)


def make_set(root, samples):
    """Write ``samples`` (name -> (image array or bytes or None, mask array or None)) + manifest."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    lines = ["name,image,mask,height,width"]
    for name, (image, mask) in samples.items():
        image_rel, mask_rel = f"images/{name}.png", f"masks/{name}.png"
        if isinstance(image, bytes):
            (root / image_rel).write_bytes(image)
        elif image is not None:
            Image.fromarray(image).save(root / image_rel)
        if mask is not None:
            Image.fromarray(mask).save(root / mask_rel)
        lines.append(f"{name},{image_rel},{mask_rel},{H},{W}")
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    return root


BAD_SAMPLES = {
    "noimage": ((None, _good_mask()), "image file .* is missing"),
    "nomask": ((_rgb(), None), "mask file .* is missing"),
    "garbage": ((b"not an image at all", _good_mask()), "cannot read image file"),
    "size": (
        (_rgb(), np.zeros((H, W + 2), np.uint8)),
        "mask size 18x12 differs from image size 16x12",
    ),
    "values": (
        (_rgb(), _good_mask() * 128),
        "value\\(s\\) 128; allowed are 0 background, 1 object",
    ),
    "empty": ((_rgb(), np.zeros((H, W), np.uint8)), "no object pixels"),
    "coded255": ((_rgb(), (_good_mask() > 0).astype(np.uint8) * 255), "coded 255\\? it must be 1"),
    "rgbmask": ((_rgb(), _rgb()), "mask .* has mode RGB"),
}


@pytest.fixture
def bad_set(tmp_path):
    samples = {"good": (_rgb(), _good_mask())}
    samples.update({name: spec for name, (spec, _) in BAD_SAMPLES.items()})
    return make_set(tmp_path / "set", samples)


@pytest.mark.parametrize("name", sorted(BAD_SAMPLES))
def test_each_bad_sample_has_its_message(bad_set, name):
    refs = {ref.name: ref for ref in read_manifest(bad_set)}
    with pytest.raises(SampleError, match=BAD_SAMPLES[name][1]) as info:
        load_sample(refs[name])
    assert str(info.value).startswith(f"{name}: ")


def test_good_sample_loads(bad_set):
    ref = next(r for r in read_manifest(bad_set) if r.name == "good")
    sample = load_sample(ref)
    assert sample.image.shape == (H, W, 3) and sample.image.dtype == np.uint8
    np.testing.assert_array_equal(sample.mask, _good_mask())


def test_grey_alpha_and_palette_images_are_read_as_the_widget_reads_a_photo(tmp_path):
    """Such images were refused (a COCO set has grey photos); 16-bit grey was clipped white."""
    grey = _rgb()[..., 0]
    deep = grey.astype(np.uint16) * 257
    rgba = np.dstack([_rgb(), np.full((H, W), 9, np.uint8)])
    samples = {"grey": (grey, _good_mask()), "deep": (deep, _good_mask())}
    samples["rgba"] = (rgba, _good_mask())
    root = make_set(tmp_path / "set", samples)
    Image.fromarray(grey).convert("P").save(root / "images/palette.png")
    with open(root / "manifest.csv", "a") as manifest:
        manifest.write(f"palette,images/palette.png,masks/grey.png,{H},{W}\n")
    images = {ref.name: load_sample(ref).image for ref in read_manifest(root)}
    assert all(image.shape == (H, W, 3) and image.dtype == np.uint8 for image in images.values())
    for name in ("grey", "deep", "palette"):
        np.testing.assert_array_equal(images[name], np.repeat(grey[..., None], 3, axis=2))
    np.testing.assert_array_equal(images["rgba"], _rgb())


def test_a_photo_stored_sideways_is_turned_upright_as_the_widget_reads_it(tmp_path):
    """It was read as stored: "mask size 12x16 differs from image size 16x12", skipped."""
    from napari_skipclick.io import open_video

    root = make_set(tmp_path / "set", {"phone": (_rgb(), _good_mask())})
    save_sideways(root / "images/phone.png", _rgb())
    sample = load_sample(read_manifest(root)[0])
    np.testing.assert_array_equal(sample.image, _rgb())
    with open_video(root / "images/phone.png") as video:  # the widget's reader
        np.testing.assert_array_equal(sample.image, np.asarray(video[0]))


def test_iter_samples_skips_or_raises(bad_set):
    refs = read_manifest(bad_set)
    out = list(iter_samples(refs))
    assert [ref.name for ref, sample, _ in out if sample is not None] == ["good"]
    assert sum(message is not None for _, _, message in out) == len(BAD_SAMPLES)
    with pytest.raises(SampleError):
        list(iter_samples(refs, strict=True))


def test_manifest_problems(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        read_manifest(tmp_path / "nowhere")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        read_manifest(tmp_path / "afile")
    with pytest.raises(DatasetError, match=r"no manifest\.csv"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("name,img,mask\na,a.png,a.png\n")
    with pytest.raises(DatasetError, match="lacks the column\\(s\\) image"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("name,image,mask\na,a.png,m.png\na,b.png,n.png\n")
    with pytest.raises(DatasetError, match="'a' occurs twice"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("name,image,mask\n")
    with pytest.raises(DatasetError, match="lists no samples"):
        read_manifest(tmp_path)


def test_a_manifest_from_a_spreadsheet_is_read(tmp_path):
    """A byte-order mark (Excel's *CSV UTF-8*) made "name" a missing column."""
    text = "\ufeffname, image, mask\r\na, img/a.jpg, gt/a.png\r\n"
    (tmp_path / "manifest.csv").write_bytes(text.encode())
    [ref] = read_manifest(tmp_path)
    assert ref.name == "a" and ref.image_path == tmp_path / "img" / "a.jpg"
    assert ref.mask_path == tmp_path / "gt" / "a.png"


def test_a_12_bit_image_in_a_16_bit_file_is_read_from_its_range(tmp_path):
    """Read as if 16-bit (value / 257), a 12-bit camera's image came out almost black, though
    the widget reads the same photo from 0..4095."""
    from napari_skipclick.io import open_video

    deep = (_rgb()[..., 0].astype(np.uint16) * 16).astype(np.uint16)  # 0..4080
    root = make_set(tmp_path / "set", {"deep": (deep, _good_mask())})
    [ref] = read_manifest(root)
    image = load_sample(ref).image
    np.testing.assert_array_equal(image, open_video(ref.image_path)[0])
    assert image.max() > 200
