"""Which of a soundtrack's channels the speech track (``speech16k.wav``) is made from. A film's surround mix (3.0,
4.0, 5.1, 7.1) carries its dialogue in the front centre channel and the music and effects around it; folding every
channel into mono, as a plain downmix does, lays the score over the voices (on a 5.1 mix of the pyannote sample over
Big Buck Bunny's soundtrack, DER 0.35-0.59 from the downmix, 0.066 from the centre: bench/audio.py ``--surround``).
So where the layout has a front centre beside other channels, the speech track is that channel (``audio.speech_channel:
auto``); ``mix`` folds every channel as before. Mono and stereo tracks are always mixed. No Dagster."""

from typing import Any

import numpy as np

SPEECH_CHANNELS = ("auto", "mix")
FRONT_CENTRE = "FC"


def checked_choice(choice: str) -> str:
    """``choice`` when it is an ``audio.speech_channel`` value, else a ValueError naming the values."""
    if choice not in SPEECH_CHANNELS:
        raise ValueError(f"audio.speech_channel must be one of {', '.join(SPEECH_CHANNELS)}, not {choice!r}")
    return choice


def dialogue_channel(channel_names: list[str], choice: str) -> int | None:
    """The index of the channel the speech track takes, or None to mix them all."""
    if choice == "mix" or len(channel_names) < 3 or FRONT_CENTRE not in channel_names:
        return None
    return channel_names.index(FRONT_CENTRE)


class SpeechChannel:
    """Decoded frames as the speech track's input: the dialogue channel alone where the frame's layout has one
    (``dialogue_channel``), else the frame itself (mixed by the mono resampler). Frames are made packed float
    first by FFmpeg's resampler (any sample format, the same layout and rate; packed, since PyAV reads a planar
    frame of 8 channels out of bounds); a layout that changes mid-film is decided again. ``note`` says what the
    speech track came from."""

    def __init__(self, choice: str = "auto"):
        self.choice = checked_choice(choice)
        self.kind: tuple[str, int] | None = None   # the layout and rate decided for
        self.index: int | None = None
        self.packed: Any = None   # FFmpeg's resampler to packed float in that layout
        self.channels = 0
        self.note = ""   # what the speech track came from, once the dialogue channel is taken

    def mono_input(self, frame: Any) -> Any:
        import av

        kind = (frame.layout.name, frame.sample_rate)
        if kind != self.kind:
            names = [channel.name for channel in frame.layout.channels]
            self.kind, self.index = kind, dialogue_channel(names, self.choice)
            self.packed = None if self.index is None else \
                av.AudioResampler(format="flt", layout=frame.layout.name, rate=frame.sample_rate)
            self.channels = len(names)
            if self.index is not None and not self.note:
                self.note = (f"speech track from the front centre (dialogue) channel of the {frame.layout.name} mix "
                             "(audio.speech_channel: auto; mix folds every channel)")
        if self.index is None:
            return frame
        blocks = [converted.to_ndarray().reshape(-1, self.channels)[:, self.index]
                  for converted in self.packed.resample(frame)]
        samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
        mono = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[None], dtype=np.float32), format="flt",
                                          layout="mono")
        mono.sample_rate = frame.sample_rate
        return mono
