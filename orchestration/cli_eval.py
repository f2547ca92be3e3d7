"""`castforge eval ...`: evaluations contributed by stages. Each module orchestration/eval_*.py defines
`add_parser(subparsers)` and sets its handler with `set_defaults(handler=...)`."""

import argparse
import importlib
import pkgutil

import orchestration


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="measure quality against reference labels (prints JSON)")
    evals = parser.add_subparsers(dest="evaluation", required=True)
    for info in sorted(pkgutil.iter_modules(orchestration.__path__), key=lambda m: m.name):
        if info.name.startswith("eval_"):
            importlib.import_module(f"orchestration.{info.name}").add_parser(evals)
