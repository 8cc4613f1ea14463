"""Fault test for ``yocr run --ray``: one reader actor is killed (SIGKILL) in the middle of a run.

    python tools/ray_fault.py --pages 200 --out runs/ray-fault

Renders synthetic pages (single-page PNGs and 3-page TIFFs), reads them once with the local run and once on a local
Ray instance (two actors) while a watcher kills one actor after a third of the outputs are written. Checks that every
file's outputs match the local run's byte for byte, that each file is counted once, and that no temporary or
half-written file is left; prints how many pages were read twice (the killed actor's batches, retried by Ray).
A stub reader stands in for the models (a line finder on the ink and a reader that names each line by its width), so
the run is fast on a busy 2-core machine; the Ray machinery under test is the same. Needs ``yocr[ray]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import ray
from PIL import Image, ImageDraw, ImageFont

from yocr.core.results import Detection, Reading
from yocr.pipeline.ray_run import PARTS_DIR, RayOptions, run_on_ray
from yocr.pipeline.reader import Reader, ReaderConfig, Stages
from yocr.pipeline.run import RunOptions, run

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class InkLines:
    """Dark blobs merged along the line: enough for black text on a white synthetic page."""

    def detect(self, image) -> list[Detection]:
        _, ink = cv2.threshold(image.grey, 128, 255, cv2.THRESH_BINARY_INV)
        n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(ink, np.ones((3, 25), np.uint8)))
        return [Detection((float(x), float(y), float(x + w), float(y + h)), 0.9) for x, y, w, h, a in stats[1:] if a > 50]


def read_widths(crops: list[np.ndarray]) -> list[Reading]:
    log = os.environ.get("YOCR_FAULT_LOG")  # set for the Ray run only
    if log:  # one line per page read, appended atomically: which pages were read more than once
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {len(crops)} {[c.shape[1] for c in crops]}\n")
        time.sleep(float(os.environ["YOCR_FAULT_SECONDS"]))  # a page takes a while: the kill lands mid-batch
    return [Reading(f"line of width {c.shape[1]}", 0.9) for c in crops]


def stub_reader() -> Reader:
    return Reader(ReaderConfig(fallback="none"), stages=Stages(InkLines(), read_widths, None))


def render(folder: Path, pages: int) -> int:
    """``pages`` pages as PNGs and 3-page TIFFs (every fifth file); returns the number of files."""
    font = ImageFont.truetype(FONT, 20)
    folder.mkdir(parents=True, exist_ok=True)
    made, files = 0, 0
    while made < pages:
        count = 3 if files % 5 == 4 and pages - made >= 3 else 1
        images = []
        for k in range(count):
            image = Image.new("RGB", (500, 300), "white")
            draw = ImageDraw.Draw(image)
            for j in range(1 + (made + k) % 4):
                draw.text((20, 20 + 60 * j), "X" * (3 + (made + k + j) % 17), font=font, fill="black")
            images.append(image)
        name = folder / f"f{files:04d}.{'tif' if count > 1 else 'png'}"
        images[0].save(name, save_all=count > 1, append_images=images[1:])
        made, files = made + count, files + 1
    return files


def actors() -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any("MapWorker(MapBatches(PageReader))" in part for part in p.info["cmdline"] or []):
            found.append(p)
    return found


def outputs_written(out: Path) -> int:
    try:
        return sum(1 for p in out.rglob("*.txt"))
    except OSError:  # a temporary file renamed while the folder was listed
        return 0


def kill_one_actor(out: Path, after: int, killed: list) -> None:
    """Wait until ``after`` outputs exist, then SIGKILL one reader actor."""
    while outputs_written(out) < after:
        time.sleep(0.05)
    pool = actors()
    if pool:
        os.kill(pool[0].pid, signal.SIGKILL)
        killed.append((pool[0].pid, outputs_written(out)))


def files_under(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds-per-page", type=float, default=0.3, help="the stub reader's time per page on Ray")
    args = parser.parse_args()
    src, local, on_ray = args.out / "in", args.out / "local", args.out / "ray"
    shutil.rmtree(args.out, ignore_errors=True)  # the watcher counts the outputs written
    files = render(src, args.pages)
    run([src], RunOptions(local, overwrite=True), reader=stub_reader())

    log = args.out / "reads.log"
    log.unlink(missing_ok=True)
    os.environ["YOCR_FAULT_LOG"] = str(log.resolve())  # the Ray workers started below inherit these
    os.environ["YOCR_FAULT_SECONDS"] = str(args.seconds_per_page)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    ray.data.DataContext.get_current().enable_progress_bars = False
    killed: list = []
    watcher = threading.Thread(target=kill_one_actor, args=(on_ray, files // 3, killed), daemon=True)
    watcher.start()
    try:
        summary = run_on_ray([src], RunOptions(on_ray, overwrite=True), ray_opts=RayOptions(actors=2, batch_size=4),
                             make_reader=stub_reader)
    finally:
        ray.shutdown()
    reads = log.read_text().splitlines()
    same = files_under(on_ray) == files_under(local)
    leftovers = [p for p in on_ray.rglob("*") if p.name.endswith(".tmp") or p.name == PARTS_DIR]
    print(f"{files} files, {args.pages} pages; actor killed: pid {killed[0][0]} after {killed[0][1]} outputs"
          if killed else f"{files} files, {args.pages} pages; NO actor was killed")
    print(f"summary: {summary.files} files, {summary.done} done, {summary.failed} failed, {summary.pages} pages")
    print(f"pages read: {len(reads)} ({len(reads) - args.pages} read again after the kill), by "
          f"{len({r.split()[0] for r in reads})} processes")
    print(f"outputs identical to the local run: {same}; temporary or part files left: {len(leftovers)}")
    ok = killed and same and not leftovers and summary.done == files and summary.pages == args.pages
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
