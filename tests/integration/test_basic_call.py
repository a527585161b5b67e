#!/usr/bin/env python3
"""Integration: a call caller -> SBC -> callee with RTP both ways, then BYE.

Asserts what crossed the wires (captures in the caller and callee namespaces), what the dataplane
counted (CDR media per direction, /metrics), topology hiding, and that nothing is left after BYE.

With `--workers 2` the dataplane runs two relay workers (lcores 0-1,2@1: the second shares CPU 1
on a small machine): each af_packet port gets two queue pairs, the kernel's fanout spreads the
flows over them, and whatever lands on the worker that does not own it (a stream, a port's
punts) is handed over. The call must carry the same media either way.
"""

import argparse
import re
import sys

from lab_test import (TOLERANCE, answered_call_metrics, check_answered_media, check_nothing_left,
                      check_peers_ok, lab, main, metric_check)

AUDIO_SECONDS = 2.0   # each end plays this once after the answer: 100 packets of 20 ms
DURATION_MS = 3000    # the caller hangs up after this, when all RTP has been sent


WORKERS = 1  # --workers
# With --workers 2 the access port also has media addresses: the kernel behind its TAP must
# answer for them (ARP), and a ping to one crosses the exception path.
MEDIA_ADDRESSES = "192.0.2.100-192.0.2.103"


def test(the_lab, checks):
    if WORKERS > 1:
        log = the_lab.logs().get("sbc-dataplane", "")
        queues = re.findall(r"port \d+ '(\w+)': wire port \d+ \((\d+) RX queues?\)", log)
        checks.check(sorted(queues) == [("access", str(WORKERS)), ("trunk", str(WORKERS))],
                     f"each af_packet port has {WORKERS} RX queues (fanout), one per worker",
                     f"dataplane log says {queues}")
        tap = the_lab.sbc.addresses("sbc0") or []
        checks.check(all(f"192.0.2.{h}/24" in tap for h in range(100, 104)),
                     f"the access TAP carries the media addresses {MEDIA_ADDRESSES}", f"{tap}")
        ping = the_lab.caller.run(["ping", "-c", "2", "-W", "2", "192.0.2.102"], check=False)
        checks.check(ping.returncode == 0, "a media address answers ARP and ping from the caller",
                     ping.stdout[-200:] if ping.stdout else "")
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), duration_ms=DURATION_MS,
                           audio_seconds=AUDIO_SECONDS,
                           during=lab.snapshot_calls_while_up(DURATION_MS / 1000))
    expected = outcome.rtp_per_play
    print(f"       show calls during the call:\n{outcome.during}")
    checks.check(outcome.during is not None, "sbc-cli show calls listed the call while it was up")
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200, "caller's BYE answered 200")

    media = check_answered_media(the_lab, outcome, checks, expected)
    if media is not None:
        checks.check(media.caller_latched == f"{lab.CALLER_IP}:6000",
                     f"dataplane latched the caller at {media.caller_latched}")
        checks.check(media.callee_latched == f"{lab.CALLEE_IP}:6000",
                     f"dataplane latched the callee at {media.callee_latched}")

    check_nothing_left(the_lab, checks)
    # The dataplane's own per-port counters (a fresh lab: this call is all they counted).
    ports = {p["name"]: p for p in the_lab.cli_json("show", "dataplane")["ports"]}
    checks.near(ports["trunk"]["media_packets"], outcome.callee_rtp_received, TOLERANCE,
                "show dataplane trunk port media packets vs callee capture")
    checks.near(ports["access"]["media_packets"], outcome.caller_rtp_received, TOLERANCE,
                "show dataplane access port media packets vs caller capture")
    metric_check(the_lab, checks, answered_call_metrics(outcome) + [
        ("sbc_dataplane_up", {}, lambda v: v == 1, "sbcd connected to the dataplane"),
        ("sbc_sip_requests_total", {"method": "INVITE"}, lambda v: v >= 1, "INVITE counted"),
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workers", type=int, choices=(1, 2), default=1)
    options, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    WORKERS = options.workers
    if WORKERS == 1:
        sys.exit(main(test, "basic_call"))
    sys.exit(main(test, "basic_call_two_workers", dataplane_config={
        "dataplane": {"lcores": "0-1,2@1", "mbuf_count": "32767"},
        "port.access": {"media_addresses": MEDIA_ADDRESSES}}))
