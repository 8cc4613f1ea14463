"""Network throughput of each CRNN backbone through ONNX Runtime (fp32 and int8), random weights, read once, on the
first 1,500 SROIE validation crops (runs/sroie-val-crops, yocr data crops): the speed column of the recognizer model
card's backbone table. Usage: python tools/bench_backbones.py"""
import glob
import os
import time

import cv2
import torch

from yocr.recognizer.model import CRNN
from yocr.recognizer.config import ModelConfig, DWS_CHANNELS
from yocr.recognizer.charset import Charset
from yocr.recognizer import checkpoint
from yocr.recognizer.onnx_crnn import export, export_int8
from yocr.recognizer.predictor import Recognizer
from yocr.runtime import configure_threads
configure_threads(2)
crops = [cv2.imread(f) for f in sorted(glob.glob("runs/sroie-val-crops/images/*.png"))[:1500]]
cs = Charset.extended()
os.makedirs("runs/bb-speed", exist_ok=True)
for name, cfg in (("vgg", ModelConfig()), ("dws", ModelConfig(backbone="dws", channels=DWS_CHANNELS)),
                  ("vgg-wide", ModelConfig(channels=(48, 96, 160, 192, 256)))):
    torch.manual_seed(0)
    pt = f"runs/bb-speed/{name}.pt"; checkpoint.save(pt, CRNN(cs.num_classes, cfg), cs)
    export(pt); export_int8(pt)
    for runtime in ("onnx", "auto"):
        rec = Recognizer(pt, device="cpu", batch_size=64, reread_below=0, runtime=runtime)
        rec.read(crops[:64])
        best = 0
        for _ in range(3):
            t = time.perf_counter(); rec.read(crops); best = max(best, len(crops) / (time.perf_counter() - t))
        print(name, rec.runtime, f"{best:.0f} lines/s", flush=True)
