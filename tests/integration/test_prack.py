#!/usr/bin/env python3
"""Integration: reliable provisional responses (RFC 3262) terminated per leg. The caller supports
100rel; the callee answers with a reliable 183 carrying its SDP answer. The SBC PRACKs the callee's
183 on the callee's dialog and sends the caller its own reliable 183 (its own RSeq, the answer
anchored), which the caller PRACKs; the callee's 200 (no SDP: the answer is given) reaches the
caller as a 200 without a second answer. The sipp scenarios check Require/RSeq/RAck on each leg;
RTP then flows both ways through the anchored ports and the call ends normally."""

import sys

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main

AUDIO_SECONDS = 1.0


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_prack.xml"), lab.scenario("uas_prack.xml"),
                           audio_seconds=AUDIO_SECONDS, timeout_s=30)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "prack"))
