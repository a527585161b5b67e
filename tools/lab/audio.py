"""Test audio for sipp's rtp_stream: a raw G.711 mu-law tone, made at run time.

sipp's `<exec rtp_stream="FILE,loops,0"/>` reads FILE as raw payload bytes and sends 160 of them
every 20 ms (PCMU, payload type 0), so the file is plain mu-law samples with no header.
"""

import math

SAMPLE_RATE = 8000
BYTES_PER_PACKET = 160  # 20 ms of PCMU
_BIAS = 0x84
_CLIP = 32635


def linear_to_ulaw(sample: int) -> int:
    """Encodes one 16-bit linear PCM sample as G.711 mu-law (ITU-T G.711, segment search)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _CLIP) + _BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def ulaw_tone(seconds: float, frequency: float = 440.0, amplitude: float = 0.3) -> bytes:
    """A sine tone as raw mu-law bytes, a whole number of 20 ms packets long."""
    packets = max(1, round(seconds * SAMPLE_RATE / BYTES_PER_PACKET))
    count = packets * BYTES_PER_PACKET
    scale = amplitude * 32767
    return bytes(
        linear_to_ulaw(int(scale * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)))
        for i in range(count))


def write_ulaw_tone(path: str, seconds: float, frequency: float = 440.0) -> int:
    """Writes a tone file for rtp_stream; returns how many RTP packets one play of it sends."""
    data = ulaw_tone(seconds, frequency)
    with open(path, "wb") as f:
        f.write(data)
    return len(data) // BYTES_PER_PACKET
