#!/usr/bin/env python3
"""Integration: qualify and failover to a backup carrier. Two trunks on the carrier zone:
`carrier0` (198.51.100.20, qualify every second, down after 2 failed pings, up after 2 answered)
and `carrier1` (the lab's sipp, not qualified). Trunks are tried in name order, so carrier0 is
the primary.

1. A peer answering OPTIONS on carrier0's address (tools/lab/options_peer.py): `show trunks`
   shows carrier0 up with a latency; sbc_trunk_up is 1.
2. The peer stops: carrier0 goes down on timeouts (state, last failure, sbc_trunk_up 0).
3. A call from the caller goes to the backup carrier1 while the primary is down: answered, RTP
   both ways, the CDR names carrier1.
4. The peer comes back: carrier0 is up again after two answered pings."""

import os
import sys
import time

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main
from lab.procs import Process, wait_until

PRIMARY_IP = "198.51.100.20"
SBC_CONFIG = {"trunk.carrier0": {"zone": "carrier", "host": PRIMARY_IP, "qualify": "1",
                                 "qualify_timeout_ms": "500", "qualify_failures": "2",
                                 "qualify_successes": "2"}}
PEER = os.path.join(os.path.dirname(os.path.abspath(lab.__file__)), "options_peer.py")


def trunk(the_lab, name):
    rows = the_lab.cli_json("show", "trunks")["trunks"]
    return next((row for row in rows if row["name"] == name), None)


def start_peer(the_lab, run):
    peer = Process(f"options_peer {run}",
                   the_lab.callee.exec_cmd(["python3", PEER, PRIMARY_IP, "5060"]),
                   the_lab.path(f"options_peer{run}.log"))
    the_lab.extra_processes.append(peer)
    return peer


def wait_state(the_lab, checks, state, what, timeout=15.0):
    try:
        wait_until(f"carrier0 {state}", lambda: trunk(the_lab, "carrier0")["state"] == state,
                   timeout, interval=0.2)
        checks.check(True, what)
    except lab.LabError as e:
        checks.check(False, f"{what}: {e}; show trunks:\n{the_lab.cli('show', 'trunks')}")


def trunk_up_metric(the_lab, name):
    return lab.metric_sum(lab.parse_metrics(the_lab.metrics()), "sbc_trunk_up", trunk=name)


def test(the_lab, checks):
    the_lab.callee.ip("addr", "add", f"{PRIMARY_IP}/24", "dev", "e0")
    peer = start_peer(the_lab, 1)
    wait_state(the_lab, checks, "up", "carrier0 answers its pings: up")
    row = trunk(the_lab, "carrier0")
    checks.check(row["latency_ms"] is not None and row["pings_answered"] >= 1,
                 f"carrier0's latency is shown ({row['latency_ms']} ms, "
                 f"{row['pings_answered']} pings answered)")
    checks.check(trunk(the_lab, "carrier1")["state"] == "unmonitored",
                 "carrier1 (no qualify) is unmonitored")
    checks.check(trunk_up_metric(the_lab, "carrier0") == 1, "sbc_trunk_up{carrier0} is 1")

    peer.stop()
    wait_state(the_lab, checks, "down", "carrier0 silent: down")
    row = trunk(the_lab, "carrier0")
    checks.check(row["last_failure"].startswith("timeout"),
                 f"the last failure says why: {row['last_failure']!r}")
    checks.check(trunk_up_metric(the_lab, "carrier0") == 0, "sbc_trunk_up{carrier0} is 0")
    text = the_lab.cli("show", "trunks")
    checks.check("carrier0" in text and "down" in text, "show trunks (text) shows it down")
    print(text, flush=True)

    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), audio_seconds=1.0, timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200,
                 "the call is answered by the backup carrier")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)
    cdrs = the_lab.wait_cdrs(1)
    trunk_in_cdr = cdrs[-1].get("callee_trunk") if cdrs else None
    checks.check(trunk_in_cdr == "carrier1", f"the CDR names the backup trunk ({trunk_in_cdr})")

    start_peer(the_lab, 2)
    started = time.monotonic()
    wait_state(the_lab, checks, "up", "carrier0 answers again: up")
    checks.check(trunk(the_lab, "carrier0")["pings_answered"] >= 3,
                 f"up again after answered pings ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    sys.exit(main(test, "trunk_qualify", sbc_config=SBC_CONFIG))
