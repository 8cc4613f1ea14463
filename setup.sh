#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for yocr: system packages (Tesseract, fonts, word list, Ghostscript for
# OCRmyPDF), then the Python package with its test and OCRmyPDF extras into the active Python environment (a virtual
# environment is recommended).
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  tesseract-ocr tesseract-ocr-eng wamerican ghostscript poppler-utils
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
  fonts-dotgothic16 fonts-inconsolata fonts-lato fonts-crosextra-carlito fonts-crosextra-caladea
  fonts-cantarell fonts-open-sans fonts-noto-mono fonts-roboto-unhinted fonts-ocr-a fonts-ocr-b
)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install --upgrade pip >/dev/null
"$PYTHON" -m pip install -e ".[dev,ocrmypdf]"
echo "yocr is set up: try 'yocr --help'"
