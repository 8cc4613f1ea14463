"""albumentations pipelines for line images (synthesis and recognizer training)."""

from __future__ import annotations

import albumentations as A
import cv2


def line_degradations(strength: float = 1.0) -> A.Compose:
    """Photo and scan damage for a rendered or real line image: geometry, blur, noise, light, JPEG."""
    s = strength
    return A.Compose(
        [
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
