#!/usr/bin/env python3
"""Integration: the callee answers 486 Busy Here; the caller must get 486 and nothing is left."""

import sys

from lab_test import (check_calls_ended, check_cdr_result, check_peers_ok, check_topology_hidden,
                      lab, main, the_cdr)


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_busy.xml"), lab.scenario("uas_busy.xml"))
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 486, f"caller's INVITE ended with 486 (got {code})")
    checks.check(outcome.callee.final_response("INVITE") == 486,
                 "callee answered 486 and got the ACK")
    rtp = outcome.caller_rtp_received + outcome.callee_rtp_received
    checks.check(rtp == 0, f"no RTP reached either end of a refused call ({rtp})")
    check_topology_hidden(outcome, checks)

    cdr = the_cdr(the_lab, checks)
    if cdr is not None:
        check_cdr_result(cdr, checks, "busy", 486)

    check_calls_ended(the_lab, checks, "busy", more=[
        ("sbc_sip_responses_total", {"class": "4xx"}, lambda v: v >= 1, "486 counted"),
    ])


if __name__ == "__main__":
    sys.exit(main(test, "busy"))
