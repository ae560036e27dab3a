#!/usr/bin/env bash
# Builds Dəzgah and opens it on the sample workspace in datasets/sample (its database is
# created there on first start, from the files in datasets/sample/seed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
exec cargo run --locked --release -- --workspace datasets/sample "$@"
