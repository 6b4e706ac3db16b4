"""The zarr annotation store: one video's labels, objects, classes, clicks and frame statuses.

``AnnotationStore`` is the entry point; the modules beside it hold its layout on disk
(``layout``), the per-frame journal (``txn``), durable file writes (``files``), the
single-writer lock (``lock``), the checks of what is read back (``checks``), its errors, the
courses propagation saved for its next run (``courses``) and the mark of an import at work
(``import_mark``).
"""

from .errors import StoreCorruptError, StoreError, StoreLockedError, StoreMismatchError
from .import_mark import interrupted_import
from .layout import FORMAT_VERSION, check_same_video, is_store
from .store import AnnotationStore

__all__ = [
    "FORMAT_VERSION",
    "AnnotationStore",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreMismatchError",
    "check_same_video",
    "interrupted_import",
    "is_store",
]
