"""SkipClick architecture read from a checkpoint's own ``config`` entry (official format)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: the class name official checkpoints record in ``config['class']``
OFFICIAL_CLASS = "isegm.model.is_featurevit_model.FeatureVitModel"


class ConfigError(ValueError):
    """A checkpoint ``config`` that describes no SkipClick model this package can build."""


@dataclass(frozen=True)
class DinoV2Arch:
    """Constructor arguments of a DINOv2 vision transformer (facebookresearch/dinov2 ``vit_*``)."""

    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float = 4.0
    num_register_tokens: int = 0
    patch_size: int = 14
    img_size: int = 518
    init_values: float = 1.0
    ffn_layer: str = "mlp"
    interpolate_antialias: bool = False
    interpolate_offset: float = 0.1
    qkv_bias: bool = True
    proj_bias: bool = True
    ffn_bias: bool = True
    layer_norm_eps: float = 1e-6

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DinoV2Arch:
        """Build from a dict such as ``tiny_config.json["dinov2_tiny_architecture"]``.

        Raises :class:`ConfigError` naming a key that is unknown (those of
        :data:`IGNORED_ARCH_KEYS` excepted), missing, or of the wrong type (``"48"``).
        """
        types = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(values) - set(types) - IGNORED_ARCH_KEYS)
        if unknown:
            raise ConfigError(
                f"unknown DINOv2 architecture key(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(types)}"
            )
        taken = {k: v for k, v in values.items() if k in types}
        for key, value in taken.items():
            if not _is_type(value, types[key]):
                raise ConfigError(
                    f"DINOv2 architecture {key} must be {_ARCH_TYPE_NAMES[types[key]]}, "
                    f"got {value!r}"
                )
        try:
            return cls(**taken)
        except TypeError as exc:
            raise ConfigError(f"incomplete DINOv2 architecture {dict(values)}: {exc}") from None


#: DINOv2 constructor arguments that change nothing at inference, and a free-text ``note``
IGNORED_ARCH_KEYS = frozenset(
    {"block_chunks", "drop_path_rate", "drop_path_uniform", "weight_init", "note"}
)
_ARCH_TYPE_NAMES = {"int": "an int", "float": "a number", "bool": "true or false", "str": "text"}


def _is_type(value: Any, kind: str) -> bool:
    """Whether ``value`` fits a field annotated ``kind`` (an int is a number, a bool no int)."""
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "float":
        return isinstance(value, int | float)
    return isinstance(value, {"int": int, "str": str}[kind])


def _hub_arch(embed_dim: int, depth: int, num_heads: int, registers: int) -> DinoV2Arch:
    # torch.hub's dinov2 builders: register models use antialiased resizing without offset
    with_reg = registers > 0
    return DinoV2Arch(
        embed_dim=embed_dim,
        depth=depth,
        num_heads=num_heads,
        num_register_tokens=registers,
        interpolate_antialias=with_reg,
        interpolate_offset=0.0 if with_reg else 0.1,
    )


#: ``extractor_type`` -> architecture built by ``torch.hub.load('facebookresearch/dinov2', name)``
DINOV2_ARCHS: dict[str, DinoV2Arch] = {
    f"dinov2_vit{size}14{suffix}": _hub_arch(dim, depth, heads, 4 if suffix else 0)
    for size, dim, depth, heads in (("s", 384, 12, 6), ("b", 768, 12, 12), ("l", 1024, 24, 16))
    for suffix in ("", "_reg")
}


def _value(params: Mapping[str, Any], name: str, default: Any) -> Any:
    entry = params.get(name)
    if isinstance(entry, Mapping) and "value" in entry:
        return entry["value"]
    return default


def extractor_type(config: Mapping[str, Any]) -> str:
    """The DINOv2 name an official ``config`` entry gives (the official default if none)."""
    params = config.get("params") if isinstance(config, Mapping) else None
    found = _value(params, "extractor_type", None) if isinstance(params, Mapping) else None
    return "dinov2_vitb14_reg" if found is None else str(found)


def _pair(value: Any, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    try:
        a, b = value
        return (int(a), int(b))
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an int or a pair of ints, got {value!r}") from None


@dataclass(frozen=True)
class SkipClickConfig:
    """Everything needed to build a SkipClick model; read with :meth:`from_checkpoint_config`."""

    extractor_type: str
    dinov2: DinoV2Arch
    embed_dim: int = 768
    depth: int = 4
    num_heads: int = 12
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    img_size: tuple[int, int] = (448, 448)
    patch_size: tuple[int, int] = (14, 14)
    neck_in_dim: int = 768
    neck_out_dims: tuple[int, ...] = (128, 256, 512, 1024)
    head_in_channels: tuple[int, ...] = (128, 256, 512, 1024)
    head_in_index: tuple[int, ...] = (0, 1, 2, 3)
    head_channels: int = 256
    num_classes: int = 1
    upsample: str = "x1"
    align_corners: bool = False
    use_intermediate: tuple[int, ...] = (2, 5, 8, 11)
    skip_connections: bool = True
    trained_extractor: bool = False
    with_prev_mask: bool = True
    use_disks: bool = True
    norm_radius: float = 5
    norm_mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    norm_std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    extras: dict = field(default_factory=dict, compare=False)

    @property
    def fused(self) -> bool:
        """True when the four DINOv2 maps are fused by a Linear (``len(use_intermediate) > 1``)."""
        return len(self.use_intermediate) > 1

    @classmethod
    def from_checkpoint_config(
        cls, config: Mapping[str, Any], backbone_arch: Mapping[str, Any] | None = None
    ) -> SkipClickConfig:
        """Read an official ``config`` entry; ``backbone_arch`` overrides the DINOv2 lookup."""
        if not isinstance(config, Mapping) or not isinstance(config.get("params"), Mapping):
            raise ConfigError("checkpoint config has no 'params' mapping")
        class_name = config.get("class", OFFICIAL_CLASS)
        if class_name != OFFICIAL_CLASS:
            raise ConfigError(f"checkpoint describes {class_name!r}, not {OFFICIAL_CLASS!r}")
        params = config["params"]
        for name in ("use_conv_stack", "use_rgb_conv"):
            if _value(params, name, False):
                raise ConfigError(f"unsupported SkipClick option {name}=True")
        extractor = extractor_type(config)
        if backbone_arch is not None:
            arch = (
                backbone_arch
                if isinstance(backbone_arch, DinoV2Arch)
                else DinoV2Arch.from_dict(backbone_arch)
            )
        elif extractor in DINOV2_ARCHS:
            arch = DINOV2_ARCHS[extractor]
        else:
            raise ConfigError(
                f"unknown extractor_type {extractor!r}; known: {sorted(DINOV2_ARCHS)}. "
                "Pass backbone_arch={...} with the DINOv2 architecture for other names."
            )
        if arch.ffn_layer != "mlp":
            raise ConfigError(f"DINOv2 ffn_layer {arch.ffn_layer!r} is not supported (only 'mlp')")
        backbone = dict(_value(params, "backbone_params", {}))
        if not backbone.get("primitive_stack", True):
            raise ConfigError("backbone_params.primitive_stack=False is not supported")
        neck = dict(_value(params, "neck_params", {}))
        head = dict(_value(params, "head_params", {}))
        mean_std = _value(params, "norm_mean_std", (cls.norm_mean, cls.norm_std))
        upsample = str(head.get("upsample", "x1"))
        if upsample not in ("x1", "x2", "x4"):
            raise ConfigError(f"head upsample must be x1, x2 or x4, got {upsample!r}")
        try:
            return cls(
                extractor_type=extractor,
                dinov2=arch,
                embed_dim=int(backbone.get("embed_dim", 768)),
                depth=int(backbone.get("depth", 12)),
                num_heads=int(backbone.get("num_heads", 12)),
                mlp_ratio=float(backbone.get("mlp_ratio", 4.0)),
                qkv_bias=bool(backbone.get("qkv_bias", True)),
                img_size=_pair(backbone.get("img_size", (448, 448)), "img_size"),
                patch_size=_pair(backbone.get("patch_size", (14, 14)), "patch_size"),
                neck_in_dim=int(neck.get("in_dim", 768)),
                neck_out_dims=tuple(int(v) for v in neck.get("out_dims", (128, 256, 512, 1024))),
                head_in_channels=tuple(int(v) for v in head["in_channels"]),
                head_in_index=tuple(int(v) for v in head.get("in_index", (0, 1, 2, 3))),
                head_channels=int(head["channels"]),
                num_classes=int(head.get("num_classes", 1)),
                upsample=upsample,
                align_corners=bool(head.get("align_corners", False)),
                use_intermediate=tuple(int(v) for v in _value(params, "use_intermediate", [11])),
                skip_connections=bool(_value(params, "skip_connections", False)),
                trained_extractor=bool(_value(params, "trained_extractor", False)),
                with_prev_mask=bool(_value(params, "with_prev_mask", False)),
                use_disks=bool(_value(params, "use_disks", False)),
                norm_radius=float(_value(params, "norm_radius", 5)),
                norm_mean=tuple(float(v) for v in mean_std[0]),
                norm_std=tuple(float(v) for v in mean_std[1]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed SkipClick config: {exc!r}") from None

    def validate(self) -> None:
        """Raise :class:`ConfigError` for combinations the official model cannot build."""
        if self.skip_connections and len(self.use_intermediate) != 4:
            raise ConfigError("skip connections need four intermediate DINOv2 maps")
        if self.dinov2.embed_dim != self.embed_dim or self.neck_in_dim != self.embed_dim:
            raise ConfigError(
                f"DINOv2 width {self.dinov2.embed_dim}, decoder width {self.embed_dim} and neck "
                f"in_dim {self.neck_in_dim} must be equal"
            )
        if self.dinov2.patch_size != self.patch_size[0] or self.patch_size[0] != self.patch_size[1]:
            raise ConfigError(
                f"DINOv2 patch {self.dinov2.patch_size} and decoder patch {self.patch_size} differ"
            )
        if len(self.neck_out_dims) != 4 or tuple(self.head_in_channels) != tuple(
            self.neck_out_dims[i] for i in self.head_in_index
        ):
            raise ConfigError("head in_channels must match the four neck out_dims")
        if not self.use_disks:
            raise ConfigError("only disk click maps (use_disks=True) are supported")
        if max(self.use_intermediate) >= self.dinov2.depth and len(self.use_intermediate) > 1:
            raise ConfigError(f"use_intermediate {self.use_intermediate} exceeds DINOv2 depth")

    def to_checkpoint_config(self) -> dict[str, Any]:
        """Return the official-format ``config`` entry (plain values; no pickled loss object)."""
        head = {
            "in_channels": list(self.head_in_channels),
            "in_index": list(self.head_in_index),
            "dropout_ratio": 0.1,
            "num_classes": self.num_classes,
            "align_corners": self.align_corners,
            "upsample": self.upsample,
            "channels": self.head_channels,
        }
        values = {
            "use_disks": self.use_disks,
            "norm_radius": self.norm_radius,
            "with_prev_mask": self.with_prev_mask,
            "extractor_type": self.extractor_type,
            "backbone_params": {
                "img_size": tuple(self.img_size),
                "patch_size": tuple(self.patch_size),
                "embed_dim": self.embed_dim,
                "depth": self.depth,
                "num_heads": self.num_heads,
                "mlp_ratio": self.mlp_ratio,
                "qkv_bias": self.qkv_bias,
                "primitive_stack": True,
            },
            "neck_params": {"in_dim": self.neck_in_dim, "out_dims": list(self.neck_out_dims)},
            "head_params": head,
            "random_split": False,
            "trained_extractor": self.trained_extractor,
            "use_intermediate": list(self.use_intermediate),
            "skip_connections": self.skip_connections,
            "norm_mean_std": [list(self.norm_mean), list(self.norm_std)],
        }
        params = {k: {"type": "builtin", "value": v, "specified": True} for k, v in values.items()}
        return {"class": OFFICIAL_CLASS, "params": copy.deepcopy(params)}

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict view (for reports and engine keys)."""
        out = asdict(self)
        out.pop("extras", None)
        return out


#: ``(use_intermediate, skip_connections, trained_extractor)`` of the four released models
RELEASED_VARIANTS: dict[str, tuple[tuple[int, ...], bool, bool]] = {
    "skipclick": ((2, 5, 8, 11), True, False),
    "intermediate": ((2, 5, 8, 11), False, False),
    "frozen": ((11,), False, False),
    "baseline": ((11,), False, True),
}


def released_config(variant: str = "skipclick") -> SkipClickConfig:
    """The full-size architecture of one released model (ViT-B/14 with registers, 448²)."""
    try:
        intermediate, skip, trained = RELEASED_VARIANTS[variant]
    except KeyError:
        raise ConfigError(
            f"unknown variant {variant!r}; choose one of {sorted(RELEASED_VARIANTS)}"
        ) from None
    return SkipClickConfig(
        extractor_type="dinov2_vitb14_reg",
        dinov2=DINOV2_ARCHS["dinov2_vitb14_reg"],
        use_intermediate=intermediate,
        skip_connections=skip,
        trained_extractor=trained,
    )
