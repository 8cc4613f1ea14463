"""Training of the CRNN with CTC loss: splits, augmentation, schedule, validation, checkpoints and resume."""

from __future__ import annotations

import csv
import json
import logging
import math
import warnings
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from yocr import metrics
from yocr.core.io import atomic_write_text
from yocr.data.labels import Sample, read_labels
from yocr.errors import YocrError
from yocr.recognizer import checkpoint
from yocr.recognizer.charset import Charset
from yocr.recognizer.config import ModelConfig, TrainConfig
from yocr.recognizer.dataset import BucketBatchSampler, LineDataset, collate, filter_encodable, image_widths
from yocr.recognizer.model import CRNN
from yocr.recognizer.predictor import decode_batch, pick_device

log = logging.getLogger(__name__)


def _init_worker(_: int) -> None:
    import cv2

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    info = torch.utils.data.get_worker_info()
    augment = getattr(getattr(info, "dataset", None), "augment", None)
    if augment is not None:  # each worker its own draws (albumentations' generators were copied from the parent)
        augment.set_random_seed(torch.initial_seed() % 2**32)


def load_samples(cfg: TrainConfig) -> tuple[list[Sample], list[Sample], list[str]]:
    """Training and validation samples; without ``val`` files, a seeded hold-out by source page."""
    blind = {str(Path(p).resolve()) for p in cfg.case_blind}
    factors = cfg.oversample_factors()
    unknown = sorted(set(factors) - {str(Path(f).resolve()) for f in cfg.train})
    if unknown:
        raise YocrError(f"--oversample names files that are not --train files: {', '.join(unknown)}")
    problems: list[str] = []

    def read(files: list[str]) -> list[tuple[Sample, int]]:
        out = []
        for f in files:
            samples, probs = read_labels(f, case_blind=str(Path(f).resolve()) in blind)
            k = factors.get(str(Path(f).resolve()), 1)
            out += [(s, k) for s in samples]
            problems.extend(probs)
        return out

    def repeated(pairs: list[tuple[Sample, int]]) -> list[Sample]:
        return [s for s, k in pairs for _ in range(k)]

    train = read(cfg.train)
    if not train:
        raise YocrError("no training samples: give at least one labels file with --train")
    if cfg.val:
        return repeated(train), [s for s, _ in read(cfg.val)], problems
    key = lambda s: s.group or str(s.path)  # noqa: E731 - one page's lines stay on one side of the split
    groups = sorted({key(s) for s, _ in train})
    rng = np.random.default_rng(cfg.seed)
    held = set(rng.choice(groups, size=max(1, int(round(len(groups) * cfg.val_fraction))), replace=False))
    return (
        repeated([(s, k) for s, k in train if key(s) not in held]),
        [s for s, _ in train if key(s) in held],
        problems,
    )


def build_charset(cfg: TrainConfig, samples: list[Sample]) -> Charset:
    if cfg.charset == "ascii":
        return Charset.default()
    if cfg.charset == "extended":
        return Charset.extended()
    if cfg.charset == "labels":
        return Charset.from_labels(s.label for s in samples)
    path = Path(cfg.charset)
    if not path.is_file():
        raise YocrError(f"--charset must be 'ascii', 'extended', 'labels' or a text file of characters; {path} not found")
    return Charset(path.read_text(encoding="utf-8").rstrip("\n"))


class CaseBlindCTC(nn.Module):
    """CTC loss; for samples marked case-blind the upper- and lower-case classes of a letter are summed first."""

    def __init__(self, charset: Charset):
        super().__init__()
        self.ctc = nn.CTCLoss(blank=charset.blank, reduction="none", zero_infinity=True)
        first, second, folded = charset.case_fold_groups()
        self.register_buffer("first", torch.from_numpy(first))
        self.register_buffer("second", torch.from_numpy(second.clip(min=0)))
        self.register_buffer("has_second", torch.from_numpy(second >= 0))
        fold_map = np.zeros(charset.num_classes, dtype=np.int64)
        for k, (a, b) in enumerate(zip(first, second)):
            fold_map[a] = k
            if b >= 0:
                fold_map[b] = k
        self.register_buffer("fold_map", torch.from_numpy(fold_map))

    def forward(self, logits, targets, target_lengths, input_lengths, case_blind):
        logp = logits.log_softmax(-1).transpose(0, 1)  # [T, B, C]
        loss = self.ctc(logp, targets, input_lengths, target_lengths)
        if case_blind.any():
            a = logp[..., self.first]
            b = torch.where(self.has_second, logp[..., self.second], torch.full_like(a, -1e4))
            folded = torch.logaddexp(a, b)
            folded_loss = self.ctc(folded, self.fold_map[targets], input_lengths, target_lengths)
            loss = torch.where(case_blind.to(loss.device), folded_loss, loss)
        return (loss / target_lengths.to(loss.device).clamp(min=1)).mean()


def load_init_weights(model: CRNN, charset: Charset, init_model: CRNN, init_charset: Charset) -> None:
    """Start ``model`` from ``init_model``'s weights. With another alphabet, the classifier rows of the characters
    both share (and the blank) are copied and new characters start from the layer's fresh initialisation."""
    state = init_model.state_dict()
    if init_charset != charset:
        head_w, head_b = model.head.weight.detach().clone(), model.head.bias.detach().clone()
        old_w, old_b = state["head.weight"], state["head.bias"]
        head_w[charset.blank], head_b[charset.blank] = old_w[init_charset.blank], old_b[init_charset.blank]
        for c in charset.chars:
            if c in init_charset:
                new, old = charset.encode(c)[0], init_charset.encode(c)[0]
                head_w[new], head_b[new] = old_w[old], old_b[old]
        state = {**state, "head.weight": head_w, "head.bias": head_b}
        log.info("init weights: %d of %d characters carried over", sum(c in init_charset for c in charset.chars), len(charset))
    model.load_state_dict(state)


def average_weights(base: str | Path, tuned: str | Path, base_share: float, out: str | Path) -> Path:
    """Write the weight average ``base_share`` x ``base`` + (1 - ``base_share``) x ``tuned`` (a "model soup" of a
    model and its fine-tuned descendant, which keeps much of what each is good at). ``tuned``'s alphabet is kept;
    characters ``base`` lacks take ``tuned``'s classifier rows alone."""
    if not 0.0 <= base_share <= 1.0:
        raise YocrError(f"--base-share must be in [0, 1], got {base_share}")
    base_model, base_charset, _ = checkpoint.load(base)
    tuned_model, charset, meta = checkpoint.load(tuned)
    if base_model.config != tuned_model.config:
        raise YocrError(f"{base} and {tuned} have different model configs: they cannot be averaged")
    aligned = CRNN(charset.num_classes, tuned_model.config)
    load_init_weights(aligned, charset, base_model, base_charset)
    a, b = aligned.state_dict(), tuned_model.state_dict()
    soup = {k: (base_share * a[k].float() + (1 - base_share) * b[k].float()).to(b[k].dtype)
            if b[k].is_floating_point() else b[k] for k in b}
    new = [charset.encode(c)[0] for c in charset.chars if c not in base_charset]
    soup["head.weight"][new], soup["head.bias"][new] = b["head.weight"][new], b["head.bias"][new]
    model = CRNN(charset.num_classes, tuned_model.config)
    model.load_state_dict(soup)
    meta = {**meta, "average": {"base": str(base), "tuned": str(tuned), "base_share": base_share}}
    checkpoint.save(out, model, charset, meta)
    return Path(out)


def evaluate(model: CRNN, loader: DataLoader, charset: Charset, device: torch.device, samples: list[Sample]):
    """CER and exact-line accuracy; case-blind samples are scored case-insensitively."""
    model.eval()
    preds, truths = [], []
    with torch.inference_mode():
        for x, _, _, _, index in loader:
            for i, r in zip(index.tolist(), decode_batch(model(x.to(device)), charset)):
                s = samples[i]
                preds.append(r.text.casefold() if s.case_blind else r.text)
                truths.append(s.label.casefold() if s.case_blind else s.label)
    return metrics.cer(preds, truths), metrics.exact_accuracy(preds, truths), list(zip(preds, truths))


def prepare_samples(cfg: TrainConfig, out: Path) -> tuple[Charset, list[Sample], list[Sample]]:
    """The charset and the encodable training and validation samples; the skipped ones are listed in
    ``out/skipped.txt``, the config and charset written beside."""
    train_samples, val_samples, problems = load_samples(cfg)
    charset = build_charset(cfg, train_samples)
    train_samples, p1 = filter_encodable(train_samples, charset)
    val_samples, p2 = filter_encodable(val_samples, charset)
    problems += p1 + p2
    if problems:
        atomic_write_text(out / "skipped.txt", "\n".join(problems) + "\n")
        log.warning("%d samples skipped; reasons in %s", len(problems), out / "skipped.txt")
    atomic_write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2))
    atomic_write_text(out / "charset.txt", charset.to_text() + "\n")
    return charset, train_samples, val_samples


def build_model(cfg: TrainConfig, charset: Charset, device: torch.device) -> CRNN:
    """A fresh CRNN, or one starting from ``cfg.init_weights`` (the shared characters' rows carried over)."""
    model = CRNN(charset.num_classes, cfg.model)
    if cfg.init_weights:
        init_model, init_charset, _ = checkpoint.load(cfg.init_weights)
        if init_model.config != cfg.model:
            raise YocrError(f"{cfg.init_weights}: {config_difference(init_model.config, cfg.model)}")
        load_init_weights(model, charset, init_model, init_charset)
    return model.to(device)


def make_loaders(cfg: TrainConfig, charset: Charset, train_samples: list[Sample], val_samples: list[Sample]):
    """The training loader (width-bucketed, shuffled per epoch by its sampler) and the validation loader (or None)."""
    h, mw = cfg.model.height, cfg.max_width
    sampler = BucketBatchSampler(image_widths(train_samples, h), cfg.batch_size, shuffle=True, seed=cfg.seed)
    loader_args = dict(
        collate_fn=collate, num_workers=cfg.workers, persistent_workers=cfg.workers > 0, worker_init_fn=_init_worker
    )
    train_loader = DataLoader(
        LineDataset(train_samples, charset, h, mw, augment=cfg.augment, reframe=cfg.reframe), batch_sampler=sampler, **loader_args
    )
    val_loader = DataLoader(
        LineDataset(val_samples, charset, h, mw, augment=False),
        batch_sampler=BucketBatchSampler(image_widths(val_samples, h), 128, shuffle=False), **loader_args,
    ) if val_samples else None
    return sampler, train_loader, val_loader


def config_difference(stored: ModelConfig, given: ModelConfig) -> str:
    """What differs between a checkpoint's network and this run's, as the options that set it."""
    a, b = stored.to_dict(), given.to_dict()
    diff = ", ".join(f"{k} {a[k]} (this run: {b[k]})" for k in a if a[k] != b.get(k))
    return f"its network differs from this run's: {diff}; give the same --backbone, --channels, --hidden, --lstm-layers, --height"


def resume(path: Path, model: CRNN, optimizer, scheduler, steps_per_epoch: int) -> tuple[int, float]:
    """Restore ``path`` (``last.pt``) into the model, optimiser and schedule; returns (next epoch, best CER)."""
    state = checkpoint.load_state(path)
    try:
        stored = ModelConfig.from_dict(state["model_config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise YocrError(f"{path}: no readable model config ({exc})") from None
    if stored != model.config:
        raise YocrError(f"{path}: {config_difference(stored, model.config)}")
    model.load_state_dict(state["state_dict"])
    optimizer.load_state_dict(state["optimizer"])
    start_epoch, best_cer = int(state["epoch"]) + 1, float(state["best_cer"])
    if state["scheduler"].get("total_steps") == scheduler.total_steps:
        scheduler.load_state_dict(state["scheduler"])
    else:  # --epochs changed on resume: the new schedule, fast-forwarded to where the run stopped
        scheduler.last_epoch = min(start_epoch * steps_per_epoch, scheduler.total_steps) - 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "step() before optimizer.step()": intended here
            scheduler.step()
    log.info("resumed from %s at epoch %d", path, start_epoch)
    return start_epoch, best_cer


def train_epoch(model: CRNN, loader: DataLoader, criterion: nn.Module, optimizer, scheduler, device: torch.device,
                steps: int, label: str, progress: bool) -> float:
    """One epoch of at most ``steps`` batches; returns the mean training loss."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    model.train()
    total, n = 0.0, 0
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"), TimeRemainingColumn(), disable=not progress,
    ) as bar:
        task = bar.add_task("train", total=steps, loss=0.0)
        for step, (x, targets, lengths, blind, _) in enumerate(loader):
            if step >= steps:
                break
            x = x.to(device)
            logits = model(x)
            input_lengths = torch.full((x.shape[0],), logits.shape[1], dtype=torch.long)
            loss = criterion(logits, targets.to(device), lengths, input_lengths, blind)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            n += 1
            bar.update(task, advance=1, loss=total / n)
    return total / max(n, 1)


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Run training; returns the path of the best checkpoint. Resumable from ``out/last.pt``."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    charset, train_samples, val_samples = prepare_samples(cfg, out)
    model = build_model(cfg, charset, device)
    sampler, train_loader, val_loader = make_loaders(cfg, charset, train_samples, val_samples)
    steps_per_epoch = len(sampler) if not cfg.max_steps_per_epoch else min(len(sampler), cfg.max_steps_per_epoch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch, pct_start=0.15
    )
    criterion = CaseBlindCTC(charset).to(device)
    start_epoch, best_cer = 0, math.inf
    last_path, best_path = out / "last.pt", out / "best.pt"
    if cfg.resume and last_path.is_file():
        start_epoch, best_cer = resume(last_path, model, optimizer, scheduler, steps_per_epoch)
    metrics_path = out / "metrics.csv"
    if not (cfg.resume and metrics_path.is_file()):
        metrics_path.write_text("epoch,train_loss,val_cer,val_accuracy,lr,seconds\n")
    t_start = time.time()
    meta_base = {"train_samples": len(train_samples), "val_samples": len(val_samples), "config": cfg.to_dict()}
    for epoch in range(start_epoch, cfg.epochs):
        sampler.set_epoch(epoch)
        t0 = time.time()
        loss = train_epoch(model, train_loader, criterion, optimizer, scheduler, device, steps_per_epoch,
                           f"epoch {epoch + 1}/{cfg.epochs}", progress)
        val_cer, val_acc = (math.nan, math.nan)
        if val_loader is not None:
            val_cer, val_acc, _ = evaluate(model, val_loader, charset, device, val_samples)
        seconds = time.time() - t0
        with metrics_path.open("a") as f:
            csv.writer(f).writerow([epoch + 1, f"{loss:.4f}", f"{val_cer:.4f}", f"{val_acc:.4f}",
                                    f"{scheduler.get_last_lr()[0]:.2e}", f"{seconds:.1f}"])
        log.info("epoch %d: loss %.4f val CER %.4f accuracy %.4f (%.0f s)", epoch + 1, loss, val_cer, val_acc, seconds)
        meta = {**meta_base, "epoch": epoch + 1, "val_cer": val_cer, "val_accuracy": val_acc}
        if val_loader is None or val_cer < best_cer:
            best_cer = val_cer if val_loader is not None else best_cer
            checkpoint.save(best_path, model, charset, meta)
        checkpoint.save(
            last_path, model, charset, meta, optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
            epoch=epoch, best_cer=best_cer,
        )
        if cfg.time_limit_min and (time.time() - t_start) / 60 > cfg.time_limit_min:
            log.warning("time limit of %.1f min reached after epoch %d", cfg.time_limit_min, epoch + 1)
            break
    return best_path
