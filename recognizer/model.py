"""The CRNN network: a grey line image batch in, per-column character logits out. Nothing else lives here."""

from __future__ import annotations

import torch
from torch import nn

from yocr.recognizer.config import ModelConfig


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _dws(cin: int, cout: int, stride: int | tuple[int, int] = 1) -> nn.Sequential:
    """A depthwise-separable block: a 3 x 3 convolution per channel, then a 1 x 1 one across channels."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False), nn.BatchNorm2d(cin),
        nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


def vgg_features(c: tuple[int, ...]) -> nn.Sequential:
    """Five 3 x 3 convolution stages with max pooling: H/16, W/4 (the shipped models)."""
    return nn.Sequential(
        _conv(1, c[0]),
        nn.MaxPool2d(2, 2, ceil_mode=True),  # H/2, W/2
        _conv(c[0], c[1]),
        nn.MaxPool2d(2, 2, ceil_mode=True),  # H/4, W/4
        _conv(c[1], c[2]),
        nn.MaxPool2d((2, 1), (2, 1)),  # H/8
        _conv(c[2], c[3]),
        _conv(c[3], c[4]),
        nn.MaxPool2d((2, 1), (2, 1)),  # H/16
    )


def dws_features(c: tuple[int, ...]) -> nn.Sequential:
    """A full 3 x 3 stem, then depthwise-separable blocks striding as PP-OCR's mobile recognizer does: by 2 in both
    directions twice, then in height only (narrow glyphs keep a column every 4 px): H/16, W/4."""
    return nn.Sequential(
        nn.Conv2d(1, c[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True),  # H/2
        _dws(c[0], c[1]),
        _dws(c[1], c[1], 2),  # H/4, W/4
        _dws(c[1], c[2]),
        _dws(c[2], c[2], (2, 1)),  # H/8
        _dws(c[2], c[3]),
        _dws(c[3], c[3]),
        _dws(c[3], c[4], (2, 1)),  # H/16
        _dws(c[4], c[4]),
    )


class CRNN(nn.Module):
    """Convolutional feature extractor -> BiLSTM -> linear classifier.

    Input ``[B, 1, H, W]`` with values in [0, 1] (ink dark), any width; output logits ``[B, T, C]`` with
    ``T = ceil(W / 4)`` and ``C = num_classes`` (index 0 is the CTC blank).
    """

    def __init__(self, num_classes: int, config: ModelConfig | None = None):
        super().__init__()
        self.config = config or ModelConfig()
        c = self.config.channels
        h = self.config.height
        self.features = (dws_features if self.config.backbone == "dws" else vgg_features)(c)
        rows = h // 16
        self.proj = nn.Sequential(nn.Linear(c[4] * rows, self.config.hidden * 2), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(self.config.dropout)
        self.rnn = nn.LSTM(
            self.config.hidden * 2,
            self.config.hidden,
            num_layers=self.config.lstm_layers,
            bidirectional=True,
            batch_first=True,
            dropout=self.config.dropout if self.config.lstm_layers > 1 else 0.0,
        )
        self.head = nn.Linear(self.config.hidden * 2, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != self.config.height:
            raise ValueError(f"expected images [B, 1, {self.config.height}, W], got {tuple(images.shape)}")
        x = self.features(1.0 - images)  # ink bright: zero padding is paper
        b, ch, rows, t = x.shape
        x = x.permute(0, 3, 1, 2).reshape(b, t, ch * rows)
        x = self.dropout(self.proj(x))
        x, _ = self.rnn(x)
        return self.head(self.dropout(x))

