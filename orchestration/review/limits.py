"""What the review server refuses: oversized bodies, foreign Host headers (DNS rebinding), identity ids it does not
know, thumbnail widths outside a fixed set; and the bound on its thumbnail cache."""

import json
import uuid
from pathlib import Path
from typing import Any

from fastapi import HTTPException

from resources import review_state as rs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

MAX_BODY_BYTES = 2 * 1024 * 1024  # 5,000 decisions of ~150 bytes fit with room to spare; 60 MB does not
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
THUMB_WIDTHS = (64, 128, 200, 256, 400, 512, 800, 1024)  # any other ?w= is served at the next one up
THUMB_CACHE_MAX_FILES = 20_000  # per film; the oldest are removed beyond this
NEW_IDENTITY = "new"  # a split or move to "new" gets an id the server mints
IDENTITY_ITEM_KINDS = ("rename", "merge", "split", "noise")  # decisions whose item_id is an identity
IDENTITY_TARGET_KINDS = ("merge", "split", "move")  # decisions whose to_value is an identity


class RequestGuard:
    """ASGI middleware: answers 400 to a Host header that is not one the server was started for, and 413 to a body
    larger than ``max_body`` (checked on Content-Length and again while reading, for chunked bodies)."""

    def __init__(self, app, allowed_hosts: tuple[str, ...], max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.allowed_hosts = {h.strip("[]").lower() for h in allowed_hosts}
        self.max_body = max_body

    @staticmethod
    def host_name(header: str) -> str:
        header = header.strip().lower()
        if header.startswith("["):  # [::1]:8765
            return header[1:].split("]", 1)[0]
        return header.rsplit(":", 1)[0] if header.count(":") == 1 else header

    async def _refuse(self, send, status: int, reason: str) -> None:
        body = json.dumps({"detail": reason}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = self.host_name(headers.get("host", ""))
        if host not in self.allowed_hosts:
            return await self._refuse(send, 400, f"host {host!r} is not served here; use one of "
                                                 f"{', '.join(sorted(self.allowed_hosts))}")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await self._refuse(send, 413, f"request body over {self.max_body} bytes")
        # read the whole body first (it is small by then): the app never sees a part of an oversized one
        chunks, received, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)  # client went away
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            more = message.get("more_body", False)
            if received > self.max_body:
                return await self._refuse(send, 413, f"request body over {self.max_body} bytes")
        await self.app(scope, _replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}],
                                      receive), send)


def _replay(messages: list[dict], then=None):
    """An ASGI receive that hands out ``messages`` and then defers to ``then`` (e.g. to see a disconnect)."""
    async def receive():
        if messages:
            return messages.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()
    return receive


def known_identities(workspace: FilmWorkspace, catalog: Catalog, film: str) -> set[str]:
    """Identity ids a decision may name: those identity_clusters wrote, ids minted for splits, and noise."""
    known = {rs.NOISE}
    for relation in ("identities", "instance_identities"):
        table = workspace.read_optional_table(relation)
        if table is not None and "identity" in table.columns:
            known.update(str(i) for i in table["identity"].drop_nulls().unique().to_list())
    earlier = rs.decisions(catalog, film, active_only=False)
    known.update(earlier.filter(earlier["kind"] == "split")["to_value"].drop_nulls().to_list())
    return known


def check_identity_ids(items: list[dict[str, Any]], known: set[str], film: str) -> list[str]:
    """Refuse (400) identity ids that are neither known nor ``"new"``; replace ``"new"`` by a minted id (returned).
    Identity ids become folder names, so only ids the server itself made are ever accepted."""
    minted: list[str] = []
    for item in items:
        kind = item["kind"]
        if kind in IDENTITY_ITEM_KINDS and item["item_id"] not in known:
            raise HTTPException(400, f"film '{film}' has no identity {item['item_id']!r}")
        if kind not in IDENTITY_TARGET_KINDS:
            continue
        target = item.get("to_value")
        if kind in ("split", "move") and target == NEW_IDENTITY:
            target = item["to_value"] = f"split_{uuid.uuid4().hex[:12]}"
            minted.append(target)
            known.add(target)
        elif not isinstance(target, str) or target not in known:
            raise HTTPException(400, f"film '{film}' has no identity {target!r}; name an existing identity "
                                     f"or {NEW_IDENTITY!r} for a new one")
        if kind == "move" and item.get("from_value") not in (None, *known):
            raise HTTPException(400, f"film '{film}' has no identity {item['from_value']!r}")
    return minted


def snap_width(width: int) -> int:
    """The smallest of ``THUMB_WIDTHS`` at least ``width`` (the largest for anything wider)."""
    return next((w for w in THUMB_WIDTHS if w >= width), THUMB_WIDTHS[-1])


def prune_thumbnails(folder: Path, max_files: int = THUMB_CACHE_MAX_FILES) -> int:
    """Remove the oldest cached thumbnails beyond ``max_files``; returns how many went."""
    files = [p for p in folder.glob("*.png")] if folder.is_dir() else []
    if len(files) <= max_files:
        return 0
    by_age = sorted(files, key=lambda p: p.stat().st_mtime)
    for path in by_age[: len(files) - max_files]:
        path.unlink(missing_ok=True)
    return len(files) - max_files
