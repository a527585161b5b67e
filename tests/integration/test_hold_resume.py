#!/usr/bin/env python3
"""Integration: a call put on hold by the caller (re-INVITE, a=inactive) and taken off hold by the
callee (re-INVITE from the other side, a=sendrecv), then refreshed by the callee (UPDATE, RFC 4028),
all relayed by the SBC with the direction
each side asked for (the sipp scenarios check the bodies they receive); RTP flows both ways
before the hold and again after the resume, through the same anchored ports, and the call ends
normally."""

import sys

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main

AUDIO_SECONDS = 1.0


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_hold_resumed.xml"),
                           lab.scenario("uas_resume_after_hold.xml"),
                           audio_seconds=AUDIO_SECONDS, timeout_s=40)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITEs answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")
    # Each end played the tone once before the hold and once after the resume.
    check_answered_media(the_lab, outcome, checks, 2 * outcome.rtp_per_play)

    log = the_lab.logs().get("sbcd", "")
    for what in ("INVITE from the caller relayed", "INVITE from the callee relayed",
                 "media on hold", "media resumed"):
        checks.check(what in log, f"sbcd logged '{what}'")
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "hold_resume"))
