"""Media made in a test with the ffmpeg command from the shared films: one way to call it and one skip marker."""

import shutil
import subprocess

import pytest

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")
PENNY_AND_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def run_ffmpeg(*args: str) -> None:
    """``ffmpeg -v error -y ARGS``; CalledProcessError if it fails."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)
