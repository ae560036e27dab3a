#!/usr/bin/env bash
# Builds the Debian package: target/debian/dezgah_VERSION-1_ARCH.deb, from the stripped `dist`
# profile (a release build: about 12 minutes on 2 cores the first time). Installs cargo-deb
# (from crates.io) and dpkg-dev (for the library dependencies) when they are missing.
#   scripts/deb.sh            build the package and print its path
#   sudo apt install ./target/debian/dezgah_*.deb
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

if ! command -v dpkg-shlibdeps >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deb: installing dpkg-dev" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
fi
if ! cargo deb --version >/dev/null 2>&1; then
  echo "deb: installing cargo-deb" >&2
  cargo install cargo-deb --locked
fi

# The profile (dist), the files and the dependencies are in Cargo.toml's [package.metadata.deb].
out=$(cargo deb --locked "$@" | tail -n 1)
echo "$out"
dpkg-deb --info "$out" | sed -n 's/^ \(Package\|Version\|Installed-Size\|Depends\|Recommends\):/\1:/p' >&2
ls -l "$out" >&2
