#!/usr/bin/env python3
"""Integration: reliable provisional responses (RFC 3262) terminated per leg. The caller supports
100rel; the callee answers with a reliable 183 carrying its SDP answer. The SBC PRACKs the callee's
183 on the callee's dialog and sends the caller its own reliable 183 (its own RSeq, the answer
anchored), which the caller PRACKs; the callee's 200 (no SDP: the answer is given) reaches the
caller as a 200 without a second answer. The sipp scenarios check Require/RSeq/RAck on each leg;
RTP then flows both ways through the anchored ports and the call ends normally.

--early-update: after the PRACKs the callee changes the session with an UPDATE on its early dialog
(RFC 3311 §5.1); the SBC relays it to the caller on the caller's early dialog (its access address
in the offer) and brings the caller's answer back anchored at its trunk address, before the 200."""

import argparse
import sys

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main

AUDIO_SECONDS = 1.0


def make_test(early_update: bool):
    suffix = "_update" if early_update else ""

    def test(the_lab, checks):
        run(the_lab, checks, f"uac_prack{suffix}.xml", f"uas_prack{suffix}.xml")
        if early_update:
            log = the_lab.logs().get("sbcd", "")
            checks.check("UPDATE from the callee relayed" in log,
                         "sbcd relayed the callee's early UPDATE")
    return test


def run(the_lab, checks, uac: str, uas: str):
    outcome = lab.run_call(the_lab, lab.scenario(uac), lab.scenario(uas),
                           audio_seconds=AUDIO_SECONDS, timeout_s=30)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--early-update", action="store_true")
    options, rest = parser.parse_known_args(sys.argv[1:])
    sys.argv = [sys.argv[0], *rest]
    sys.exit(main(make_test(options.early_update),
                  "prack_early_update" if options.early_update else "prack"))
