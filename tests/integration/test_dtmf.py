#!/usr/bin/env python3
"""Integration: DTMF across a transcoded call (issue 9, points 3 and 7).

The caller (sipp) offers PCMU with RFC 4733 telephone-event (payload type 101) and sends the
digits 1, 5 and 9 as event packets (sipp's recorded dtmf_2833_N.pcap: 8 updates, the end three
times, duration 2240). The trunk lists PCMA only (sbc.conf `codecs = PCMA`), so the SBC offers the
callee PCMA and transcodes PCMU -> PCMA in the dataplane's transcoding lcore.

1. The callee answers PCMA without telephone-event: the digits must reach it as in-band tones in
   its PCMA audio. The callee's capture is decoded (placed by RTP timestamp, silence between
   talkspurts) and run through a Goertzel detector (tools/audio/dtmf.py): "159", each digit once,
   in order, at least 200 ms long (the events say 280 ms).
2. The callee answers PCMA and telephone-event as payload type 96: both sides have the events,
   so the relay worker converts G.711 byte by byte and relays the rest, renumbered. The digits
   must reach it as RFC 4733 packets of payload type 96 in the caller's one stream (its SSRC, as
   any PCMA audio around them): exactly three events (by timestamp) 1, 5, 9 in order, each with
   the marker on its first packet, its end sent three times and its duration (2240, both clocks
   8000 Hz) kept.
"""

import struct
import sys

from lab_test import check_calls_ended, check_peers_ok, lab, main

import audio  # noqa: E402  (tools/audio)
from audio import dtmf  # noqa: E402
from lab.calls import MEDIA_PORT  # noqa: E402

CALLER_SSRC = 0x0E05384E  # in sipp's dtmf_2833_N.pcap
DIGITS = "159"


def rtp_to_callee(outcome):
    """[(payload type, marker, seq, timestamp, ssrc, payload)] sent to the callee's media port."""
    out = []
    for p in outcome.callee_capture.udp:
        if p.dst != lab.CALLEE_IP or p.dport != MEDIA_PORT or len(p.payload) < 12:
            continue
        b = p.payload
        if b[0] >> 6 != 2:
            continue
        seq, ts, ssrc = struct.unpack("!HII", b[2:12])
        out.append((b[1] & 0x7F, bool(b[1] & 0x80), seq, ts, ssrc, b[12:]))
    return out


def timeline(packets, payload_type: int):
    """The PCMA audio of `packets`, each at its timestamp's place (silence in between)."""
    audio_packets = [p for p in packets if p[0] == payload_type]
    if not audio_packets:
        return []
    first = audio_packets[0][3]
    samples = []
    for _, _, _, ts, _, payload in audio_packets:
        at = (ts - first) & 0xFFFFFFFF
        decoded = audio.alaw_decode(payload)
        if at > len(samples):
            samples.extend([0] * (at - len(samples)))
        samples[at:at + len(decoded)] = decoded
    return samples


def inband_case(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_dtmf.xml"),
                           lab.scenario("uas_answer_pcma.xml"), duration_ms=1500)
    check_peers_ok(outcome, checks)
    packets = rtp_to_callee(outcome)
    events = [p for p in packets if p[0] != 8]
    checks.check(not events, "no telephone-event (or other payload type) toward a callee "
                 "without it", f"{len(events)} packets, payload types {sorted({p[0] for p in events})}")
    checks.check(all(p[4] != CALLER_SSRC for p in packets),
                 "the transcoded stream has the SBC's SSRC")
    found = dtmf.detect(timeline(packets, 8))
    checks.check("".join(d for d, _, _ in found) == DIGITS,
                 f"in-band digits {DIGITS!r} decoded from the callee's PCMA, once each, in order",
                 f"detected {found}")
    for digit, start_ms, length_ms in found:
        checks.check(200 <= length_ms <= 600, f"digit {digit} lasts {length_ms} ms (200-600)")


def rfc4733_case(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_dtmf.xml"),
                           lab.scenario("uas_answer_pcma_te.xml"), duration_ms=1500)
    check_peers_ok(outcome, checks)
    packets = [p for p in rtp_to_callee(outcome) if p[0] == 96]
    checks.check(packets, "telephone-event packets reached the callee as payload type 96",
                 f"payload types seen: {sorted({p[0] for p in rtp_to_callee(outcome)})}")
    everything = rtp_to_callee(outcome)
    checks.check({p[0] for p in everything} <= {8, 96},
                 "the callee gets PCMA (8) and telephone-event (96) only",
                 f"payload types {sorted({p[0] for p in everything})}")
    checks.check({p[4] for p in everything} == {CALLER_SSRC},
                 "audio and events are one stream: the caller's SSRC, converted in place",
                 f"SSRCs {sorted({hex(p[4]) for p in everything})}")
    by_ts = {}
    for p in packets:
        by_ts.setdefault(p[3], []).append(p)
    starts = sorted(by_ts, key=lambda ts: min(p[2] for p in by_ts[ts]))
    digits = "".join("0123456789*#ABCD"[by_ts[ts][0][5][0]] if by_ts[ts][0][5][0] < 16 else "?"
                     for ts in starts)
    checks.check(digits == DIGITS, f"three events {DIGITS!r} in order (got {digits!r})")
    for ts in starts:
        event = sorted(by_ts[ts], key=lambda p: p[2])
        code = event[0][5][0]
        ends = [p for p in event if p[5][1] & 0x80]
        checks.check(event[0][1], f"event {code}: the marker is on its first packet")
        checks.check(len(ends) == 3, f"event {code}: its end is sent 3 times (got {len(ends)})")
        duration = struct.unpack("!H", event[-1][5][2:4])[0]
        checks.check(duration == 2240, f"event {code}: final duration 2240 (got {duration})")


def test(the_lab, checks):
    inband_case(the_lab, checks)
    rfc4733_case(the_lab, checks)
    check_calls_ended(the_lab, checks, count=2, more=[
        ("sbc_media_refused_total", {}, lambda v: v == 0, "no media refusal counted"),
    ])


if __name__ == "__main__":
    sys.exit(main(test, "dtmf", sbc_config={"trunk.carrier1": {"codecs": "PCMA"}}))
