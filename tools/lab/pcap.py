"""A small reader for the classic pcap files tcpdump writes: Ethernet / IPv4 / UDP only.

Enough to count what crossed a wire and to search its payloads; anything else is skipped.
"""

import ipaddress
import struct
from dataclasses import dataclass
from typing import Iterator, List

_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<",  # microsecond, little-endian
    b"\xa1\xb2\xc3\xd4": ">",
    b"\x4d\x3c\xb2\xa1": "<",  # nanosecond
    b"\xa1\xb2\x3c\x4d": ">",
}
_LINKTYPE_ETHERNET = 1
_ETHERTYPE_IPV4 = 0x0800
_ETHERTYPE_VLAN = 0x8100
_IPPROTO_UDP = 17


class PcapError(ValueError):
    pass


@dataclass(frozen=True)
class UdpPacket:
    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes


@dataclass
class Capture:
    frames: int                # every frame in the file
    udp: List[UdpPacket]       # the IPv4/UDP ones, decoded

    def count_to(self, dst: str, dport: int) -> int:
        return sum(1 for p in self.udp if p.dst == dst and p.dport == dport)

    def count_from(self, src: str, sport: int) -> int:
        return sum(1 for p in self.udp if p.src == src and p.sport == sport)

    def rtp_to(self, dst: str, dport: int) -> int:
        """UDP packets to dst:dport that look like RTP version 2 (not RTCP)."""
        return sum(1 for p in self.udp if p.dst == dst and p.dport == dport and _is_rtp(p.payload))

    def mentions(self, text: bytes) -> List[UdpPacket]:
        return [p for p in self.udp if text in p.payload]

    def involving(self, address: str) -> List[UdpPacket]:
        return [p for p in self.udp if address in (p.src, p.dst)]


def _is_rtp(payload: bytes) -> bool:
    # Version 2, payload type not in the RTCP range 72..76 (RFC 5761 section 4).
    return len(payload) >= 12 and payload[0] >> 6 == 2 and not 72 <= (payload[1] & 0x7F) <= 76


def _frames(data: bytes) -> Iterator[bytes]:
    if len(data) < 24:
        raise PcapError("file shorter than a pcap header")
    endian = _MAGICS.get(data[:4])
    if endian is None:
        raise PcapError("not a classic pcap file (pcapng is not supported)")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    if linktype != _LINKTYPE_ETHERNET:
        raise PcapError(f"link type {linktype} is not Ethernet")
    offset = 24
    while offset + 16 <= len(data):
        incl_len = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        start = offset + 16
        if start + incl_len > len(data):
            break  # truncated last record (capture stopped mid-write)
        yield data[start:start + incl_len]
        offset = start + incl_len


def _decode_udp(frame: bytes):
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    offset = 14
    if ethertype == _ETHERTYPE_VLAN and len(frame) >= 18:
        ethertype = struct.unpack("!H", frame[16:18])[0]
        offset = 18
    if ethertype != _ETHERTYPE_IPV4 or len(frame) < offset + 20:
        return None
    ihl = (frame[offset] & 0x0F) * 4
    if frame[offset] >> 4 != 4 or ihl < 20 or frame[offset + 9] != _IPPROTO_UDP:
        return None
    frag = struct.unpack("!H", frame[offset + 6:offset + 8])[0]
    if frag & 0x1FFF:
        return None  # a non-first fragment has no UDP header
    src = str(ipaddress.IPv4Address(frame[offset + 12:offset + 16]))
    dst = str(ipaddress.IPv4Address(frame[offset + 16:offset + 20]))
    udp = offset + ihl
    if len(frame) < udp + 8:
        return None
    sport, dport, length = struct.unpack("!HHH", frame[udp:udp + 6])
    payload = frame[udp + 8:udp + max(length, 8)]
    return UdpPacket(src, sport, dst, dport, payload)


def read(path: str) -> Capture:
    with open(path, "rb") as f:
        data = f.read()
    frames = 0
    udp: List[UdpPacket] = []
    for frame in _frames(data):
        frames += 1
        packet = _decode_udp(frame)
        if packet is not None:
            udp.append(packet)
    return Capture(frames, udp)
