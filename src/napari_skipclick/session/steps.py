"""What a propagation run reports of each step (``PropagationStep``), and one object carried
onto a frame before the run checks and writes it (``Carrying``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..types import FrameStatus
from .carry import Carried
from .ready import Ready


@dataclass(frozen=True)
class PropagationStep:
    """One object carried to one frame; ``done``/``total`` give the progress of the whole run.

    ``status`` is frame ``frame``'s status once the run wrote every object there; ``ok`` is
    False when the quality check failed (``reason`` says why; the frame needs review);
    ``stopped`` says the object goes no further (``reason`` says why: ``LEFT_FRAME`` when it
    left the picture, its mask on ``frame`` empty and the frame passing). ``area`` is the
    object's area on the frame after the step: what the overlap rule let it keep.
    ``agreement`` is the IoU of the engine's mask with the motion-carried one. ``written`` is
    False for an object stopped before frame ``frame`` (its clicks or mask there, the frame
    reviewed, the object deleted) or going on past a frame you marked it absent on (not
    ``stopped``; ``ready``): the step wrote nothing. ``source_frame`` is the last frame it has
    a mask on. ``ended_absent``: the run ended on a frame the object is marked absent on,
    which it went on past (``reason`` names the frames, from the last it has a mask on);
    ``summary`` is what a summary of the run says of the step.
    """

    frame: int
    obj_id: int
    status: FrameStatus
    source_frame: int
    area: int
    area_ratio: float
    confidence: float
    ok: bool
    stopped: bool
    reason: str | None
    done: int
    total: int
    agreement: float = 1.0
    written: bool = True  # False when nothing was written on the frame
    ended_absent: bool = False

    @property
    def summary(self) -> str | None:
        """Why the object goes no further (stopped), or that the run ended where it is marked
        absent; None when the step is no end of the object."""
        return self.reason if self.stopped or self.ended_absent else None


@dataclass(frozen=True)
class Carrying:
    """One object carried from frame ``source``: what carrying produced, its area on ``source``
    and whether it still seems hidden after coasting (``Track.update``); or no result and why:
    the object goes no further (``stop``) or passes over a frame it is marked absent on
    (``passed``; ``Ready``); ``doubt``: the stop leaves its track in doubt (``Ready.doubt``)."""

    source: int
    carried: Carried | None = None
    previous_area: int = 0
    hidden: bool = False
    stop: str | None = None
    passed: str | None = None
    doubt: bool = False

    def unwritten(self) -> dict[str, Any]:
        """The step's fields of an object carried nowhere: stopped, or passing over a frame."""
        empty = {"area": 0, "area_ratio": 0.0, "confidence": 0.0, "ok": True}
        stopped, reason = self.passed is None, self.stop or self.passed
        fields = {"stopped": stopped, "reason": reason, "written": False}
        return {"source_frame": self.source, **empty, **fields}

    @classmethod
    def unmoved(cls, ready: Ready) -> Carrying:
        """An object ``ready`` says goes no further, or passes over the frame: not carried."""
        return cls(ready.source, stop=ready.stop, passed=ready.passed, doubt=ready.doubt)


def ended_absent(source: int, t: int) -> str:
    """Why a run that ended on frame ``t``, where the object is marked absent as on the frames
    since ``source`` (the last it has a mask on), says so."""
    first, last = sorted((source + (1 if t > source else -1), t))
    where = f"frame {t}" if first == last else f"frames {first}-{last}"
    return f"the run ended where you marked it absent ({where})"
