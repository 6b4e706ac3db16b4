"""Set-up shared by every test folder.

torch is imported before any test loads Qt: importing torch (and its triton bindings) after
napari's Qt is up can crash the process, so the order of test folders must not matter.
"""

import torch  # noqa: F401
