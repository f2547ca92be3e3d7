"""Run every bench script that needs no arguments; name the ones that measure a film you choose (`make bench`).

Which scripts need an input is read from their argparse calls without running them: an ``add_argument`` with
``required=True`` or a positional one (unless its ``nargs`` is ``?`` or ``*``), in ``main`` or in a bench
helper ``main`` calls (bench/stage_cost.py's ``stage_arguments``). Those are skipped with one line giving the command
that runs them; modules without a ``__main__`` block (helpers such as frame_trace.py) are not run. Exit status 0 when
every bench that ran succeeded, 1 naming the ones that failed.

Usage: .venv/bin/python bench/run_all.py [--only NAME,NAME] [--list]
"""

import argparse
import ast
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPTIONAL_NARGS = ("?", "*")


@dataclass
class Bench:
    path: Path
    runnable: bool = True  # has a __main__ block
    needs: list[str] = field(default_factory=list)  # required arguments, as a usage line writes them

    @property
    def name(self) -> str:
        return self.path.stem

    def command(self) -> str:
        return " ".join([".venv/bin/python", f"bench/{self.path.name}", *self.needs])


def _literal(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def _required_argument(call: ast.Call) -> str | None:
    """How a usage line writes this add_argument call's argument when the parser insists on it, else None."""
    names = [_literal(a) for a in call.args if isinstance(_literal(a), str)]
    if not names:
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    metavar = _literal(keywords["metavar"]) if "metavar" in keywords else None
    if names[0].startswith("-"):
        if _literal(keywords.get("required", ast.Constant(False))) is not True:
            return None
        option = max(names, key=len)
        return f"{option} {metavar or option.lstrip('-').replace('-', '_').upper()}"
    nargs = _literal(keywords["nargs"]) if "nargs" in keywords else None
    return None if nargs in OPTIONAL_NARGS else metavar or names[0].upper()


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _imported_names(tree: ast.Module, modules: set[str]) -> dict[str, tuple[str, str]]:
    """Local name -> (bench module, function) for ``from <bench module> import ...``."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def _has_main_block(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body)


def plan(folder: Path = HERE) -> list[Bench]:
    """Every bench script in ``folder`` (this driver left out), with the arguments each one requires."""
    trees = {path.stem: ast.parse(path.read_text(), str(path)) for path in sorted(folder.glob("*.py"))
             if path.resolve() != Path(__file__).resolve()}
    functions = {module: _functions(tree) for module, tree in trees.items()}
    imports = {module: _imported_names(tree, set(trees)) for module, tree in trees.items()}

    def needs(module: str, function: ast.AST, seen: set) -> list[str]:
        found: list[str] = []
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            if isinstance(call.func, ast.Attribute) and call.func.attr == "add_argument":
                argument = _required_argument(call)
                if argument and argument not in found:
                    found.append(argument)
            elif isinstance(call.func, ast.Name):
                target = imports[module].get(call.func.id, (module, call.func.id))
                helper = functions.get(target[0], {}).get(target[1])
                if helper is not None and target not in seen:
                    found += [a for a in needs(target[0], helper, seen | {target}) if a not in found]
        return found

    benches = []
    for module, tree in trees.items():
        runnable = _has_main_block(tree)
        entry = functions[module].get("main", tree)
        benches.append(Bench(folder / f"{module}.py", runnable,
                             needs(module, entry, {(module, "main")}) if runnable else []))
    return benches


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(benches: list[Bench], python: str = sys.executable, cwd: Path = HERE.parent) -> list[str]:
    """Run the benches that need no arguments one after another (their output goes straight through); the names of
    those that failed, with their exit status."""
    failed = []
    for bench in benches:
        if not bench.runnable:
            continue
        if bench.needs:
            print(f"== skipped {bench.path.name} (it measures an input you name): {bench.command()}", flush=True)
            continue
        print(f"== {bench.path.name}", flush=True)
        cpu, wall = _children_cpu(), time.monotonic()
        status = subprocess.run([python, str(bench.path)], cwd=cwd).returncode
        print(f"== {bench.path.name}: exit {status}, {_children_cpu() - cpu:.1f} CPU-s, "
              f"{time.monotonic() - wall:.1f} s", flush=True)
        if status != 0:
            failed.append(f"{bench.path.name} (exit {status})")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated bench names (e.g. drop_folder,review_app): run just these")
    parser.add_argument("--list", action="store_true", help="print what would run and what is skipped, run nothing")
    args = parser.parse_args()
    benches = [b for b in plan() if b.runnable]
    if args.only:
        wanted = {name.strip().removesuffix(".py") for name in args.only.split(",") if name.strip()}
        unknown = wanted - {b.name for b in benches}
        if unknown:
            sys.exit(f"no such bench script: {', '.join(sorted(unknown))} (see bench/run_all.py --list)")
        benches = [b for b in benches if b.name in wanted]
    if args.list:
        for bench in benches:
            print(f"skip {bench.path.name}: {bench.command()}" if bench.needs else f"run  {bench.path.name}")
        return
    failed = run(benches)
    ran = sum(1 for b in benches if not b.needs)
    if failed:
        sys.exit(f"== {len(failed)} of {ran} benches failed: {', '.join(failed)}")
    print(f"== all {ran} benches that ran succeeded ({len(benches) - ran} skipped: they measure an input you name)")


if __name__ == "__main__":
    main()
