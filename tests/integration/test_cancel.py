#!/usr/bin/env python3
"""Integration: the caller CANCELs while the callee rings.

The caller must get 200 to its CANCEL and 487 to its INVITE, the callee must see the CANCEL (sbcd
cancels its own leg), and nothing may be left in sbcd or the dataplane.
"""

import sys

from lab_test import (check_calls_ended, check_cdr_result, check_peers_ok, check_topology_hidden,
                      lab, main, the_cdr)


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_cancel.xml"),
                           lab.scenario("uas_ring_cancelled.xml"), duration_ms=1000)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 487, f"caller's INVITE ended with 487 (got {code})")
    checks.check(outcome.caller.final_response("CANCEL") == 200, "caller's CANCEL answered 200")
    received = outcome.callee.requests_received()
    checks.check("CANCEL" in received, f"callee received a CANCEL ({received})")
    checks.check(outcome.callee.final_response("INVITE") == 487,
                 "callee ended its INVITE with 487 and got the ACK")
    rtp = outcome.caller_rtp_received + outcome.callee_rtp_received
    checks.check(rtp == 0, f"no RTP reached either end of an unanswered call ({rtp})")
    check_topology_hidden(outcome, checks)

    cdr = the_cdr(the_lab, checks)
    if cdr is not None:
        check_cdr_result(cdr, checks, "cancelled", 487)
        checks.check(cdr.get("answer_time") is None, "CDR has no answer time")

    check_calls_ended(the_lab, checks, "cancelled", more=[
        ("sbc_calls_total", {"result": "answered"}, lambda v: v == 0, "no answered call"),
        ("sbc_sip_requests_total", {"method": "CANCEL"}, lambda v: v >= 1, "CANCEL counted"),
    ])


if __name__ == "__main__":
    sys.exit(main(test, "cancel"))
