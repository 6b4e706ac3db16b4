"""``skipclick eval-video`` end to end on a tiny real clip, and its data-set errors."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_skipclick import cli as main_cli
from napari_skipclick.engines import create_engine
from napari_skipclick.eval import video
from napari_skipclick.eval.noc import evaluate_object
from napari_skipclick.eval.video_data import load_clip
from napari_skipclick.eval.video_protocol import frame_iou, set_start
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click

MINI = Path(__file__).parents[1] / "data" / "davis_video_mini"
GRABCUT = Path(__file__).parents[1] / "data" / "grabcut_mini"


def run_video(*argv) -> int:
    parser = argparse.ArgumentParser()
    video.configure(parser)
    return video.run(parser.parse_args([str(a) for a in argv]))


def test_eval_video_on_the_mini_clip(tmp_path, capsys):
    out = tmp_path / "out" / "v.json"
    assert run_video("--engine", "embedded", "--data", MINI, "--json", out) == 0
    captured = capsys.readouterr()
    assert "eval-video embedded" in captured.err  # the progress bar
    result = json.loads(out.read_text())
    assert result["clips"] == ["hockey"] and result["first_frame"] == "clicks"
    (record,) = result["objects"]
    assert record["frames"] == 8 and 1 <= record["first_clicks"] <= 20
    assert record["first_iou"] >= 0.9 or record["first_clicks"] == 20
    per_frame = record["per_frame"]
    assert all(len(per_frame[k]) == 7 for k in ("j_prop", "corrections", "j_corrected", "j_pure"))
    assert all(0 <= c <= 5 for c in per_frame["corrections"])
    # a frame got corrective clicks only when propagation missed 0.85; corrections never hurt much
    rows = zip(per_frame["j_prop"], per_frame["corrections"], per_frame["j_corrected"], strict=True)
    for j, c, final in rows:
        assert (c == 0) == (j >= 0.85)
        assert 0.0 <= j <= 1.0 and 0.0 <= final <= 1.0
    assert record["cpf"] == pytest.approx(sum(per_frame["corrections"]) / 7, abs=1e-4)
    assert record["frames_below"] == sum(v < 0.85 for v in per_frame["j_corrected"])
    # the IoU the corrective clicks added, per click
    used = sum(per_frame["corrections"])
    gained = sum(b - a for a, b in zip(per_frame["j_prop"], per_frame["j_corrected"], strict=True))
    assert used > 0  # the mini clip's hockey stick needs corrections
    assert record["j_per_click"] == pytest.approx(gained / used, abs=2e-4)
    assert record["j_pure_mean"] == pytest.approx(np.mean(per_frame["j_pure"]), abs=1e-4)
    assert record["j_pure_mean"] > 0.3  # the object is carried, not lost
    overall = result["overall"]
    assert overall["cpf"] == record["cpf"] and overall["frames"] == 8
    assert overall["j_per_click"] == pytest.approx(record["j_per_click"])
    for name in ("decode", "step", "encode"):
        latency = result["latency_ms"][name]
        assert latency["n"] > 0 and 0 < latency["p50"] <= latency["p95"]
    row, overall_row = captured.out.splitlines()[-5:-3]
    assert f"{record['cpf']:7.3f}" in overall_row
    assert row.split()[:3] == ["hockey", "1", record["name"]]  # the object's value and name
    assert captured.out.splitlines()[-1].startswith("review marks of the pure run")
    assert record["pure_frames_reached"] <= 7


def test_ground_truth_start_without_corrections_is_pure_propagation(tmp_path):
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", MINI, "--first-frame", "gt", "--frames", 4]
    assert run_video(*argv, "--max-corrections", 0, "--json", out) == 0
    (record,) = json.loads(out.read_text())["objects"]
    assert record["first_clicks"] == 0 and record["first_iou"] == 1.0 and record["cpf"] == 0
    # the first step is the same in both runs: frame 0 carried to frame 1
    assert record["per_frame"]["j_prop"][0] == pytest.approx(record["per_frame"]["j_pure"][0])


def test_restarted_pure_runs_start_from_the_ground_truth_of_their_frame(tmp_path, capsys):
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", MINI, "--first-frame", "gt", "--frames", 5]
    assert run_video(*argv, "--max-corrections", 0, "--restart-every", 2, "--json", out) == 0
    result = json.loads(out.read_text())
    (record,) = result["objects"]
    per_frame = record["per_frame"]
    assert len(per_frame["j_restart"]) == 4 and result["restart_every"] == 2
    # the first run starts where the pure run does; the second from frame 2's ground truth
    assert per_frame["j_restart"][:2] == pytest.approx(per_frame["j_pure"][:2])
    assert per_frame["j_restart"][2] != pytest.approx(per_frame["j_pure"][2])
    assert record["j_restart_mean"] == pytest.approx(np.mean(per_frame["j_restart"]), abs=1e-4)
    assert result["overall"]["j_restart_mean"] == record["j_restart_mean"]
    assert f"{record['j_restart_mean']:7.3f}" in capsys.readouterr().out
    assert run_video(*argv, "--restart-every", 0) == 2


def test_frames_propagated_from_the_truth_of_the_frame_before_measure_each_frame_alone(
    tmp_path, capsys
):
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", MINI, "--first-frame", "gt", "--frames", 5]
    assert run_video(*argv, "--propagate-from", "truth", "--json", out) == 0
    result = json.loads(out.read_text())
    assert result["propagate_from"] == "truth"
    assert "propagated from the truth mask of the frame before" in capsys.readouterr().out
    j_prop = result["objects"][0]["per_frame"]["j_prop"]
    # frame 3 is one step from frame 2's ground truth, whatever frame 2's corrections gave
    clip = load_clip(MINI / "hockey", 5)
    gt = clip.ground_truth(1)
    session = AnnotationSession(clip.frames, create_engine("embedded"))
    obj = session.add_object().id
    set_start(session, obj, gt[2] == 1, 2)
    list(session.propagate([obj], 2, n_frames=1))
    assert j_prop[2] == pytest.approx(frame_iou(gt[3], session.labels.read(3) == obj), abs=1e-4)
    # chained, frame 3 comes from frame 2 as its corrections left it
    chained = tmp_path / "c.json"
    assert run_video(*argv, "--json", chained) == 0
    assert json.loads(chained.read_text())["propagate_from"] == "corrected"


def test_frames_between_keyframes_are_filled_from_both_ends(tmp_path, capsys):
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", MINI, "--first-frame", "gt", "--max-corrections", 0]
    assert run_video(*argv, "--keyframes-every", 4, "--json", out) == 0
    result = json.loads(out.read_text())
    (record,) = result["objects"]
    per_frame = record["per_frame"]
    # keyframes 0, 4 and the last (7): frames 1-3 and 5-6 between them
    assert result["keyframes_every"] == 4
    assert len(per_frame["j_fill"]) == len(per_frame["j_forward"]) == 5
    # frame 1 comes from frame 0 both ways, as in the pure run
    assert per_frame["j_fill"][0] == pytest.approx(per_frame["j_forward"][0])
    assert per_frame["j_forward"][0] == pytest.approx(per_frame["j_pure"][0])
    # frame 3 is one step from keyframe 4 when filled, three from keyframe 0 when not
    assert per_frame["j_fill"][2] > per_frame["j_forward"][2]
    assert record["j_fill_mean"] == pytest.approx(np.mean(per_frame["j_fill"]), abs=1e-4)
    assert record["j_fill_mean"] > record["j_forward_mean"]
    assert result["overall"]["j_fill_mean"] == record["j_fill_mean"]
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("between keyframes every 4 frames, J_fill (from both) / J_forward")
    pair = f"{record['j_fill_mean']:.3f}/{record['j_forward_mean']:.3f}"
    assert f"hockey:1 {record['name']} {pair}" in line
    assert run_video(*argv, "--keyframes-every", 0) == 2
    assert "--keyframes-every must be >= 1" in capsys.readouterr().err


def copy_mini(tmp_path: Path) -> Path:
    data = tmp_path / "set"
    shutil.copytree(MINI, data)
    return data / "hockey"


def _rewrite(path: Path, change) -> None:
    path.write_bytes(change(path.read_text()).encode("utf-8"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda clip: (clip / "masks" / "00002.png").unlink(), "clip hockey, frame 2: mask file"),
        (
            lambda clip: Image.new("L", (100, 50)).save(clip / "masks" / "00001.png"),
            "clip hockey, frame 1: mask size 100x50 differs from image size 214x120",
        ),
        (
            lambda clip: Image.fromarray(np.full((120, 214), 3, np.uint8)).save(
                clip / "masks" / "00003.png"
            ),
            "clip hockey, frame 3: mask has unknown object value(s) 3",
        ),
        (
            lambda clip: (clip / "objects.csv").write_text("value,name\n1,player\n2,stick\n"),
            "clip hockey: object 2 has no pixels on the first frame\n",  # no hint: not 0/255
        ),
        (  # the masks saved 0/255: eval's hint, which eval-video did not give
            lambda clip: [
                Image.fromarray(np.asarray(Image.open(p)) * 255).save(p)
                for p in (clip / "masks").glob("*.png")
            ],
            "clip hockey: object 1 has no pixels on the first frame (is the object coded 255? "
            "it must be 1)",
        ),
        (
            lambda clip: _rewrite(clip / "frames.csv", lambda t: t + "8,frames/00007.jpg\n"),
            "frames.csv line 10: no mask given",
        ),
        (
            lambda clip: _rewrite(clip / "frames.csv", lambda t: t.replace("masks/00003.png", "")),
            "frames.csv line 5: no mask given",
        ),
        (
            lambda clip: (clip / "objects.csv").write_text("1,player\n"),
            "objects.csv lacks the column(s) value; found 1, player",
        ),
        (
            lambda clip: (clip / "objects.csv").write_text("value,name\n1,a\n1,b\n"),
            "objects.csv line 3: object value 1 is listed twice",
        ),
        (
            lambda clip: _rewrite(clip / "frames.csv", lambda t: t.replace("\n1,", "\nx1,")),
            "frames.csv line 3: frame must be an integer, not 'x1'",
        ),
        (
            lambda clip: _rewrite(clip / "frames.csv", lambda t: t + t.splitlines()[2] + "\n"),
            "frames.csv line 10: frame 1 is listed twice",
        ),
        (
            lambda clip: _rewrite(clip / "frames.csv", lambda t: "\n".join(t.splitlines()[:2])),
            "frames.csv lists 1 frame(s); a clip needs 2 or more",
        ),
    ],
)
def test_bad_data_sets_exit_with_a_clear_message(tmp_path, capsys, damage, message):
    """A file missing or of the wrong size, an unknown value, a CSV row short of a field, a
    header missing: the clip, the frame or the file's line is named, no traceback."""
    damage(copy_mini(tmp_path))
    rc = main_cli.main(["eval-video", "--engine", "embedded", "--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    assert rc == 2 and "error: " in err and message in err and "Traceback" not in err


def test_csv_files_from_a_spreadsheet_are_read(tmp_path):
    """Excel's *CSV UTF-8* starts with a byte-order mark; spaces after commas are common."""
    clip = copy_mini(tmp_path)
    _rewrite(clip / "frames.csv", lambda t: "\ufeff" + t.replace(",", ", ").replace("\n", "\r\n"))
    (clip / "objects.csv").write_bytes("\ufeffvalue, name\r\n1, player\r\n".encode())
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", clip.parent, "--frames", 2, "--first-frame", "gt"]
    assert run_video(*argv, "--json", out) == 0
    (record,) = json.loads(out.read_text())["objects"]
    assert record["name"] == "player" and record["frames"] == 2


def test_unknown_clip_and_missing_folder(tmp_path, capsys):
    assert run_video("--engine", "embedded", "--data", MINI, "--clips", "tennis") == 2
    assert "no clip tennis" in capsys.readouterr().err
    assert run_video("--engine", "embedded", "--data", MINI, "--frames", 1) == 2
    assert capsys.readouterr().err == "error: --frames must be >= 2\n"  # not --max-corrections
    assert run_video("--engine", "embedded", "--data", MINI, "--max-corrections", -1) == 2
    assert capsys.readouterr().err == "error: --max-corrections must be >= 0\n"
    # a clip given twice counted twice in the overall row, its two runs merged in the JSON
    argv = ["--engine", "embedded", "--data", MINI, "--frames", 2, "--first-frame", "gt"]
    assert run_video(*argv, "--clips", "hockey, hockey") == 2
    assert "--clips names hockey twice; give each clip once" in capsys.readouterr().err
    assert run_video("--engine", "embedded", "--data", tmp_path / "nope") == 2
    assert "does not exist" in capsys.readouterr().err
    assert run_video("--engine", "embedded", "--data", MINI, "--json", tmp_path) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err  # before, not after, a run
    data = copy_mini(tmp_path).parent
    for own in ("hockey/frames.csv", "hockey/masks/00000.png"):  # replaced by the results
        assert run_video("--engine", "embedded", "--data", data, "--json", data / own) == 2
        assert "is a file of the data set" in capsys.readouterr().err
    assert (data / "hockey/frames.csv").read_text() == (MINI / "hockey/frames.csv").read_text()
    assert run_video("--engine", "embedded", "--data", MINI, "--json", "/proc/sc.json") == 2
    assert "cannot write --json /proc/sc.json" in capsys.readouterr().err


def test_results_that_cannot_be_written_at_the_end_leave_the_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(video, "prepare_json", lambda *_: None)
    argv = ["--engine", "embedded", "--data", MINI, "--frames", 2, "--first-frame", "gt"]
    assert run_video(*argv, "--json", "/proc/sc.json") == 1
    out, err = capsys.readouterr()
    assert out.startswith("engine embedded") and "Traceback" not in err
    assert "error: cannot write --json /proc/sc.json: " in err


def test_two_objects_listed_in_objects_csv(tmp_path):
    clip = copy_mini(tmp_path)
    for path in sorted((clip / "masks").glob("*.png")):
        mask = np.asarray(Image.open(path)).copy()
        mask[:, :100][mask[:, :100] == 1] = 2  # the object's left part becomes object 2
        Image.fromarray(mask).save(path)
    (clip / "objects.csv").write_text("value,name\n1,right\n2,left\n")
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", clip.parent, "--frames", 3, "--first-frame", "gt"]
    assert run_video(*argv, "--json", out) == 0
    result = json.loads(out.read_text())
    assert [(r["object"], r["name"]) for r in result["objects"]] == [(1, "right"), (2, "left")]
    assert result["overall"]["objects"] == 2 and result["overall"]["frames"] == 6


def test_eval_gives_the_first_click_the_widgets_prior():
    """``skipclick eval`` and the session decode the first click with the same prior."""
    image = np.asarray(Image.open(GRABCUT / "images" / "teddy.jpg").convert("RGB"))
    gt = np.asarray(Image.open(GRABCUT / "masks" / "teddy.png"))
    priors = []

    class Recording:
        name = "recording"

        def __init__(self):
            self.inner = create_engine("embedded")
            self.key = self.inner.key

        def encode(self, image):
            return self.inner.encode(image)

        def decode(self, features, clicks, prev_mask=None):
            priors.append(None if prev_mask is None else np.array(prev_mask))
            return self.inner.decode(features, clicks, prev_mask)

    engine = Recording()
    result = evaluate_object(engine, "s", image, gt, max_clicks=1)
    session = AnnotationSession(image[None], engine)
    obj = session.add_object().id
    session.set_clicks(0, obj, result.clicks)
    assert priors[0] is not None
    np.testing.assert_array_equal(priors[0], priors[1])


def test_decode_latency_counts_propagation_decodes_with_the_engines_own_carried_decode():
    from napari_skipclick.eval.video_protocol import TimedEngine
    from support.engines import ColourEngine

    class Carrying(ColourEngine):
        carried = 0

        def decode_carried(self, features, clicks, prev_mask):
            self.carried += 1
            return self.decode(features, clicks, prev_mask)

    frames = np.zeros((3, 64, 96, 3), np.uint8)
    frames[:, 20:30, 10:20] = (255, 0, 0)
    for inner, carried in ((Carrying(), 2), (ColourEngine(), None)):
        timed = TimedEngine(inner)
        session = AnnotationSession(frames, timed)
        obj = session.add_object().id
        session.set_clicks(0, obj, [Click(25, 15, True)])
        list(session.propagate([obj], 0))
        assert len(timed.decode_ms) == 3  # one click, two propagation steps
        assert getattr(inner, "carried", None) == carried


def test_review_marks_are_scored_against_the_frames_that_lost_the_object():
    from napari_skipclick.eval.video_protocol import ObjectRun, review_scores

    run = ObjectRun("clip", 1, "rider")
    run.j_pure = [0.9, 0.4, 0.3, 0.8, 0.2, 0.0, 0.0]  # frames 1..7; the run stopped after 5
    run.pure_reached = 5
    run.review_pure = [2, 4]
    recall, precision = review_scores(run)
    # lost: 2, 3, 5, 6, 7; flagged: 2 (marked), 6 and 7 (never reached) -> 3 of 5
    assert recall == pytest.approx(3 / 5)
    assert precision == pytest.approx(1 / 2)  # frame 4 was marked but fine
    run.j_pure, run.pure_reached, run.review_pure = [0.9, 0.8], 2, []
    assert review_scores(run) == (None, None)


def test_ctrl_c_after_the_first_object_says_the_results_are_partial(tmp_path, capsys, monkeypatch):
    from napari_skipclick.eval import video_protocol

    clip = copy_mini(tmp_path)
    (clip / "objects.csv").write_text("value,name\n1,player\n2,ghost\n")
    for path in sorted((clip / "masks").glob("*.png")):
        mask = np.asarray(Image.open(path)).copy()
        mask[:, :100][mask[:, :100] == 1] = 2
        Image.fromarray(mask).save(path)
    real, calls = video_protocol.run_object, []

    def interrupted_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(video_protocol, "run_object", interrupted_second)
    out = tmp_path / "v.json"
    argv = ["--engine", "embedded", "--data", clip.parent, "--frames", 2, "--first-frame", "gt"]
    assert run_video(*argv, "--json", out) == 130
    assert "interrupted: results of the first 1 objects" in capsys.readouterr().err
    assert json.loads(out.read_text())["interrupted"]


def test_frames_are_taken_in_the_order_of_their_frame_column(tmp_path):
    """A frames.csv written in another order was evaluated in the file's order."""
    clip = copy_mini(tmp_path)
    lines = (clip / "frames.csv").read_text().splitlines()
    (clip / "frames.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    shuffled, ordered = load_clip(clip), load_clip(MINI / "hockey")
    assert all(np.array_equal(a, b) for a, b in zip(shuffled.masks, ordered.masks, strict=True))


def _renumber(text: str, change) -> str:
    """``frames.csv`` with each frame number ``t`` turned into ``change(t)`` (None: left out)."""
    head, *rows = text.splitlines()
    out = [head]
    for row in rows:
        number, rest = row.split(",", 1)
        if change(int(number)) is not None:
            out.append(f"{change(int(number))},{rest}")
    return "\n".join(out) + "\n"


def test_frames_are_reported_by_their_number_in_frames_csv(tmp_path):
    """Frames numbered 10..17: the JSON's review_frames_pure said [1, 2, 4, 5], positions in
    the clip, while error messages named frames by their number."""
    from napari_skipclick.eval.video_protocol import ObjectRun

    clip = copy_mini(tmp_path)
    _rewrite(clip / "frames.csv", lambda text: _renumber(text, lambda t: t + 10))
    assert load_clip(clip).first_frame == 10 and load_clip(MINI / "hockey").first_frame == 0
    run = ObjectRun("hockey", 1, "player", load_clip(clip, 6).first_frame)
    run.j_pure, run.pure_reached, run.review_pure = [0.2, 0.3, 0.9, 0.1, 0.2], 5, [1, 2, 4, 5]
    record = video.object_record(run)
    assert record["first_frame"] == 10 and record["review_frames_pure"] == [11, 12, 14, 15]
    assert record["review_recall"] == 1.0  # scored on the same frames


def test_a_gap_in_the_frame_numbers_is_refused_unless_the_frames_stop_before_it(tmp_path, capsys):
    """Frames 0, 1, 2, 4, 5, 6, 7 were propagated across the missing frame 3 as if
    consecutive, without a word."""
    clip = copy_mini(tmp_path)
    _rewrite(clip / "frames.csv", lambda text: _renumber(text, lambda t: None if t == 3 else t))
    argv = ["--engine", "embedded", "--data", clip.parent, "--first-frame", "gt"]
    assert run_video(*argv) == 2
    err = capsys.readouterr().err
    assert "clip hockey: frames.csv has no frame 3 (frames 0 to 7): propagation runs" in err
    assert "or evaluate the 3 frames before it (--frames 3)" in err
    assert len(load_clip(clip, 3).frames) == 3
