#!/usr/bin/env bash
# Runs the real window under Xvfb on a fresh copy of the sample workspace and saves a
# screenshot:  scripts/screenshot.sh AREA LANG OUT.png
#   AREA: corpus tokenizer sft rating training playground settings;  LANG: en az
# DEZGAH_BIN picks the binary (default: a debug build made here); DEZGAH_SHOT_WAIT the seconds
# to wait before the shot (default 6); DEZGAH_SHOT_WORKSPACE a workspace folder to copy instead
# of the sample (to show an area with runs or tokenizers in it).
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 AREA LANG OUT.png" >&2
  exit 2
fi
area=$1 lang=$2
out=$(realpath -m "$3")
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEZGAH_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --quiet --locked)
  bin="$root/target/debug/dezgah"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sample" "$tmp/data"
if [ -n "${DEZGAH_SHOT_WORKSPACE:-}" ]; then
  cp -r "$DEZGAH_SHOT_WORKSPACE/." "$tmp/sample/"
else
  cp -r "$root/datasets/sample/seed" "$tmp/sample/seed"
fi
mkdir -m 700 "$tmp/xdg"
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/xdg"

xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
  "$1" --workspace "$2" --area "$3" --lang "$4" &
  pid=$!
  sleep "$6"
  kill -0 "$pid" || { echo "dezgah exited early" >&2; exit 1; }
  xwd -root -silent | convert xwd:- "$5"
  kill "$pid"
' sh "$bin" "$tmp/sample" "$area" "$lang" "$out" "${DEZGAH_SHOT_WAIT:-6}"
echo "$out"
