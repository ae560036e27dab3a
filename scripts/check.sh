#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: formatting, clippy with warnings as errors, and
# every test (unit, CLI, kill -9 safety, and the egui_kittest GUI tests in both languages).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

# The GUI tests render with Mesa's software Vulkan; it wants a private runtime folder.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/dezgah-xdg-$(id -u)"
  mkdir -p -m 700 "$XDG_RUNTIME_DIR"
fi

cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked --workspace --all-targets
