#!/usr/bin/env python3
"""Integration: a call with two-way media where each side of the SBC speaks its own transport.

    test_transport_call.py --access tcp --trunk udp [--hangup callee] [lab args]

--access: how the caller reaches the SBC's access zone; --trunk: how the SBC reaches the carrier
trunk (its [trunk.carrier1] transport). udp and tcp are sipp itself; tls is sipp behind a
kamailio TLS relay in the same namespace (Debian's sipp has no TLS): the caller's relay is the
TLS client of the SBC, the callee's relay the TLS server the SBC connects to. --hangup: which
end sends the BYE (default: the caller); when the callee does, the SBC sends a request toward
the caller, on the caller's own connection.

Asserts, beyond a basic call (sipp outcomes, RTP both ways against the dataplane's counters, CDR,
topology hiding, nothing left): which transport crossed each wire (captures), that every request
of a side used one connection, and that the Via and Contact each peer saw name that transport.
"""

import argparse
import sys

from lab_test import (answered_call_metrics, check_answered_media, check_nothing_left,
                      check_peers_ok, lab, main, metric_check)

AUDIO_SECONDS = 2.0   # each end plays this once after the answer: 100 packets of 20 ms
DURATION_MS = 3000    # the caller hangs up after this, when all RTP has been sent
TLS_HANDSHAKE = 0x16  # TLS record type of a ClientHello / ServerHello


def sbc_port(transport: str) -> int:
    return lab.SIPS_PORT if transport == "tls" else lab.SIP_PORT


def all_values(message, name: str) -> str:
    """Every value of header `name` in a sipp-traced message, joined (Via may repeat)."""
    prefix = name.lower() + ":"
    values = []
    for line in message.text.split("\n"):
        if not line.strip():
            break
        if line.lower().startswith(prefix):
            values.append(line[len(prefix):].strip())
    return ", ".join(values)


def relay_connects_back(trunk: str, hangup: str) -> int:
    """Connections the callee's side opens to the SBC: the TLS relay's, for the callee's BYE.

    The SBC's connection to the relay comes from an ephemeral port and its Via carries no RFC 5923
    ;alias, so kamailio sends a new request (the BYE) to the SBC's Contact, 198.51.100.1:5061, on
    a connection of its own (RFC 3261 18.1.1). sipp (one socket, -t t1) answers and sends all on
    the connection it accepted."""
    return 1 if trunk == "tls" and hangup == "callee" else 0


def check_wire(checks, side: str, capture, peer_ip: str, sbc_ip: str, transport: str,
               peer_opens: bool, back: int = 0) -> None:
    """What crossed this side's wire between the peer and the SBC: only `transport`, on one
    connection opened by the side that sent the first request (and `back` the other way)."""
    port = sbc_port(transport)
    sip_udp = [p for p in capture.udp if {p.src, p.dst} == {peer_ip, sbc_ip}
               and lab.SIP_PORT in (p.sport, p.dport) and p.payload]
    streams = [s for s in capture.tcp_streams() if {s.src, s.dst} == {peer_ip, sbc_ip}]
    # The side that opens the connection connects to the other's port 5060 (TCP) or 5061 (TLS):
    # the SBC's listener, or the callee's sipp or TLS relay.
    opener, target = (peer_ip, sbc_ip) if peer_opens else (sbc_ip, peer_ip)
    if transport == "udp":
        checks.check(len(sip_udp) >= 4, f"{side}: SIP over UDP on the wire ({len(sip_udp)} "
                     "datagrams)")
        checks.check(not streams, f"{side}: no TCP between {peer_ip} and {sbc_ip}",
                     f"{len(streams)} streams")
        return
    checks.check(not sip_udp, f"{side}: no SIP over UDP between {peer_ip} and {sbc_ip}",
                 f"{len(sip_udp)} datagrams, first {sip_udp[0].payload[:80]!r}" if sip_udp else "")
    connections = capture.tcp_connections_to(target, port)
    checks.check(connections == 1, f"{side}: exactly one connection {opener} -> "
                 f"{target}:{port}, every request and response on it ({connections})")
    reverse = capture.tcp_connections_to(opener, port)
    checks.check(reverse == back, f"{side}: {back} connection(s) {target} -> {opener}:{port} "
                 f"({reverse})")
    payloads = [s.payload for s in streams if port in (s.sport, s.dport)]
    checks.check(len(payloads) == 2 * (1 + back) and all(payloads),
                 f"{side}: both directions of each connection carry data ({len(payloads)} "
                 "streams)")
    if transport == "tcp":
        requests = b"".join(payloads)
        checks.check(all(m in requests for m in (b"INVITE sip:", b"ACK sip:", b"BYE sip:")),
                     f"{side}: INVITE, ACK and BYE crossed the TCP connection in clear")
    else:
        checks.check(all(p[0] == TLS_HANDSHAKE for p in payloads),
                     f"{side}: both directions start with a TLS handshake record",
                     f"first bytes {[p[:3] for p in payloads]}")
        checks.check(not any(b"SIP/2.0" in p for p in payloads),
                     f"{side}: no SIP in clear on the TLS connection")


def check_caller_saw(checks, outcome, transport: str, hangup: str) -> None:
    """The SBC's Contact in its 200 for the INVITE names the access listener and transport, and
    so does the Via of the BYE the SBC relays when the callee hangs up."""
    port = sbc_port(transport)
    answers = [m for m in outcome.caller.messages if m.direction == "received"
               and m.status_code == 200 and (m.header("CSeq") or "").endswith("INVITE")]
    contact = answers[0].header("Contact") or answers[0].header("m") if answers else None
    checks.check(contact is not None, f"caller received a 200 with a Contact ({contact})")
    if contact is None:
        return
    lowered = contact.lower()
    expected_param = "" if transport == "udp" else f"transport={transport}"
    names_listener = f"{lab.ACCESS_IP}:{port}" in contact
    if transport == "udp":
        right_transport = "transport=tcp" not in lowered and "transport=tls" not in lowered
    else:
        right_transport = expected_param in lowered
    checks.check(names_listener and right_transport,
                 f"caller saw the SBC's Contact name {lab.ACCESS_IP}:{port} over {transport} "
                 f"({contact})")
    if hangup == "callee":
        byes = [m for m in outcome.caller.messages if m.direction == "received"
                and m.method == "BYE"]
        via = (all_values(byes[0], "Via") or all_values(byes[0], "v")) if byes else ""
        token = transport.upper()
        checks.check(f"SIP/2.0/{token} {lab.ACCESS_IP}:{port}" in via,
                     f"caller got the callee's BYE with the SBC's Via over {token} from "
                     f"{lab.ACCESS_IP}:{port} ({via or 'no BYE'})")
    if transport != "tls":
        return
    seen = outcome.caller_relay_seen or []
    from_sbc = [m for m in seen if m.source.startswith(f"{lab.ACCESS_IP}:")]
    checks.check(len(from_sbc) >= 3 and all(m.proto == "tls" for m in from_sbc)
                 and all(m.source == f"{lab.ACCESS_IP}:{port}" for m in from_sbc),
                 f"caller's TLS relay got everything from the SBC over TLS from "
                 f"{lab.ACCESS_IP}:{port} ({[(m.proto, m.source, m.line) for m in from_sbc]})")
    relayed = [m for m in seen if m.kind == "reply" and m.line.startswith("200 ")
               and m.line.endswith("INVITE")]
    checks.check(bool(relayed) and "transport=tls" in relayed[0].contact.lower(),
                 f"caller's TLS relay saw Contact {relayed[0].contact if relayed else None}")


def check_callee_saw(checks, outcome, transport: str, hangup: str) -> None:
    """The SBC's Via and Contact in the INVITE name the carrier listener and transport."""
    invites = [m for m in outcome.callee.messages if m.direction == "received"
               and m.method == "INVITE"]
    checks.check(bool(invites), "callee received the INVITE")
    if not invites:
        return
    invite = invites[0]
    via = all_values(invite, "Via") or all_values(invite, "v")
    contact = invite.header("Contact") or invite.header("m") or ""
    token = {"udp": "UDP", "tcp": "TCP", "tls": "TLS"}[transport]
    checks.check(f"SIP/2.0/{token} {lab.TRUNK_IP}:" in via,
                 f"callee saw the SBC's Via over {token} from {lab.TRUNK_IP} ({via})")
    lowered = contact.lower()
    if transport == "udp":
        right = (f"{lab.TRUNK_IP}:{lab.SIP_PORT}" in contact and "transport=tcp" not in lowered
                 and "transport=tls" not in lowered)
    else:
        right = (f"{lab.TRUNK_IP}:{sbc_port(transport)}" in contact
                 and f"transport={transport}" in lowered)
    checks.check(right, f"callee saw the SBC's Contact over {transport} ({contact})")
    if hangup == "caller":
        checks.check("BYE" in outcome.callee.requests_received(), "callee received the BYE")
    else:
        code = outcome.callee.final_response("BYE")
        checks.check(code == 200, f"callee's BYE answered 200 (got {code})")
    if transport != "tls":
        return
    seen = outcome.callee_relay_seen or []
    from_sbc = [m for m in seen if m.source.startswith(f"{lab.TRUNK_IP}:")]
    methods = [m.line.split()[0] for m in from_sbc if m.kind == "request"]
    wanted = ("INVITE", "ACK", "BYE") if hangup == "caller" else ("INVITE", "ACK")
    replied = hangup == "caller" or any(m.kind == "reply" and m.line.endswith(" BYE")
                                        for m in from_sbc)
    checks.check(all(m.proto == "tls" for m in from_sbc) and replied
                 and all(x in methods for x in wanted),
                 f"callee's TLS relay got {', '.join(wanted)}"
                 f"{'' if hangup == 'caller' else ' and the 200 for BYE'} from the SBC over TLS "
                 f"({[(m.proto, m.source, m.line) for m in from_sbc]})")
    first = next((m for m in from_sbc if m.line.startswith("INVITE")), None)
    checks.check(first is not None and first.via.startswith(f"SIP/2.0/TLS {lab.TRUNK_IP}:"),
                 f"callee's TLS relay saw the SBC's Via {first.via if first else None}")


def transport_metrics(access: str, trunk: str, hangup: str):
    """sbcd's connection counters: the caller's one connection accepted on the access side, the
    one the SBC opened to the trunk (and the relay's back), and no failed TLS handshake."""
    expectations = []
    for transport in ("tcp", "tls"):
        accepted = ((1 if access == transport else 0)
                    + (relay_connects_back(trunk, hangup) if trunk == transport else 0))
        initiated = 1 if trunk == transport else 0
        expectations += [
            ("sbc_sip_connections_accepted_total", {"transport": transport},
             lambda v, n=accepted: v == n, f"{accepted} {transport} connection(s) accepted"),
            ("sbc_sip_connections_initiated_total", {"transport": transport},
             lambda v, n=initiated: v == n, f"{initiated} {transport} connection(s) opened"),
        ]
    if "tls" in (access, trunk):
        expectations.append(("sbc_sip_tls_handshake_failures_total", {}, lambda v: v == 0,
                             "no TLS handshake failed"))
    return expectations


def make_test(access: str, trunk: str, hangup: str = "caller"):
    def test(the_lab, checks):
        if hangup == "caller":
            uac = "uac_call_rtp.xml"
            uas = "uas_answer_rtp_rr.xml" if trunk == "tls" else "uas_answer_rtp.xml"
        else:
            uac, uas = "uac_call_rtp_wait_bye.xml", "uas_answer_rtp_bye.xml"
        outcome = lab.run_call(the_lab, lab.scenario(uac), lab.scenario(uas),
                               duration_ms=DURATION_MS, audio_seconds=AUDIO_SECONDS,
                               caller_transport=access, callee_transport=trunk)
        expected = outcome.rtp_per_play
        check_peers_ok(outcome, checks)
        code = outcome.caller.final_response("INVITE")
        checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
        checks.check(outcome.caller.final_response("BYE") == 200,
                     f"the {hangup}'s BYE answered 200 on the caller's side")

        check_wire(checks, f"access ({access})", outcome.caller_capture, lab.CALLER_IP,
                   lab.ACCESS_IP, access, peer_opens=True)
        check_wire(checks, f"trunk ({trunk})", outcome.callee_capture, lab.CALLEE_IP,
                   lab.TRUNK_IP, trunk, peer_opens=False, back=relay_connects_back(trunk, hangup))
        check_caller_saw(checks, outcome, access, hangup)
        check_callee_saw(checks, outcome, trunk, hangup)

        check_answered_media(the_lab, outcome, checks, expected)

        check_nothing_left(the_lab, checks)
        metric_check(the_lab, checks,
                     transport_metrics(access, trunk, hangup) + answered_call_metrics(outcome))
    return test


def setup_for(access: str, trunk: str):
    access_transports = ["udp", "tcp"] + (["tls"] if access == "tls" else [])
    carrier_transports = ["udp", "tcp"] + (["tls"] if trunk == "tls" else [])
    return lab.SipSetup(access_transports=tuple(access_transports),
                        carrier_transports=tuple(carrier_transports), trunk_transport=trunk)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--access", choices=("udp", "tcp", "tls"), required=True)
    parser.add_argument("--trunk", choices=("udp", "tcp", "tls"), required=True)
    parser.add_argument("--hangup", choices=("caller", "callee"), default="caller")
    options, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    name = f"call_{options.access}_{options.trunk}"
    if options.hangup == "callee":
        name += "_callee_bye"
    sys.exit(main(make_test(options.access, options.trunk, options.hangup), name,
                  sip=setup_for(options.access, options.trunk)))
