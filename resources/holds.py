"""Exclusive holds that every process and machine sharing a home honours.

- A file lock (``flock``) for the embedded default: one machine, or a POSIX share that honours it (NFSv4). The kernel
  drops it when the process dies. Re-entrant within a process.
- A lease for a shared catalog (``CASTFORGE_CATALOG`` = Postgres or DuckLake): one row of its ``castforge_leases``
  table names the holder (``host:pid:token``) and when the hold lapses. Claiming, renewing and releasing are catalog
  transactions (they claim the catalog's lock row first, so two claims at once conflict and the later one runs
  again and sees the first). A thread renews the lease every quarter of ``CASTFORGE_LEASE_S`` (default 60 s) while
  the process lives, so a dead holder stops renewing: its lease is taken over once it lapses, or at once from the
  same host when its pid is gone. Lapse times are wall-clock seconds written by the holder's machine: the machines'
  clocks must agree to well within the lease (NTP).

``hold(home, name, lock_file)`` chooses between them. The franchise prototype store uses it, and every stage of a
film (``stage_hold``, taken by StageRun): two workers never write the same film's stage at once; the later one waits
(at most ``CASTFORGE_STAGE_WAIT_S``, default 3600 s) and then finds the first one's result cached.
"""

import fcntl
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resources.catalog import Catalog
from resources.catalog_shared import is_ddl_race, retry_conflicts, shared_catalog
from resources.errors import CastforgeError

log = logging.getLogger(__name__)
LEASE_SETTING = "CASTFORGE_LEASE_S"
STAGE_WAIT_SETTING = "CASTFORGE_STAGE_WAIT_S"
LEASES = "CREATE TABLE IF NOT EXISTS castforge_leases (name VARCHAR NOT NULL, holder VARCHAR NOT NULL, " \
         "expires_at DOUBLE NOT NULL)"

_files: dict[str, tuple[int, int]] = {}   # lock file -> (open descriptor, token): the file locks this process holds
_tokens = iter(range(1, 1 << 62))
_guard = threading.Lock()


# -- file locks ---------------------------------------------------------------------------------------------------
def file_lock(lock: Path | str, timeout_s: float, what: str) -> int:
    """Take ``lock``'s flock (re-entrant within this process); returns a token for ``file_unlock``. After
    ``timeout_s`` a TimeoutError names ``what`` and the holder's pid."""
    lock = str(lock)
    with _guard:
        if lock in _files:
            return _files[lock][1]
    Path(lock).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise TimeoutError(f"{what}: another run (pid {holder}) has held it for over {timeout_s:.0f} s; "
                                   "wait for it or stop it") from None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    with _guard:
        _files[lock] = (fd, next(_tokens))
        return _files[lock][1]


def file_unlock(lock: Path | str, token: int | None = None) -> None:
    """Release ``lock`` (only the acquisition ``token`` names, when given: a stale finaliser never frees a later
    one)."""
    lock = str(lock)
    with _guard:
        if lock not in _files or (token is not None and _files[lock][1] != token):
            return
        fd, _ = _files.pop(lock)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


# -- leases in a shared catalog -----------------------------------------------------------------------------------
def lease_seconds() -> float:
    return float(os.environ.get(LEASE_SETTING, "60"))


def holder_is_gone(holder: str) -> bool:
    """A holder on this host whose process no longer exists (another host's holder is judged by its lease)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class _Held:
    token: str
    stop: threading.Event = field(default_factory=threading.Event)


class SharedLease:
    """The lease called ``name`` in ``catalog`` (a shared one)."""

    _ready: set[str] = set()
    _held: dict[tuple[str, str], _Held] = {}

    def __init__(self, catalog: Catalog, name: str):
        if catalog.shared is None:
            raise CastforgeError(f"lease {name!r}: CASTFORGE_CATALOG names no shared catalog")
        self.catalog, self.name = catalog, name
        self._key = (catalog.shared.dsn, name)

    def describe(self) -> str:
        return f"{self.name} in {self.catalog.shared.describe()}"  # type: ignore[union-attr]

    def ensure_table(self) -> None:
        dsn = self.catalog.shared.dsn  # type: ignore[union-attr]
        if dsn not in self._ready:
            retry_conflicts(lambda: self.catalog.transaction(lambda con: con.execute(LEASES)),
                            self.catalog.lock_wait_s, also=is_ddl_race)
            self._ready.add(dsn)

    def acquire(self, timeout_s: float, what: str | None = None) -> str:
        """Hold the lease (re-entrant within this process); waits at most ``timeout_s`` for another holder."""
        self.ensure_table()
        with _guard:
            if self._key in self._held:
                return self._held[self._key].token
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + timeout_s
        while (holder := self._claim(token)) is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what or self.describe()}: another run ({holder}) has held it for over "
                                   f"{timeout_s:.0f} s; wait for it or stop it") from None
            time.sleep(0.2 + 0.3 * random.random())
        held = _Held(token)
        with _guard:
            self._held[self._key] = held
        threading.Thread(target=self._renew, args=(held,), daemon=True, name=f"lease {self.name}").start()
        return token

    def holder(self, con) -> str | None:
        """Inside a transaction: who holds the lease now (None: nobody)."""
        row = con.execute("SELECT holder FROM castforge_leases WHERE name = ?", [self.name]).fetchone()
        return row[0] if row else None

    def _claim(self, token: str) -> str | None:
        """Take the lease when it is free, lapsed or its holder died; else return the holder that has it."""
        seen = self.catalog.query("SELECT holder, expires_at FROM castforge_leases WHERE name = ?",
                                  [self.name]).rows()   # a plain read first: waiting polls never write
        if seen and seen[0][1] > time.time() and not holder_is_gone(seen[0][0]):
            return seen[0][0]

        def claim(con) -> str | None:
            row = con.execute("SELECT holder, expires_at FROM castforge_leases WHERE name = ?",
                              [self.name]).fetchone()
            if row is not None and row[1] > time.time() and not holder_is_gone(row[0]):
                return row[0]
            if row is not None:
                log.warning("lease %s taken over from %s (it lapsed or its process is gone)", self.describe(), row[0])
            con.execute("DELETE FROM castforge_leases WHERE name = ?", [self.name])
            con.execute("INSERT INTO castforge_leases VALUES (?, ?, ?)",
                        [self.name, token, time.time() + lease_seconds()])
            return None

        return self.catalog.transaction(claim)

    def _renew(self, held: _Held) -> None:
        while not held.stop.wait(lease_seconds() / 4):
            def renew(con) -> bool:
                if self.holder(con) != held.token:
                    return False
                con.execute("UPDATE castforge_leases SET expires_at = ? WHERE name = ?",
                            [time.time() + lease_seconds(), self.name])
                return True

            try:
                if not self.catalog.transaction(renew):
                    log.warning("lease %s was taken over by another process", self.describe())
                    return
            except Exception as error:  # a blip in the catalog: the next beat tries again before the lease lapses
                log.warning("renewing lease %s failed: %s", self.describe(), error)

    def release(self, token: str) -> None:
        """Give the lease up (only the acquisition ``token`` names: a stale finaliser never frees a later one)."""
        with _guard:
            held = self._held.get(self._key)
            if held is None or held.token != token:
                return
            self._held.pop(self._key)
        held.stop.set()
        try:
            self.catalog.transaction(lambda con: con.execute(
                "DELETE FROM castforge_leases WHERE name = ? AND holder = ?", [self.name, token]))
        except Exception as error:  # it lapses by itself
            log.warning("releasing lease %s failed (it lapses in %.0f s): %s", self.describe(), lease_seconds(), error)


_catalogs: dict[str, Catalog] = {}


def shared_lease(home: Path, name: str) -> SharedLease | None:
    """The lease ``name`` in the shared catalog ``CASTFORGE_CATALOG`` names for ``home``; None for the embedded one."""
    if shared_catalog(None, home) is None:
        return None
    key = f"{home}|{os.environ.get('CASTFORGE_CATALOG', '')}"
    if key not in _catalogs:
        _catalogs[key] = Catalog(home)
    return SharedLease(_catalogs[key], name)


@contextmanager
def hold(home: Path, name: str, lock_file: Path, timeout_s: float, what: str) -> Iterator[None]:
    """Hold ``name`` exclusively for the block: a lease in the shared catalog when there is one, else ``lock_file``'s
    flock. Waits at most ``timeout_s`` for another holder, then raises TimeoutError naming ``what``."""
    lease = shared_lease(home, name)
    if lease is not None:
        token = lease.acquire(timeout_s, what)
        try:
            yield
        finally:
            lease.release(token)
        return
    token_ = file_lock(lock_file, timeout_s, what)
    try:
        yield
    finally:
        file_unlock(lock_file, token_)


def stage_hold(workspace: Any, asset: str):  # workspace: FilmWorkspace -> a context manager
    """The hold on ``asset``'s stage of ``workspace``'s film (its flock file sits beside the stage record)."""
    lock = Path(workspace.stage_record_path(asset)).with_suffix(".hold")
    return hold(workspace.home, f"stage:{workspace.film}/{asset}", lock,
                float(os.environ.get(STAGE_WAIT_SETTING, "3600")), f"stage {asset} of film {workspace.film}")
