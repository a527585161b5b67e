#!/usr/bin/env python3
"""Integration: sbcd dies (SIGKILL, or SIGTERM with --signal term) in the middle of a call with
RTP both ways, and is started again on the same config and state database.

Asserts: the media never stopped (each end received every RTP packet the other sent, the
restart included), the restarted sbcd lists the adopted call in `show calls`, the caller's BYE
after the restart reaches the callee and both get 200, exactly one CDR for the call (with the
dataplane's counters of the whole call), nothing left afterwards; a ban added before the restart
is still listed after it, with its expiry, and the dataplane still drops that source.
"""

import argparse
import signal
import sys
import time

from lab_test import (check_answered_media, check_nothing_left, check_peers_ok, lab, main)
from lab.procs import LabError, wait_until
from security_checks import ban_of, dataplane_drops, metrics, wait_dataplane_refresh

AUDIO_SECONDS = 8.0   # each end plays this once after the answer: 400 packets of 20 ms
DURATION_MS = 10000   # the caller hangs up after this (sbcd is restarted ~2 s into the call)
BANNED = "192.0.2.66"
BAN_SECONDS = 3600


def _args():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--signal", choices=("kill", "term"), default="kill")
    known, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    return signal.SIGKILL if known.signal == "kill" else signal.SIGTERM


SIGNAL = _args()


def send_from_banned(the_lab, count: int = 5) -> None:
    """`count` OPTIONS datagrams from BANNED (an address on the caller's wire) to the SBC."""
    code = (
        "import socket\n"
        f"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('{BANNED}', 5090))\n"
        f"for i in range({count}):\n"
        "    s.sendto(b'OPTIONS sip:sbc@%s SIP/2.0\\r\\nVia: SIP/2.0/UDP %s:5090;branch=z9hG4bK%d'\n"
        "             b'\\r\\nFrom: <sip:x@%s>;tag=1\\r\\nTo: <sip:sbc@%s>\\r\\nCall-ID: b%d\\r\\n'\n"
        "             b'CSeq: 1 OPTIONS\\r\\nMax-Forwards: 70\\r\\nContent-Length: 0\\r\\n\\r\\n'\n"
        f"             % (b'{lab.ACCESS_IP}', b'{BANNED}', i, b'{BANNED}', b'{lab.ACCESS_IP}', i),\n"
        f"             ('{lab.ACCESS_IP}', {lab.SIP_PORT}))\n")
    the_lab.caller.run(["python3", "-c", code])


def restart_mid_call(the_lab):
    """A `during` callback: once the call is up and its media flowing, restart sbcd; returns what
    the restarted sbcd's `show calls` listed (None if it never listed the call)."""
    wait_until("sbcd to list the call", lambda: the_lab.active_calls() == 1, 10, 0.1,
               alive=the_lab.check_alive)
    before = the_lab.cli_json("show", "calls")["calls"]
    time.sleep(2.0)  # well into the media
    the_lab.restart_sbcd(SIGNAL)
    try:
        wait_until("the restarted sbcd to list the call", lambda: the_lab.active_calls() == 1, 5,
                   0.1, alive=the_lab.check_alive)
    except LabError:
        return before, None, the_lab.cli("show", "calls")
    return before, the_lab.cli_json("show", "calls")["calls"], the_lab.cli("show", "calls")


def test(the_lab, checks):
    # A ban from before the restart, on a neighbour of the PBX.
    the_lab.add_caller_address(BANNED)
    print(the_lab.cli("ban", "add", BANNED, str(BAN_SECONDS)))
    checks.check(ban_of(the_lab, BANNED) is not None, f"{BANNED} banned before the restart")

    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), duration_ms=DURATION_MS,
                           audio_seconds=AUDIO_SECONDS, during=restart_mid_call)
    before, after, text = outcome.during
    print(f"       show calls after the restart:\n{text}")
    checks.check(the_lab.sbcd_starts == 2, "sbcd was restarted during the call")
    checks.check(after is not None and len(after) == 1,
                 "the restarted sbcd lists the adopted call in show calls")
    if after:
        checks.check(after[0].get("id") == before[0].get("id"),
                     f"same call id before and after ({before[0].get('id')}, "
                     f"{after[0].get('id')})")
        checks.check(after[0].get("state") == "confirmed",
                     f"adopted call is confirmed ({after[0].get('state')})")

    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200, "caller's INVITE answered 200")
    checks.check(outcome.caller.final_response("BYE") == 200,
                 "caller's BYE after the restart answered 200")
    checks.check(outcome.callee.ok, "the callee got the BYE after the restart and answered 200 "
                 "(its scenario ends with BYE / 200)")
    # Every packet each end played reached the other: the media never stopped.
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    call_id = before[0].get("id")
    mine = [r for r in the_lab.cdr_records() if r.get("call_id") == call_id]
    checks.check(len(mine) == 1, f"exactly one CDR line for call {call_id} ({len(mine)})")
    check_nothing_left(the_lab, checks)

    # The ban survived: listed with its expiry, and the dataplane drops the source.
    entry = ban_of(the_lab, BANNED)
    checks.check(entry is not None, f"{BANNED} is still banned after the restart ({entry})")
    drops_before = dataplane_drops(metrics(the_lab), "banned_source")
    send_from_banned(the_lab)
    try:
        after_drops = wait_until(
            "the dataplane to count the banned source's packets",
            lambda: (lambda v: v if dataplane_drops(v, "banned_source") >= drops_before + 5
                     else None)(wait_dataplane_refresh(the_lab)), 15, 0.5)
        dropped = dataplane_drops(after_drops, "banned_source") - drops_before
    except LabError:
        dropped = dataplane_drops(metrics(the_lab), "banned_source") - drops_before
    checks.check(dropped >= 5, f"the dataplane dropped the banned source's packets after the "
                 f"restart (banned_source +{dropped:g})")


if __name__ == "__main__":
    sys.exit(main(test, "sbcd_restart_" + ("kill" if SIGNAL == signal.SIGKILL else "term")))
