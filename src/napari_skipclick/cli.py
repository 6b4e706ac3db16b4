"""The ``skipclick`` console script.

Each command lives in its own module (``configure(parser)``, ``run(args)``); ``run`` imports the
heavy libraries, so that ``skipclick --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from . import __version__

DESCRIPTION = """\
Click on an object in a video or an image and get its mask at once; keep one ID per object
across frames, propagate masks to the next frames, and save everything to a zarr store that is
ready for training. Built on the SkipClick interactive segmentation model, in napari.

Start with `skipclick annotate`:
  skipclick annotate                  the sample ski clip in napari, ready to click
  skipclick annotate VIDEO --store OUT.zarr
                                      your video; annotations are saved to OUT.zarr and
                                      resumed from it next time
  skipclick annotate VIDEO --store OUT.zarr --classes skier,ski,pole
                                      the same, objects of your classes
  skipclick annotate VIDEO --engine skipclick
                                      the SkipClick model (its weights are downloaded once)

Then `skipclick export OUT.zarr --format coco DIR` writes training data.
Each command explains itself: `skipclick COMMAND --help`.
"""

#: subcommand -> (module with ``configure(parser)`` and ``run(args) -> int``, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "annotate": ("napari_skipclick.app", "open napari with the SkipClick widget on a video"),
    "demo": ("napari_skipclick.demo", "run a short scripted annotation session"),
    "eval": ("napari_skipclick.eval.cli", "NoC evaluation of an engine on a data set"),
    "eval-video": ("napari_skipclick.eval.video", "clicks per frame and IoU on video clips"),
    "export": ("napari_skipclick.io.export_cli", "export stores for training tools"),
    "info": (
        "napari_skipclick.io.info_cli",
        "what a store holds: objects, frame statuses, frames that need review and why",
    ),
    "recovered": (
        "napari_skipclick.io.recovered_cli",
        "list or remove the copies of labels that sessions with no store left",
    ),
    "import-labels": (
        "napari_skipclick.io.import_cli",
        "start a store from existing labels (PNG, COCO, YOLO, numpy, zarr)",
    ),
    "precompute": ("napari_skipclick.precompute_cli", "compute video features into a cache"),
    "download": ("napari_skipclick.model.weights_cli", "download released SkipClick weights"),
    "bench": ("napari_skipclick.bench.model", "benchmark encode and per-click decode"),
    "bench-reader": ("napari_skipclick.bench.reader", "benchmark the lazy video reader"),
    "bench-store": ("napari_skipclick.bench.store", "benchmark the zarr annotation store"),
    "bench-gui": ("napari_skipclick.bench.gui", "benchmark the widget in a real viewer"),
    "bench-soak": (
        "napari_skipclick.bench.soak",
        "a long scripted session in the widget: errors, memory, stalls, store check",
    ),
    "bench-session": (
        "napari_skipclick.bench.session",
        "benchmark session edits, propagation and the feature cache",
    ),
    "bench-precompute": ("napari_skipclick.bench.precompute", "benchmark skipclick precompute"),
}


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every subcommand's arguments."""
    parser = argparse.ArgumentParser(
        prog="skipclick",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        import_module(module_name).configure(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``skipclick`` console script."""
    name = "skipclick"
    try:
        args = build_parser().parse_args(argv)  # imports every command's module: a while
        name = f"skipclick {args.command}"
        return int(import_module(args._module).run(args) or 0)
    except KeyboardInterrupt:  # Ctrl+C: the command cleaned up after itself; one line, as eval
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of the output left (``| head``): stop, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 1


if __name__ == "__main__":
    sys.exit(main())
