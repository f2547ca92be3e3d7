"""Where `castforge review` serves, so other commands name the URL in use rather than the default one.

While it runs, `castforge review` records its URL, process and machine in ``$CASTFORGE_HOME/review_servers/<pid>.json``
(removed when it stops). ``served_url`` gives the URL of one that still runs and answers, ``answers`` whether a URL
takes connections at all. Session 38 (h27): the summary of `castforge materialize` named http://127.0.0.1:8765 while
the review was served on ``--port 8794``, and named it too when nothing served it.
"""

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from resources.paths import castforge_home

FOLDER = "review_servers"
PROBE_S = 0.5   # a local server answers a connection in microseconds; a remote one in well under this


def _folder() -> Path:
    return castforge_home() / FOLDER


@contextmanager
def serving(url: str) -> Iterator[Path]:
    """Records ``url`` as served by this process for as long as the block runs."""
    path = _folder() / f"{os.getpid()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "pid": os.getpid(), "machine": socket.gethostname()}))
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process
        return True
    return True


def answers(url: str, timeout: float = PROBE_S) -> bool:
    """Whether the URL's host takes a connection on its port (something serves there)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def served_url() -> str | None:
    """The URL of a `castforge review` of this home that runs on this machine and answers (the newest), else None."""
    records = []
    for path in _folder().glob("*.json") if _folder().is_dir() else ():
        try:
            record = json.loads(path.read_text())
            records.append((path.stat().st_mtime, record))
        except (OSError, ValueError):
            continue
    for _, record in sorted(records, key=lambda r: r[0], reverse=True):
        if (record.get("machine") == socket.gethostname() and isinstance(record.get("pid"), int)
                and _alive(record["pid"]) and answers(str(record.get("url", "")))):
            return str(record["url"])
    return None
