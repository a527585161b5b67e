#!/usr/bin/env python3
"""Integration: a blind transfer (REFER, RFC 3515) relayed by the SBC. The caller (a PBX) refers
the carrier to extension 200 at its own address; the carrier gets a REFER on its own dialog whose
Refer-To names extension 200 at the SBC (the lab's topology checks confirm that nothing of the
access side reached the carrier), accepts it (202, relayed back) and reports the transfer with a
NOTIFY (sipfrag), which reaches the caller on the caller's dialog; RTP flowed both ways before,
and the call ends with the caller's BYE."""

import sys

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main

AUDIO_SECONDS = 1.0


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_refer.xml"), lab.scenario("uas_refer.xml"),
                           audio_seconds=AUDIO_SECONDS, timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("REFER") == 202, "caller's REFER accepted (202)")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    log = the_lab.logs().get("sbcd", "")
    checks.check("REFER from the caller relayed" in log, "sbcd logged the relayed REFER")
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "refer"))
