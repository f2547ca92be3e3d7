"""`castforge review`: serve the review web UI (loopback by default)."""

import argparse
import logging

log = logging.getLogger("castforge")


def register(subparsers) -> None:
    p = subparsers.add_parser("review", help="serve the review UI: keep/discard instances, name/merge/split identities")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--no-dagster", action="store_true",
                   help="do not report review revisions to the Dagster instance (review_decisions observations)")
    p.set_defaults(handler=_cmd_review)


def report_to_dagster(film: str, revision: int) -> None:
    """Record an observation of `review_decisions` for the film, so the asset graph shows downstream assets stale
    at once (without waiting for the source asset to be observed)."""
    from dagster import DagsterInstance

    from assets.review.assets import observe_review_revision

    observe_review_revision(DagsterInstance.get(), film, revision)


def _cmd_review(args: argparse.Namespace) -> int:
    import os
    import signal
    import sys

    import uvicorn

    from orchestration.review.app import create_app
    from resources.review_server import serving

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("castforge review: serving on %s: anyone who can reach it can change the review", args.host)
    os.environ.setdefault("CASTFORGE_REVIEW_URL", f"http://{args.host}:{args.port}")
    app = create_app(on_change=None if args.no_dagster else report_to_dagster,
                     hosts=tuple({"127.0.0.1", "localhost", "::1", args.host}))
    host = f"[{args.host}]" if ":" in args.host else args.host
    # said on stdout, flushed: without -v the console shows castforge's warnings only, so this line, logged at INFO,
    # never showed and the command sat silent (session 36)
    print(f"castforge review: serving http://{host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    # recorded while it serves: `castforge materialize`'s summary names this URL, not the default (session 38).
    # uvicorn raises SIGTERM again once it has shut down: exit through Python so the record is removed
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    with serving(f"http://{host}:{args.port}"):
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
