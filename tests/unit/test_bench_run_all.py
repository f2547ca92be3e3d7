"""bench/run_all.py (`make bench`): which bench scripts need an input is read from their argparse without running
them, the others run, and the exit status names the ones that failed."""

import sys

from tests.conftest import BENCH_DIR as BENCH, load_bench


def _driver():
    return load_bench("run_all")


def test_the_benches_that_measure_a_named_input_are_found_from_their_argparse():
    benches = {b.name: b for b in _driver().plan(BENCH)}
    needing = {name: b.command() for name, b in benches.items() if b.needs}
    assert needing == {
        "anime_image_set": ".venv/bin/python bench/anime_image_set.py FOLDER HOME FILM",
        "audio_cost": ".venv/bin/python bench/audio_cost.py --home HOME --film FILM",  # via stage_cost's helper
        "cut_background": ".venv/bin/python bench/cut_background.py HOME FILM FOLDER",
        "datasets": ".venv/bin/python bench/datasets.py --home HOME --film FILM",
        "export_pairs": ".venv/bin/python bench/export_pairs.py HOME FILMDIR",
        "faces_av_cpu": ".venv/bin/python bench/faces_av_cpu.py HOME FILM",
        "frames_cost": ".venv/bin/python bench/frames_cost.py VIDEO",
        "frames_handoff_cost": ".venv/bin/python bench/frames_handoff_cost.py VIDEO",
        "frames_split": ".venv/bin/python bench/frames_split.py VIDEO",
        "gpu_stages": ".venv/bin/python bench/gpu_stages.py COMMAND FOLDER",
        "grabcut_cost": ".venv/bin/python bench/grabcut_cost.py --home HOME --film FILM",
        "grabcut_repeats": ".venv/bin/python bench/grabcut_repeats.py --home HOME --film FILM",
        "grabcut_split": ".venv/bin/python bench/grabcut_split.py --home HOME --film FILM",
        "image_set_compare": ".venv/bin/python bench/image_set_compare.py HOME_A FILM_A HOME_B FILM_B FOLDER",
        "instances_sheet": ".venv/bin/python bench/instances_sheet.py RUN",
        "kenney_film": ".venv/bin/python bench/kenney_film.py OUT --split SPLIT HOME FILM",
        "kenney_pose_buckets": ".venv/bin/python bench/kenney_pose_buckets.py HOME FILM OUT",
        "kenney_views": ".venv/bin/python bench/kenney_views.py HOME FILM OUT",
        "labelled_views": ".venv/bin/python bench/labelled_views.py HOME FILM LABELS",
        "multimodal_export": ".venv/bin/python bench/multimodal_export.py --home HOME --film FILM",
        "png_write_cost": ".venv/bin/python bench/png_write_cost.py --home HOME --film FILM",
        "review_grid_control": ".venv/bin/python bench/review_grid_control.py --home HOME",
        "stage_cost": ".venv/bin/python bench/stage_cost.py --home HOME --film FILM",
        "style_shots": ".venv/bin/python bench/style_shots.py VIDEOS",
        "voice_pose_cost": ".venv/bin/python bench/voice_pose_cost.py --home HOME --film FILM",
    }
    assert {name for name, b in benches.items() if not b.runnable} == {"frame_trace", "kenney_film_scores",
                                                                        "temporal_real_effects"}
    assert "run_all" not in benches
    # optional --home/--film (pose_captions, identities) and sys.argv with defaults (frames, drop_folder) run bare
    assert {"pose_captions", "identities", "frames", "drop_folder"} <= {n for n, b in benches.items() if not b.needs}


def test_run_skips_what_needs_input_and_names_the_failures(tmp_path, capfd):
    (tmp_path / "helper.py").write_text(
        "import argparse\n"
        "def arguments():\n"
        "    parser = argparse.ArgumentParser()\n"
        "    parser.add_argument('--film-home', required=True, metavar='DIR')\n"
        "    return parser\n")
    (tmp_path / "uses_helper.py").write_text(
        "from helper import arguments\n"
        "def main():\n"
        "    arguments().parse_args()\n"
        "if __name__ == '__main__':\n"
        "    main()\n")
    (tmp_path / "optional.py").write_text(
        "import argparse\n"
        "def main():\n"
        "    parser = argparse.ArgumentParser()\n"
        "    parser.add_argument('video', nargs='?')\n"
        "    parser.add_argument('--home', required=False)\n"
        "    parser.parse_args()\n"
        "    print('optional ran')\n"
        "if __name__ == '__main__':\n"
        "    main()\n")
    (tmp_path / "broken.py").write_text("import sys\nif __name__ == '__main__':\n    sys.exit(3)\n")
    driver = _driver()
    benches = driver.plan(tmp_path)
    assert [(b.name, b.runnable, b.needs) for b in benches] == [
        ("broken", True, []), ("helper", False, []), ("optional", True, []),
        ("uses_helper", True, ["--film-home DIR"])]
    failed = driver.run(benches, sys.executable, tmp_path)
    assert failed == ["broken.py (exit 3)"]
    out = capfd.readouterr().out
    assert "optional ran" in out
    assert "== skipped uses_helper.py (it measures an input you name): .venv/bin/python bench/uses_helper.py " \
           "--film-home DIR" in out
