"""Benchmark: hotspot detection time per 640×512 frame vs one numpy comparison pass over the same frame.

    .venv/bin/python bench/detect.py [--repeat N]

Cases: a fire-free natural scene (the common case, which must be nearly free: DESIGN.md §4), a fire-free scene with
sun-heated clutter, a scene with fires (sub-pixel and resolved), and a real FLAME 3 frame (a burning fire line, 3000+
pixels above 200 °C) when ../shared/data is present. The baseline is ``frame > threshold`` on the same float32 array,
timed in the same run; the ratio is detection time / baseline time (target for fire-free frames: ≤ 5).
Scenes come from the test oracle tests/unit/detection/scenes.py.
"""

from __future__ import annotations

import argparse
import sys
import timeit
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "detection"))

from detection import detect  # noqa: E402
from firewatch.model import make_frame  # noqa: E402
from scenes import make_scene, natural_background  # noqa: E402

SHAPE = (512, 640)


def best_time_s(func, repeat: int) -> float:
    """Best per-call time (s) over ``repeat`` rounds, each long enough to be measurable."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def frames(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    background = natural_background(SHAPE, rng)
    cases = [("fire-free", make_scene(SHAPE, rng, background_k=background).temperature_k, None),
             ("fire-free + 6 sun-heated objects",
              make_scene(SHAPE, rng, background_k=background, clutter_count=6).temperature_k, None)]
    fires = [(float(rng.uniform(20, SHAPE[0] - 20)), float(rng.uniform(20, SHAPE[1] - 20)), f, 1000.0)
             for f in (0.01, 0.02, 0.05, 0.1, 1.0)]
    scene = make_scene(SHAPE, rng, background_k=background, fires=fires)
    with_fire = scene.temperature_k.copy()
    with_fire[300:320, 400:440] = 900.0  # plus a resolved 20×40 px burning patch
    cases.append(("5 sub-pixel fires + 20×40 px fire", with_fire, None))
    flame = ROOT.parent / "shared" / "data" / "flame3" / "willamette" / "TIFF" / "00001.TIFF"
    if flame.exists():
        import rasterio
        from rasterio.errors import NotGeoreferencedWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(flame) as src:
                celsius = src.read(1)
        cases.append(("FLAME 3 00001 (real fire line)", celsius + np.float32(273.15), celsius >= 500.0))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds per case (best is kept)")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    print(f"{'case':36s} {'hotspots':>8s} {'candidates':>10s} {'detect ms':>10s} {'compare µs':>10s} {'ratio':>7s}")
    for name, temperature, saturated in frames(rng):
        frame = make_frame(temperature, frame_id=name, source_id="bench", source_kind="drone",
                           time="2026-04-05T03:12:00Z", saturated=saturated)
        result = detect(frame)
        values = frame.variables["temperature"].values
        threshold = np.float32(result.stats["candidate_threshold_k"])
        compare_s = best_time_s(lambda: values > threshold, args.repeat)
        detect_s = best_time_s(lambda: detect(frame), args.repeat)
        print(f"{name:36s} {len(result.hotspots):8d} {result.candidate_count:10d} {detect_s * 1e3:10.3f} "
              f"{compare_s * 1e6:10.1f} {detect_s / compare_s:7.1f}")


if __name__ == "__main__":
    main()
