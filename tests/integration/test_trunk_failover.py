#!/usr/bin/env python3
"""Integration: per-call failover between carriers. Two trunks on the carrier zone: `carrier0`
(198.51.100.20, failover_timeout_ms 1000) and `carrier1` (the lab's sipp), in that order in
the route table's `[route.lab]` for the numbers the lab calls (prefix 1555), so carrier0 is the
primary of every call.

1. Nothing answers on carrier0's address: after 1 s without a response our INVITE goes to
   carrier1, which answers; RTP both ways; the CDR lists carrier0's attempt (408) and names
   carrier1.
2. carrier0 is a sipp that answers 503 with Retry-After: 60 (uas_unavailable.xml): the caller
   still sees one answered call (no 503), carried by carrier1 with RTP both ways; the CDR lists
   the 503; `show trunks` shows carrier0 held; sbc_trunk_failovers_total counts both reasons."""

import sys

from lab_test import (TOLERANCE, check_answered_media, check_calls_ended, check_peers_ok,
                      check_topology_hidden, lab, main)
from lab.peers import Sipp

PRIMARY_IP = "198.51.100.20"
SBC_CONFIG = {"trunk.carrier0": {"zone": "carrier", "host": PRIMARY_IP,
                                 "failover_timeout_ms": "1000"},
              "route.lab": {"prefix": "1555", "trunks": "carrier0, carrier1"}}


def call_through_backup(the_lab, checks, what, first):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), audio_seconds=1.0, timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200,
                 f"{what}: the call is answered by the backup carrier")
    statuses = [m.status_code for m in outcome.caller.messages
                if m.direction == "received" and m.status_code]
    checks.check(not any(code >= 300 for code in statuses),
                 f"{what}: the caller saw no failure response ({statuses})")
    if first:  # these checks count one call in the CDRs and metrics
        check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
        check_calls_ended(the_lab, checks)
        return
    for received, sent, name in ((outcome.callee_rtp_received, outcome.rtp_per_play, "callee"),
                                 (outcome.caller_rtp_received, outcome.rtp_per_play, "caller")):
        checks.near(received, sent, TOLERANCE, f"{what}: RTP the {name} received")
    check_topology_hidden(outcome, checks)


def check_cdr(the_lab, checks, count, code, what):
    cdr = the_lab.wait_cdrs(count)[-1]
    attempts = cdr.get("trunk_attempts")
    checks.check(cdr.get("callee_trunk") == "carrier1" and cdr.get("route") == "lab",
                 f"{what}: the CDR names carrier1 and route lab "
                 f"({cdr.get('callee_trunk')}, {cdr.get('route')})")
    checks.check(len(attempts or []) == 1 and attempts[0]["trunk"] == "carrier0" and
                 attempts[0]["code"] in code,
                 f"{what}: the CDR lists carrier0's attempt ({attempts})")


def failovers(the_lab, reason):
    values = lab.parse_metrics(the_lab.metrics())
    return lab.metric_sum(values, "sbc_trunk_failovers_total", trunk="carrier0", reason=reason)


def test(the_lab, checks):
    the_lab.callee.ip("addr", "add", f"{PRIMARY_IP}/24", "dev", "e0")

    call_through_backup(the_lab, checks, "silent primary", first=True)
    # No response at all within 1 s (the kernel's port unreachable is not seen by the SBC; if it
    # were, a transport error fails over the same way, as 503).
    check_cdr(the_lab, checks, 1, (408, 503), "silent primary")
    checks.check((failovers(the_lab, "no_response") or 0) +
                 (failovers(the_lab, "transport_error") or 0) == 1,
                 "sbc_trunk_failovers_total counts the silent primary")

    primary = Sipp(the_lab.callee, "primary", lab.scenario("uas_unavailable.xml"),
                   the_lab.path("primary"), PRIMARY_IP, media_port=6002, timeout_s=30)
    the_lab.extra_processes.append(primary.process)
    primary.wait_listening()
    call_through_backup(the_lab, checks, "primary answers 503", first=False)
    result = primary.wait(timeout=10)
    checks.check(result.ok and result.requests_received() == ["INVITE", "ACK"],
                 f"the primary got our INVITE and ACKed 503 ({result.summary()})")
    check_cdr(the_lab, checks, 2, (503,), "primary answers 503")
    checks.check(failovers(the_lab, "response") == 1,
                 "sbc_trunk_failovers_total{reason=response} is 1")
    row = next(r for r in the_lab.cli_json("show", "trunks")["trunks"] if r["name"] == "carrier0")
    checks.check(not row["available"] and row["held_s"] > 0,
                 f"carrier0 is held for its Retry-After ({row['held_s']} s left)")
    print(the_lab.cli("show", "trunks"), flush=True)
    routes = the_lab.cli_json("show", "routes")["routes"]
    checks.check(len(routes) == 1 and routes[0]["levels"][0][0] ==
                 {"trunk": "carrier0", "weight": 1, "available": False},
                 f"show routes lists route lab with carrier0 skipped ({routes})")
    print(the_lab.cli("show", "routes"), flush=True)


if __name__ == "__main__":
    sys.exit(main(test, "trunk_failover", sbc_config=SBC_CONFIG))
