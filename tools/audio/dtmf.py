"""In-band DTMF detector (Goertzel, ITU-T Q.24 style) over 8 kHz linear PCM.

A digit needs both its row and column tone, each well above the other tones of its group and the
block's energy, twist within limits, for at least MIN_MS; digits are separated by a gap (GAP_MS).
`detect(samples)` returns [(digit, start_ms, duration_ms)] in order.
"""

import math
from typing import List, Sequence, Tuple

ROWS = (697, 770, 852, 941)
COLS = (1209, 1336, 1477, 1633)
KEYS = ("123A", "456B", "789C", "*0#D")
BLOCK = 80  # 10 ms at 8 kHz
MIN_MS = 40
GAP_MS = 20
NORMAL_TWIST_DB = 8.0   # column weaker than row
REVERSE_TWIST_DB = 4.0  # row weaker than column


def _power(block: Sequence[int], freq: float, rate: int) -> float:
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in block:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def _block_digit(block: Sequence[int], rate: int) -> str:
    energy = sum(x * x for x in block)
    if energy < len(block) * 100.0 ** 2:  # below about -50 dBm0
        return ""
    rows = [_power(block, f, rate) for f in ROWS]
    cols = [_power(block, f, rate) for f in COLS]
    r = max(range(4), key=rows.__getitem__)
    c = max(range(4), key=cols.__getitem__)
    pr, pc = rows[r], cols[c]
    if pr <= 0 or pc <= 0:
        return ""
    twist = 10 * math.log10(pr / pc)
    if twist > NORMAL_TWIST_DB or -twist > REVERSE_TWIST_DB:
        return ""
    # each tone 6 dB above the others of its group
    if any(i != r and rows[i] * 4 > pr for i in range(4)):
        return ""
    if any(i != c and cols[i] * 4 > pc for i in range(4)):
        return ""
    # the two tones carry most of the block's energy (Goertzel power ~ (A*N/2)^2, energy ~ A^2*N/2)
    tone_energy = 2.0 * (pr + pc) / len(block)
    if tone_energy < 0.6 * energy:
        return ""
    return KEYS[r][c]


def detect(samples: Sequence[int], rate: int = 8000) -> List[Tuple[str, int, int]]:
    block = rate // 100
    per_block = [_block_digit(samples[i:i + block], rate)
                 for i in range(0, len(samples) - block + 1, block)]
    digits: List[Tuple[str, int, int]] = []
    current, start, run, gap = "", 0, 0, 0
    for i, d in enumerate(per_block + [""] * (GAP_MS // 10 + 1)):
        if d and d == current:
            run, gap = run + 1, 0
            continue
        if current and gap < GAP_MS // 10 and not d:
            gap += 1
            continue
        if current and run * 10 >= MIN_MS:
            digits.append((current, start * 10, run * 10))
        current, start, run, gap = (d, i, 1, 0) if d else ("", 0, 0, 0)
    return digits


def tone(digit: str, ms: int, rate: int = 8000, amplitude: int = 6000) -> List[int]:
    for r, row in enumerate(KEYS):
        if digit in row:
            f1, f2 = ROWS[r], COLS[row.index(digit)]
            n = rate * ms // 1000
            return [int(amplitude * (math.sin(2 * math.pi * f1 * t / rate)
                                     + math.sin(2 * math.pi * f2 * t / rate))) for t in range(n)]
    raise ValueError(digit)


def self_test() -> List[str]:
    """Failures (empty when the detector is right)."""
    import random
    rng = random.Random(4733)
    fails = []
    seq = "159*#0"
    sig: List[int] = []
    for d in seq:
        sig += tone(d, 100) + [0] * 400
    got = detect(sig)
    if "".join(d for d, _, _ in got) != seq or any(abs(ms - 100) > 20 for _, _, ms in got):
        fails.append(f"synthetic {seq}: got {got}")
    if detect([0] * 8000):
        fails.append("silence gave digits")
    if detect([int(rng.gauss(0, 3000)) for _ in range(8000)]):
        fails.append("noise gave digits")
    speech = [int(4000 * math.sin(2 * math.pi * 220 * t / 8000) * (1 + math.sin(t / 300))
                  + 2000 * math.sin(2 * math.pi * 660 * t / 8000)) for t in range(16000)]
    if detect(speech):
        fails.append("speech-like signal gave digits")
    long = detect(tone("7", 2000))
    if [d for d, _, _ in long] != ["7"]:
        fails.append(f"long tone: got {long}")
    twice = detect(tone("5", 80) + [0] * 480 + tone("5", 80))
    if [d for d, _, _ in twice] != ["5", "5"]:
        fails.append(f"same digit twice, 60 ms apart: got {twice}")
    if detect(tone("5", 20)):
        fails.append("20 ms tone detected")
    return fails


if __name__ == "__main__":
    import sys
    problems = self_test()
    print("\n".join(problems) or "dtmf self-test: ok")
    sys.exit(1 if problems else 0)
