"""The audio check: align the received audio with the reference and measure how alike they are.

1. Coarse alignment: the lag of the maximum of the full cross-correlation (FFT, pure Python).
2. Fine alignment per block: the reference is cut into BLOCK_S blocks; each is searched again
   within +-REFINE_S of the coarse lag, so a jitter buffer that slipped a few packets, or a lost
   packet concealed by the receiver, costs one block and not the whole measurement. The best
   whole-sample lag is then refined to a fraction of a sample (FRACTION_STEPS per sample): a codec
   path may delay the audio by part of a sample (a QMF filter bank, a resampler), and a 3 kHz tone
   a quarter sample late differs from the reference by a third of its own amplitude, which would
   read as noise (8 dB SNR for a faithful copy). The cross-correlation of band-limited signals is
   itself band-limited, so it is interpolated between the whole-sample lags already computed
   (a windowed sinc of INTERPOLATION_TAPS either side) rather than resampling the audio.
3. Figures: per block the normalized cross-correlation rho = <r,x> / (|r| |x|) at its best lag;
   overall correlation and SNR over all blocks with the received block fitted by its
   least-squares gain (signal = the fitted reference, noise = what is left):
   SNR = 10 log10(sum rho_b^2 |x_b|^2 / sum (1 - rho_b^2) |x_b|^2). Silence counts rho = 0.
   Blocks that lie outside the received audio (it began late or ended early) are left out of
   correlation and SNR and count as not found in coverage = share of blocks with
   rho >= BLOCK_MATCH, so a recording that holds only part of the reference fails on coverage.

Verdict: PASS when correlation >= CORRELATION_THRESHOLD, SNR >= SNR_THRESHOLD_DB and
coverage >= COVERAGE_THRESHOLD. G.711 through a clean path measures about 0.999 / 30+ dB;
silence gives 0 / -inf and white noise about 0.05 / -25 dB, so both FAIL by a wide margin.
"""

import cmath
import math
import operator
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from .reference import read_wav

CORRELATION_THRESHOLD = 0.9
SNR_THRESHOLD_DB = 10.0
COVERAGE_THRESHOLD = 0.75
BLOCK_MATCH = 0.5
BLOCK_S = 0.4
REFINE_S = 0.03
FRACTION_STEPS = 32
INTERPOLATION_TAPS = 48
CANDIDATES = 4


@dataclass
class AudioVerdict:
    ok: bool
    correlation: float
    snr_db: float
    coverage: float
    delay_s: Optional[float]           # where the reference starts in the received audio
    blocks: List[float] = field(default_factory=list)   # rho per block
    received_s: float = 0.0
    reason: str = ""

    def summary(self) -> str:
        delay = "none" if self.delay_s is None else f"{self.delay_s * 1000:.1f} ms"
        return (f"{'PASS' if self.ok else 'FAIL'}: correlation {self.correlation:.4f} "
                f"(>= {CORRELATION_THRESHOLD}), SNR {self.snr_db:.1f} dB "
                f"(>= {SNR_THRESHOLD_DB}), coverage {self.coverage:.2f} "
                f"(>= {COVERAGE_THRESHOLD}), delay {delay}, received {self.received_s:.2f} s"
                + (f"; {self.reason}" if self.reason else ""))


def _fft(values: List[complex], invert: bool = False) -> List[complex]:
    """Iterative radix-2 FFT; len(values) must be a power of two."""
    n = len(values)
    a = list(values)
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    length = 2
    sign = 1 if invert else -1
    while length <= n:
        half = length // 2
        step = cmath.exp(sign * 2j * math.pi / length)
        twiddles = [step ** k for k in range(half)]
        if half < 64:  # many short butterflies: walk each twiddle's stride as one slice
            for k in range(half):
                w = twiddles[k]
                u = a[k::length]
                v = [x * w for x in a[k + half::length]]
                a[k::length] = [x + y for x, y in zip(u, v)]
                a[k + half::length] = [x - y for x, y in zip(u, v)]
        else:  # few long ones: whole halves at once
            for start in range(0, n, length):
                u = a[start:start + half]
                v = list(map(operator.mul, a[start + half:start + length], twiddles))
                a[start:start + half] = [x + y for x, y in zip(u, v)]
                a[start + half:start + length] = [x - y for x, y in zip(u, v)]
        length <<= 1
    if invert:
        a = [x / n for x in a]
    return a


def coarse_lag(reference: Sequence[int], received: Sequence[int]) -> int:
    """The lag k (received[n + k] ~ reference[n]) with the largest cross-correlation; k may be
    negative when the received audio starts after the reference did."""
    n = 1
    while n < len(reference) + len(received):
        n <<= 1
    fr = _fft([complex(v) for v in received] + [0j] * (n - len(received)))
    ff = _fft([complex(v) for v in reference] + [0j] * (n - len(reference)))
    corr = _fft([x * y.conjugate() for x, y in zip(fr, ff)], invert=True)
    best = max(range(n), key=lambda i: corr[i].real)
    return best if best < len(received) else best - n


def _dot(a: Sequence[int], b: Sequence[int]) -> float:
    return float(sum(map(operator.mul, a, b)))


def _lowpass_taps(cutoff: float, count: int = 63) -> List[float]:
    """A Hamming-windowed sinc low-pass; `cutoff` as a fraction of the input sample rate."""
    mid = (count - 1) / 2
    taps = []
    for n in range(count):
        x = n - mid
        sinc = 2 * cutoff if x == 0 else math.sin(2 * math.pi * cutoff * x) / (math.pi * x)
        taps.append(sinc * (0.54 - 0.46 * math.cos(2 * math.pi * n / (count - 1))))
    total = sum(taps)
    return [t / total for t in taps]


def _resample(samples: Sequence[int], rate: int, target: int) -> List[int]:
    """To the reference's rate. A whole-number ratio down (16 or 48 kHz recordings of wideband
    codecs to 8 kHz) is low-pass filtered first (cut-off 3.6 kHz), so what a codec left above
    4 kHz cannot fold back onto the band; any other ratio is interpolated linearly (the
    reference lies far below both Nyquist frequencies)."""
    if rate == target:
        return list(samples)
    if rate > target and rate % target == 0:
        step = rate // target
        taps = _lowpass_taps(0.45 * target / rate)
        half = len(taps) // 2
        padded = [0] * half + list(samples) + [0] * half
        return [int(_dot(taps, padded[i:i + len(taps)]))
                for i in range(0, len(samples), step)]
    count = int(len(samples) * target / rate)
    out = []
    for i in range(count):
        pos = i * rate / target
        k = int(pos)
        frac = pos - k
        nxt = samples[k + 1] if k + 1 < len(samples) else samples[k]
        out.append(int(samples[k] * (1 - frac) + nxt * frac))
    return out


def _interpolation_weights(fraction: float) -> List[float]:
    """Blackman-windowed sinc weights for the value at offset `fraction` (|fraction| <= 0.5)
    from the samples at offsets -INTERPOLATION_TAPS..INTERPOLATION_TAPS."""
    weights = []
    for j in range(-INTERPOLATION_TAPS, INTERPOLATION_TAPS + 1):
        x = fraction - j
        sinc = 1.0 if x == 0 else math.sin(math.pi * x) / (math.pi * x)
        t = x / (INTERPOLATION_TAPS + 1)
        window = 0.42 + 0.5 * math.cos(math.pi * t) + 0.08 * math.cos(2 * math.pi * t)
        weights.append(sinc * window)
    return weights


_FRACTIONS = [(k / FRACTION_STEPS, _interpolation_weights(k / FRACTION_STEPS))
              for k in range(-FRACTION_STEPS // 2, FRACTION_STEPS // 2 + 1) if k != 0]


def _fractional_peak(crosses: Sequence[float], at: int) -> float:
    """The largest cross-correlation within half a sample of whole lag `at`, interpolated from
    `crosses` (one per whole lag). Near either end of `crosses` the interpolation would lack half
    its taps (and overshoot), so there the whole-lag value stands."""
    if at < INTERPOLATION_TAPS or at + INTERPOLATION_TAPS >= len(crosses):
        return crosses[at]
    best = crosses[at]
    window = crosses[at - INTERPOLATION_TAPS:at + INTERPOLATION_TAPS + 1]
    for _, weights in _FRACTIONS:
        best = max(best, _dot(weights, window))
    return best


def check_audio(reference: Sequence[int], received: Sequence[int], rate: int,
                received_rate: Optional[int] = None) -> AudioVerdict:
    """Compares `received` (any length, any delay) with `reference`; both 16-bit samples."""
    if received_rate is not None and received_rate != rate:
        received = _resample(received, received_rate, rate)
    received_s = len(received) / rate
    block = int(BLOCK_S * rate)
    refine = int(REFINE_S * rate)
    blocks = [(s, reference[s:s + block]) for s in range(0, len(reference) - block + 1, block)]
    if not blocks:
        raise ValueError("reference shorter than one block")
    if not received or not any(received):
        return AudioVerdict(False, 0.0, float("-inf"), 0.0, None, [0.0] * len(blocks),
                            received_s, "received audio is empty or all zero")
    # Silence either side, so the fractional refinement has its taps at a recording's very ends.
    pad = INTERPOLATION_TAPS + 1
    received = [0] * pad + list(received) + [0] * pad
    lag = coarse_lag(reference, received)
    rhos: List[float] = []
    fitted = 0.0
    residual = 0.0
    cross_sum = 0.0
    ref_energy = 0.0
    rx_energy = 0.0
    squares = [0]
    for v in received:
        squares.append(squares[-1] + v * v)
    for start, ref_block in blocks:
        first = max(start + lag - refine, 0)
        last = min(start + lag + refine, len(received) - block)
        if last < first or abs(start + lag - min(max(start + lag, first), last)) > refine // 2:
            # Outside what was received (the recording began late or ended early): not found,
            # and left out of correlation and SNR, which measure the audio that did arrive.
            rhos.append(0.0)
            continue
        r_energy = _dot(ref_block, ref_block)
        crosses = [_dot(ref_block, received[begin:begin + block])
                   for begin in range(first, last + 1)]
        best = (0.0, 0.0, 0.0)  # rho, cross, rx energy
        candidates = []  # (rho, index) at whole lags
        for at, cross in enumerate(crosses):
            if cross > 0:
                begin = first + at
                x_energy = float(squares[begin + block] - squares[begin])
                candidates.append((cross / math.sqrt(r_energy * x_energy), at))
        # A tone near the band edge a half sample late correlates less at both neighbouring whole
        # lags than at some wrong lag further off, so the best few are refined, not the best one.
        for _, at in sorted(candidates, reverse=True)[:CANDIDATES]:
            begin = first + at
            x_energy = float(squares[begin + block] - squares[begin])
            cross = min(_fractional_peak(crosses, at), math.sqrt(r_energy * x_energy))
            rho = cross / math.sqrt(r_energy * x_energy)
            if rho > best[0]:
                best = (rho, cross, x_energy)
        rho, cross, x_energy = best
        if rho == 0.0:  # no positive match anywhere: all of the block's energy is noise
            begin = min(max(start + lag, first), last)
            x_energy = float(squares[begin + block] - squares[begin])
            residual += x_energy if x_energy > 0 else r_energy
        else:
            fitted += rho * rho * x_energy
            residual += (1 - rho * rho) * x_energy
        rhos.append(rho)
        cross_sum += cross
        ref_energy += r_energy
        rx_energy += x_energy
    correlation = (cross_sum / math.sqrt(ref_energy * rx_energy)
                   if ref_energy > 0 and rx_energy > 0 else 0.0)
    if fitted <= 0:
        snr = float("-inf")
    elif residual <= 0:
        snr = float("inf")
    else:
        snr = 10 * math.log10(fitted / residual)
    coverage = sum(1 for r in rhos if r >= BLOCK_MATCH) / len(rhos)
    reasons = []
    if correlation < CORRELATION_THRESHOLD:
        reasons.append("correlation below threshold")
    if snr < SNR_THRESHOLD_DB:
        reasons.append("SNR below threshold")
    if coverage < COVERAGE_THRESHOLD:
        reasons.append("too few blocks of the reference found")
    return AudioVerdict(not reasons, correlation, snr, coverage, (lag - pad) / rate, rhos, received_s,
                        ", ".join(reasons))


def check_wav(reference_path: str, received_path: str) -> AudioVerdict:
    reference, rate = read_wav(reference_path)
    received, received_rate = read_wav(received_path)
    return check_audio(reference, received, rate, received_rate)
