"""Audio backends: the offline diarizer on real speech; demucs and pyannote on their real architectures with
weights the tests make (random initialisation; nothing is downloaded)."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from orchestration.eval_diarization import diarization_error
from assets.audio.speech import segments_table, write_rttm
from resources.errors import MissingWeightsError
from resources.protocols import Diarizer, VocalSeparator
from tests.random_models import build_random_pyannote_parts

SAMPLE = "media/audio/pyannote_sample"


def test_offline_diarizer_on_two_speakers(shared: Path, tmp_path: Path):
    from resources.diarizer import build_diarizer

    diarizer = build_diarizer("silero_resemblyzer")
    assert isinstance(diarizer, Diarizer)
    waveform, rate = sf.read(str(shared / SAMPLE / "sample.wav"), dtype="float32")
    turns = diarizer.diarize(waveform, rate)
    assert len({t.speaker for t in turns}) == 2 and all(0 <= t.confidence <= 1 for t in turns)
    rttm = write_rttm(segments_table(turns), "sample", tmp_path / "sample.rttm")
    assert diarization_error(shared / SAMPLE / "sample.rttm", rttm)["der"] < 0.3
    assert diarizer.diarize(np.zeros(rate * 2, dtype=np.float32), rate) == []  # silence: no speech, no speakers


@pytest.fixture(scope="module")
def random_htdemucs(tmp_path_factory) -> Path:
    import torch
    from demucs.htdemucs import HTDemucs
    from demucs.states import get_state

    torch.manual_seed(0)
    model = HTDemucs(sources=["vocals", "other"], channels=4, depth=4, t_layers=1, t_heads=2, segment=2,
                     dconv_comp=4)
    args, kwargs = model._init_args_kwargs
    path = tmp_path_factory.mktemp("demucs") / "htdemucs.th"
    torch.save({"klass": HTDemucs, "args": args, "kwargs": kwargs, "state": get_state(model, None, False)}, path)
    return path


def test_demucs_separator_runs_htdemucs(random_htdemucs: Path, tmp_path: Path):
    from assets.audio.separation import separate_file
    from resources.vocal_separator import build_separator

    separator = build_separator("demucs", weights=str(random_htdemucs))
    assert isinstance(separator, VocalSeparator) and separator.sample_rate == 44100
    rng = np.random.default_rng(0)
    stereo = (0.1 * rng.standard_normal((2, 44100 * 2))).astype(np.float32)
    vocals, rest = separator.separate(stereo, 44100)
    assert vocals.shape == stereo.shape and np.allclose(vocals + rest, stereo, atol=1e-5)
    mono_vocals, _ = separator.separate(stereo[:1], 44100)
    assert mono_vocals.shape == (1, stereo.shape[1])
    source = tmp_path / "in.wav"
    sf.write(source, stereo.T[: 44100 * 2], 44100, subtype="FLOAT")
    out = separate_file(source, separator, tmp_path / "out", chunk_s=1.2, overlap_s=0.2)
    assert out.segments == 2 and sf.info(str(out.vocals_path)).frames == 44100 * 2


def test_demucs_without_weights_says_how_to_get_them(castforge_home: Path):
    from resources.vocal_separator import build_separator

    with pytest.raises(MissingWeightsError, match="htdemucs"):
        build_separator("demucs")


@pytest.fixture(scope="module")
def random_pyannote_parts(tmp_path_factory) -> dict[str, str]:
    return build_random_pyannote_parts(tmp_path_factory.mktemp("pyannote"))


def test_pyannote_pipeline_with_random_models(shared: Path, random_pyannote_parts: dict[str, str]):
    from resources.backends.pyannote import PyannoteDiarizer

    diarizer = PyannoteDiarizer(segmentation_step=0.5, **random_pyannote_parts)
    assert isinstance(diarizer, Diarizer)
    waveform, rate = sf.read(str(shared / SAMPLE / "sample.wav"), dtype="float32", frames=16000 * 10)
    turns = diarizer.diarize(waveform, rate)
    assert all(0 <= t.start_s < t.end_s <= 10.01 and t.speaker.startswith("SPEAKER_") for t in turns)
    assert turns == sorted(turns, key=lambda t: (t.start_s, t.speaker))


def test_pyannote_without_pipeline_says_how_to_get_it(castforge_home: Path):
    from resources.diarizer import build_diarizer

    with pytest.raises(MissingWeightsError, match="speaker-diarization-community-1"):
        build_diarizer("pyannote")
