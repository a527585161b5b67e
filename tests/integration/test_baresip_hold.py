#!/usr/bin/env python3
"""Integration: an independent UA (baresip) puts a call through the SBC on hold and resumes it.

The peers are the ones test_media_audio.py uses (tools/lab/baresip.py: baresip-core 1.0.0, PCMU,
plain RTP, each in its namespace), driven at run time through baresip's own command interface:
its ctrl_tcp module (netstring JSON commands, the menu module's commands) listens on the
namespace's loopback, and each command is sent by a one-shot client run inside that namespace.

Flow (one call, caller on the access side, callee on the trunk side; tcpdump on both wires):
1. the caller dials the SBC, the callee (answermode=auto) answers; both talk (each plays a long
   file, so neither hangs up by itself); the menu's command list during the call must offer
   /hold and /resume;
2. the caller runs `/hold`: baresip re-INVITEs with a=sendonly (or a=inactive) and stops its RTP;
   the SBC must relay that re-INVITE to the callee with the same direction and its own address,
   and relay the callee's recvonly (inactive) answer back; while held no RTP may cross either
   wire (a few packets in flight around the exchange are allowed);
3. the caller runs `/resume`: the a=sendrecv re-INVITE and its answer are relayed the same way,
   RTP flows both ways again on both wires, from the same SBC address and port as before the
   hold, the payloads each UA sent reach the other one unchanged, and the SBC's per-call counters
   (`sbc-cli --json show calls`) grow past their value at the end of the hold;
4. the caller runs `/hangup`: both UAs log the call as terminated, the BYE is relayed and
   answered on both wires, the SBC keeps no call or media session, and the CDR says answered with
   media counters matching the RTP the two UAs received.
Phases on each wire are cut by the SIP messages captured on that same wire (capture order), so
the checks do not depend on timers. Everything stays inside the lab's namespaces; every process
is stopped by its PID. A missing baresip or ctrl_tcp module FAILS the test.
"""

import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from lab_test import (check_cdr_result, check_nothing_left, lab, main, media_from_cdr,
                      the_cdr, TOLERANCE)
from test_media_audio import RTP_PORTS, SEED_CALLEE, SEED_CALLER, SERVICE, say

import audio  # noqa: E402  (tools/audio)
from lab import pcap  # noqa: E402
from lab.baresip import Baresip  # noqa: E402
from lab.peers import SipMessage, Tcpdump  # noqa: E402
from lab.procs import LabError, wait_until  # noqa: E402

RATE = 8000            # PCMU
SOURCE_S = 30.0        # each UA's file: longer than the test, so only /hangup ends the call
TALK_S = 1.5           # before the hold, and at least as long after the resume
HOLD_S = 3.0           # > sbcd's 2 s stats refresh: the counters read at its end include the talk
CTRL_PORT = 4444       # ctrl_tcp on each UA namespace's 127.0.0.1
IN_FLIGHT = 3          # RTP packets tolerated in a held phase (sent before the exchange)
MIN_PHASE_RTP = 40     # 20 ms packets: >= 0.8 s of audio per direction in each talking phase
MIN_COUNTER_GROWTH = 40  # packets the SBC's per-call counters must grow by after the resume
RELAYED_FRACTION = 0.9   # share of the payloads one UA sent that the other must receive as sent
HOLD_DIRECTIONS = ("sendonly", "inactive")
ANSWER_TO = {"sendonly": "recvonly", "inactive": "inactive", "sendrecv": "sendrecv"}

# A one-shot ctrl_tcp client, run inside a UA's namespace: sends one command as a netstring
# {"command", "params", "token"} and prints baresip's response object (events are skipped).
CTRL_CLIENT = r"""
import json, socket, sys
command, params, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
body = json.dumps({"command": command, "params": params, "token": "lab"}).encode()
s.sendall(str(len(body)).encode() + b":" + body + b",")
buf = b""
while True:
    data = s.recv(65536)
    if not data:
        sys.exit("ctrl_tcp closed the connection without a response")
    buf += data
    while b":" in buf:
        size, _, rest = buf.partition(b":")
        size = int(size)
        if len(rest) < size + 1:
            break
        message, buf = json.loads(rest[:size]), rest[size + 1:]
        if message.get("response"):
            print(json.dumps(message))
            sys.exit(0)
"""


# --- what the wires carried ---------------------------------------------------------------------

@dataclass
class SipMsg:
    """A captured SIP datagram: the lab's parsed message plus its place and its SDP direction."""
    index: int                  # position among the capture's UDP datagrams
    src: str
    message: SipMessage
    direction: Optional[str]    # the SDP's media direction (sendrecv when none), None: no SDP
    connection: Optional[str]   # the SDP's c= address

    @property
    def first(self) -> str:
        return self.message.first_line

    @property
    def cseq(self) -> str:
        return " ".join((self.message.header("CSeq") or "").split())

    @property
    def cseq_method(self) -> str:
        return self.cseq.split()[-1] if self.cseq else ""

    @property
    def method(self) -> str:
        return self.message.method or ""

    @property
    def status(self) -> int:
        return self.message.status_code or 0


@dataclass
class Rtp:
    index: int
    src: Tuple[str, int]
    dst: Tuple[str, int]
    payload: bytes


@dataclass
class Wire:
    name: str
    ua_ip: str                  # the UA on this wire
    sbc_ip: str                 # the SBC's address on this wire
    sip: List[SipMsg] = field(default_factory=list)
    rtp: List[Rtp] = field(default_factory=list)


def parse_sip(index: int, src: str, payload: bytes) -> Optional[SipMsg]:
    message = SipMessage("captured", payload.decode("utf-8", "replace").replace("\r\n", "\n"))
    if message.method is None and message.status_code is None:
        return None
    body = message.text.partition("\n\n")[2]
    direction = connection = None
    if "\nm=audio " in "\n" + body:
        direction = "sendrecv"
        for line in body.split("\n"):
            line = line.strip()
            if line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive") and line[:2] == "a=":
                direction = line[2:]  # a media-level attribute comes last and wins
            elif line.startswith("c=IN IP4 "):
                connection = line.split()[2]
    return SipMsg(index, src, message, direction, connection)


def read_wire(name: str, capture, ua_ip: str, sbc_ip: str) -> Wire:
    wire = Wire(name, ua_ip, sbc_ip)
    for i, p in enumerate(capture.udp):
        if lab.SIP_PORT in (p.sport, p.dport):
            msg = parse_sip(i, p.src, p.payload)
            if msg is not None:
                wire.sip.append(msg)
        elif {p.src, p.dst} == {ua_ip, sbc_ip} and audio.parse_rtp(p.payload) is not None:
            wire.rtp.append(Rtp(i, (p.src, p.sport), (p.dst, p.dport),
                                audio.parse_rtp(p.payload)[2]))
    return wire


@dataclass
class Exchange:
    offer: SipMsg
    answer: Optional[SipMsg]    # the 200 (or the final response)
    ack: Optional[SipMsg]


def invite_exchanges(wire: Wire) -> List[Exchange]:
    """Each INVITE transaction on the wire (retransmissions once: same CSeq), in order, with its
    final response and the ACK that followed it."""
    out: List[Exchange] = []
    seen = set()
    for n, m in enumerate(wire.sip):
        if m.method != "INVITE" or m.cseq in seen:
            continue
        seen.add(m.cseq)
        answer = next((r for r in wire.sip[n + 1:] if r.cseq == m.cseq and r.status >= 200),
                      None)
        ack = None
        if answer is not None:
            ack = next((r for r in wire.sip if r.index > answer.index and r.method == "ACK"
                        and r.cseq.split()[:1] == m.cseq.split()[:1]), None)
        out.append(Exchange(m, answer, ack))
    return out


def rtp_between(wire: Wire, start: int, end: int, from_ua: bool) -> List[Rtp]:
    """RTP from the UA to the SBC (from_ua) or from the SBC to the UA, between two capture
    positions (exclusive)."""
    return [r for r in wire.rtp if start < r.index < end
            and (r.src[0] == wire.ua_ip if from_ua else r.src[0] == wire.sbc_ip)]


def relayed_share(sent: List[Rtp], received: List[Rtp]) -> float:
    """Share of the payloads sent that were received byte for byte (as multisets)."""
    if not sent:
        return 0.0
    have = Counter(r.payload for r in received)
    matched = 0
    for r in sent:
        if have[r.payload] > 0:
            have[r.payload] -= 1
            matched += 1
    return matched / len(sent)


def bye_answered(path: str) -> bool:
    """The capture file written so far holds a 200 answering a BYE."""
    try:
        capture = pcap.read(path)
    except (OSError, pcap.PcapError):
        return False
    return any(p.payload.startswith(b"SIP/2.0 200") and parse_sip(0, p.src, p.payload)
               .cseq_method == "BYE" for p in capture.udp if lab.SIP_PORT in (p.sport, p.dport))


# --- driving baresip ----------------------------------------------------------------------------

def with_ctrl(ua: Baresip) -> Baresip:
    """Adds ctrl_tcp (baresip's TCP command interface) to a UA's generated configuration."""
    if not os.path.exists(os.path.join("/usr/lib/baresip/modules", "ctrl_tcp.so")):
        raise LabError("baresip's ctrl_tcp module is missing (baresip-core ships it)")
    with open(os.path.join(ua.dir, "config"), "a") as f:
        f.write(f"module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:{CTRL_PORT}\n")
    return ua


def ctrl(ua: Baresip, command: str, params: str = "") -> Dict:
    """Runs one baresip command (the menu's long name, without the slash) in the UA; its
    response object. LabError when baresip did not answer."""
    result = ua.ns.run(["/usr/bin/python3", "-c", CTRL_CLIENT, command, params, str(CTRL_PORT)],
                       timeout=10, check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise LabError(f"baresip {ua.name}: ctrl_tcp {command!r} failed (exit "
                       f"{result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    response = json.loads(lines[-1])
    say(f"baresip {ua.name} /{command} {params}-> ok={response.get('ok')}")
    return response


def start_captured(the_lab, caller: Baresip, callee: Baresip, dumps: List[Tcpdump]) -> None:
    """tcpdump on both wires (appended to `dumps`), then both UAs, each up to its ctrl_tcp."""
    for name, ns, iface in (("caller-wire", the_lab.caller, "c0"),
                            ("callee-wire", the_lab.callee, "e0")):
        dumps.append(Tcpdump(ns, iface, os.path.join(the_lab.dir, f"{name}.pcap")))
        the_lab.extra_processes.append(dumps[-1].process)  # the lab's cleanup, as a backstop
    for ua in (callee, caller):
        ua.start()
        the_lab.extra_processes.append(ua.process)
        wait_until(f"baresip {ua.name}'s ctrl_tcp on 127.0.0.1:{CTRL_PORT}",
                   lambda: ua.ns.tcp_listening("127.0.0.1", CTRL_PORT), 10, 0.1,
                   alive=ua.process.check_alive)


def dial(checks, caller: Baresip, callee: Baresip) -> None:
    """The caller's /dial to the SBC's service number, up until both UAs established the call."""
    dialled = ctrl(caller, "dial", f"sip:{SERVICE}@{lab.ACCESS_IP}:{lab.SIP_PORT}")
    checks.check(dialled.get("ok") is True, "caller's /dial accepted", str(dialled))
    for ua in (caller, callee):
        wait_until(f"baresip {ua.name} to establish the call",
                   lambda: "Call established" in ua.log_text(), 10, 0.1,
                   alive=ua.process.check_alive)


def call_counters(the_lab) -> Optional[Tuple[int, int]]:
    """(A->B, B->A) RTP packets of the one call `sbc-cli --json show calls` lists, or None."""
    calls = the_lab.cli_json("show", "calls").get("calls") or []
    if len(calls) != 1:
        return None
    return int(calls[0].get("packets_a_to_b", 0)), int(calls[0].get("packets_b_to_a", 0))


def sbcd_log(the_lab) -> str:
    return the_lab.logs().get("sbcd", "")


# --- the test -----------------------------------------------------------------------------------

def test(the_lab, checks):
    caller_wav = os.path.join(the_lab.dir, "caller-source.wav")
    callee_wav = os.path.join(the_lab.dir, "callee-source.wav")
    for path, seed in ((caller_wav, SEED_CALLER), (callee_wav, SEED_CALLEE)):
        audio.write_wav(path, audio.reference_signal(SOURCE_S, rate=RATE, seed=seed), RATE)
    caller = with_ctrl(Baresip(the_lab.dir, the_lab.caller, "caller", address=lab.CALLER_IP,
                               iface="c0", user="pbx", source_wav=caller_wav,
                               rtp_ports=RTP_PORTS))
    callee = with_ctrl(Baresip(the_lab.dir, the_lab.callee, "callee", address=lab.CALLEE_IP,
                               iface="e0", user=SERVICE, source_wav=callee_wav,
                               rtp_ports=RTP_PORTS))
    dumps = []
    counters = {}
    started = time.monotonic()
    try:
        start_captured(the_lab, caller, callee, dumps)

        # 1. The call, and both ways of audio.
        dial(checks, caller, callee)
        checks.check(True, "both baresips established the call through the SBC")
        menu = ctrl(caller, "help").get("data", "")
        for command, key in (("/hold", "x"), ("/resume", "X")):
            offered = any(line.split()[:2] == [command, key] for line in menu.splitlines())
            checks.check(offered, f"baresip's menu offers {command} ({key}) during the call",
                         menu)
        time.sleep(TALK_S)
        counters["talk"] = wait_until(
            "the SBC's per-call counters to show RTP both ways",
            lambda: (lambda c: c if c and min(c) >= MIN_PHASE_RTP else None)(
                call_counters(the_lab)), 6, 0.3, alive=the_lab.check_alive)
        say(f"show calls before the hold: A->B {counters['talk'][0]}, B->A {counters['talk'][1]}")

        # 2. Hold.
        held = ctrl(caller, "hold")
        checks.check(held.get("ok") is True, "caller's /hold accepted", str(held))
        wait_until("sbcd to log the media on hold", lambda: "media on hold" in sbcd_log(the_lab),
                   10, 0.1, alive=the_lab.check_alive)
        wait_until("the callee to take the hold re-INVITE",
                   lambda: "got re-INVITE" in callee.log_text(), 5, 0.1,
                   alive=callee.process.check_alive)
        time.sleep(HOLD_S)
        counters["held"] = call_counters(the_lab)
        say(f"show calls at the end of the hold: {counters['held']}")
        checks.check(counters["held"] is not None, "the held call is still listed by show calls")

        # 3. Resume.
        resumed = ctrl(caller, "resume")
        checks.check(resumed.get("ok") is True, "caller's /resume accepted", str(resumed))
        wait_until("sbcd to log the media resumed", lambda: "media resumed" in sbcd_log(the_lab),
                   10, 0.1, alive=the_lab.check_alive)
        time.sleep(TALK_S)
        base = counters["held"] or (0, 0)
        try:
            counters["resumed"] = wait_until(
                "the SBC's per-call counters to grow both ways after the resume",
                lambda: (lambda c: c if c and c[0] >= base[0] + MIN_COUNTER_GROWTH
                         and c[1] >= base[1] + MIN_COUNTER_GROWTH else None)(
                    call_counters(the_lab)), 6, 0.3, alive=the_lab.check_alive)
        except LabError:
            counters["resumed"] = call_counters(the_lab)
        checks.check(counters["resumed"] is not None and counters["held"] is not None
                     and all(r >= h + MIN_COUNTER_GROWTH
                             for r, h in zip(counters["resumed"], counters["held"])),
                     f"show calls counters (A->B, B->A) grew by >= {MIN_COUNTER_GROWTH} after "
                     f"the resume: {counters['held']} -> {counters['resumed']}")

        # 4. Hang up.
        hung = ctrl(caller, "hangup")
        checks.check(hung.get("ok") is True, "caller's /hangup accepted", str(hung))
        for ua in (caller, callee):
            try:
                ua.wait_call_end(5)
            except LabError as e:
                say(str(e))
        # tcpdump hands packets over in blocks: stopping it at once can lose the last ones, so
        # wait until each file holds the BYE's 200 (bounded; a missing one fails the checks).
        for dump in dumps:
            try:
                wait_until(f"{dump.path} to hold the 200 to the BYE",
                           lambda: bye_answered(dump.path), 5, 0.2)
            except LabError as e:
                say(str(e))
    finally:
        for ua in (caller, callee):
            ua.stop()
        captures = [d.stop() for d in dumps]
    say(f"call driven in {time.monotonic() - started:.1f} s")

    for ua, other in ((caller, "callee"), (callee, "caller")):
        text = ua.log_text()
        checks.check(" terminated (duration" in text,
                     f"baresip {ua.name} logged the call with the {other} as terminated")
    checks.check(callee.log_text().count("got re-INVITE (SDP Offer)") == 2,
                 "the callee's baresip took two re-INVITEs with an offer (hold, resume)")
    log = sbcd_log(the_lab)
    checks.check(log.count("INVITE from the caller relayed") == 2,
                 "sbcd relayed two re-INVITEs from the caller")
    for what in ("media on hold", "media resumed"):
        checks.check(what in log, f"sbcd logged '{what}'")

    wires = [read_wire("caller wire", captures[0], lab.CALLER_IP, lab.ACCESS_IP),
             read_wire("callee wire", captures[1], lab.CALLEE_IP, lab.TRUNK_IP)]
    hold_direction = None
    for wire in wires:
        check_wire(wire, checks, hold_direction)
        if hold_direction is None:
            exchanges = invite_exchanges(wire)
            hold_direction = exchanges[1].offer.direction if len(exchanges) > 1 else None
    check_relayed(wires, checks)

    check_nothing_left(the_lab, checks)
    cdr = the_cdr(the_lab, checks)
    if cdr is not None:
        check_cdr_result(cdr, checks, "answered", 200)
        media = media_from_cdr(cdr)
        checks.check(media is not None, "CDR has media counters")
        if media is not None:
            to_callee = len([r for r in wires[1].rtp if r.src[0] == lab.TRUNK_IP])
            to_caller = len([r for r in wires[0].rtp if r.src[0] == lab.ACCESS_IP])
            checks.near(media.caller_to_callee, to_callee, TOLERANCE,
                        "dataplane caller->callee RTP (CDR) vs the callee wire")
            checks.near(media.callee_to_caller, to_caller, TOLERANCE,
                        "dataplane callee->caller RTP (CDR) vs the caller wire")


def check_wire(wire: Wire, checks, hold_direction: Optional[str]) -> None:
    """One wire: three INVITE exchanges (call, hold, resume), answered 200 and ACKed, with the
    expected directions; RTP both ways before the hold and after the resume, none while held,
    from the same SBC endpoint; the BYE answered."""
    ua_name = "caller" if wire.ua_ip == lab.CALLER_IP else "callee"
    for m in wire.sip:
        if m.direction is not None or m.method in ("BYE", "ACK"):
            say(f"{wire.name}: [{m.index}] {m.src}: {m.first[:60]} "
                f"(CSeq {m.cseq_method}, {m.direction or '-'}, c={m.connection or '-'})")
    exchanges = invite_exchanges(wire)
    if not checks.check(len(exchanges) == 3, f"{wire.name}: three INVITE transactions (call, "
                        f"hold, resume): {[e.offer.first[:40] for e in exchanges]}"):
        return
    call, hold, resume = exchanges
    offerer = lab.CALLER_IP if ua_name == "caller" else wire.sbc_ip
    for what, e in (("initial INVITE", call), ("hold re-INVITE", hold),
                    ("resume re-INVITE", resume)):
        checks.check(e.offer.src == offerer and e.answer is not None and e.answer.status == 200
                     and e.ack is not None,
                     f"{wire.name}: the {what} came from {offerer}, was answered 200 and ACKed",
                     f"answer {e.answer.first if e.answer else None}, ack {e.ack is not None}")
        sbc_side = e.offer if e.offer.src == wire.sbc_ip else e.answer
        if sbc_side is not None:
            checks.check(sbc_side.connection == wire.sbc_ip,
                         f"{wire.name}: the SBC's SDP in the {what} exchange has c={wire.sbc_ip} "
                         f"({sbc_side.connection})")
    if hold_direction is None:
        expected_hold = HOLD_DIRECTIONS
        hold_text = "sendonly or inactive"
    else:
        expected_hold = (hold_direction,)
        hold_text = f"{hold_direction}, as the caller sent it"
    checks.check(hold.offer.direction in expected_hold,
                 f"{wire.name}: the hold re-INVITE offers a={hold.offer.direction} ({hold_text})")
    if hold.answer is not None:
        checks.check(hold.answer.direction == ANSWER_TO.get(hold.offer.direction),
                     f"{wire.name}: the hold answer has a={hold.answer.direction} (expected "
                     f"{ANSWER_TO.get(hold.offer.direction)})")
    for e, what in ((call, "initial"), (resume, "resume")):
        checks.check(e.offer.direction == "sendrecv" and e.answer is not None
                     and e.answer.direction == "sendrecv",
                     f"{wire.name}: the {what} offer and answer are sendrecv "
                     f"({e.offer.direction}/{e.answer.direction if e.answer else None})")
    bye = next((m for m in wire.sip if m.method == "BYE"), None)
    bye_ok = bye is not None and any(m.status == 200 and m.cseq_method == "BYE"
                                     and m.index > bye.index for m in wire.sip)
    checks.check(bye_ok and bye.src == offerer,
                 f"{wire.name}: the caller's BYE came from {offerer} and was answered 200")
    if None in (call.ack, hold.ack, resume.ack) or bye is None:
        return

    phases = {"before the hold": (call.ack.index, hold.offer.index),
              "while held": (hold.ack.index, resume.offer.index),
              "after the resume": (resume.ack.index, bye.index)}
    sbc_endpoints = {}
    for phase, (start, end) in phases.items():
        to_sbc = rtp_between(wire, start, end, from_ua=True)
        to_ua = rtp_between(wire, start, end, from_ua=False)
        say(f"{wire.name} {phase}: {len(to_sbc)} RTP {ua_name} -> SBC, {len(to_ua)} RTP "
            f"SBC -> {ua_name}")
        if phase == "while held":
            checks.check(len(to_sbc) <= IN_FLIGHT and len(to_ua) <= IN_FLIGHT,
                         f"{wire.name} {phase}: no RTP either way ({len(to_sbc)} to the SBC, "
                         f"{len(to_ua)} to the {ua_name}; <= {IN_FLIGHT} in flight allowed)")
            continue
        checks.check(len(to_sbc) >= MIN_PHASE_RTP and len(to_ua) >= MIN_PHASE_RTP,
                     f"{wire.name} {phase}: RTP both ways ({len(to_sbc)} to the SBC, "
                     f"{len(to_ua)} to the {ua_name}; >= {MIN_PHASE_RTP} each)")
        sbc_endpoints[phase] = ({r.src for r in to_ua}, {r.dst for r in to_sbc})
    if len(sbc_endpoints) == 2:
        before, after = sbc_endpoints["before the hold"], sbc_endpoints["after the resume"]
        checks.check(len(before[0]) == 1 and before == after
                     and before[0] == before[1] and next(iter(before[0]))[0] == wire.sbc_ip,
                     f"{wire.name}: RTP used one SBC endpoint (sent from and to) before the hold "
                     f"and after the resume: {before} / {after}")


def check_relayed(wires: List[Wire], checks) -> None:
    """The payloads each UA sent in a talking phase reached the other UA unchanged: those sent
    between the phase's cuts on the sender's wire, looked for among those received on the other
    wire from the previous to the next exchange (a packet sent just before a cut may be seen after
    it on the other wire)."""
    windows = {}
    for wire in wires:
        exchanges = invite_exchanges(wire)
        bye = next((m for m in wire.sip if m.method == "BYE"), None)
        if len(exchanges) != 3 or bye is None or None in (e.ack for e in exchanges):
            checks.check(False, f"{wire.name}: the phases could not be cut (see above)")
            return
        call, hold, resume = exchanges
        windows[wire.name] = {
            "before the hold": ((call.ack.index, hold.offer.index), (call.offer.index,
                                                                      hold.ack.index)),
            "after the resume": ((resume.ack.index, bye.index), (resume.offer.index, 1 << 62))}
    for phase in ("before the hold", "after the resume"):
        for sender, receiver in ((wires[0], wires[1]), (wires[1], wires[0])):
            (s_start, s_end), _ = windows[sender.name][phase]
            _, (r_start, r_end) = windows[receiver.name][phase]
            sent = rtp_between(sender, s_start, s_end, from_ua=True)
            received = rtp_between(receiver, r_start, r_end, from_ua=False)
            share = relayed_share(sent, received)
            who = "caller -> callee" if sender is wires[0] else "callee -> caller"
            checks.check(share >= RELAYED_FRACTION,
                         f"{who} {phase}: {share:.0%} of the {len(sent)} RTP payloads sent "
                         f"reached the other UA byte for byte (>= {RELAYED_FRACTION:.0%})")


if __name__ == "__main__":
    sys.exit(main(test, "baresip_hold"))
