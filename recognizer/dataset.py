"""Datasets of labelled line images for training: loading, augmentation, encoding and width-bucketed batches."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from yocr.data.augment import line_degradations
from yocr.data.labels import Sample
from yocr.data.line_store import parse_ref, read_ref
from yocr.recognizer.charset import Charset
from yocr.recognizer.preprocess import batch, normalise

log = logging.getLogger(__name__)


def image_widths(samples: list[Sample], height: int) -> np.ndarray:
    """Width of each sample once scaled to ``height``, read from the file headers only."""
    from yocr.data.line_store import ref_size

    widths = np.empty(len(samples), dtype=np.int64)
    for i, s in enumerate(samples):
        size = ref_size(s.path)
        if size is None:
            with Image.open(s.path) as im:
                size = im.size
        w, h = size
        widths[i] = max(8, round(w * height / max(h, 1)))
    return widths


def filter_encodable(samples: list[Sample], charset: Charset) -> tuple[list[Sample], list[str]]:
    """Samples whose labels the charset can encode; the rest are reported with their unknown characters."""
    kept, problems = [], []
    for s in samples:
        missing = charset.unknown(s.label)
        if missing:
            problems.append(f"{s.path}: label {s.label!r} has characters not in the charset: {missing!r}, skipped")
        else:
            kept.append(s)
    return kept, problems


class LineDataset(Dataset):
    def __init__(self, samples: list[Sample], charset: Charset, height: int, max_width: int, augment: bool,
                 reframe: float = 0.0):
        self.samples = samples
        self.charset = charset
        self.height = height
        self.max_width = max_width
        self.augment = line_degradations(strength=0.6, reframe=reframe) if augment else None

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        s = self.samples[i]
        image = read_ref(s.path) if parse_ref(s.path) else cv2.imread(str(s.path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            log.warning("%s: not a readable image, replaced by a blank line", s.path)
            image = np.full((self.height, self.height), 255, np.uint8)
        if self.augment is not None:
            image = self.augment(image=image)["image"]
        x = normalise(image, self.height, self.max_width)
        return x, self.charset.encode(s.label), s.case_blind, i


def collate(items):
    images, targets, case_blind, index = zip(*items)
    x = batch(list(images))
    lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    flat = torch.tensor([c for t in targets for c in t], dtype=torch.long)
    return x, flat, lengths, torch.tensor(case_blind, dtype=torch.bool), torch.tensor(index)


class BucketBatchSampler(Sampler):
    """Batches of similar width (less padding): shuffle, sort within large pools by width, shuffle the batches."""

    def __init__(self, widths: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0, pool: int = 50):
        self.widths = widths
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.pool = pool
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.widths)) if self.shuffle else np.arange(len(self.widths))
        size = self.batch_size * self.pool
        batches = []
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            chunk = chunk[np.argsort(self.widths[chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        if self.shuffle:
            rng.shuffle(batches)
        return iter(batches)

    def __len__(self) -> int:
        size = self.batch_size * self.pool
        n = len(self.widths)
        return sum(-(-min(size, n - s) // self.batch_size) for s in range(0, n, size))
