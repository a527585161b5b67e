#!/usr/bin/env python3
"""Integration: a carrier that challenges every INVITE (sipp, uas_challenge.xml: 401 with a Digest
MD5 qop=auth challenge, then sipp's verifyauth on the INVITE that comes again). The trunk has
`username`/`secret`: the SBC ACKs the 401, sends the INVITE again with Authorization for the
trunk's account (next CSeq, same Call-ID), the carrier accepts it and answers; the caller sees one
call answered 200, never the challenge; RTP flows both ways and the call ends normally. The
secret appears nowhere in sbcd's log."""

import sys

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main

AUDIO_SECONDS = 1.0
SECRET = "s3cret"
SBC_CONFIG = {"trunk.carrier1": {"username": "acct-42", "secret": SECRET}}


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_challenge.xml"), audio_seconds=AUDIO_SECONDS,
                           timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200, "caller's INVITE answered 200")
    caller_trace = "\n".join(m.text for m in outcome.caller.messages)
    checks.check(all(m.status_code not in (401, 407) for m in outcome.caller.messages)
                 and "Authenticate" not in caller_trace,
                 "the caller never saw the carrier's challenge")
    callee_invites = [m for m in outcome.callee.messages
                      if m.direction == "received" and m.method == "INVITE"]
    checks.check(len(callee_invites) == 2, f"the carrier got our INVITE twice "
                 f"({len(callee_invites)}): challenged, then with credentials")
    if len(callee_invites) == 2:
        checks.check('username="acct-42"' in (callee_invites[1].header("Authorization") or ""),
                     "the second INVITE carries Authorization for acct-42")
    log = the_lab.logs().get("sbcd", "")
    checks.check("answered with its credentials" in log, "sbcd logged the answered challenge")
    checks.check(SECRET not in log, "the trunk's secret is not in sbcd's log")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "trunk_auth", sbc_config=SBC_CONFIG))
