#!/usr/bin/env bash
# Builds the NVIDIA GPU binary: `cargo build --release --features cuda`. With arguments, runs
# `cargo ARGS` in the same environment instead (the CUDA libraries on LD_LIBRARY_PATH), e.g.
#   scripts/build-cuda.sh bench --features cuda --bench train -- --device cuda:0 --dtype bf16
#
# With a CUDA toolkit installed (nvcc on PATH, or CUDA_HOME set) this is just that cargo command.
# Without one, NVIDIA's CUDA 13.4 compiler, headers and libraries are fetched from PyPI into
# target/cuda-toolkit/ (about 1.2 GB, once), so the GPU build can be made on any Linux x86-64
# machine. Where the NVIDIA driver (libcuda) is missing too, the link uses a stand-in libcuda
# whose calls all fail, as the toolkit's own lib/stubs does; the binary needs the real driver
# to start (a CUDA build is for GPU machines; the default build runs everywhere).
#
# CUDA_COMPUTE_CAP picks the GPU generation the kernels are built for (80 = Ampere by default
# without nvidia-smi; newer GPUs run them too); 90 targets H100/H200 only.
set -euo pipefail
cd "$(dirname "$0")/.."

toolkit_version="13.4"
root="$PWD/target/cuda-toolkit"

if ! command -v nvcc >/dev/null && [ -z "${CUDA_HOME:-}" ]; then
  site="$root/venv/lib/python3*/site-packages/nvidia/cu13"
  # shellcheck disable=SC2086
  if ! ls $site/bin/nvcc >/dev/null 2>&1; then
    echo "build-cuda: no CUDA toolkit here; fetching CUDA $toolkit_version from PyPI into $root" >&2
    python3 -m venv "$root/venv"
    # Compiler, its NVVM back end and the headers must be the same release (ptxas refuses newer PTX).
    "$root/venv/bin/pip" install -q \
      "nvidia-cuda-nvcc==$toolkit_version.*" "nvidia-nvvm==$toolkit_version.*" \
      "nvidia-cuda-crt==$toolkit_version.*" "nvidia-cuda-runtime==$toolkit_version.*" \
      "nvidia-cuda-nvrtc==$toolkit_version.*" "nvidia-cuda-cccl==13.3.*" \
      "nvidia-cublas==13.*" "nvidia-curand==10.*"
  fi
  # shellcheck disable=SC2086
  site=$(cd $site && pwd)
  # The wheels ship versioned libraries only; the linker wants the plain names.
  rm -rf "$root/cuda"
  mkdir -p "$root/cuda/lib/stubs"
  for d in bin include nvvm; do ln -s "$site/$d" "$root/cuda/$d"; done
  for f in "$site"/lib/*.so.*; do
    b=$(basename "$f")
    ln -sf "$f" "$root/cuda/lib/$b"
    ln -sf "$f" "$root/cuda/lib/${b%%.so.*}.so"
  done
  export CUDA_HOME="$root/cuda"
  export PATH="$CUDA_HOME/bin:$PATH"
  libs="$CUDA_HOME/lib"
else
  export CUDA_HOME="${CUDA_HOME:-$(dirname "$(dirname "$(command -v nvcc)")")}"
  export PATH="$CUDA_HOME/bin:$PATH"
  libs="$CUDA_HOME/lib64"
fi
export CUDA_ROOT="$CUDA_HOME"

# No driver: link against a stand-in libcuda.so.1 made from the driver API cudarc declares.
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 ' &&
  ! ls "$CUDA_HOME"/lib*/stubs/libcuda.so >/dev/null 2>&1; then
  decls=$(cargo metadata --format-version 1 --features cuda 2>/dev/null |
    python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"]=="cudarc"))')
  decls="$(dirname "$decls")/src/driver/sys/mod.rs"
  stub="$root/stub"
  mkdir -p "$stub" "$CUDA_HOME/lib/stubs"
  grep -ohE 'fn cu[A-Za-z0-9_]+\(' "$decls" | sed 's/^fn //; s/($//' | sort -u |
    awk 'BEGIN { print "/* stand-in for the NVIDIA driver at link time; every call fails */" }
         { print "int " $1 "(void) { return 999; }" }' >"$stub/libcuda.c"
  gcc -shared -fPIC -O1 -Wl,-soname,libcuda.so.1 -o "$CUDA_HOME/lib/stubs/libcuda.so" "$stub/libcuda.c"
  echo "build-cuda: no NVIDIA driver here; linking against a stand-in libcuda" >&2
fi

if [ -z "${CUDA_COMPUTE_CAP:-}" ] && ! command -v nvidia-smi >/dev/null; then
  export CUDA_COMPUTE_CAP=80
fi

export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ $# -gt 0 ]; then
  exec cargo "$@"
fi
cargo build --release --features cuda
echo "build-cuda: built target/release/dezgah with CUDA; run it with" >&2
echo "  LD_LIBRARY_PATH=$libs target/release/dezgah train ... --device cuda:0" >&2
