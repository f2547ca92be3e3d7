"""The README says only what is true: the parameters it names are declared, its settings tables' defaults are the
declared defaults with the shipped presets applied, and the bench scripts (with the flags it shows), `make` targets,
`castforge` subcommands and flags and repository paths it names exist. Each check reads README.md itself; each is
also fed a mutated copy (a made-up parameter, a wrong default, a missing script, flag, target or path) and must
object, so none of them can pass whatever the README says."""

import argparse
import os
import re
from pathlib import Path

import pytest

from resources.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
SETTINGS_PRESETS = ("3d", "anime")

# Backticked `word.word` spans that look like `asset.param` but are not (stage aliases collide with these names).
NOT_PARAMETERS = {
    "datasets.load_dataset": "the Hugging Face `datasets` library's function, not the `datasets` stage alias",
}
FILE_SUFFIXES = ("py", "md", "yaml", "yml", "json", "csv", "toml", "txt", "wav", "rttm", "parquet", "npz", "png")
# Table defaults written as words where the declared default is None and the code fills it in.
WORDED_DEFAULTS = {
    ("identity_clusters", "franchise", "film"): "None means the film's own key (assets/identities/core.py)",
}
# Repository paths the README shows as examples of what a user writes, not files the repository ships.
EXAMPLE_PATHS = {
    "configs/films/my_film.yaml": "the reader's own film config, the README's example",
    "configs/films/f.yaml": "a film config named in an example error message",
}
REPO_FOLDERS = ("assets", "resources", "bench", "docs", "orchestration", "sensors", "configs", "tests", "install",
                "deploy")


@pytest.fixture(scope="module")
def declared():
    """{asset: {param: Parameter}} and the stage-name aliases."""
    from assets.stage_contract import parameter_schema
    from resources.film_settings import ALIASES, parameters

    return {asset: parameters(params) for asset, params in parameter_schema().items()}, ALIASES


@pytest.fixture(scope="module")
def preset_defaults(tmp_path_factory, declared):
    """{preset: {asset: effective params}} for a film with no config of its own, in an empty home."""
    from resources.film_settings import stage_params

    previous = os.environ.get("CASTFORGE_HOME")
    os.environ["CASTFORGE_HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        return {preset: {asset: stage_params("readme_truth", asset, preset=preset) for asset in declared[0]}
                for preset in SETTINGS_PRESETS}
    finally:
        if previous is None:
            os.environ.pop("CASTFORGE_HOME", None)
        else:
            os.environ["CASTFORGE_HOME"] = previous


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def unknown_parameters(text: str, declared) -> list[str]:
    """Every backticked `asset.param`, and every --set asset.param=..., whose asset is a stage lacking the param."""
    schema, aliases = declared
    problems = []
    named = list(re.finditer(r"`(?:--set )?([a-z_]+)\.([a-z_0-9]+)(?:=[^`]*)?`", text))
    named += list(re.finditer(r"--set ([a-z_]+)\.([a-z_0-9]+)=", text))  # command blocks, longer spans
    for match in named:
        asset, name = aliases.get(match.group(1), match.group(1)), match.group(2)
        if asset not in schema or name in FILE_SUFFIXES or f"{match.group(1)}.{name}" in NOT_PARAMETERS:
            continue
        if name not in schema[asset]:
            problems.append(f"line {_line(text, match.start())}: `{match.group(1)}.{name}` is not a parameter "
                            f"of {asset} (castforge params {asset})")
    return problems


def _shown_matches(shown: str, value) -> bool:
    shown = shown.strip().strip("`")
    if shown in ("null", "None"):
        return value is None
    if shown in ("true", "false"):
        return value is (shown == "true")
    if isinstance(value, bool):
        return False
    try:
        return float(shown.replace(",", "")) == float(value)
    except (TypeError, ValueError):
        return shown == str(value)


def _table_rows(text: str, declared) -> list[tuple[int, str, str, dict[str, str]]]:
    """(line, asset, param, {preset: shown default}) for the settings tables: `| asset.param | 3D | anime |` rows
    (names and values joined by ' / ', "same" for the anime column repeating the 3D one) and the frames table's
    `| name[, name] | value (3D), value (anime)[, value] |` rows."""
    schema, aliases = declared
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        wide = re.match(r"\| `([a-z_]+)\.([a-z_0-9]+)`((?: / `[a-z_0-9]+`)*) \| ([^|]*) \| ([^|]*) \|", line)
        if wide and aliases.get(wide.group(1), wide.group(1)) in schema and wide.group(2) not in FILE_SUFFIXES:
            asset = aliases.get(wide.group(1), wide.group(1))
            names = [wide.group(2)] + re.findall(r"`([a-z_0-9]+)`", wide.group(3))
            in_3d = [v.strip() for v in wide.group(4).split(" / ")]
            in_anime = in_3d if wide.group(5).strip() == "same" else [v.strip() for v in wide.group(5).split(" / ")]
            for k, name in enumerate(names):  # one value shown for several names holds for each of them
                rows.append((number, asset, name, {"3d": in_3d[min(k, len(in_3d) - 1)],
                                                   "anime": in_anime[min(k, len(in_anime) - 1)]}))
    frames = text[text.index("| parameter (`frames.`)"):]
    frames = frames[:frames.index("\n\n")]
    first = _line(text, text.index("| parameter (`frames.`)"))
    for offset, line in enumerate(frames.splitlines()[2:]):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        names = re.findall(r"`([a-z_]+)`", cells[0])
        values: list[str] = []
        for part in re.split(r",\s(?![^()]*\))", cells[1]):  # commas outside brackets part the names' values ...
            if "(anime" in part and values and "(3D)" in values[-1]:
                values[-1] += ", " + part  # ... except "30 (3D), 27 (anime)", one name's two values
            else:
                values.append(part)
        for name, shown in zip(names, values):
            in_3d = re.search(r"(\S+) \(3D\)", shown)
            in_anime = re.search(r"(\S+) \(anime\b", shown)
            plain = shown.split(" (")[0]
            rows.append((first + 2 + offset, "frames", name, {"3d": in_3d.group(1) if in_3d else plain,
                                                              "anime": in_anime.group(1) if in_anime else plain}))
    return rows


def wrong_defaults(text: str, declared, preset_defaults) -> list[str]:
    problems = []
    for number, asset, name, shown in _table_rows(text, declared):
        if name not in declared[0][asset]:
            problems.append(f"line {number}: {asset}.{name} is not a parameter")
            continue
        for preset, value in shown.items():
            actual = preset_defaults[preset][asset][name]
            if (asset, name, value.strip("`")) not in WORDED_DEFAULTS and not _shown_matches(value, actual):
                problems.append(f"line {number}: {asset}.{name} ({preset}) shows {value}, the code's is {actual!r}")
    return problems


def _inline_spans(text: str) -> list[str]:
    """Inline code spans as CommonMark pairs them: a run of backticks closed by a run of the same length (a
    ``double`` span may hold single backticks)."""
    return [m.group(2) for m in re.finditer(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", text, re.S)]


def prose_values(text: str, declared, preset_defaults) -> list[str]:
    """A value the prose gives right after a parameter (`asset.param` 0.3, `param` true) is that parameter's default
    in the 3d or the anime preset (for a bare name: in some stage that declares it). Names that are also stages'
    (`effects`) are skipped: there the number is the stage's seconds."""
    schema, aliases = declared
    problems = []
    for match in re.finditer(r"`(?:([a-z_]+)\.)?([a-z_0-9]+)` (-?[0-9][0-9.]*[0-9]|[0-9]|true|false|null)\b", text):
        asset, name, shown = aliases.get(match.group(1), match.group(1)), match.group(2), match.group(3)
        owners = [asset] if asset else [a for a in schema if name in schema[a]]
        if name in schema or not owners or any(o not in schema or name not in schema[o] for o in owners):
            continue
        defaults = [preset_defaults[p][o][name] for p in SETTINGS_PRESETS for o in owners]
        if not any(_shown_matches(shown, value) for value in defaults):
            problems.append(f"line {_line(text, match.start())}: {match.group(0)}, but the 3d / anime defaults are "
                            f"{sorted(set(map(repr, defaults)))}")
    return problems


def _code_spans(text: str) -> list[str]:
    """Inline code spans outside fenced blocks, then every line of the fenced blocks."""
    spans = _inline_spans(re.sub(r"```.*?```", "", text, flags=re.S))
    return spans + [line for block in re.findall(r"```\w*\n(.*?)```", text, re.S) for line in block.splitlines()]


def _bench_flags(script: Path) -> set[str]:
    """The --flags a bench script's argparse declares, its own and those of the bench modules it imports."""
    source = script.read_text()
    flags = set(re.findall(r"""["'](--[a-z][\w-]*)["']""", source))
    for module in re.findall(r"^from (\w+) import", source, re.M):
        if (script.parent / f"{module}.py").exists():
            flags |= set(re.findall(r"""["'](--[a-z][\w-]*)["']""", (script.parent / f"{module}.py").read_text()))
    return flags


def bench_problems(text: str) -> list[str]:
    """Every bench script named (as bench/X.py anywhere, as X.py in the Benchmarks section) exists, and each --flag
    shown after it (up to the next command) is one its argparse declares."""
    problems = []
    section = text[text.index("## Benchmarks"):text.index("## Project layout")]
    named = [(m.group(1), m.group(2)) for s in _code_spans(text) for m in
             re.finditer(r"bench/(\w+)\.py((?:\s+[^|;&`]*)?)", s)]
    named += [(m.group(1), m.group(2)) for s in _inline_spans(section) for m in
              re.finditer(r"(?:^|\s)(\w+)\.py((?:\s+[^|;&`]*)?)", s)]
    for name, rest in named:
        script = REPO_ROOT / "bench" / f"{name}.py"
        if not script.exists():
            problems.append(f"bench/{name}.py does not exist")
            continue
        shown = re.split(r",\s|\bthen\b|\band\b|\(|\bafter\b|castforge|\.venv|bench/|\w+\.py", rest)[0]
        for word in shown.split():
            word = word.strip("[](){}.,")
            if word.startswith("--") and word.split("=")[0] not in _bench_flags(script):
                problems.append(f"bench/{name}.py has no {word.split('=')[0]}")
    return problems


def make_problems(text: str) -> list[str]:
    targets = set(re.findall(r"^([a-zA-Z][\w.-]*):", (REPO_ROOT / "Makefile").read_text(), re.M))
    return [f"make {t} is no Makefile target" for s in _code_spans(text) for t in re.findall(r"\bmake ([a-z][\w-]*)", s)
            if t not in targets]


def path_problems(text: str) -> list[str]:
    """Every repository path the README names (assets/..., bench/data/..., docs/...) and test file exists, and every
    link to a section (#anchor) finds its heading; placeholders (<film>, *, {a,b}) are patterns, not paths."""
    pattern = rf"(?<![\w./$<-])((?:{'|'.join(REPO_FOLDERS)})/[\w./<>*{{}}-]*[\w>}}*])"
    problems = []
    for match in re.finditer(pattern, text):
        path = match.group(1)
        if any(c in path for c in "<>*{}") or path in EXAMPLE_PATHS:
            continue
        if not (REPO_ROOT / path).exists():
            problems.append(f"line {_line(text, match.start())}: {path} does not exist")
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}  # GitHub's slugs
    for match in re.finditer(r"\]\(#([^)]+)\)", text):
        if match.group(1) not in anchors:
            problems.append(f"line {_line(text, match.start())}: no heading makes the link #{match.group(1)}")
    for match in re.finditer(r"`(test_\w+\.py)`", text):
        if not list((REPO_ROOT / "tests").rglob(match.group(1))):
            problems.append(f"line {_line(text, match.start())}: no test file {match.group(1)}")
    return problems


def _parser_choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})


def cli_problems(text: str) -> list[str]:
    """Every `castforge SUB [NESTED] --flag` shown (code spans that start with it, command-block lines) exists."""
    from orchestration.cli import build_parser

    parser = build_parser()
    top = {o for a in parser._actions for o in a.option_strings}
    problems = []
    for span in _code_spans(text):
        for command in re.split(r"&&|\$\(|;|\|", span.split(" #")[0]):  # " #": a shell comment follows
            match = re.match(r"\s*(?:[A-Z_]+=\S+\s+)*(?:[\w./]*/)?castforge(?: -v)? ([a-z]+)(.*)", command, re.S)
            if match is None:
                continue
            commands = _parser_choices(parser)
            if match.group(1) not in commands:
                problems.append(f"castforge {match.group(1)} is no subcommand ({span.strip()[:60]})")
                continue
            sub = commands[match.group(1)]
            words = [w.strip("[](){}.,") for w in match.group(2).split()]
            nested = _parser_choices(sub)
            if words and words[0] in nested:
                sub = nested[words[0]]
            flags = {o for a in sub._actions for o in a.option_strings} | top
            problems += [f"castforge {match.group(1)} has no {w.split('=')[0]}" for w in words
                         if w.startswith("-") and w.split("=")[0] not in flags]
    return problems


def test_every_parameter_the_readme_names_is_declared(declared):
    assert unknown_parameters(README, declared) == []


def test_the_settings_tables_show_the_declared_and_preset_defaults(declared, preset_defaults):
    rows = _table_rows(README, declared)
    assert len({(asset, name) for _, asset, name, _ in rows}) > 100  # the three settings tables were read
    assert wrong_defaults(README, declared, preset_defaults) == []
    assert prose_values(README, declared, preset_defaults) == []


def test_every_bench_script_make_target_and_path_named_exists():
    assert bench_problems(README) == []
    assert make_problems(README) == []
    assert path_problems(README) == []


def test_every_castforge_subcommand_and_flag_shown_exists():
    assert cli_problems(README) == []


@pytest.mark.parametrize("old, new, check", [
    ("`identity_clusters.split_gap`", "`identity_clusters.split_gapp`", "parameters"),
    ("[--set frames.mode=interval ...]", "[--set frames.mood=interval ...]", "parameters"),
    ("| `instances.alpha_threshold` | 0.15 | 0.25 |", "| `instances.alpha_threshold` | 0.15 | 0.3 |", "defaults"),
    ("| `instances.margin` | 0.08 |", "| `instances.made_up_margin` | 0.08 |", "defaults"),
    ("| `dedup_hamming` | 6 (3D), 8 (anime) |", "| `dedup_hamming` | 6 (3D), 9 (anime) |", "defaults"),
    ("`bench/kenney_views.py HOME kf FILMDIR`", "`bench/kenney_view.py HOME kf FILMDIR`", "bench"),
    ("`composites.py --split held_out --preset anime", "`composites.py --split held_out --style anime", "bench"),
    ("`match_threshold` 0.9, `gate_min_det_score`", "`match_threshold` 0.85, `gate_min_det_score`", "prose"),
    ("`make test-fast`", "`make test-quick`", "make"),
    ("`resources/archives.py`", "`resources/archive.py`", "paths"),
    ("[the two commands](#the-two-commands)", "[the two commands](#the-three-commands)", "paths"),
    ("`test_media_streams.py`", "`test_media_stream.py`", "paths"),
    ("castforge review [--host 127.0.0.1]", "castforge review [--hostname 127.0.0.1]", "cli"),
])
def test_each_check_objects_to_a_readme_that_says_what_is_not(old, new, check, declared, preset_defaults):
    assert old in README
    mutated = README.replace(old, new, 1)
    found = {"parameters": lambda: unknown_parameters(mutated, declared),
             "defaults": lambda: wrong_defaults(mutated, declared, preset_defaults),
             "prose": lambda: prose_values(mutated, declared, preset_defaults),
             "bench": lambda: bench_problems(mutated), "make": lambda: make_problems(mutated),
             "paths": lambda: path_problems(mutated), "cli": lambda: cli_problems(mutated)}[check]()
    assert found, f"the {check} check passed a README where {old!r} reads {new!r}"
