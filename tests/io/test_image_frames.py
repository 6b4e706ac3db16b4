"""Frames read from image files: EXIF orientation, TIFF stacks, mixed suffixes, label folders."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from napari_skipclick.io import VideoError, open_video
from support.scenes import save_sideways

W, H = 64, 48


def pattern(i: int) -> np.ndarray:
    """An asymmetric frame (a bright top-left corner) whose content encodes ``i``."""
    frame = np.full((H, W, 3), (i * 20) % 256, np.uint8)
    frame[:12, :16] = 255
    frame[-8:, :, 2] = 60
    return frame


def test_exif_orientation_is_applied_to_photos_and_frame_folders(tmp_path):
    """Phone photos stored sideways opened sideways, so exported masks did not fit the images
    that training tools (which apply EXIF) load."""
    save_sideways(tmp_path / "IMG_0001.jpg", pattern(1))
    with Image.open(tmp_path / "IMG_0001.jpg") as image:
        assert image.size == (H, W)  # stored sideways
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    photo = open_video(tmp_path / "IMG_0001.jpg")
    assert photo.shape == (1, H, W, 3)
    np.testing.assert_array_equal(photo[0], expected)
    assert np.abs(photo[0].astype(int) - pattern(1)).mean() < 3
    # a folder of sideways and upright frames: one size once upright, not "differ in size"
    folder = tmp_path / "frames"
    folder.mkdir()
    save_sideways(folder / "0.jpg", pattern(0))
    Image.fromarray(pattern(1)).save(folder / "1.png")
    video = open_video(folder)
    assert video.shape == (2, H, W, 3)
    assert np.abs(video[0].astype(int) - pattern(0)).mean() < 3
    np.testing.assert_array_equal(video[1], pattern(1))


def test_a_tiff_stack_opens_as_a_video_of_its_pages(tmp_path):
    """FFmpeg reads a multi-page TIFF's first page only: it opened as one frame, silently."""
    frames = [pattern(i) for i in range(6)]
    Image.fromarray(frames[0]).save(
        tmp_path / "stack.tif",
        save_all=True,
        append_images=[Image.fromarray(f) for f in frames[1:]],
    )
    video = open_video(tmp_path / "stack.tif", fps=10)
    assert video.shape == (6, H, W, 3) and video.fps == 10.0
    for t in (3, 0, 5, 1):
        np.testing.assert_array_equal(video[t], frames[t])
    # 16-bit greyscale pages (microscopy) are scaled as 16-bit frames are
    grey = [(np.arange(H * W).reshape(H, W) * (i + 1) % 65536).astype(np.uint16) for i in range(3)]
    pages = [Image.fromarray(g) for g in grey]
    pages[0].save(tmp_path / "grey.tiff", save_all=True, append_images=pages[1:])
    stack = open_video(tmp_path / "grey.tiff")
    assert len(stack) == 3
    brightest = max(int(g.max()) for g in grey)  # 9213: 14-bit data, scaled from 0..16383
    full = 2 ** brightest.bit_length() - 1
    expected = np.rint(grey[2] * (255.0 / full)).astype(np.uint8)
    np.testing.assert_array_equal(stack[2][..., 0], expected)
    # pages of another size are refused by name, as frames of a folder are
    Image.fromarray(frames[0]).save(
        tmp_path / "mixed.tif", save_all=True, append_images=[Image.fromarray(frames[1][:20])]
    )
    with pytest.raises(VideoError, match=r"mixed\.tif is 64x48, mixed\.tif page 2 is 64x20"):
        open_video(tmp_path / "mixed.tif")


def test_a_frame_folder_names_the_images_it_leaves_out(tmp_path):
    """A folder of .png/.jpg/.JPEG/.bmp/.tif frames opened as 4 frames of 6 without a word."""
    for i, name in enumerate(["000.png", "001.jpg", "002.JPEG", "003.bmp", "004.tif", "005.png"]):
        Image.fromarray(pattern(i)).save(tmp_path / name, quality=98)
    (tmp_path / "notes.txt").write_text("not an image")
    video = open_video(tmp_path)
    assert len(video) == 4
    assert video.notes == [
        f"{tmp_path.name}: 2 image file(s) left out, only .jpg/.jpeg/.png files are frames: "
        "003.bmp, 004.tif"
    ]
    (tmp_path / "003.bmp").unlink()
    (tmp_path / "004.tif").unlink()
    assert open_video(tmp_path).notes == []


def test_a_folder_is_judged_a_label_folder_by_more_than_its_first_image(tmp_path):
    """A greyscale camera's frames whose first one is black (warm-up) were taken for label
    images, and ``skipclick precompute PARENT`` skipped the folder."""
    from napari_skipclick.io.video import is_label_folder

    camera = tmp_path / "ir_camera"
    camera.mkdir()
    ramp = np.arange(H * W).reshape(H, W) % 256
    for i in range(12):
        grey = np.zeros((H, W), np.uint8) if i == 0 else ((ramp + 7 * i) % 256).astype(np.uint8)
        Image.fromarray(grey).save(camera / f"frame{i}.png")
    assert not is_label_folder(camera)
    masks = tmp_path / "masks"
    masks.mkdir()
    for i in range(12):
        ids = np.zeros((H, W), np.uint8)
        ids[i : i + 10, 5:20] = 1 if i < 11 else 0  # the object gone in the last mask
        image = Image.fromarray(ids).convert("P")
        image.save(masks / f"{i:05d}.png")
    assert is_label_folder(masks)
    grey_ids = tmp_path / "grey_ids"
    grey_ids.mkdir()
    for i in range(3):
        Image.fromarray((np.indices((H, W))[1] // 16 * 40).astype(np.uint8)).save(
            grey_ids / f"{i}.png"
        )
    assert is_label_folder(grey_ids)


def folder_of(path, images: int = 0, videos: int = 0, subfolders: tuple[str, ...] = ()):
    """A folder of ``images`` PNGs, ``videos`` (empty) .mp4 files and the given subfolders
    (paths below it, each holding one PNG); returns what the rule makes of it."""
    from napari_skipclick.io._folders import Folder

    path.mkdir()
    for i in range(images):
        Image.fromarray(pattern(i)).save(path / f"{i:03d}.png")
    for i in range(videos):
        (path / f"v{i}.mp4").write_bytes(b"")
    for sub in subfolders:
        (path / sub).mkdir(parents=True)
        Image.fromarray(pattern(0)).save(path / sub / "000.png")
    held = Folder.of(path)
    return "frames" if held.is_frames else "videos" if held.is_videos else None


def test_a_folder_is_a_frame_folder_when_it_holds_more_images_than_video_files(tmp_path):
    """A folder of frames beside their source video (ffmpeg run in the video's folder) was
    taken for a folder of videos; a folder of videos beside a cover stays one."""
    assert folder_of(tmp_path / "ffmpeg", images=12, videos=1) == "frames"
    assert folder_of(tmp_path / "cover", images=1, videos=2) == "videos"
    assert folder_of(tmp_path / "even", images=1, videos=1) == "videos"
    assert folder_of(tmp_path / "frames", images=2) == "frames"
    assert folder_of(tmp_path / "empty") is None


def test_subfolders_of_frames_or_videos_are_videos_of_their_folder(tmp_path):
    """A folder of a cover image and clips' frame folders was read as a video of one frame."""
    assert folder_of(tmp_path / "clips", images=1, subfolders=("a", "b")) == "videos"
    assert folder_of(tmp_path / "deep", images=1, subfolders=("2023/day1",)) == "videos"
    assert folder_of(tmp_path / "masks", images=12, subfolders=("masks",)) == "frames"
    assert folder_of(tmp_path / "one", images=1, subfolders=("empty/.hidden",)) == "frames"


def test_a_16_bit_photo_among_8_bit_ones_is_scaled_from_its_own_range(tmp_path):
    """A 16-bit PNG in a folder of 8-bit photos came out white: the 8-bit frames sampled for
    the range (up to 255) made it 0..1023."""
    for t in range(6):
        Image.fromarray(pattern(t)).save(tmp_path / f"a_{t}.png")
    deep = np.full((H, W), 30000, np.uint16)
    deep[0, 0] = 60000
    Image.fromarray(deep).save(tmp_path / "a_3.png")  # a frame the old sampling left out
    video = open_video(tmp_path)
    assert video[3][5, 5, 0] == round(30000 / 257)
    assert not any("16-bit" in note for note in video.notes)  # full 16-bit data: no note
    Image.fromarray((deep // 16).astype(np.uint16)).save(tmp_path / "a_3.png")  # 12-bit data
    video = open_video(tmp_path)
    assert video[3][5, 5, 0] == round(30000 / 16 * 255 / 4095)
    assert any("1 of its 6 frames are 16-bit, holding 12-bit data" in n for n in video.notes)


def test_names_with_other_digits_than_ascii_ones_sort_as_text(tmp_path):
    """``IMG_1²2.jpg`` (a superscript two) crashed opening the folder: invalid literal for
    int()."""
    from napari_skipclick.io._image_sources import natural_key

    names = ["IMG_10.jpg", "IMG_1²2.jpg", "IMG_2.jpg", "IMG_1.jpg", "IMG_①.jpg"]
    for t, name in enumerate(names):
        Image.fromarray(pattern(t)).save(tmp_path / name)
    video = open_video(tmp_path)
    assert video.shape[0] == len(names)
    assert sorted(names, key=natural_key) == [
        "IMG_1.jpg",
        "IMG_1²2.jpg",
        "IMG_2.jpg",
        "IMG_10.jpg",
        "IMG_①.jpg",
    ]


def test_every_unreadable_file_of_a_folder_is_named_with_what_to_do(tmp_path):
    """Only the first unreadable file was named: moved aside, the next one blocked the folder
    again; a folder of photos of different sizes did not say to open them one by one."""
    for t in range(3):
        Image.fromarray(pattern(t)).save(tmp_path / f"{t}.png")
    for k in range(7):
        (tmp_path / f"bad{k}.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(VideoError) as refused:
        open_video(tmp_path)
    text = str(refused.value)
    assert "7 file(s) are not readable images: bad0.jpg (" in text
    assert "bad4.jpg (" in text and "and 2 more" in text and "bad5.jpg" not in text
    assert "Move them out of the folder" in text
    for k in range(7):
        (tmp_path / f"bad{k}.jpg").unlink()
    Image.fromarray(pattern(0)[:20]).save(tmp_path / "small.png")
    with pytest.raises(VideoError, match="photos of different sizes are one store each, open"):
        open_video(tmp_path)


def test_a_photo_cut_short_is_named_when_the_folder_is_opened(tmp_path):
    """A JPEG or PNG cut short (a copy interrupted) passed the folder's check and was told
    only when its frame was shown; a photo with data after its end (a phone's motion photo)
    is whole."""
    noise = np.random.default_rng(0).integers(0, 256, (4, H, W, 3), dtype=np.uint8)
    for t in range(4):  # noise: cut at two thirds, a file is cut in its pixels, not its header
        Image.fromarray(noise[t]).save(tmp_path / f"{t}.{'png' if t % 2 else 'jpg'}")
    motion = (tmp_path / "0.jpg").read_bytes() + b"ftypmp42" + bytes(range(256)) * 8
    (tmp_path / "0.jpg").write_bytes(motion)
    with open_video(tmp_path) as video:
        np.testing.assert_array_equal(video[0], np.asarray(Image.open(tmp_path / "0.jpg")))
    for name in ("2.jpg", "3.png"):
        data = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(VideoError) as refused:
        open_video(tmp_path)
    text = str(refused.value)
    assert "2 file(s) are not readable images: 2.jpg (" in text and "; 3.png (" in text
    assert "truncated" in text
    with pytest.raises(VideoError, match=r"^2.jpg: not a readable image \(.*truncated"):
        open_video(tmp_path / "2.jpg")  # a photo alone: refused as it is opened, named


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_tiff_cut_short_is_named_when_it_is_opened(tmp_path, dtype):
    """A TIFF stack cut short opened with the pages it still had (a 16-bit one's range
    read by a traceback), its last page failing when shown; or with its last IFD gone, as
    fewer pages. Its IFDs and pixel data are checked against the file's size, and a TIFF whose
    end holds nothing of its pages (zero padding) is whole."""
    noise = np.random.default_rng(1).integers(0, 4000, (3, H, W)).astype(dtype)
    pages = [Image.fromarray(page) for page in noise]
    stack = tmp_path / "stack.tif"
    pages[0].save(stack, save_all=True, append_images=pages[1:])
    data = stack.read_bytes()
    stack.write_bytes(data + bytes(16))
    with open_video(stack) as video:
        assert video.shape[0] == 3
    for cut, what in ((len(data) - 100, "page 3's pixel data"), (len(data) // 2, "page 2's")):
        stack.write_bytes(data[:cut])
        with pytest.raises(VideoError) as refused:
            open_video(stack)
        text = str(refused.value)
        assert text.startswith("stack.tif: not a readable image (the file is truncated: ")
        assert what in text and f"the file has {cut} bytes)" in text


def _overwrite_middle(path) -> None:
    """Bytes in the middle of ``path`` overwritten (its compressed pixels damaged), its
    length and its end kept: not cut short."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40] = b"\x55" * 40
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_damaged_16_bit_frame_is_named_when_it_is_opened(tmp_path, suffix):
    """A 16-bit PNG or TIFF damaged inside, not cut short, escaped the range sampling as a
    bare traceback that named no file ("decoder error -2")."""
    folder = tmp_path / "deep"
    folder.mkdir()
    noise = np.random.default_rng(2).integers(0, 4000, (3, H, W)).astype(np.uint16)
    kwargs = {"compression": "tiff_deflate"} if suffix == ".tif" else {}
    for t in range(3):
        Image.fromarray(noise[t]).save(folder / f"{t}{suffix}", **kwargs)
    damaged = folder / f"1{suffix}"
    _overwrite_middle(damaged)
    before = damaged.read_bytes()
    with pytest.raises(VideoError, match=rf"^1\{suffix}: not a readable image \(.+\)$"):
        open_video(damaged)
    if suffix == ".png":  # a folder of PNG frames, the damaged one among them
        with pytest.raises(VideoError) as refused:
            open_video(folder)
        text = str(refused.value)
        assert "1 file(s) are not readable images: 1.png (" in text
        assert "Move them out of the folder" in text
    assert damaged.read_bytes() == before  # nothing lost: the file as it was


def test_tiff_frames_are_a_folders_frames_only_without_jpeg_or_png(tmp_path):
    """A folder of TIFF frames was no frame folder (refused); beside JPEG/PNG frames a TIFF
    stays left out, so such a folder's frames (and fingerprint) are as before."""
    from napari_skipclick.io.video import is_frame_folder

    for i in range(3):
        Image.fromarray(pattern(i)).save(tmp_path / f"{i}.tif")
    assert is_frame_folder(tmp_path)
    video = open_video(tmp_path)
    assert len(video) == 3 and video.notes == []
    np.testing.assert_array_equal(video[2], pattern(2))
    Image.fromarray(pattern(3)).save(tmp_path / "3.png")
    video = open_video(tmp_path)
    assert len(video) == 1
    assert video.notes == [
        f"{tmp_path.name}: 3 image file(s) left out, only .jpg/.jpeg/.png files are frames: "
        "0.tif, 1.tif, 2.tif"
    ]


def _png_with_exif_after_pixels(path, frame: np.ndarray, orientation: int) -> None:
    """A PNG whose eXIf chunk follows its pixels (as some tools write it), not in its header."""
    import struct
    import zlib

    Image.fromarray(frame).save(path)
    data = path.read_bytes()
    exif = Image.Exif()
    exif[0x0112] = orientation
    body = exif.tobytes()
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + body) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4
    path.write_bytes(data[:end] + chunk + data[end:])


def test_opening_a_png_folder_reads_headers_only(tmp_path, monkeypatch):
    """The orientation of each PNG frame was read by decoding the whole frame as the folder
    opened (Pillow looks for an eXIf chunk past the pixels): a folder of long-clip frames
    was decoded twice. An eXIf chunk past the pixels is still found, from the chunk list."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for t in range(3):
        Image.fromarray(pattern(t)).save(folder / f"{t}.png")
    sideways = tmp_path / "sideways"
    sideways.mkdir()
    for t in range(2):
        _png_with_exif_after_pixels(sideways / f"{t}.png", np.rot90(pattern(t)).copy(), 6)
    loads = []
    real_load = ImageFile.ImageFile.load

    def counting_load(self):
        loads.append(getattr(self, "filename", ""))
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    video = open_video(folder)
    assert video.shape == (3, H, W, 3)
    assert set(loads) <= {str(folder / "0.png")}  # only the first frame, read as it opens
    np.testing.assert_array_equal(video[2], pattern(2))
    turned = open_video(sideways)
    assert turned.shape[1:3] == (H, W)  # the eXIf past the pixels still turns them upright
    assert np.abs(turned[1].astype(int) - pattern(1)).mean() < 3
