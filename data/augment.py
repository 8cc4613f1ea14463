"""albumentations pipelines for line images (synthesis and recognizer training)."""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np


class Reframe(A.ImageOnlyTransform):
    """A line framed as a detector frames it, not as it was labelled: each side trimmed into the text by up to
    ``trim`` x the height or loosened by up to ``pad`` x the height (the edge pixels repeated), then the width scaled
    by a factor in ``stretch`` (a narrow or wide font). The shipped recognizer read the same crops differently when
    so reframed (``yocr.recognizer.reread``), so training shows it such framings."""

    def __init__(self, trim: float = 0.08, pad: float = 0.25, stretch: tuple[float, float] = (0.75, 1.35),
                 p: float = 0.5):
        super().__init__(p=p)
        self.trim, self.pad, self.stretch = trim, pad, stretch

    def get_params(self) -> dict:
        r = self.py_random
        return {"sides": [r.uniform(-self.trim, self.pad) for _ in range(4)],
                "stretch": float(np.exp(r.uniform(*np.log(self.stretch))))}

    def apply(self, img: np.ndarray, sides=(0.0, 0.0, 0.0, 0.0), stretch: float = 1.0, **params) -> np.ndarray:
        h, w = img.shape[:2]
        left, right, top, bottom = (int(round(s * h)) for s in sides)
        if min(h - max(0, -top) - max(0, -bottom), w - max(0, -left) - max(0, -right)) < max(4, h // 2):
            left = right = top = bottom = 0  # trims that would leave too little: the crop as it is
        img = img[max(0, -top) : h - max(0, -bottom), max(0, -left) : w - max(0, -right)]
        img = cv2.copyMakeBorder(img, max(0, top), max(0, bottom), max(0, left), max(0, right), cv2.BORDER_REPLICATE)
        new_w = max(2, int(round(img.shape[1] * stretch)))
        return cv2.resize(img, (new_w, img.shape[0]), interpolation=cv2.INTER_AREA if stretch < 1 else cv2.INTER_LINEAR)


def line_degradations(strength: float = 1.0, reframe: float = 0.0) -> A.Compose:
    """Photo and scan damage for a rendered or real line image: geometry, blur, noise, light, JPEG; with probability
    ``reframe`` first a detector's framing (:class:`Reframe`)."""
    s = strength
    return A.Compose(
        ([Reframe(p=reframe)] if reframe > 0 else []) + [
            A.Affine(
                rotate=(-2.0 * s, 2.0 * s),
                shear={"x": (-8.0 * s, 8.0 * s), "y": (-1.0 * s, 1.0 * s)},
                scale=(0.95, 1.05),
                fit_output=True,
                border_mode=cv2.BORDER_REPLICATE,
                p=0.5,
            ),
            A.Perspective(scale=(0.005, 0.03 * s), fit_output=True, border_mode=cv2.BORDER_REPLICATE, p=0.3),
            A.OneOf(
                [
                    A.GaussianBlur(blur_limit=(3, 5), p=1.0),
                    A.MotionBlur(blur_limit=(3, 5), p=1.0),
                    A.Downscale(scale_range=(0.5, 0.8), p=1.0),
                ],
                p=0.4 * s,
            ),
            A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.35, p=0.5),
            A.GaussNoise(std_range=(0.01, 0.08 * s), p=0.4),
            A.ImageCompression(quality_range=(30, 95), p=0.4),
        ]
    )
