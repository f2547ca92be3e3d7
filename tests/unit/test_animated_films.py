"""An animated GIF or PNG (APNG) is a short clip: ingested alone, or dropped loose in the watched folder, it is a
video film without sound (resources/animation.py ``probe_animation``, sensors/scan.py ``classify``). A cut copy is
refused by name (a GIF without its trailer byte, an APNG short of the frames it declares). An animated WebP or AVIF,
which FFmpeg cannot decode whole, is written as a lossless clip at ingest (resources/image_sequences.py; refused
before session 43). A clip whose frames carry alpha (a sticker GIF, ProRes 4444, QuickTime
Animation) keeps each key frame's alpha as its cut-out, its colours laid on white (assets/frames/frame_pixels.py).
Made here with ffmpeg and Pillow from Penny & Chip and a character with exact alpha."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_video_frames
from assets.instances.image_alpha import alpha_instances, read_frame_alpha
from resources.errors import BadMediaError
from resources.animation import is_animated_image
from resources.catalog import Catalog
from resources.ingest import ingest_source
from resources.media import probe
from resources.image_sequences import write_sequence_clip
from sensors.scan import classify, scan_drop_folder
from tests.made_media import PENNY_AND_CHIP, needs_ffmpeg, run_ffmpeg

PC = PENNY_AND_CHIP
pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def clips(shared, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("animations")
    # 6 s across a cut between two shots, 12 frames a second
    source = ["-ss", "5", "-t", "6", "-i", str(shared / PC), "-vf", "fps=12,scale=480:-1"]
    made = {name: folder / name for name in ("clip.gif", "clip.png", "clip.apng", "still.gif", "still.png")}
    run_ffmpeg(*source, str(made["clip.gif"]))
    run_ffmpeg(*source, "-f", "apng", "-plays", "0", str(made["clip.png"]))
    shutil.copy(made["clip.png"], made["clip.apng"])
    run_ffmpeg("-ss", "25", "-i", str(shared / PC), "-frames:v", "1", "-update", "1", str(made["still.gif"]))
    run_ffmpeg("-ss", "25", "-i", str(shared / PC), "-frames:v", "1", "-update", "1", str(made["still.png"]))
    with Image.open(made["clip.gif"]) as gif:
        frames = []
        for index in range(0, gif.n_frames, 6):
            gif.seek(index)
            frames.append(gif.convert("RGB"))
    made["clip.webp"] = folder / "clip.webp"
    frames[0].save(made["clip.webp"], save_all=True, append_images=frames[1:], duration=500, loop=0)
    made["clip.avif"] = folder / "clip.avif"
    frames[0].save(made["clip.avif"], save_all=True, append_images=frames[1:], duration=500, loop=0)
    for name in ("clip.gif", "clip.png"):
        data = made[name].read_bytes()
        made["cut_" + name] = folder / ("cut_" + name)
        made["cut_" + name].write_bytes(data[:int(len(data) * 0.6)])
    return made


@pytest.mark.parametrize("name", ["clip.gif", "clip.png", "clip.apng"])
def test_an_animation_is_a_video_film_without_sound(clips, name):
    info = probe(clips[name])
    assert info.kind == "video" and not info.has_audio
    assert info.frame_count == 72 and info.width == 480
    assert 5.9 < info.duration_s < 6.1 and 11.5 < info.fps < 12.5


@pytest.mark.parametrize("name", ["clip.gif", "clip.png"])
def test_its_key_frames_are_the_clips_shots(clips, name, tmp_path):
    out = extract_video_frames(clips[name], tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    assert kept.height >= 2
    assert kept["shot"].n_unique() >= 2
    assert kept["timestamp_s"].max() < 6.1


@pytest.mark.parametrize("name, reason", [("cut_clip.gif", "does not end with its trailer byte"),
                                          ("cut_clip.png", "declares 72 frames but holds|stops reading after")])
def test_a_half_copied_animation_is_refused_by_name(clips, name, reason):
    with pytest.raises(BadMediaError, match=reason) as refused:
        probe(clips[name])
    assert name in str(refused.value)


@pytest.mark.parametrize("name", ["clip.webp", "clip.avif"])
def test_an_animated_webp_or_avif_is_ingested_as_a_clip_of_its_frames(clips, castforge_home, tmp_path, name):
    catalog = Catalog(castforge_home)
    outcome = ingest_source(catalog, clips[name])
    row = catalog.film(outcome.film)
    assert outcome.created and row["kind"] == "video" and not row["has_audio"]
    assert row["frame_count"] == 12 and row["width"] == 480 and abs(row["duration_s"] - 6.0) < 0.01
    out = extract_video_frames(Path(row["source_path"]), tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    times = kept["timestamp_s"].to_numpy()  # each frame at its own time: 0.5 s apart
    assert kept.height >= 2 and times.max() < 6.0 and np.abs(times * 2 - np.round(times * 2)).max() < 0.01
    assert not ingest_source(catalog, clips[name]).created
    cut = tmp_path / f"cut_{name}"
    cut.write_bytes(clips[name].read_bytes()[:-5000])
    with pytest.raises(BadMediaError, match=f"cut_{name}: is truncated: it ends .* bytes into the .* its header"):
        ingest_source(catalog, cut)
    assert classify(cut) == "film"  # dropped, its ingest run refuses it by name


@pytest.mark.parametrize("name", ["still.gif", "still.png"])
def test_a_still_image_is_still_refused(clips, name):
    assert not is_animated_image(clips[name])
    with pytest.raises(BadMediaError, match="single image"):
        probe(clips[name])


def test_the_watched_folder_takes_loose_animations_and_leaves_still_pngs(clips, tmp_path):
    import json
    import time

    drop = tmp_path / "drop"
    drop.mkdir()
    for name in ("clip.gif", "clip.png", "clip.webp", "still.png"):
        shutil.copy(clips[name], drop / name)
    assert [classify(drop / n) for n in ("clip.gif", "clip.png", "clip.webp", "still.png")] == \
        ["film", "film", "film", "unknown"]
    now = time.time()
    first = scan_drop_folder(drop, None, now=now, quiet_s=30.0)
    later = scan_drop_folder(drop, json.dumps(first.cursor), now=now + 60, quiet_s=30.0)
    assert sorted(p.name for p in later.ready) == ["clip.gif", "clip.png", "clip.webp"]
    assert [p.name for p in first.unknown] == ["still.png"]



STEP_PX = 24  # the sticker's character moves this far right each frame


@pytest.fixture(scope="module")
def stickers(shared, tmp_path_factory) -> dict[str, Path]:
    """A character with exact alpha walking across a transparent 480x320 canvas, 12 frames: as a GIF (1-bit alpha),
    ProRes 4444 (soft alpha), QuickTime Animation, a lossless animated WebP and an AVIF (as ingest writes them),
    ProRes 4444
    from RGBA frames whose transparent pixels are black (no letterbox bars: cropped as such before session 43) and
    transparent VP9 / VP8 WebM (a video sticker: its alpha was dropped before session 43); and the same laid on grey
    as an opaque GIF."""
    folder = tmp_path_factory.mktemp("stickers")
    sprite = Image.open(shared / "media/characters_rgba/sita_front.png").convert("RGBA")
    sprite.thumbnail((220, 220))
    frames = []
    for k in range(12):
        canvas = Image.new("RGBA", (480, 320), (0, 0, 0, 0))
        canvas.paste(sprite, (20 + STEP_PX * k, 60), sprite)
        frames.append(canvas)
    made = {"sticker.gif": folder / "sticker.gif", "opaque.gif": folder / "opaque.gif"}
    frames[0].save(made["sticker.gif"], save_all=True, append_images=frames[1:], duration=100, loop=0, disposal=2)
    grey = [Image.alpha_composite(Image.new("RGBA", f.size, (128, 128, 128, 255)), f).convert("RGB") for f in frames]
    grey[0].save(made["opaque.gif"], save_all=True, append_images=grey[1:], duration=100, loop=0)
    frames[0].save(folder / "sticker.webp", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   lossless=True)
    frames[0].save(folder / "sticker.avif", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   quality=100)
    for kind in ("webp", "avif"):  # what ingest writes an animated WebP or AVIF as
        made[f"sticker_{kind}.mov"] = folder / f"sticker_{kind}.mov"
        write_sequence_clip(folder / f"sticker.{kind}", made[f"sticker_{kind}.mov"])
    made["truth_rgba"] = folder / "truth_rgba"  # each frame's own alpha, for the clips made from the RGBA frames
    made["truth_rgba"].mkdir()
    for k, frame in enumerate(frames):  # transparent pixels stored black, as After Effects' exports have them
        frame.save(folder / f"rgba_{k:02d}.png")
        frame.getchannel("A").save(made["truth_rgba"] / f"{k:02d}.png")
    made["sticker_black.mov"] = folder / "sticker_black.mov"
    run_ffmpeg("-framerate", "10", "-i", str(folder / "rgba_%02d.png"), "-c:v", "prores_ks", "-profile:v", "4444",
               "-pix_fmt", "yuva444p10le", str(made["sticker_black.mov"]))
    for name, encoder in (("sticker_vp9.webm", "libvpx-vp9"), ("sticker_vp8.webm", "libvpx")):  # Telegram's kind
        made[name] = folder / name
        run_ffmpeg("-framerate", "10", "-i", str(folder / "rgba_%02d.png"), "-c:v", encoder, "-pix_fmt", "yuva420p",
                   "-b:v", "0", "-crf", "20", "-auto-alt-ref", "0", str(made[name]))
    for name, codec in (("sticker.mov", ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"]),
                        ("sticker_rle.mov", ["-c:v", "qtrle"])):
        made[name] = folder / name
        run_ffmpeg("-i", str(made["sticker.gif"]), *codec, str(made[name]))
    made["truth"] = folder / "truth"  # each frame's alpha as the GIF holds it (1 bit: Pillow's palette threshold)
    made["truth"].mkdir()
    with Image.open(made["sticker.gif"]) as gif:
        for k in range(gif.n_frames):
            gif.seek(k)
            gif.convert("RGBA").getchannel("A").save(made["truth"] / f"{k:02d}.png")
    return made


@pytest.mark.parametrize("name", ["sticker.gif", "sticker.mov", "sticker_rle.mov", "sticker_webp.mov",
                                  "sticker_avif.mov", "sticker_black.mov", "sticker_vp9.webm", "sticker_vp8.webm"])
def test_a_clip_with_alpha_keeps_each_key_frame_s_own_cut_out(stickers, name, tmp_path):
    out = extract_video_frames(stickers[name], tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    assert kept.height >= 3
    for row in kept.iter_rows(named=True):
        key_frame = np.asarray(Image.open(tmp_path / "frames" / Path(row["path"]).name))
        alpha = read_frame_alpha(tmp_path / "frames" / Path(row["path"]).name, key_frame.shape[:2])
        truths = stickers["truth" if name in ("sticker.gif", "sticker.mov", "sticker_rle.mov") else "truth_rgba"]
        truth = np.asarray(Image.open(truths / f"{row['frame_index']:02d}.png")) >= 128
        mine = alpha >= 128
        assert (mine & truth).sum() / (mine | truth).sum() > 0.99
        assert (key_frame[~mine & ~truth] > 240).mean() > 0.99  # laid on white where transparent (JPEG's ringing aside)
        figures = alpha_instances(alpha)
        assert len(figures) == 1 and figures[0]["seed"] == "image_alpha"


def test_an_opaque_clip_keeps_no_alpha(stickers, tmp_path):
    out = extract_video_frames(stickers["opaque.gif"], tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    assert kept.height >= 3
    assert not list((tmp_path / "frames").glob("*_alpha.png"))
