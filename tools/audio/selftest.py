"""The checker's own test: a faithful copy passes, silence, white noise and the wrong signal fail.

Run by the integration test before it trusts the checker (`python3 -m audio self-test` alone).
"""

import random
from typing import Callable, List, Tuple

from .check import AudioVerdict, check_audio
from .g711 import alaw_decode, ulaw_decode
from .reference import SAMPLE_RATE, reference_signal
from lab.audio import linear_to_ulaw  # tools/ is on sys.path (lab_test, python3 -m audio)

def _alaw_encode(sample: int) -> int:
    # ITU-T G.711 A-law: 13-bit magnitude, segment search, even bits inverted.
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample) if sample >= 0 else -sample - 1, 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        segment = magnitude.bit_length() - 5
        code = (segment << 4) | ((magnitude >> segment) & 0x0F)
    return (sign | code) ^ 0x55


def cases(seconds: float = 4.0) -> List[Tuple[str, bool, List[int]]]:
    """(name, expected verdict, received samples at 8 kHz) for the reference of `seconds`."""
    ref = reference_signal(seconds)
    rng = random.Random(20261204)
    delay = [0] * 1234
    through_ulaw = ulaw_decode(bytes(linear_to_ulaw(s) for s in ref))
    through_alaw = alaw_decode(bytes(_alaw_encode(s) for s in ref))
    lossy = list(through_ulaw)
    for packet in (7, 55, 120):  # three 20 ms packets lost, concealed by silence
        lossy[packet * 160:(packet + 1) * 160] = [0] * 160
    return [
        ("exact copy, delayed 154 ms", True, delay + ref + [0] * 800),
        ("PCMU round trip, halved level", True, delay + [s // 2 for s in through_ulaw]),
        ("PCMA round trip", True, delay + through_alaw),
        ("PCMU with 3 packets lost", True, delay + lossy),
        ("received starts 300 ms late", True, through_ulaw[2400:]),
        ("silence", False, [0] * len(ref)),
        ("white noise", False, [int(rng.gauss(0, 4000)) for _ in range(len(ref))]),
        ("faint noise (dither)", False, [rng.randint(-2, 2) for _ in range(len(ref))]),
        ("another signal (other seed)", False, delay + reference_signal(seconds, seed=77)),
        ("reference buried in noise (about 0 dB)", False,
         [s + int(rng.gauss(0, 2900)) for s in delay + ref]),
    ]


def run(log: Callable[[str], None] = print,
        seconds: float = 2.0) -> List[Tuple[str, bool, AudioVerdict]]:
    """Runs every case on a reference of `seconds`; returns (name, verdict as expected,
    verdict)."""
    ref = reference_signal(seconds)
    out = []
    for name, expected, received in cases(seconds):
        out.append(_judge(log, name, expected, check_audio(ref, received, SAMPLE_RATE)))
    # A wideband codec's recording (16 kHz): decimated to the reference's rate first.
    wide = [0] * 2000 + reference_signal(seconds, rate=16000)
    out.append(_judge(log, "the reference recorded at 16 kHz", True,
                      check_audio(ref, wide, SAMPLE_RATE, 16000)))
    # A codec path that delays by part of a sample (a QMF filter bank, a resampler) is faithful:
    # whole-sample alignment alone measured 8 dB for a quarter sample and 1.5 dB for a half.
    fine = reference_signal(seconds, rate=4 * SAMPLE_RATE)
    for quarters, name in ((1, "a quarter"), (2, "half a")):
        late = [0] * 1000 + fine[4 - quarters::4]
        verdict = check_audio(ref, late, SAMPLE_RATE)
        name, good, _ = _judge(log, f"the reference {name} sample late (SNR >= 30 dB)", True,
                               verdict)
        out.append((name, good and verdict.snr_db >= 30, verdict))
    return out


def _judge(log, name: str, expected: bool, verdict: AudioVerdict):
    good = verdict.ok == expected
    log(f"{'ok  ' if good else 'BAD '} {name}: expect {'PASS' if expected else 'FAIL'}, "
        f"got {verdict.summary()}")
    return name, good, verdict
