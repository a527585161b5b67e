#!/usr/bin/env python3
"""Integration: a call caller -> SBC -> callee with RTP both ways, then BYE.

Asserts what crossed the wires (captures in the caller and callee namespaces), what the dataplane
counted (CDR media per direction, /metrics), topology hiding, and that nothing is left after BYE.
"""

import sys

from lab_test import (TOLERANCE, answered_call_metrics, check_answered_media, check_nothing_left,
                      check_peers_ok, lab, main, metric_check)

AUDIO_SECONDS = 2.0   # each end plays this once after the answer: 100 packets of 20 ms
DURATION_MS = 3000    # the caller hangs up after this, when all RTP has been sent


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), duration_ms=DURATION_MS,
                           audio_seconds=AUDIO_SECONDS,
                           during=lab.snapshot_calls_while_up(DURATION_MS / 1000))
    expected = outcome.rtp_per_play
    print(f"       show calls during the call:\n{outcome.during}")
    checks.check(outcome.during is not None, "sbc-cli show calls listed the call while it was up")
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")

    media = check_answered_media(the_lab, outcome, checks, expected)
    if media is not None:
        checks.check(media.caller_latched == f"{lab.CALLER_IP}:6000",
                     f"dataplane latched the caller at {media.caller_latched}")
        checks.check(media.callee_latched == f"{lab.CALLEE_IP}:6000",
                     f"dataplane latched the callee at {media.callee_latched}")

    check_nothing_left(the_lab, checks)
    # The dataplane's own per-port counters (a fresh lab: this call is all they counted).
    ports = {p["name"]: p for p in the_lab.cli_json("show", "dataplane")["ports"]}
    checks.near(ports["trunk"]["media_packets"], outcome.callee_rtp_received, TOLERANCE,
                "show dataplane trunk port media packets vs callee capture")
    checks.near(ports["access"]["media_packets"], outcome.caller_rtp_received, TOLERANCE,
                "show dataplane access port media packets vs caller capture")
    metric_check(the_lab, checks, answered_call_metrics(outcome) + [
        ("sbc_dataplane_up", {}, lambda v: v == 1, "sbcd connected to the dataplane"),
        ("sbc_sip_requests_total", {"method": "INVITE"}, lambda v: v >= 1, "INVITE counted"),
    ])


if __name__ == "__main__":
    sys.exit(main(test, "basic_call"))
