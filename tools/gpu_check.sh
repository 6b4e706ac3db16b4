#!/usr/bin/env bash
# The GPU check, in one go on a fresh GPU machine: install the project, run the CUDA-marked tests
# (CUDA equality with the official tiny fixture included), time SkipClick's per-click decode at
# 448x448 and its batched fp16 encode, and write everything to one JSON file.
#
#   tools/gpu_check.sh                         # CUDA: about 3-6 minutes with the install
#   tools/gpu_check.sh --device cpu --quick    # the same steps on a CPU, small (a test runs it)
#
# Options: --device D (cuda|cpu, default cuda), --quick (fewer frames and clicks),
# --no-install (run this checkout's src/ with $PYTHON, default python3, which has the
# dependencies), --out DIR (default gpu-check/). Exit status: 0 when every step ran and no test
# failed.
set -uo pipefail
cd "$(dirname "$0")/.."

device=cuda quick=0 install=1 out=gpu-check
while [ $# -gt 0 ]; do
    case "$1" in
        --device) device="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-install) install=0; shift ;;
        --out) out="$2"; shift 2 ;;
        *) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
start=$(date +%s)

if [ "$install" = 1 ]; then
    python3 -m venv .venv-gpu-check
    .venv-gpu-check/bin/python -m pip install -q --upgrade pip
    .venv-gpu-check/bin/python -m pip install -q -e ".[testing]" || exit 1
    py=.venv-gpu-check/bin/python
else
    # the checkout's code, installed or not (a GPU machine with no package registry but torch,
    # timm, numpy, scipy and scikit-image runs the check from the checkout as it is)
    export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
    py=${PYTHON:-python3}
fi

if [ "$quick" = 1 ]; then repeats=1 clicks=2 batch=2 warmup=0; else repeats=5 clicks=20 batch=16 warmup=2; fi
if [ "$device" = cuda ]; then batch_precision=fp16; else batch_precision=fp32; fi

status=0
# 1. the CUDA-marked tests (they skip where no CUDA device is present): the model's, and a
# session with SkipClick on the device (tests that need neither napari nor zarr)
"$py" -m pytest -m cuda -q -p no:cacheprovider tests/model tests/session/test_session_skipclick.py \
    --junitxml="$out/cuda-tests.xml" > "$out/cuda-tests.log" 2>&1
tests_rc=$?
[ "$tests_rc" = 0 ] || [ "$tests_rc" = 5 ] || status=1
# 2. per-click decode at 448x448 (fp32, the exact path) and batched encode (fp16 on CUDA; on a
# CPU in fp32 too, so there one run gives both)
bench() {
    "$py" -m napari_skipclick.cli bench --model skipclick --random-weights --size 448 \
        --device "$device" --repeats "$repeats" --clicks "$clicks" --warmup "$warmup" "$@"
}
if [ "$batch_precision" = fp32 ]; then
    bench --precision fp32 --batch "$batch" --json "$out/bench-fp32.json" \
        > "$out/bench-fp32.log" 2>&1 || status=1
    [ -f "$out/bench-fp32.json" ] && cp "$out/bench-fp32.json" "$out/bench-batch.json"
else
    bench --precision fp32 --json "$out/bench-fp32.json" > "$out/bench-fp32.log" 2>&1 || status=1
    bench --precision "$batch_precision" --batch "$batch" --json "$out/bench-batch.json" \
        > "$out/bench-batch.log" 2>&1 || status=1
fi

# 3. one JSON with everything
"$py" - "$out" "$device" "$quick" "$status" "$(( $(date +%s) - start ))" <<'PY'
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

out, device, quick, status, seconds = sys.argv[1:]
out = Path(out)


def load(name):
    path = out / name
    return json.loads(path.read_text()) if path.is_file() else None


tests = {}
junit = out / "cuda-tests.xml"
if junit.is_file():
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
try:
    gpu = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
        capture_output=True, text=True, timeout=20,
    ).stdout.strip()
except (OSError, subprocess.SubprocessError):
    gpu = None
fp32, batch = load("bench-fp32.json"), load("bench-batch.json")
result = {
    "device": device,
    "quick": quick == "1",
    "gpu": gpu,
    "torch": (fp32 or {}).get("torch"),
    "cuda_tests": tests,
    "decode_per_click_ms": (fp32 or {}).get("decode_per_click"),
    "encode_ms": (fp32 or {}).get("encode"),
    "batched_encode": (batch or {}).get("batched_encode"),
    "batched_encode_precision": (batch or {}).get("precision"),
    "targets": {"decode_per_click_ms": 5.0, "batched_encode_frames_per_s": 100.0},
    "seconds": int(seconds),
    "ok": status == "0",
}
(out / "gpu-check.json").write_text(json.dumps(result, indent=2))
print(json.dumps(result, indent=2))
PY
exit "$status"
