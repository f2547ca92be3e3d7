#!/usr/bin/env bash
# Fetches media the benches read beside ../shared, from the package index (nothing is installed):
# arcade 3.3.3's wheel, whose resources hold Kenney's CC0 platformer characters (six drawn characters, 13 poses
# each, exact alpha), the drawn characters no rule was tuned on (assets/instances/kenney_characters.py).
# Into .bench-media/ (git-ignored); a failed fetch says so and only the benches that need it stop.
set -uo pipefail
cd "$(dirname "$0")/.."
DEST=${CASTFORGE_BENCH_MEDIA:-.bench-media}
WHEEL=arcade-3.3.3-py3-none-any.whl
[ -f "$DEST/$WHEEL" ] && exit 0
mkdir -p "$DEST"
PY=${PYTHON:-.venv/bin/python}
if "$PY" -m pip download -q --no-deps "arcade==3.3.3" -d "$DEST" 2>&1 \
    | sed "/is ignored: it is neither a file nor a directory/d" && [ -f "$DEST/$WHEEL" ]; then
  echo "fetch_bench_media: $DEST/$WHEEL (Kenney's CC0 characters)"
else
  echo "fetch_bench_media: arcade 3.3.3's wheel could not be fetched: bench/composites.py --characters kenney" \
       "and bench/anime_image_set.py --characters kenney will stop with a message" >&2
fi
exit 0
