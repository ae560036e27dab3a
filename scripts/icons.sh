#!/usr/bin/env bash
# Renders assets/icons/dezgah.svg into the PNG sizes a Linux desktop looks for
# (assets/icons/hicolor/NxN/apps/dezgah.png). The PNGs are committed: only a changed SVG
# needs this, and rsvg-convert (Debian: librsvg2-bin).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v rsvg-convert >/dev/null || { echo "icons: rsvg-convert missing (apt install librsvg2-bin)" >&2; exit 1; }
for size in 16 24 32 48 64 128 256 512; do
  dir="$root/assets/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  rsvg-convert -w "$size" -h "$size" "$root/assets/icons/dezgah.svg" -o "$dir/dezgah.png.tmp"
  mv "$dir/dezgah.png.tmp" "$dir/dezgah.png"
done
