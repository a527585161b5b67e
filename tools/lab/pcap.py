"""A small reader for the classic pcap files tcpdump writes: Ethernet / IPv4 / UDP and TCP.

Enough to count what crossed a wire and to search its payloads (TCP reassembled per direction by
sequence number); anything else is skipped.
"""

import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Tuple, Union

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
_IPPROTO_TCP = 6
_TCP_SYN = 0x02


class PcapError(ValueError):
    pass


@dataclass(frozen=True)
class UdpPacket:
    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes


@dataclass(frozen=True)
class TcpSegment:
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    flags: int
    payload: bytes


@dataclass(frozen=True)
class TcpStream:
    """Everything one side of a TCP connection sent, in sequence order (retransmissions once)."""
    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes


Flow = Tuple[str, int, str, int]


@dataclass
class Capture:
    frames: int                # every frame in the file
    udp: List[UdpPacket]       # the IPv4/UDP ones, decoded
    tcp: List[TcpSegment] = field(default_factory=list)  # the IPv4/TCP ones

    def merged(self, other: "Capture") -> "Capture":
        """Both captures as one (e.g. a namespace's veth and its loopback)."""
        return Capture(self.frames + other.frames, self.udp + other.udp, self.tcp + other.tcp)

    def tcp_streams(self) -> List[TcpStream]:
        """Each direction of each TCP connection, its payload reassembled by sequence number."""
        segments: Dict[Flow, List[TcpSegment]] = {}
        for seg in self.tcp:
            segments.setdefault((seg.src, seg.sport, seg.dst, seg.dport), []).append(seg)
        streams = []
        for (src, sport, dst, dport), segs in segments.items():
            streams.append(TcpStream(src, sport, dst, dport, _reassemble(segs)))
        return streams

    def tcp_connections_to(self, dst: str, dport: int) -> int:
        """Connections opened to dst:dport (SYNs without ACK, one per source port)."""
        return len({(s.src, s.sport) for s in self.tcp
                    if s.dst == dst and s.dport == dport and s.flags & 0x12 == _TCP_SYN})

    def sip_carriers(self, port: int) -> List[Union[UdpPacket, TcpStream]]:
        """UDP datagrams and TCP streams with a payload to or from `port`."""
        return ([p for p in self.udp if port in (p.sport, p.dport) and p.payload]
                + [s for s in self.tcp_streams() if port in (s.sport, s.dport) and s.payload])

    def count_to(self, dst: str, dport: int) -> int:
        return sum(1 for p in self.udp if p.dst == dst and p.dport == dport)

    def count_from(self, src: str, sport: int) -> int:
        return sum(1 for p in self.udp if p.src == src and p.sport == sport)

    def rtp_to(self, dst: str, dport: int) -> int:
        """UDP packets to dst:dport that look like RTP version 2 (not RTCP)."""
        return sum(1 for p in self.udp if p.dst == dst and p.dport == dport and _is_rtp(p.payload))

    def mentions(self, text: bytes) -> List[Union[UdpPacket, TcpStream]]:
        """UDP datagrams and reassembled TCP streams whose payload contains `text`."""
        return ([p for p in self.udp if text in p.payload]
                + [s for s in self.tcp_streams() if text in s.payload])

    def involving(self, address: str) -> List[Union[UdpPacket, TcpSegment]]:
        return ([p for p in self.udp if address in (p.src, p.dst)]
                + [s for s in self.tcp if address in (s.src, s.dst)])


def _reassemble(segments: List[TcpSegment]) -> bytes:
    """Payload bytes in sequence order, retransmitted bytes once. Sequence numbers are taken
    relative to the SYN (or the first segment seen), signed, so a wrap of 2^32 is harmless."""
    syn = next((s for s in segments if s.flags & _TCP_SYN), None)
    base = (syn.seq + 1) if syn is not None else segments[0].seq

    def relative(seq: int) -> int:
        return (seq - base + (1 << 31)) % (1 << 32) - (1 << 31)
    out = bytearray()
    for seg in sorted((s for s in segments if s.payload), key=lambda s: relative(s.seq)):
        start = relative(seg.seq)
        if start >= len(out):
            out += seg.payload  # in order (or after bytes the capture missed)
        elif start + len(seg.payload) > len(out):
            out += seg.payload[len(out) - start:]
    return bytes(out)


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


def _decode(frame: bytes):
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
    proto = frame[offset + 9]
    if frame[offset] >> 4 != 4 or ihl < 20 or proto not in (_IPPROTO_UDP, _IPPROTO_TCP):
        return None
    frag = struct.unpack("!H", frame[offset + 6:offset + 8])[0]
    if frag & 0x1FFF:
        return None  # a non-first fragment has no UDP/TCP header
    src = str(ipaddress.IPv4Address(frame[offset + 12:offset + 16]))
    dst = str(ipaddress.IPv4Address(frame[offset + 16:offset + 20]))
    if proto == _IPPROTO_TCP:
        total = struct.unpack("!H", frame[offset + 2:offset + 4])[0]
        tcp = offset + ihl
        if len(frame) < tcp + 20:
            return None
        sport, dport, seq = struct.unpack("!HHI", frame[tcp:tcp + 8])
        data_offset = (frame[tcp + 12] >> 4) * 4
        end = min(len(frame), offset + total)
        return TcpSegment(src, sport, dst, dport, seq, frame[tcp + 13],
                          frame[tcp + data_offset:end])
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
    tcp: List[TcpSegment] = []
    for frame in _frames(data):
        frames += 1
        packet = _decode(frame)
        if isinstance(packet, UdpPacket):
            udp.append(packet)
        elif isinstance(packet, TcpSegment):
            tcp.append(packet)
    return Capture(frames, udp, tcp)
