"""RTP (RFC 3550) payloads of captured UDP datagrams, for decoding what crossed a wire."""

from typing import Iterable, List, Optional, Tuple

from .g711 import rtp_payloads_to_samples


def parse_rtp(datagram: bytes) -> Optional[Tuple[int, int, bytes]]:
    """(sequence number, payload type, payload) of an RTP packet, or None when it is not one
    (too short, not version 2, an RTCP packet type, or a header longer than the datagram)."""
    if len(datagram) < 12 or datagram[0] >> 6 != 2:
        return None
    pt = datagram[1] & 0x7F
    if 72 <= pt <= 76:
        return None
    offset = 12 + 4 * (datagram[0] & 0x0F)
    if datagram[0] & 0x10:  # header extension
        if len(datagram) < offset + 4:
            return None
        offset += 4 + 4 * int.from_bytes(datagram[offset + 2:offset + 4], "big")
    end = len(datagram)
    if datagram[0] & 0x20:  # padding
        end -= datagram[-1]
    if offset > end:
        return None
    return int.from_bytes(datagram[2:4], "big"), pt, datagram[offset:end]


def g711_samples(datagrams: Iterable[bytes], payload_type: int) -> List[int]:
    """The audio of one captured G.711 RTP stream (payload type 0 PCMU or 8 PCMA), decoded in
    sequence order. On an SRTP stream this decodes ciphertext: noise, which the check fails."""
    packets = [p for p in (parse_rtp(d) for d in datagrams) if p is not None]
    return rtp_payloads_to_samples(packets, payload_type)
