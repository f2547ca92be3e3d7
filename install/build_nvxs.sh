#!/usr/bin/env bash
# Builds AnimeFace 2009's C library (nvxs 1.0.2, from animeface 2.0.3's source package) with -O3 into
# $AF/nvxs/libnvxs.so, which resources/backends/animeface.py loads instead of the wheel's build. The wheel's
# library is compiled "-O3 -O2 -ffast-math -msse2" (the later -O2 wins: no loop vectorisation); this build is
# -O3 -ffp-contract=off: half the CPU a frame, the same faces on every figure measured (docs/film_scale.md,
# session 17). Without gcc / make, or if the build fails, it says so and castforge keeps the wheel's library.
set -uo pipefail
AF=${1:-.venv-animeface}
OUT="$AF/nvxs/libnvxs.so"
[ -f "$OUT" ] && exit 0
if ! command -v gcc >/dev/null || ! command -v make >/dev/null; then
  echo "build_nvxs: gcc or make missing: AnimeFace uses the wheel's slower nvxs build" >&2
  exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
build() {
  "$AF/bin/python" -m pip download -q --no-binary :all: --no-deps "animeface==2.0.3" -d "$WORK" 2>&1 \
    | sed "/is ignored: it is neither a file nor a directory/d" &&
  tar -xzf "$WORK"/animeface-2.0.3.tar.gz -C "$WORK" &&
  cd "$WORK"/animeface-2.0.3/third_party/nvxs-1.0.2 &&
  CFLAGS="-O3 -ffp-contract=off" ./configure -q >/dev/null &&
  make -s >/dev/null 2>&1   # serial: CLAPACK's sub-makes race under -j
}
if (build) && [ -f "$WORK"/animeface-2.0.3/third_party/nvxs-1.0.2/.libs/libnvxs.so.0.0.0 ]; then
  mkdir -p "$AF/nvxs"
  cp "$WORK"/animeface-2.0.3/third_party/nvxs-1.0.2/.libs/libnvxs.so.0.0.0 "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  echo "build_nvxs: $OUT built (-O3)"
else
  echo "build_nvxs: the nvxs build failed: AnimeFace uses the wheel's slower nvxs build" >&2
fi
