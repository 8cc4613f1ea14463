#!/usr/bin/env bash
# yocr run over s3:// URLs against moto's S3 emulation on this machine (no network, no account): the golden pages and
# a broken JPEG uploaded under a key with a space, read locally and on Ray (with --format pdf), compared with a local
# run of the same pages, then resumed. Run from the repository root with the venv active (yocr[cloud] or [dev]).
set -euo pipefail
[ -x /tmp/motovenv/bin/moto_server ] || { python3 -m venv /tmp/motovenv && /tmp/motovenv/bin/pip install -q "moto[server]"; }
/tmp/motovenv/bin/moto_server -p 5555 > /tmp/moto.log 2>&1 &
moto=$!; trap 'kill $moto' EXIT; sleep 4
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y
python - <<'PY'
import pathlib
import pyarrow.fs as pafs
fs = pafs.S3FileSystem(access_key="x", secret_key="y", endpoint_override="localhost:5555", scheme="http",
                       region="us-east-1", allow_bucket_creation=True)
fs.create_dir("scans")
for p in sorted(pathlib.Path("tests/golden/pages").glob("*.png")):
    with fs.open_output_stream(f"scans/in dir/{p.name}") as f:
        f.write(p.read_bytes())
with fs.open_output_stream("scans/bad.jpg") as f:
    f.write(b"\xff\xd8 not an image")
PY
U="s3://scans/?endpoint_override=localhost:5555&scheme=http&region=us-east-1"
W=$(mktemp -d); trap 'kill $moto; rm -rf "$W"' EXIT
yocr run tests/golden/pages --out "$W/local" > /dev/null 2>&1
ocr() { yocr run "$@" > "$W/log" 2>&1 || [ $? -eq 1 ]; grep "files:" "$W/log"; }  # 1: a file failed (bad.jpg)
ocr "$U" --out "$W/s3"
ocr "$U" --out "$W/s3-ray" --ray --format pdf
for d in s3 s3-ray; do for n in letter receipt; do cmp "$W/$d/in dir/$n.txt" "$W/local/$n.txt"; done; done
ls "$W/s3-ray/in dir/"*.pdf; cut -f2 "$W/s3/errors.tsv" | tail -1
ocr "$U" --out "$W/s3"     # the re-run skips what is done
echo "s3:// URLs: same text as the local run, locally and on Ray"
