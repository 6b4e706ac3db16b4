"""The engine registry: entries agree with the engines, options are checked, the CLI reads it."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import subprocess
import sys
from importlib import import_module

import pytest

from napari_skipclick.engines import ENGINES, create_engine, embedded, engine_entry, skipclick
from napari_skipclick.engines.registry import add_engine_arguments, options_from_args


def _factory_defaults(entry) -> dict:
    module_name, _, attribute = entry.factory.partition(":")
    factory = getattr(import_module(module_name), attribute)
    if entry.name == "embedded":  # EmbeddedEngine(**settings) takes EmbeddedSettings' fields
        return {f.name: f.default for f in dataclasses.fields(embedded.EmbeddedSettings)}
    parameters = inspect.signature(factory).parameters.values()
    return {p.name: p.default for p in parameters}


@pytest.mark.parametrize("name", list(ENGINES))
def test_entry_options_are_the_engine_keywords_with_its_defaults(name):
    entry = ENGINES[name]
    assert {o.name: o.default for o in entry.options} == _factory_defaults(entry)
    for option in entry.options:
        assert option.help and (option.default is None or option.check(option.default) is not None)
    assert entry.description and entry.needs_weights == (name == "skipclick")


def test_options_reach_the_engine_and_bad_ones_are_refused():
    engine = create_engine("random-walker", max_side=64, beta=90)
    assert (engine.max_side, engine.beta) == (64, 90.0)
    assert "max_side=64" in engine.key
    assert create_engine("embedded", slic_iterations=5).settings.slic_iterations == 5
    with pytest.raises(ValueError, match="unknown engine 'nope'; choose one of embedded"):
        create_engine("nope")
    with pytest.raises(ValueError, match="has no option 'colour'; its options: beta, radius"):
        create_engine("random-walker", colour=1)
    with pytest.raises(ValueError, match="max_side expects an int or none, got '64'"):
        create_engine("random-walker", max_side="64")
    with pytest.raises(ValueError, match="expects true/false"):
        create_engine("random-walker", border_background=1)
    with pytest.raises(ValueError, match="protocol must be one of demo, noc"):
        create_engine("skipclick", protocol="zoom")
    assert ENGINES["skipclick"].factory.endswith(f":{skipclick.SkipClickEngine.__name__}")


def test_option_text_is_parsed_by_type(tmp_path):
    rw, sc = engine_entry("random-walker"), engine_entry("skipclick")
    assert rw.option("max_side").parse("none") is None
    assert rw.option("max_side").parse("320") == 320
    assert rw.option("beta").parse("90.5") == 90.5
    assert rw.option("border_background").parse("No") is False
    arch = {"embed_dim": 48}
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(arch))
    assert sc.option("backbone_arch").parse(str(path)) == arch
    assert sc.option("backbone_arch").parse('{"embed_dim": 48}') == arch
    for option, text, message in [
        (rw.option("max_side"), "3.5", "expects an int"),
        (rw.option("beta"), "hot", "expects a number"),
        (rw.option("border_background"), "maybe", "true or false"),
        (sc.option("backbone_arch"), "{nope", "JSON"),
        (sc.option("precision"), "fp8", "one of fp32, bf16, fp16"),
    ]:
        with pytest.raises(ValueError, match=message):
            option.parse(text)


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_engine_arguments(parser, default="embedded")
    return parser.parse_args(argv)


def test_command_line_flags_and_items_become_typed_options():
    args = _parse("--engine", "skipclick", "--input-size", "672", "--option", "protocol=noc")
    assert options_from_args(args) == {"input_size": 672, "protocol": "noc"}
    args = _parse("--engine", "random-walker", "--max-side", "none", "--option", "beta=2")
    assert options_from_args(args) == {"beta": 2.0}  # "none" is the default: nothing given
    assert options_from_args(_parse()) == {}
    with pytest.raises(ValueError, match="'embedded' takes no --checkpoint"):
        options_from_args(_parse("--checkpoint", "x.pth"))
    with pytest.raises(SystemExit):
        _parse("--engine", "skipclick", "--precision", "fp8")


def test_a_flag_names_every_engine_that_takes_it_with_its_default():
    """``--max-side`` works for the embedded engine too, but its help named only the random
    walker and its default (none), not the embedded engine's 1280."""
    parser = argparse.ArgumentParser()
    add_engine_arguments(parser, default="embedded")
    text = " ".join(parser.format_help().split())
    assert "--max-side MAX_SIDE random-walker, embedded:" in text
    assert "(default random-walker none, embedded 1280)" in text
    assert "(default skipclick)" in text  # one engine: its default alone
    args = _parse("--engine", "embedded", "--max-side", "320")
    assert options_from_args(args) == {"max_side": 320}
    create_engine("random-walker", max_side=0)  # 0: full size, as for the embedded engine


def test_the_registry_imports_no_engine():
    code = (
        "import sys; from napari_skipclick.engines import ENGINES, create_engine;"
        "print([m for m in ('numpy', 'torch', 'scipy') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_docs_settings_table_gives_the_embedded_defaults():
    import re
    from dataclasses import fields
    from pathlib import Path

    from napari_skipclick.engines.embedded_settings import EmbeddedSettings

    doc = (Path(__file__).parents[2] / "docs" / "engines.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| (true|false|[\d.]+) \|", doc, re.M))
    for f in fields(EmbeddedSettings):
        shown = table[f.name]
        value = shown == "true" if shown in ("true", "false") else float(shown)
        assert value == f.default, f.name
