"""Oriented boxes (ultralytics' OBB task) against the shipped axis-aligned detector, on the street photos' and car
photos' validation splits (ICDAR 2015 images 901-1000, legible words; every fifth plate photo).

usage: python tools/obb_eval.py ../shared/data --obb runs/det/obb1/yolo-lines.pt [--imgsz 960 --imgsz 1280]
                                [--conf 0.25] [--limit N] [--json runs/obb-eval.json]

Both detectors are scored two ways, one to one, greedily by decreasing IoU >= 0.5, predictions lying at least half
inside a ``###`` region left out:
  * quad IoU: each prediction's polygon (an axis-aligned box is a rectangle) against each word's quadrilateral;
  * box IoU: the axis-aligned boxes around both (what ``yocr detector eval`` scores).
and the seconds per page of the whole detect step (the shipped detector's ``detect``; the OBB network's
``predict``, its pre- and post-processing included).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from yocr.core.image import load_image  # noqa: E402
from yocr.data.scene import ic15_pages, plate_pages  # noqa: E402

MATCH = 0.5
DONT_CARE_COVER = 0.5


def poly_area(p: np.ndarray) -> float:
    return float(abs(cv2.contourArea(p.astype(np.float32))))


def poly_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two convex quadrilaterals (4 x 2)."""
    inter, _ = cv2.intersectConvexConvex(cv2.convexHull(a.astype(np.float32)), cv2.convexHull(b.astype(np.float32)))
    union = poly_area(a) + poly_area(b) - inter
    return float(inter / union) if union > 0 else 0.0


def rect(box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def bounding(p: np.ndarray) -> np.ndarray:
    return rect((p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()))


def matches(pred: list[np.ndarray], truth: list[np.ndarray]) -> int:
    if not pred or not truth:
        return 0
    ious = np.array([[poly_iou(p, t) for t in truth] for p in pred])
    pi, ti = np.nonzero(ious >= MATCH)
    used_p, used_t, n = set(), set(), 0
    for k in np.argsort(-ious[pi, ti], kind="stable"):
        p, t = int(pi[k]), int(ti[k])
        if p not in used_p and t not in used_t:
            used_p.add(p)
            used_t.add(t)
            n += 1
    return n


def cared(pred: list[np.ndarray], ignore: list[np.ndarray]) -> list[np.ndarray]:
    """Predictions not lying at least ``DONT_CARE_COVER`` of their area inside a don't-care quad."""
    keep = []
    for p in pred:
        area = max(poly_area(p), 1e-9)
        cover = max((cv2.intersectConvexConvex(cv2.convexHull(p), cv2.convexHull(q))[0] / area for q in ignore),
                    default=0.0)
        if cover < DONT_CARE_COVER:
            keep.append(p)
    return keep


class Scores:
    def __init__(self) -> None:
        self.tp = {"quad": 0, "box": 0}
        self.pred = self.truth = self.pages = 0
        self.seconds = 0.0

    def add(self, pred, truth, seconds) -> None:
        self.tp["quad"] += matches(pred, truth)
        self.tp["box"] += matches([bounding(p) for p in pred], [bounding(t) for t in truth])
        self.pred += len(pred)
        self.truth += len(truth)
        self.pages += 1
        self.seconds += seconds

    def figures(self) -> dict:
        out = {"pages": self.pages, "predictions": self.pred, "truths": self.truth,
               "seconds_per_page": round(self.seconds / max(1, self.pages), 3)}
        for k, tp in self.tp.items():
            p, r = tp / max(1, self.pred), tp / max(1, self.truth)
            out[k] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / max(1e-9, p + r), 3)}
        return out


def shipped_detector():
    from yocr.detector.predictor import Detector

    det = Detector(scene_weights="none")  # the axis-aligned detector alone, whatever is shipped beside it

    def run(image):
        return [rect(d.box) for d in det.detect(image)]

    return "axis-aligned (shipped, yocr's detect, --scene-weights none)", run


def obb_detector(weights: str, imgsz: int, conf: float):
    from yocr.detector import ultra
    from yocr.detector.checkpoint import load_checkpoint

    yolo = ultra.model_from_checkpoint(load_checkpoint(weights))
    if yolo.task != "obb":
        raise SystemExit(f"{weights}: not an oriented-box (OBB) model")

    def run(image):
        result = ultra.predict(yolo, [image], imgsz, conf, 0.7, "cpu", 1000)[0]
        return [q.astype(np.float32) for q in result.obb.xyxyxyxy.cpu().numpy()] if result.obb is not None else []

    return f"oriented (OBB) {Path(weights).name} at {imgsz} px, conf {conf:g}", run


def pages(data: Path, limit: int) -> dict[str, list]:
    street = [(p, [q.points for q in quads if q.legible], [q.points for q in quads if not q.legible])
              for p, _, quads in ic15_pages(data / "ic15-train", "val")]
    plates = [(p, [rect(b) for b in boxes], []) for p, boxes, _ in plate_pages(data / "plates-us", "val")]
    return {"street": street[: limit or None], "plates": plates[: limit or None]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--obb", required=True)
    ap.add_argument("--imgsz", type=int, action="append")
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sets = pages(args.data, args.limit)
    engines = [shipped_detector()] + [obb_detector(args.obb, s, args.conf) for s in (args.imgsz or [960, 1280])]
    report = {}
    for name, run in engines:
        for set_name, items in sets.items():
            scores = Scores()
            run(load_image(items[0][0]).bgr)  # warm-up, untimed
            for path, truth, ignore in items:
                image = load_image(path).bgr
                t = time.perf_counter()
                pred = run(image)
                seconds = time.perf_counter() - t
                scores.add(cared(pred, ignore), truth, seconds)
            report.setdefault(name, {})[set_name] = scores.figures()
            f = report[name][set_name]
            print(f"{name} | {set_name}: quad IoU P {f['quad']['precision']:.3f} R {f['quad']['recall']:.3f} "
                  f"F1 {f['quad']['f1']:.3f}; box IoU P {f['box']['precision']:.3f} R {f['box']['recall']:.3f} "
                  f"F1 {f['box']['f1']:.3f}; {f['seconds_per_page']:.2f} s/page", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
