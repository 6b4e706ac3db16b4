"""COCO instances (RLE masks) for detectron2, mmdetection and pycocotools."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .common import Plan, object_ids_in
from .images import FrameImages
from .run import ExportRun


def _annotation_file(split: str) -> str:
    return f"annotations_{split}.json" if split else "annotations.json"


def write_coco(plan: Plan, out: Path, run_args: dict, images: FrameImages | None) -> list[Path]:
    """Write one COCO json per split (``annotations[_SPLIT].json``) and, with ``images``,
    the frames under ``images/`` at the ``file_name`` each image entry gives."""
    from pycocotools import mask as mask_utils

    suffix = images.suffix if images is not None else ".jpg"
    names = [_annotation_file(s) for s in plan.splits] + (["images"] if images else [])
    with ExportRun(out, names, len(plan.items), **run_args) as run:
        docs = {s: {"images": [], "annotations": []} for s in plan.splits}
        written: list[Path] = []
        info = [{o.id: o for o in taken.objects} for taken in plan.objects]
        for item in plan.items:
            labels = plan.read(item)
            if labels is None:  # its status changed since the export began
                run.step()
                continue
            image_id = len(plan.exported)
            v = item.store.video
            file_name = f"images/{item.stem(plan.multi)}{suffix}"
            doc = docs[item.split]
            doc["images"].append(
                {
                    "id": image_id,
                    "file_name": file_name,
                    "height": v.height,
                    "width": v.width,
                    "video": item.video,
                    "frame_index": item.t,
                    **plan.original(item),
                }
            )
            for oid in object_ids_in(labels):
                rle = mask_utils.encode(np.asfortranarray(labels == oid, dtype=np.uint8))
                obj = info[plan.stores.index(item.store)].get(oid)
                doc["annotations"].append(
                    {
                        "id": len(doc["annotations"]) + 1,
                        "image_id": image_id,
                        "category_id": plan.category(item, oid),
                        "segmentation": {
                            "size": [int(s) for s in rle["size"]],
                            "counts": rle["counts"].decode("ascii"),
                        },
                        "area": float(mask_utils.area(rle)),
                        "bbox": [float(b) for b in mask_utils.toBbox(rle)],
                        "iscrowd": 0,
                        "object_id": oid,
                        "object_name": obj.name if obj else None,
                    }
                )
            if images is not None:
                written.append(run.write(out / file_name, images.encode(item.store, item.t)))
            run.step()
        categories = [
            {"id": i + 1, "name": n, "supercategory": "object"} for i, n in enumerate(plan.names)
        ]
        info_doc = {"description": "napari-skipclick export", **plan.provenance()}
        return written + [
            run.write(
                out / _annotation_file(split),
                json.dumps(
                    {
                        "info": {**info_doc, "split_name": split or None},
                        "licenses": [],
                        **doc,
                        "categories": categories,
                    }
                ).encode("utf-8"),
            )
            for split, doc in docs.items()
        ]
