"""The model stages on one CUDA GPU at their production sizes (issue #17: a 90-minute film's projection on one GPU),
each through castforge's own adapter, with random weights of the real architecture (no checkpoint is reachable
offline; a model's cost does not depend on its weights' values, only SAM2's mask post-processing does: see below).
JSON on stdout.

    .venv/bin/python bench/gpu_stages.py prepare DIR [--frames 8] [--audio-s 60]
    python bench/gpu_stages.py run DIR [--device cuda] [--stages sam2,qwen_vl,demucs,pyannote] [--out FILE]

``prepare`` (here, from the shared media: CASTFORGE_SHARED, else ../shared) writes key frames scaled to 1920x1080
(bicubic, as ``bench/film_scale.py --height 1080`` builds its films; half from the Sintel trailer, half from the
Penny and Chip film) and the Penny and Chip soundtrack's first ``--audio-s`` seconds (44.1 kHz stereo, 16-bit WAV):
a folder small enough to travel to a GPU machine. ``run`` times, after one warm-up each:
- ``sam2``: ``Sam2Segmenter`` (SAM2.1 hiera large, 32 x 32 points, the gpu profile's ``points_per_batch`` 256 and
  64), under the adapter's bfloat16 autocast and in float32: seconds per 1080p key frame and peak GPU memory. Random
  weights keep few masks past the IoU / stability thresholds, where a trained model keeps tens: the mask
  post-processing is under-counted (with the thresholds at 0, 1024 masks a frame, AMG's ``MaskData.cat`` deep-copies
  its lists for minutes a frame: not a figure).
- ``qwen_vl``: ``QwenVLCaptioner.caption`` on a Qwen2.5-VL-3B of the published dimensions (bfloat16), crops of the
  key frames at the adapter's 448 x 448 pixel cap, batch sizes 8 (the gpu profile's) and 32; every caption runs to
  the adapter's 60 new tokens (random weights rarely emit the end token): seconds per caption, an upper bound.
- ``demucs``: ``DemucsVocalSeparator.separate`` with htdemucs' architecture (HTDemucs, four sources): seconds per
  minute of soundtrack.
- ``pyannote``: ``PyannoteDiarizer`` (PyanNet segmentation, WeSpeaker ResNet34 embedding, VBx) on the soundtrack at
  16 kHz: seconds per minute.
The projection multiplies by a 90-minute film's units: key frames segmented and instances captioned per minute come
from the 6-minute 1080p film of ``bench/film_scale.py`` (default settings: 252 key frames, 441 instances).
InsightFace and RTMPose run through onnxruntime, whose CUDA build is not measured here.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEY_FRAMES_PER_MINUTE = 252 / 6
INSTANCES_PER_MINUTE = 441 / 6
FILM_MINUTES = 90
# --smoke (a CPU check of the script's whole path): tiny sizes of the same architectures
SMOKE = {"sam2_size": "tiny", "points_per_side": 4, "batches": (16,), "qwen_layers": 2, "qwen_depth": 2,
         "qwen_batches": (2,), "frames": 2, "audio_s": 12.0}
FULL = {"sam2_size": "large", "points_per_side": 32, "batches": (256, 64), "qwen_layers": 36, "qwen_depth": 32,
        "qwen_batches": (8, 32), "frames": None, "audio_s": None}
SIZE = dict(FULL)


def prepare(out: Path, frames: int, audio_s: float) -> dict:
    import av
    import cv2

    shared = Path(os.environ.get("CASTFORGE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    videos = [shared / "media/video/sintel_trailer_480x204.mp4",
              shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for video in videos:
        capture = cv2.VideoCapture(str(video))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        for k in range(frames // 2):
            capture.set(cv2.CAP_PROP_POS_FRAMES, int((k + 0.5) * count / (frames // 2)))
            ok, bgr = capture.read()
            if not ok:
                raise SystemExit(f"{video}: could not read frame {k}")
            path = out / f"{video.stem}_{k:02d}.jpg"
            cv2.imwrite(str(path), cv2.resize(bgr, (1920, 1080), interpolation=cv2.INTER_CUBIC),
                        [cv2.IMWRITE_JPEG_QUALITY, 92])
            written.append(path.name)
    with av.open(str(videos[1])) as container:
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=44100)
        chunks = []
        for frame in container.decode(audio=0):
            for piece in resampler.resample(frame):
                chunks.append(piece.to_ndarray().reshape(-1, 2))
            if sum(len(c) for c in chunks) >= audio_s * 44100:
                break
    pcm = np.concatenate(chunks)[: int(audio_s * 44100)]
    with wave.open(str(out / "soundtrack.wav"), "wb") as sink:
        sink.setnchannels(2)
        sink.setsampwidth(2)
        sink.setframerate(44100)
        sink.writeframes(pcm.astype("<i2").tobytes())
    return {"frames": written, "audio_s": len(pcm) / 44100}


def read_media(folder: Path) -> tuple[list[np.ndarray], np.ndarray]:
    import cv2

    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(folder.glob("*.jpg"))]
    with wave.open(str(folder / "soundtrack.wav")) as source:
        pcm = np.frombuffer(source.readframes(source.getnframes()), "<i2").reshape(-1, 2)
    return frames, (pcm.T / 32768.0).astype(np.float32)


class Gpu:
    def __init__(self, device: str):
        import torch

        self.torch, self.device = torch, device

    def sync(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize()

    def reset(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.empty_cache()
            self.torch.cuda.reset_peak_memory_stats()

    def peak_gib(self) -> float | None:
        if not self.device.startswith("cuda"):
            return None
        return round(self.torch.cuda.max_memory_allocated() / 2**30, 2)

    def timed(self, call) -> tuple[float, object]:
        self.sync()
        start = time.perf_counter()
        result = call()
        self.sync()
        return time.perf_counter() - start, result


def per_unit(gpu: Gpu, call, items: list) -> tuple[float, list]:
    """Seconds per item after one warm-up item, and the results."""
    warm, _ = gpu.timed(lambda: call(items[0]))
    print(f"  warm-up item {warm:.2f} s", file=sys.stderr, flush=True)
    seconds, results = gpu.timed(lambda: [call(item) for item in items])
    print(f"  {len(items)} items {seconds:.2f} s", file=sys.stderr, flush=True)
    return seconds / len(items), results


def sam2_stage(gpu: Gpu, frames: list[np.ndarray]) -> dict:
    from resources.backends.sam2 import Sam2Segmenter

    report = {}
    precisions = ("float32", "bfloat16") if gpu.device.startswith("cuda") else ("float32",)
    for batch in SIZE["batches"]:
        for precision in precisions:
            gpu.reset()
            segmenter = Sam2Segmenter(SIZE["sam2_size"], device=gpu.device, points_per_side=SIZE["points_per_side"],
                                      points_per_batch=batch, allow_random_weights=True,
                                      bfloat16=precision == "bfloat16")
            print(f"sam2 {batch} {precision}: built on {next(segmenter.sam.parameters()).device}", file=sys.stderr,
                  flush=True)

            try:
                seconds, found = per_unit(gpu, segmenter.segment, frames)
            except Exception as error:  # one precision's failure is reported, the others still run
                report[f"batch{batch}_{precision}"] = {"error": f"{type(error).__name__}: {error}"[:300]}
                continue
            finally:
                segmenter.release()
            report[f"batch{batch}_{precision}"] = {"s_per_key_frame": round(seconds, 3), "peak_gib": gpu.peak_gib(),
                                                   "masks_per_frame": round(float(np.mean([len(f) for f in found])), 1)}
    best = min(v["s_per_key_frame"] for k, v in report.items() if "error" not in v)
    return {"runs": report, "units_per_film": round(KEY_FRAMES_PER_MINUTE * FILM_MINUTES),
            "projected_min": round(best * KEY_FRAMES_PER_MINUTE * FILM_MINUTES / 60, 1)}


def qwen_3b(device: str):
    """Qwen2.5-VL-3B-Instruct's published dimensions, random bfloat16 weights, built on the device; a processor
    with a small locally trained tokenizer (the chat template and vision tokens of the real one)."""
    import torch
    from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor,
                              Qwen2VLImageProcessor, Qwen2VLVideoProcessor)

    from tests.random_models import QWEN_CHAT_TEMPLATE, qwen_chat_tokenizer

    tokenizer, ids = qwen_chat_tokenizer()
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), tokenizer=tokenizer,
                                    video_processor=Qwen2VLVideoProcessor(), chat_template=QWEN_CHAT_TEMPLATE)
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=151936, hidden_size=2048, intermediate_size=11008,
                         num_hidden_layers=SIZE["qwen_layers"], num_attention_heads=16, num_key_value_heads=2,
                         max_position_embeddings=128000, rms_norm_eps=1e-6, tie_word_embeddings=True,
                         rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]},
                         bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(depth=SIZE["qwen_depth"], hidden_size=1280, intermediate_size=3420, num_heads=16,
                           out_hidden_size=2048, window_size=112, fullatt_block_indexes=[7, 15, 23, 31],
                           tokens_per_second=2),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            model = Qwen2_5_VLForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(default)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    return processor, model


def qwen_stage(gpu: Gpu, frames: list[np.ndarray]) -> dict:
    from qwen_vl_utils import process_vision_info

    from resources.backends.qwen_vl import QwenVLCaptioner

    gpu.reset()
    processor, model = qwen_3b(gpu.device)
    processor.tokenizer.padding_side = "left"
    captioner = QwenVLCaptioner.__new__(QwenVLCaptioner)  # the adapter's own caption(), on the built model
    captioner.model, captioner.device, captioner.max_new_tokens = "Qwen2.5-VL-3B (random)", gpu.device, 60
    captioner.max_pixels, captioner._torch = 448 * 448, gpu.torch
    captioner._process_vision_info, captioner._processor, captioner._model = process_vision_info, processor, model
    crops = [frame[y:y + 720, x:x + 540] for frame in frames for y, x in ((0, 300), (360, 1000))]
    report = {"parameters_b": round(sum(p.numel() for p in model.parameters()) / 1e9, 2)}
    for batch in SIZE["qwen_batches"]:
        captioner.batch_size = batch
        images = (crops * (64 // len(crops) + 1))[:2 * batch if SIZE["frames"] else max(2 * batch, 16)]
        facts = [{"name": "a character", "view": "front"}] * len(images)
        captioner.caption(images[:batch], facts[:batch])
        seconds, _ = gpu.timed(lambda: captioner.caption(images, facts))
        report[f"batch{batch}"] = {"s_per_caption": round(seconds / len(images), 4), "peak_gib": gpu.peak_gib()}
    best = min(v["s_per_caption"] for k, v in report.items() if k.startswith("batch"))
    return {"runs": report, "units_per_film": round(INSTANCES_PER_MINUTE * FILM_MINUTES),
            "projected_min": round(best * INSTANCES_PER_MINUTE * FILM_MINUTES / 60, 1)}


def demucs_stage(gpu: Gpu, audio: np.ndarray) -> dict:
    import torch
    from demucs.htdemucs import HTDemucs
    from demucs.states import get_state

    from resources.backends.demucs import DemucsVocalSeparator

    gpu.reset()
    torch.manual_seed(0)
    model = HTDemucs(sources=["drums", "bass", "other", "vocals"])
    args, kwargs = model._init_args_kwargs
    path = Path(tempfile.mkdtemp()) / "htdemucs.th"
    torch.save({"klass": HTDemucs, "args": args, "kwargs": kwargs, "state": get_state(model, None, False)}, path)
    separator = DemucsVocalSeparator(weights=str(path), device=gpu.device)
    separator.separate(audio[:, :44100 * 10], 44100)
    seconds, (vocals, rest) = gpu.timed(lambda: separator.separate(audio, 44100))
    minutes = audio.shape[1] / 44100 / 60
    separator.release()
    return {"s_per_audio_minute": round(seconds / minutes, 2), "peak_gib": gpu.peak_gib(),
            "audio_minutes": round(minutes, 2), "projected_min": round(seconds / minutes * FILM_MINUTES / 60, 1)}


def pyannote_stage(gpu: Gpu, audio: np.ndarray) -> dict:
    from scipy.signal import resample_poly

    from resources.backends.pyannote import PyannoteDiarizer
    from tests.random_models import build_random_pyannote_parts

    gpu.reset()
    parts = build_random_pyannote_parts(Path(tempfile.mkdtemp()), duration=10.0)  # community-1's 10 s windows
    diarizer = PyannoteDiarizer(device=gpu.device, **parts)
    mono = resample_poly(audio.mean(axis=0), 160, 441).astype(np.float32)
    diarizer.diarize(mono[:16000 * 15], 16000)
    seconds, turns = gpu.timed(lambda: diarizer.diarize(mono, 16000))
    minutes = len(mono) / 16000 / 60
    diarizer.release()
    return {"s_per_audio_minute": round(seconds / minutes, 2), "peak_gib": gpu.peak_gib(), "turns": len(turns),
            "projected_min": round(seconds / minutes * FILM_MINUTES / 60, 1)}


STAGES = {"sam2": (sam2_stage, "frames"), "qwen_vl": (qwen_stage, "frames"), "demucs": (demucs_stage, "audio"),
          "pyannote": (pyannote_stage, "audio")}


def run(folder: Path, device: str, stages: list[str]) -> dict:
    from resources.backends import torch_cpu_fixes

    torch_cpu_fixes.apply()  # a no-op where torchvision's own kernels load (a CUDA machine)
    import torch

    frames, audio = read_media(folder)
    frames = frames[:SIZE["frames"]]
    audio = audio[:, :int(SIZE["audio_s"] * 44100)] if SIZE["audio_s"] else audio
    gpu = Gpu(device)
    report = {"device": torch.cuda.get_device_name(0) if device.startswith("cuda") else device,
              "torch": torch.__version__, "key_frames": len(frames), "film_minutes": FILM_MINUTES, "stages": {}}
    for name in stages:
        stage, needs = STAGES[name]
        start = time.perf_counter()
        try:
            report["stages"][name] = stage(gpu, frames if needs == "frames" else audio)
        except Exception as error:  # one stage's failure is reported, the others still run
            report["stages"][name] = {"error": f"{type(error).__name__}: {error}"[:600]}
        report["stages"][name]["stage_wall_s"] = round(time.perf_counter() - start, 1)
        print(json.dumps({name: report["stages"][name]}), file=sys.stderr, flush=True)
    report["projected_gpu_min"] = round(sum(s.get("projected_min", 0) for s in report["stages"].values()), 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["prepare", "run"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--audio-s", type=float, default=60.0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes of the same architectures (a CPU check)")
    args = parser.parse_args()
    if args.smoke:
        SIZE.update(SMOKE)
    if args.command == "prepare":
        report = prepare(args.folder, args.frames, args.audio_s)
    else:
        report = run(args.folder, args.device, [s for s in args.stages.split(",") if s])
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
