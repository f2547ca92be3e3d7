"""The review web app: FastAPI, server-rendered pages (Jinja2, autoescaped) and small static JS; no build step.

Every change is one POST that carries the review revision the page was showing; a stale revision is a 409 with a
reason, so two tabs never overwrite each other silently.
"""

import hashlib
import itertools
import json
import logging
import re
from pathlib import Path
from typing import Any, Literal

import cv2
from fastapi import BackgroundTasks, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from orchestration.review import data
from orchestration.review.limits import (
    LOCAL_HOSTS, THUMB_WIDTHS, RequestGuard, check_identity_ids, known_identities, prune_thumbnails, snap_width,
)
from resources import review_state as rs
from resources.catalog import Catalog
from resources.disk_space import write_image
from resources.errors import CastforgeError
from resources.image_codec import read_image
from resources.paths import castforge_home
from resources.storage import FilmWorkspace

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
FILM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


STRICT = ConfigDict(strict=True, extra="forbid")  # "ids" as a string, or an unknown field, is a 422 with a reason


class DecisionPayload(BaseModel):
    model_config = STRICT
    instance_ids: list[StrictStr] = Field(min_length=1, max_length=5000)


class DecisionIn(BaseModel):
    model_config = STRICT
    kind: Literal["keep", "discard", "tag", "rename", "merge", "split", "move", "noise", "accept"]
    item_id: StrictStr = Field(min_length=1, max_length=200)
    to_value: StrictStr | StrictBool | None = Field(default=None, max_length=200)
    from_value: StrictStr | None = Field(default=None, max_length=200)
    payload: DecisionPayload | None = None


class DecisionBatch(BaseModel):
    model_config = STRICT
    expected_revision: StrictInt = Field(ge=0)
    decisions: list[DecisionIn] = Field(min_length=1, max_length=5000)
    author: StrictStr | None = Field(default=None, max_length=80)


class RevisionOnly(BaseModel):
    model_config = STRICT
    expected_revision: StrictInt = Field(ge=0)
    author: StrictStr | None = Field(default=None, max_length=80)
    scope: Literal["instances", "identities"] | None = None  # undo: the latest change of this page's kind


UNDO_SCOPES = {"instances": rs.INSTANCE_KINDS, "identities": rs.IDENTITY_KINDS}


def create_app(home: Path | None = None, on_change=None, hosts: tuple[str, ...] = LOCAL_HOSTS) -> FastAPI:
    """The app over the films under ``home`` (default CASTFORGE_HOME). ``on_change(film, revision)`` runs after
    every recorded change (the CLI uses it to report the new data version of ``review_decisions`` to Dagster).
    Requests naming another ``Host`` than ``hosts`` are refused (a DNS-rebinding page cannot reach the server)."""
    home = Path(home).resolve() if home else castforge_home()
    catalog = Catalog(home)
    templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape is on for .html
    app = FastAPI(title="castforge review", docs_url=None, redoc_url=None)
    app.add_middleware(RequestGuard, allowed_hosts=tuple(hosts))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    known_films: set[str] = set()  # films are added, never removed: remember the ones seen

    def workspace(film: str) -> FilmWorkspace:
        if not FILM_KEY.match(film):
            raise HTTPException(404, f"no film named {film!r} in {home}")
        if film not in known_films:
            if catalog.film(film) is None:
                raise HTTPException(404, f"no film named {film!r} in {home}")
            known_films.add(film)
        return FilmWorkspace(film, home)

    def report(film: str, revision: int) -> None:
        try:
            on_change(film, revision)
        except Exception as error:  # the decision is saved; reporting it elsewhere is best effort
            log.warning("review of %s: could not report revision %s: %s", film, revision, error)

    def changed(film: str, revision: int, can_redo: bool, tasks: BackgroundTasks) -> dict[str, Any]:
        if on_change is not None:
            tasks.add_task(report, film, revision)  # after the answer: saving is what the person waits for
        return {"revision": revision, "can_redo": can_redo}

    @app.exception_handler(rs.ConflictError)
    async def conflict(_: Request, error: rs.ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "revision": error.current}, status_code=409)

    @app.exception_handler(CastforgeError)
    async def refused(_: Request, error: CastforgeError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    # -- pages --------------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def films_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "films.html", {"films": data.film_list(catalog), "home": home})

    @app.get("/films/{film}", response_class=HTMLResponse)
    def overview_page(request: Request, film: str) -> Response:
        ws = workspace(film)
        view = data.identity_view(ws, catalog, members_per_identity=0)
        return templates.TemplateResponse(request, "overview.html", {
            "film": film, "state": data.progress(ws, catalog), "history": data.history(catalog, film, workspace=ws),
            "missing": view["missing"], "identities": view["identities"], "view": "overview",
            "effects": view.get("effects")})

    @app.get("/films/{film}/{view}", response_class=HTMLResponse)
    def view_page(request: Request, film: str, view: str) -> Response:
        if view not in ("instances", "identities"):
            raise HTTPException(404, f"no view {view!r}; try instances or identities")
        workspace(film)
        return templates.TemplateResponse(request, f"{view}.html", {"film": film, "view": view})

    # -- JSON ---------------------------------------------------------------------------------------------------
    @app.get("/api/films")
    def films_json() -> list[dict[str, Any]]:
        return data.film_list(catalog)

    @app.get("/api/films/{film}/state")
    def state_json(film: str) -> dict[str, Any]:
        ws = workspace(film)
        return {**data.progress(ws, catalog), "can_redo": rs.can_redo(catalog, film),
                "history": data.history(catalog, film, limit=20)}

    @app.get("/api/films/{film}/instances")
    def instances_json(film: str) -> dict[str, Any]:
        ws = workspace(film)
        return {"revision": rs.review_revision(catalog, film), "items": data.instance_items(ws, catalog)}

    @app.get("/api/films/{film}/identities")
    def identities_json(film: str, members: int = Query(48, ge=0, le=10000)) -> dict[str, Any]:
        ws = workspace(film)
        return {"revision": rs.review_revision(catalog, film), **data.identity_view(ws, catalog, members)}

    @app.get("/api/films/{film}/identities/{identity}/members")
    def identity_members_json(film: str, identity: str, offset: int = Query(0, ge=0),
                              limit: int = Query(96, ge=1, le=1000)) -> dict[str, Any]:
        ws = workspace(film)
        revision = rs.review_revision(catalog, film)
        page = data.identity_members(ws, catalog, identity, offset, limit)
        if page is None:
            raise HTTPException(404, f"no identity {identity!r} in {film} at review revision {revision}")
        return {"revision": revision, **page}

    @app.post("/api/films/{film}/decisions")
    def post_decisions(film: str, batch: DecisionBatch, tasks: BackgroundTasks) -> dict[str, Any]:
        ws = workspace(film)
        items = [d.model_dump() for d in batch.decisions]
        minted = check_identity_ids(items, known_identities(ws, catalog, film), film)
        rows = rs.record_decisions(catalog, film, items, author=batch.author,
                                   expected_revision=batch.expected_revision)
        # a new decision empties the redo stack; ids minted for "new" identities go back to the page
        return {**changed(film, rows[0]["revision"], False, tasks), "minted": minted}

    @app.post("/api/films/{film}/undo")
    def post_undo(film: str, body: RevisionOnly, tasks: BackgroundTasks) -> dict[str, Any]:
        workspace(film)
        row = rs.undo(catalog, film, author=body.author, expected_revision=body.expected_revision,
                      kinds=UNDO_SCOPES.get(body.scope or ""))
        undone = json.loads(row["payload"])["revision"]  # the page says what was taken back
        return {**changed(film, row["revision"], True, tasks), "undone_revision": undone,
                "undone": data.describe_revision(catalog, film, undone)}

    @app.post("/api/films/{film}/redo")
    def post_redo(film: str, body: RevisionOnly, tasks: BackgroundTasks) -> dict[str, Any]:
        workspace(film)
        row = rs.redo(catalog, film, author=body.author, expected_revision=body.expected_revision)
        return changed(film, row["revision"], rs.can_redo(catalog, film), tasks)

    # -- media: only image files inside a film workspace --------------------------------------------------------
    films_root = (home / "films").resolve()

    @app.get("/media/{stored:path}")
    def media(stored: str, w: int | None = Query(None, ge=16, le=THUMB_WIDTHS[-1]),
              h: int | None = Query(None, ge=16, le=THUMB_WIDTHS[-1])) -> Response:
        if "\x00" in stored:
            raise HTTPException(400, "a media path cannot contain a NUL byte")
        try:
            path = (home / stored).resolve()
        except (OSError, ValueError) as error:
            raise HTTPException(400, f"not a usable media path ({error.__class__.__name__})") from error
        if not path.is_relative_to(films_root) or len(path.relative_to(films_root).parts) < 2:
            raise HTTPException(403, "only files inside a film's workspace are served")
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise HTTPException(403, f"only images are served, not {path.suffix or 'files without a suffix'}")
        if not path.is_file():
            raise HTTPException(404, f"no such file: {stored}")
        if w is None and h is None:
            return FileResponse(path, headers={"Cache-Control": "max-age=3600"})
        box = (snap_width(w or THUMB_WIDTHS[-1]), snap_width(h or THUMB_WIDTHS[-1]))
        return FileResponse(thumbnail(path, box, films_root), headers={"Cache-Control": "max-age=3600"})

    return app


_thumbnails_written = itertools.count()


def thumbnail(path: Path, box: tuple[int, int], films_root: Path) -> Path:
    """A PNG that fits in ``box`` (width, height; alpha kept), cached in the film's ``.review_cache``; the source if
    it fits already. A cell shows the whole cut-out, so a tall one is made as small as the cell needs: the browser
    decodes and paints a few times fewer pixels per card while scrolling."""
    film_dir = films_root / path.relative_to(films_root).parts[0]
    stat = path.stat()
    size = box[0] if box[1] == THUMB_WIDTHS[-1] else f"{box[0]}x{box[1]}"  # width-only keys stay as they were
    key = hashlib.sha1(f"{path}|{stat.st_mtime_ns}|{stat.st_size}|{size}".encode()).hexdigest()[:20]
    cached = film_dir / ".review_cache" / "thumbs" / f"{key}.png"
    if cached.exists():
        return cached
    image = read_image(path)  # cv2.imread's array; castforge's own PNG cut-outs inflated by libdeflate
    if image is None:
        raise HTTPException(422, f"{path.name}: not a readable image")
    scale = min(box[0] / image.shape[1], box[1] / image.shape[0])
    if scale >= 1:
        return path
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{cached.name}.tmp.png")
    write_image(tmp, small, [cv2.IMWRITE_PNG_COMPRESSION, 1])  # small already: fast beats smallest
    tmp.replace(cached)
    if next(_thumbnails_written) % 100 == 0:  # bounded cache; counting the folder on every write would cost more
        prune_thumbnails(cached.parent)
    return cached
