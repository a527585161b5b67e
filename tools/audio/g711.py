"""G.711 decoding (ITU-T G.711): mu-law (PCMU) and A-law (PCMA) bytes to 16-bit samples."""

from typing import Iterable, List, Tuple


def _ulaw(byte: int) -> int:
    u = ~byte & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def _alaw(byte: int) -> int:
    a = byte ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


_ULAW = [_ulaw(b) for b in range(256)]
_ALAW = [_alaw(b) for b in range(256)]


def ulaw_decode(data: bytes) -> List[int]:
    return [_ULAW[b] for b in data]


def alaw_decode(data: bytes) -> List[int]:
    return [_ALAW[b] for b in data]


def rtp_payloads_to_samples(packets: Iterable[Tuple[int, int, bytes]], payload_type: int,
                            bytes_per_packet: int = 160) -> List[int]:
    """Decodes the G.711 RTP packets [(sequence number, payload type, payload)] of one stream in
    sequence order (16-bit wrap handled); a missing sequence number becomes silence of one
    packet's length, so the timing stays true. payload_type 0 = PCMU, 8 = PCMA; others ignored."""
    decode = {0: ulaw_decode, 8: alaw_decode}.get(payload_type)
    if decode is None:
        raise ValueError(f"payload type {payload_type} is not G.711 (0 PCMU, 8 PCMA)")
    unwrapped = []
    last = None
    base = 0
    for seq, pt, payload in packets:
        if pt != payload_type:
            continue
        if last is not None and seq < last and last - seq > 0x8000:
            base += 0x10000
        last = seq
        unwrapped.append((base + seq, payload))
    unwrapped.sort()
    out: List[int] = []
    previous = None
    for seq, payload in unwrapped:
        if previous is not None:
            if seq == previous:
                continue  # a duplicate
            out.extend([0] * (bytes_per_packet * min(seq - previous - 1, 50)))
        out.extend(decode(payload))
        previous = seq
    return out
