#!/usr/bin/env python3
"""Integration: a forked INVITE (RFC 3261 §16.7, RFC 6026). Behind the trunk a forking proxy
(sipp, uas_fork.xml) opens two early dialogs for the SBC's one INVITE: phone A rings, phone B
sends early media, phone A answers, then phone B answers late. The SBC ACKs A's 200 on A's dialog,
ACKs B's late 200 on B's dialog and hangs B up there (the scenario checks each dialog's tag); the
caller sees one call, answered once; RTP flows both ways with phone A; the caller's BYE reaches A;
the CDR names A's dialog as the one that won and counts both early dialogs."""

import sys

from lab_test import (check_answered_media, check_calls_ended, check_peers_ok, lab, main,
                      the_cdr)

AUDIO_SECONDS = 1.0


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"), lab.scenario("uas_fork.xml"),
                           audio_seconds=AUDIO_SECONDS, timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200, "caller's INVITE answered 200")
    invite_200s = [m for m in outcome.caller.messages
                   if m.status_code == 200 and "INVITE" in (m.header("CSeq") or "")]
    tags = {m.header("To").split("tag=")[-1] for m in invite_200s if m.header("To")}
    checks.check(len(tags) == 1, f"the caller's 200s all belong to one dialog (To tags {tags})")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")
    log = the_lab.logs().get("sbcd", "")
    checks.check("2xx from another fork" in log, "sbcd logged the late fork's 2xx (ACK and BYE)")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    cdr = the_cdr(the_lab, checks)
    if cdr is not None:
        winner = (cdr.get("callee_dialog") or {}).get("tag")
        checks.check(winner == "fork-a", f"the CDR names phone A's dialog as the winner ({winner})")
        checks.check(cdr.get("early_dialogs") == 2,
                     f"the CDR counts two early dialogs ({cdr.get('early_dialogs')})")
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "forking"))
