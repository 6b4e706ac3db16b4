"""Annotation state in plain Python: objects, clicks, masks, statuses, undo, propagation."""

from .annotation import AnnotationSession
from .labels import LabelVolume
from .propagation import PropagationSettings, PropagationStep
from .results import EditResult, FeaturesNotReady, StaleResultError
from .saving import UnsavedChangesError
from .state import COLORS, color_for
from .store_protocol import Store

__all__ = [
    "COLORS",
    "AnnotationSession",
    "EditResult",
    "FeaturesNotReady",
    "LabelVolume",
    "PropagationSettings",
    "PropagationStep",
    "StaleResultError",
    "Store",
    "UnsavedChangesError",
    "color_for",
]
