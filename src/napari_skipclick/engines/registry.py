"""The engine registry: one entry per engine (options, weights, factory); ``create_engine``.

The command line (``skipclick annotate``, ``eval``, ``bench``), the widget's setup panel and the
evaluation all build engines from here. Importing this module loads no engine (nor numpy or
torch): an entry names its factory as ``"module:attribute"`` and imports it in :meth:`build`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import import_module
from pathlib import Path
from typing import Any

from .embedded_settings import EmbeddedSettings

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_TYPE_NAMES = {bool: "true/false", int: "an int", float: "a number", str: "text", Path: "a path"}
_BAD = object()  # what _convert returns for a value of the wrong type


@dataclass(frozen=True)
class EngineOption:
    """One keyword option of an engine.

    ``type`` is ``bool``, ``int``, ``float``, ``str``, ``Path`` (a file path or a name) or
    ``dict`` (JSON). ``choices`` are the only values allowed; ``suggestions`` are values offered
    by the widget and named in help, not enforced. ``flag`` options are also command-line flags
    (``--input-size``) and fields of the widget's setup panel; every option can be given as
    ``--option NAME=VALUE``.
    """

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    suggestions: tuple[str, ...] = ()
    flag: bool = False

    @property
    def flag_name(self) -> str:
        """The command-line flag: ``--input-size`` for ``input_size``."""
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to the option's type, or raise ``ValueError`` naming it."""
        if value is None and self.default is None:
            return None
        converted = _convert(self.type, value)
        if converted is _BAD:
            allowed = _TYPE_NAMES.get(self.type, self.type.__name__)
            if self.default is None:
                allowed += " or none"
            raise ValueError(f"option {self.name} expects {allowed}, got {value!r}")
        if self.choices and converted not in self.choices:
            raise ValueError(
                f"option {self.name} must be one of {', '.join(map(str, self.choices))}, "
                f"got {value!r}"
            )
        return converted

    def parse(self, text: str) -> Any:
        """The value written as ``text`` on a command line (``none`` for an unset option)."""
        text = text.strip()
        if text.lower() == "none" and self.default is None:
            return None
        if self.type is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(f"option {self.name} expects true or false, got {text!r}")
            return text.lower() in _TRUE
        if self.type is dict:
            return self.check(_read_json(self.name, text))
        if self.type in (int, float):
            try:
                value = self.type(text)
            except ValueError:
                expected = _TYPE_NAMES[self.type]
                raise ValueError(f"option {self.name} expects {expected}, got {text!r}") from None
            return self.check(value)
        return self.check(text)


def _convert(kind: type, value: Any) -> Any:
    """``value`` as ``kind`` when that loses nothing, else ``_BAD``."""
    if kind is bool:
        return value if isinstance(value, bool) else _BAD
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _BAD
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else _BAD
    if kind is Path:
        return value if isinstance(value, str | os.PathLike) else _BAD
    if kind is dict:
        return dict(value) if isinstance(value, Mapping) else _BAD
    return value if isinstance(value, kind) else _BAD


def _read_json(name: str, text: str) -> Any:
    """JSON from the file ``text`` names, or ``text`` itself as JSON."""
    try:
        is_json = text.lstrip().startswith(("{", "["))
        return json.loads(text if is_json else Path(text).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"option {name} expects a JSON file or JSON text: {exc}") from None


@dataclass(frozen=True)
class EngineEntry:
    """What the registry knows of one engine: how to build it and which options it takes."""

    name: str
    description: str
    factory: str  # "module:attribute", called with every option as a keyword
    needs_weights: bool
    options: tuple[EngineOption, ...] = ()

    def option(self, name: str) -> EngineOption:
        """The option called ``name``; ``ValueError`` listing the known ones otherwise."""
        for option in self.options:
            if option.name == name:
                return option
        known = ", ".join(o.name for o in self.options) or "none"
        raise ValueError(f"engine {self.name!r} has no option {name!r}; its options: {known}")

    def resolve(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Every option's value: ``options`` checked and converted, defaults for the rest."""
        values = {o.name: o.default for o in self.options}
        for name, value in options.items():
            values[name] = self.option(name).check(value)
        return values

    def build(self, **options: Any) -> Any:
        """Import the factory and build the engine with :meth:`resolve`-d options."""
        values = self.resolve(options)
        module_name, _, attribute = self.factory.partition(":")
        return getattr(import_module(module_name), attribute)(**values)


_SKIPCLICK_OPTIONS = (
    EngineOption(
        "checkpoint",
        Path,
        "skipclick",
        "SkipClick weights: a .pth file or a released name (skipclick, intermediate, frozen, "
        "baseline; downloaded on first use)",
        flag=True,
    ),
    EngineOption(
        "device",
        str,
        "auto",
        "torch device; auto picks CUDA, then MPS, then the CPU",
        suggestions=("auto", "cpu", "cuda", "mps"),
        flag=True,
    ),
    EngineOption(
        "precision",
        str,
        "fp32",
        "fp32 (exact); bf16/fp16: autocast on a GPU; fast: clicks decoded with bfloat16 "
        "products on a CPU with AVX-512 BF16 or AMX (masks with IoU >= 0.99 against fp32 on the "
        "official fixture)",
        choices=("fp32", "bf16", "fp16", "fast"),
        flag=True,
    ),
    EngineOption(
        "input_size",
        int,
        448,
        "side of the square image the model sees, a multiple of 14 from 28: 448 as the official "
        "demo and the NoC runs on GrabCut/COCO, 672 for the DAVIS NoC runs",
        flag=True,
    ),
    EngineOption(
        "protocol",
        str,
        "demo",
        "demo: the official demo's processing; noc: the paper's NoC predictor, which also "
        "averages a horizontally flipped pass (twice the work per click)",
        choices=("demo", "noc"),
        flag=True,
    ),
    EngineOption(
        "backbone_arch",
        dict,
        None,
        "DINOv2 architecture for a checkpoint whose extractor_type is not a known DINOv2 "
        "(JSON file or JSON text)",
    ),
)

_RANDOM_WALKER_OPTIONS = (
    EngineOption("beta", float, 130.0, "edge weight sharpness of the random walker"),
    EngineOption("radius", float, 5.0, "radius in pixels of the seed disk around each click"),
    EngineOption(
        "max_side",
        int,
        None,
        "longest side in pixels the engine works at: a larger image is downsized (0 or none: "
        "full size)",
        flag=True,
    ),
    EngineOption("border_background", bool, True, "seed the image border as background"),
)


def _embedded_options() -> tuple[EngineOption, ...]:
    """The embedded engine's settings, read from the dataclass the engine takes them from."""
    return tuple(
        EngineOption(f.name, type(f.default), f.default, f.metadata["help"])
        for f in fields(EmbeddedSettings)
    )


#: the engine ``skipclick annotate`` and the widget start with: it needs no weights
DEFAULT_ENGINE = "embedded"

#: every engine, by name
ENGINES: dict[str, EngineEntry] = {
    entry.name: entry
    for entry in (
        EngineEntry(
            "embedded",
            "weight-free: superpixels, colour models, geodesic distances and graph cuts",
            "napari_skipclick.engines.embedded:EmbeddedEngine",
            needs_weights=False,
            options=_embedded_options(),
        ),
        EngineEntry(
            "skipclick",
            "the SkipClick model (DINOv2 features once per frame, a light decoder per click)",
            "napari_skipclick.engines.skipclick:SkipClickEngine",
            needs_weights=True,
            options=_SKIPCLICK_OPTIONS,
        ),
        EngineEntry(
            "random-walker",
            "scikit-image's random walker seeded by the clicks, the classical baseline",
            "napari_skipclick.engines.random_walker:RandomWalkerEngine",
            needs_weights=False,
            options=_RANDOM_WALKER_OPTIONS,
        ),
    )
}


def engine_entry(name: str) -> EngineEntry:
    """The registry entry of ``name``; ``ValueError`` listing the engines otherwise."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}") from None


def create_engine(name: str, **options: Any) -> Any:
    """Build the engine called ``name`` with its keyword ``options``.

    Args:
        name: a key of :data:`ENGINES` (``embedded``, ``skipclick``, ``random-walker``).
        **options: the entry's options; missing ones take their defaults.

    Raises:
        ValueError: unknown engine, unknown option, or a value of the wrong type or choice.
    """
    return engine_entry(name).build(**options)


# --- command line --------------------------------------------------------------------------------


def flag_options() -> dict[str, list[tuple[str, EngineOption]]]:
    """Flag options by name, each with every engine that takes an option of that name (the
    engine that made it a flag first)."""
    flagged = {o.name for entry in ENGINES.values() for o in entry.options if o.flag}
    flags: dict[str, list[tuple[str, EngineOption]]] = {}
    for entry in ENGINES.values():
        for option in entry.options:
            if option.name in flagged:
                flags.setdefault(option.name, []).append((entry.name, option))
    for owners in flags.values():
        owners.sort(key=lambda owner: not owner[1].flag)
    return flags


def add_engine_arguments(
    parser: argparse.ArgumentParser,
    default: str | None = None,
    option_defaults: Mapping[str, Any] | None = None,
) -> None:
    """Add ``--engine``, one flag per flag option of the registry and ``--option NAME=VALUE``.

    Read them back with :func:`options_from_args`. Without ``default``, ``--engine`` is required.
    ``option_defaults`` are the defaults the command gives instead of the registry's (shown in
    the help; the command applies them).
    """
    option_defaults = option_defaults or {}
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine",
        choices=list(ENGINES),
        default=default,
        required=default is None,
        help="; ".join(f"{e.name}: {e.description}" for e in ENGINES.values())
        + (f" (default {default})" if default else ""),
    )
    for name, owners in flag_options().items():
        option = owners[0][1]
        choices = ",".join(map(str, option.choices))
        metavar = f"{{{choices}}}" if choices else name.upper()
        shown = [option_defaults.get(name, o.default) for _, o in owners]
        shown = ["none" if value is None else str(value) for value in shown]
        if len(owners) > 1:
            shown = [f"{engine} {value}" for (engine, _), value in zip(owners, shown, strict=True)]
        engines = ", ".join(engine for engine, _ in owners)
        group.add_argument(
            option.flag_name,
            dest=name,
            type=_argparse_type(option),
            metavar=metavar,
            help=f"{engines}: {option.help} (default {', '.join(shown)})",
        )
    group.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any engine option, repeatable (e.g. max_side=320; docs/engines.md lists the "
        "embedded engine's, docs/model.md the skipclick engine's)",
    )


def _argparse_type(option: EngineOption):
    def convert(text: str) -> Any:
        try:
            return option.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = option.name
    return convert


def parse_option_items(entry: EngineEntry, items: Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` strings as typed options of ``entry``; ``ValueError`` for a bad one."""
    options = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--option expects NAME=VALUE, got {item!r}")
        options[name.strip()] = entry.option(name.strip()).parse(text)
    return options


def split_option_items(text: str) -> list[str]:
    """A line of ``NAME=VALUE`` items separated by spaces (a value may hold spaces, as JSON
    does: an item starts only where a space is followed by ``NAME=``)."""
    return [item.strip() for item in _ITEM_START.split(text) if item.strip()]


_ITEM_START = re.compile(r"\s+(?=[A-Za-z_]\w*=)")


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line for ``args.engine`` (flags, then ``--option``).

    Raises ``ValueError`` for a flag or option the engine does not take.
    """
    entry = engine_entry(args.engine)
    names = {option.name for option in entry.options}
    options = {}
    for name, owners in flag_options().items():
        value = getattr(args, name, None)
        if value is None:
            continue
        if name not in names:
            takers = ", ".join(engine for engine, _ in owners)
            flag = owners[0][1].flag_name
            raise ValueError(f"engine {entry.name!r} takes no {flag} (for: {takers})")
        options[name] = value
    options.update(parse_option_items(entry, getattr(args, "option", [])))
    return options
