"""The reference signal: a sequence of tone pairs that a cross-correlation aligns unambiguously.

Each 100 ms segment holds two sine tones whose frequencies (300-3300 Hz, inside the G.711 band)
come from a fixed pseudo-random sequence, with 5 ms raised-cosine fades so segment edges do not
splatter. No two segments repeat, so the signal has one clear correlation peak at the true delay
(a single tone would correlate at every period). The level (-12 dBFS peak) keeps G.711 far from
clipping and well above its quantisation noise. 16-bit mono WAV at 8000 Hz, as baresip's aufile
source and sndfile recorder use for narrowband codecs.
"""

import math
import struct
import wave
from typing import List, Sequence

SAMPLE_RATE = 8000
SEGMENT_S = 0.1
FADE_S = 0.005
PEAK = 0.25  # of full scale, split between the two tones


def _frequencies(count: int, seed: int) -> List[tuple]:
    """`count` pairs of frequencies from a small LCG (deterministic, no global random state)."""
    state = seed & 0x7FFFFFFF or 1
    out = []
    for _ in range(count):
        pair = []
        for _ in range(2):
            state = (1103515245 * state + 12345) & 0x7FFFFFFF
            pair.append(300.0 + (state % 3000))
        out.append(tuple(pair))
    return out


def reference_signal(seconds: float = 4.0, rate: int = SAMPLE_RATE, seed: int = 9) -> List[int]:
    """The reference as 16-bit samples, a whole number of 100 ms segments long."""
    segments = max(1, round(seconds / SEGMENT_S))
    seg_len = int(rate * SEGMENT_S)
    fade = int(rate * FADE_S)
    amplitude = PEAK * 32767 / 2
    samples: List[int] = []
    for f1, f2 in _frequencies(segments, seed):
        w1 = 2 * math.pi * f1 / rate
        w2 = 2 * math.pi * f2 / rate
        for i in range(seg_len):
            if i < fade:
                env = 0.5 - 0.5 * math.cos(math.pi * i / fade)
            elif i >= seg_len - fade:
                env = 0.5 - 0.5 * math.cos(math.pi * (seg_len - 1 - i) / fade)
            else:
                env = 1.0
            samples.append(int(round(env * amplitude * (math.sin(w1 * i) + math.sin(w2 * i)))))
    return samples


def write_wav(path: str, samples: Sequence[int], rate: int = SAMPLE_RATE) -> None:
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def read_wav(path: str) -> tuple:
    """(samples, rate) of a 16-bit PCM WAV; a stereo file is reduced to its first channel."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit samples, want 16-bit PCM")
        channels = w.getnchannels()
        rate = w.getframerate()
        data = w.readframes(w.getnframes())
    count = len(data) // 2
    samples = list(struct.unpack(f"<{count}h", data[:2 * count]))
    if channels > 1:
        samples = samples[::channels]
    return samples, rate
