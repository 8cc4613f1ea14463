"""The ``yocr data`` commands: synthetic lines and pages, crops, converters and labels files.

``data_app`` is added to the main ``yocr`` app as its ``data`` group. Each command parses its options into the
data room's typed configs and calls library code.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from yocr.console import err, fail as _fail
from yocr.core.geometry import CROP_MARGIN
from yocr.core.splits import FUNSD_VAL_COUNT
from yocr.errors import YocrError

data_app = typer.Typer(help="Prepare data: synthetic lines and pages, crops and converters.", no_args_is_help=True)


def _report(summary, out: Path) -> None:
    for p in summary.problems:
        err.print(f"[yellow]skipped[/yellow] {p}")
    err.print(
        f"train: {summary.images['train']} images, {summary.boxes['train']} lines; "
        f"val: {summary.images['val']} images, {summary.boxes['val']} lines; written to {out} ({summary.yaml})"
    )


# --- line data ------------------------------------------------------------------------------------------------


@data_app.command("synth-lines")
def synth_lines_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: images/ and labels.txt are written there."),
    count: int = typer.Option(1000, help="Number of line images."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same images."),
    min_size: int = typer.Option(14, help="Smallest font size in pixels."),
    max_size: int = typer.Option(44, help="Largest font size in pixels."),
    workers: int = typer.Option(2, help="Rendering processes."),
    sroie: Optional[Path] = typer.Option(None, help="SROIE folder: transcriptions of receipts 000-525 join the text."),
    funsd: Optional[Path] = typer.Option(None, help="FUNSD folder: transcriptions of the training forms join the text."),
    text: List[Path] = typer.Option([], help="Text files whose lines join the text (repeatable)."),
    charset: str = typer.Option("extended", help="'ascii' or 'extended' (ASCII + symbols + accented letters)."),
    scene: float = typer.Option(0.0, help="Share of lines drawn as scene text (photo grounds, colour, tilt)."),
    backgrounds: Optional[Path] = typer.Option(None, help="Folder of photos whose patches become scene grounds."),
    preview: Optional[Path] = typer.Option(None, help="Also write a contact sheet PNG of the first lines here."),
    store: bool = typer.Option(
        False, help="Write a compact store (lines.bin + index.npy + labels.txt) that training streams from, "
        "instead of one image file per line; pass the folder to 'recognizer train --train'."
    ),
    height: int = typer.Option(
        0, help="With --store: keep each line grey at this height (32: the recognizer's input; about 2.5 KB a "
        "line, a million lines in about 2.5 GB). 0: as rendered, in colour."
    ),
) -> None:
    """Render labelled single-line images in the TRSynth100K layout (images/ + labels.txt), or a compact store."""
    from rich.progress import Progress

    from yocr.data.annotations import training_corpus
    from yocr.data.synth_lines import SynthLinesConfig, synth_lines

    try:
        from yocr.core.alphabet import EXTENDED, PRINTABLE_ASCII

        if charset not in ("ascii", "extended"):
            raise YocrError(f"--charset must be 'ascii' or 'extended', got {charset!r}")
        cfg = SynthLinesConfig(
            count=count, seed=seed, min_size=min_size, max_size=max_size, workers=workers,
            charset=EXTENDED if charset == "extended" else PRINTABLE_ASCII, scene=scene,
            backgrounds=str(backgrounds or ""), store_height=height,
        )
        corpus = training_corpus(sroie, funsd, text)
        with Progress(console=err) as bar:
            task = bar.add_task("rendering", total=count)
            n = synth_lines(out, cfg, corpus, progress=lambda: bar.advance(task), store=store)
        if preview:
            from yocr.data.synth_lines import contact_sheet

            contact_sheet(out if store else out / "labels.txt", preview)
            err.print(f"contact sheet: {preview}")
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)
    err.print(f"{n} lines written to {out}")


@data_app.command("scene-crops")
def scene_crops_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: images/, labels.txt and groups.csv."),
    ic15: Optional[Path] = typer.Option(None, help="ICDAR 2015 folder (img/ + gt/): legible word quads, rectified."),
    words: Optional[Path] = typer.Option(None, help="Word-crop folder with labels.tsv (IIIT5K/SVT style)."),
    plates: Optional[Path] = typer.Option(None, help="Plate photos NAME.jpg + NAME.txt (OpenALPR style)."),
    funsd_words: Optional[Path] = typer.Option(None, help="FUNSD folder: single-word crops."),
    split: str = typer.Option("train", help="The dataset's fixed split: 'train', 'val' or 'all'."),
    plate_bands: bool = typer.Option(
        False, help="--plates: also write the middle bands of each plate (the number without state name or slogan)."
    ),
) -> None:
    """Cut labelled word crops from scene-text datasets (one source per call), keeping their fixed splits."""
    from yocr.data import scene as sc

    sources = [(ic15, sc.ic15_crops), (words, sc.word_crops), (plates, sc.plate_crops), (funsd_words, sc.funsd_word_crops)]
    given = [(path, fn) for path, fn in sources if path is not None]
    if len(given) != 1:
        _fail(YocrError("give exactly one of --ic15, --words, --plates, --funsd-words"))
    path, fn = given[0]
    try:
        n = fn(path, out, split, bands=True) if plate_bands and plates else fn(path, out, split)
    except (YocrError, OSError) as exc:
        _fail(exc)
    err.print(f"{n} crops written to {out}")


@data_app.command("crops")
def crops_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: images/, labels.txt and groups.csv."),
    sroie: Optional[Path] = typer.Option(None, help="SROIE-style folder (img/ + box/)."),
    funsd: Optional[Path] = typer.Option(None, help="FUNSD folder (images/ + annotations/)."),
    first: Optional[int] = typer.Option(None, help="SROIE: first receipt number to use."),
    last: Optional[int] = typer.Option(None, help="SROIE: last receipt number to use."),
    funsd_split: str = typer.Option("train", help="FUNSD: 'train' (all but the last 30), 'val' (last 30) or 'all'."),
    yolo: Optional[Path] = typer.Option(None, help="YOLO folder with transcriptions (text/NAME.txt, as `yocr data "
                                                   "synth-pages` writes them)."),
    yolo_split: str = typer.Option("train", help="YOLO: the split folder to cut from: 'train', 'val', or 'all' "
                                                 "(every image under images/, split or not)."),
    margin: float = typer.Option(CROP_MARGIN, help="Margin around each box, as a fraction of its height."),
    detected: bool = typer.Option(False, help="Cut the lines the detector finds, as 'yocr run' cuts them, each "
                                              "labelled with the annotations that make it up (the others are "
                                              "left out), instead of the annotated boxes."),
    detector_weights: Optional[str] = typer.Option(None, help="With --detected: detector weights (default: shipped)."),
) -> None:
    """Cut labelled line crops out of annotated pages (SROIE box files, FUNSD JSON, YOLO folders with transcriptions)."""
    from yocr.data.annotations import funsd_pages, sroie_pages
    from yocr.data.crops import write_crops, write_detected_crops
    from yocr.data.yolo import yolo_text_pages

    if not sroie and not funsd and not yolo:
        _fail(YocrError("give --sroie, --funsd or --yolo"))
    if funsd_split not in ("train", "val", "all"):
        _fail(YocrError(f"--funsd-split must be train, val or all, not {funsd_split!r}"))
    if yolo_split not in ("train", "val", "all"):
        _fail(YocrError(f"--yolo-split must be train, val or all, not {yolo_split!r}"))
    try:
        pages = sroie_pages(sroie, first, last) if sroie else []
        if funsd:
            pages += funsd_pages(
                funsd, skip_last=FUNSD_VAL_COUNT if funsd_split == "train" else 0,
                only_last=FUNSD_VAL_COUNT if funsd_split == "val" else 0,
            )
        if yolo:
            pages += yolo_text_pages(yolo, "" if yolo_split == "all" else yolo_split)
        if detected:
            from yocr.pipeline.reader import Reader, ReaderConfig

            reader = Reader(ReaderConfig(fallback="none", margin=margin, detector_weights=detector_weights))
            n, problems = write_detected_crops(pages, out, reader)
        else:
            n, problems = write_crops(pages, out, margin)
    except (YocrError, OSError) as exc:
        _fail(exc)
    for p in problems:
        err.print(f"[yellow]skipped[/yellow] {p}")
    err.print(f"{n} crops from {len(pages)} pages written to {out}")
    if sroie:
        err.print("note: SROIE transcriptions are upper case; train with --case-blind on this labels file")


@data_app.command("prepare")
def prepare_cmd(
    labels: Path = typer.Argument(..., help="Labels file (TRSynth 'name label' lines, or CSV with path,label)."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV to write; charset.json is written beside it."),
) -> None:
    """Check a labelled folder and write a path,label CSV and the character<->index maps (JSON)."""
    from yocr.data.labels import prepare_folder

    try:
        n, problems = prepare_folder(labels, out)
    except (YocrError, OSError) as exc:
        _fail(exc)
    for p in problems:
        err.print(f"[yellow]skipped[/yellow] {p}")
    err.print(f"{n} samples written to {out}, {len(problems)} skipped")


@data_app.command("labels-from-names")
def labels_from_names_cmd(
    folder: Path = typer.Argument(..., help="Folder of images named by their label (e.g. captchas: 2b827.png)."),
    out: Path = typer.Option(..., "--out", "-o", help="Labels file to write (TRSynth 'name label' lines)."),
) -> None:
    """Write a labels file for a folder whose image file names are the labels."""
    from yocr.data.labels import labels_from_filenames

    if not folder.is_dir():
        _fail(YocrError(f"{folder}: not a folder"))
    try:
        n, problems = labels_from_filenames(folder, out)
    except (YocrError, OSError) as exc:
        _fail(exc)
    for p in problems:
        err.print(f"[yellow]skipped[/yellow] {p}")
    err.print(f"{n} labels written to {out}")


# --- page data (YOLO layout) ----------------------------------------------------------------------------------


@data_app.command("yolo")
def data_yolo_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: images/, labels/ and data.yaml."),
    sroie: Optional[Path] = typer.Option(None, help="SROIE-style folder (img/ + box/): 000-525 train, 526-625 val."),
    funsd: Optional[Path] = typer.Option(None, help="FUNSD folder: all but the last 30 forms train, last 30 val."),
    yolo: List[Path] = typer.Option([], help="Existing YOLO folder to merge in, with its own splits (repeatable)."),
    ic15: Optional[Path] = typer.Option(
        None, help="ICDAR 2015 street photos (img/ + gt/): words are boxes of their own, ### blurred out; 901-1000 val."
    ),
    plates: Optional[Path] = typer.Option(None, help="Car photos NAME.jpg + NAME.txt: the plate is one box."),
    gap: float = typer.Option(1.0, help="Join segments of a row whose gap is at most this x the row height."),
    min_size: float = typer.Option(2.0, help="Drop boxes narrower or lower than this many pixels."),
    obb: bool = typer.Option(
        False, help="--ic15/--plates: oriented boxes (the words' quadrilaterals) for a detector of the OBB task."
    ),
) -> None:
    """Convert annotated pages into a YOLO line-detection dataset (phrase segments merged into lines)."""
    from yocr.data.yolo import build_yolo_dataset

    if not (sroie or funsd or yolo or ic15 or plates):
        _fail(YocrError("give --sroie, --funsd, --yolo, --ic15 or --plates"))
    if obb and (sroie or funsd or yolo):
        _fail(YocrError("--obb converts --ic15 and --plates only (documents' lines are axis-aligned boxes)"))
    try:
        if sroie or funsd or yolo:
            _report(build_yolo_dataset(out, sroie, funsd, yolo, gap=gap, min_size=min_size), out)
        if ic15 or plates:
            from yocr.data.scene import scene_yolo

            counts = scene_yolo(out, ic15=ic15, plates=plates, obb=obb)
            err.print(f"street and plate photos: train {counts['train']}, val {counts['val']} images, in {out}")
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)

@data_app.command("synth-pages")
def synth_pages_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (YOLO layout): images/, labels/, text/, data.yaml."),
    count: int = typer.Option(200, help="Number of pages."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same pages."),
    val_fraction: float = typer.Option(0.1, help="Share of the pages written to the val split."),
    min_side: int = typer.Option(600, help="Smallest long side of a page, pixels."),
    max_side: int = typer.Option(1600, help="Largest long side of a page, pixels."),
    photo: float = typer.Option(0.35, help="Share of paper pages shot as photos rather than scanned."),
    workers: int = typer.Option(1, help="Rendering processes."),
    sroie: Optional[Path] = typer.Option(None, help="SROIE folder: transcriptions of receipts 000-525 join the text."),
    funsd: Optional[Path] = typer.Option(None, help="FUNSD folder: transcriptions of the training forms join the text."),
    text: List[Path] = typer.Option([], help="Text files whose lines join the text (repeatable)."),
    kinds: str = typer.Option(
        "all", help="Comma-separated page kinds: document, receipt, form, table, scene, book, label (or 'all')."
    ),
    preview: Optional[Path] = typer.Option(None, help="Also write a contact sheet PNG of the first pages here."),
) -> None:
    """Render synthetic pages (documents, receipts, forms, tables, scenes, book pages, small labels) with one box
    per text line, in the YOLO layout, and each line's transcription in text/ (the `yocr bench pages --yolo`
    format); deterministic for a seed."""
    from rich.progress import Progress

    from yocr.data.annotations import training_corpus
    from yocr.data.synth_pages import SynthPagesConfig, synth_pages

    try:
        from yocr.data.synth_pages import KINDS, contact_sheet

        chosen = KINDS if kinds.strip() == "all" else tuple(k.strip() for k in kinds.split(",") if k.strip())
        cfg = SynthPagesConfig(count=count, seed=seed, val_fraction=val_fraction, min_side=min_side,
                               max_side=max_side, photo=photo, workers=workers, kinds=chosen)
        corpus = training_corpus(sroie, funsd, text)
        with Progress(console=err) as bar:
            task = bar.add_task("rendering", total=count)
            summary = synth_pages(out, cfg, corpus, progress=lambda: bar.advance(task))
        if preview:
            contact_sheet(out, preview)
            err.print(f"contact sheet: {preview}")
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)
    _report(summary, out)

@data_app.command("augment-boxes")
def augment_boxes_cmd(
    source: Path = typer.Argument(..., help="YOLO folder to augment (images/{train,val}, labels/{train,val})."),
    out: Path = typer.Option(..., "--out", "-o", help="YOLO folder to write the copies to (may be SOURCE)."),
    copies: int = typer.Option(1, help="Augmented copies per image."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same copies."),
    split: List[str] = typer.Option(["train"], help="Splits to augment (repeatable): train, val."),
    scale_min: float = typer.Option(0.6, help="Smallest scale factor."),
    scale_max: float = typer.Option(1.3, help="Largest scale factor."),
    rotate: float = typer.Option(5.0, help="Largest rotation, degrees either way."),
    flip: float = typer.Option(0.5, help="Probability of a horizontal flip."),
    blur: float = typer.Option(0.3, help="Probability of a Gaussian blur."),
    min_size: float = typer.Option(3.0, help="Drop boxes left narrower or lower than this many pixels."),
) -> None:
    """Write scaled, rotated, flipped and blurred copies of a YOLO dataset, boxes moved and clipped with them."""
    from yocr.data.box_augment import BoxAugmentConfig, augment_yolo_folder

    try:
        cfg = BoxAugmentConfig(scale=(scale_min, scale_max), rotate=rotate, flip=flip, blur=blur,
                               min_size=min_size)
        summary = augment_yolo_folder(source, out, copies=copies, seed=seed, splits=split, config=cfg)
    except (YocrError, ValueError, OSError) as exc:
        _fail(exc)
    _report(summary, out)
