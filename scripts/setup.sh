#!/usr/bin/env bash
# Installs what building, running and testing Dəzgah needs on Debian/Ubuntu: the system
# packages (compiler, and the X11/Vulkan/GL libraries the window and the test renderer load at
# run time) and, when missing, a Rust toolchain. Quick when everything is already there.
set -euo pipefail

packages=(
  build-essential pkg-config curl ca-certificates git
  # the window (winit loads these at run time)
  libx11-6 libxcursor1 libxrandr2 libxi6 libx11-xcb1 libxkbcommon-x11-0 libwayland-client0
  libegl1 libgl1-mesa-dri libvulkan1 mesa-vulkan-drivers
  # headless runs: screenshots, the GUI tests' renderer, and the clipboard test (xclip)
  xvfb xauth x11-apps imagemagick xdotool xclip
  # the file and folder dialogs: rfd loads libdbus to ask the desktop portal, and runs zenity
  # where no portal answers (a bare X session, a window manager without a desktop)
  xdg-utils libdbus-1-3 zenity
)
# In a desktop session, the portal itself and its GTK dialog (stock GNOME and KDE have them).
if [ -n "${XDG_CURRENT_DESKTOP:-}" ]; then
  packages+=(xdg-desktop-portal xdg-desktop-portal-gtk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust 1.95 or newer (egui 0.37 needs it).
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
need_rust=1
if command -v rustc >/dev/null 2>&1; then
  minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
  [ "$minor" -ge 95 ] && need_rust=0
fi
if [ "$need_rust" -eq 1 ]; then
  if command -v rustup >/dev/null 2>&1; then
    rustup toolchain install stable --profile minimal -c rustfmt -c clippy
    rustup default stable
  else
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt -c clippy
  fi
fi
if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
