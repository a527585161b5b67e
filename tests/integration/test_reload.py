#!/usr/bin/env python3
"""Integration: configuration reload during a live call (SIGHUP and `sbc-cli reload`).

While a call with RTP both ways is up, the lab's sbc.conf is rewritten: an acl_deny for a second
source on the access side (SIGHUP), then a trunk limit (`sbc-cli reload`), then an invalid value
(refused, the option named, the running configuration stays). The call is unaffected: its media
keeps flowing across the reloads, the CDR counts all of it and its BYE completes. The new ACL
applies to the very next message from the denied source, and the running configuration is still
the last valid one after the refused file.
"""

import os
import signal
import sys

from lab_test import check_answered_media, check_nothing_left, check_peers_ok, lab, main
from lab.procs import LabError, wait_until

SECOND = "192.0.2.77"  # another host on the access side: allowed first, denied by the reload
AUDIO_SECONDS = 15.0   # RTP flows before, during and after the reloads
DURATION_MS = 16000

# One OPTIONS from `src` to the SBC's access address, up to 3 tries of 1 s: prints the status line
# of the answer, or "no answer". Runs in the caller namespace (python3 stdlib only).
PROBE = r"""
import socket, sys
src, dst, port, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5099))
s.settimeout(1.0)
for attempt in range(3):
    msg = (f"OPTIONS sip:{dst} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {src}:5099;branch=z9hG4bK-probe-{tag}-{attempt}\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:probe@{src}>;tag=p{tag}\r\nTo: <sip:{dst}>\r\n"
           f"Call-ID: probe-{tag}-{attempt}@{src}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    s.sendto(msg.encode(), (dst, port))
    try:
        data, _ = s.recvfrom(65535)
        print(data.split(b"\r\n")[0].decode())
        sys.exit(0)
    except socket.timeout:
        pass
print("no answer")
"""


def probe(the_lab, tag: str) -> str:
    result = the_lab.caller.run(["python3", "-c", PROBE, SECOND, lab.ACCESS_IP, str(lab.SIP_PORT),
                                 tag], timeout=15)
    return result.stdout.strip()


def reloads(the_lab, result: str) -> float:
    return lab.metric_sum(lab.parse_metrics(the_lab.metrics()), "sbc_config_reloads_total",
                          result=result) or 0


def call_packets(the_lab) -> int:
    calls = the_lab.cli_json("show", "calls")["calls"]
    return sum(c["packets_a_to_b"] + c["packets_b_to_a"] for c in calls) if calls else -1


def reload_during_call(checks, base: str):
    def during(the_lab):
        # The call is up and its media counted (the periodic dump) before anything changes.
        wait_until("the call's media in show calls", lambda: call_packets(the_lab) > 0, 10, 0.2)
        before = call_packets(the_lab)

        # 1. SIGHUP: the second source is denied from the next message on.
        with open(the_lab.sbc_conf, "w") as f:
            f.write(base + f"\n[zone.access]\nacl_deny = {SECOND}/32\n")
        os.kill(the_lab.sbcd.pid, signal.SIGHUP)
        try:
            wait_until("sbc_config_reloads_total{result=ok} to count the SIGHUP",
                       lambda: reloads(the_lab, "ok") >= 1, 10, 0.2)
            checks.check(True, "SIGHUP reloaded the configuration (sbc_config_reloads_total ok)")
        except LabError as e:
            checks.check(False, "SIGHUP reloaded the configuration", str(e))
        denied = probe(the_lab, "after-hup")
        checks.check(denied == "no answer",
                     f"OPTIONS from {SECOND} after the reload: dropped by the new ACL ({denied})")
        config = the_lab.cli_json("show", "config")
        checks.check((config.get("last_reload") or {}).get("result") == "ok",
                     f"show config: last reload ok ({config.get('last_reload')})")

        # 2. sbc-cli reload: a trunk limit changes.
        with open(the_lab.sbc_conf, "w") as f:
            f.write(base + f"\n[zone.access]\nacl_deny = {SECOND}/32\n"
                    "[trunk.carrier1]\nmax_calls = 50\n")
        result = the_lab.cli_result("reload", json_output=True)
        print(f"       sbc-cli --json reload: {result.stdout.strip()}")
        checks.check(result.returncode == 0 and "trunk.carrier1: changed" in result.stdout,
                     "sbc-cli reload applied the trunk limit and says so")

        # 3. An invalid file: refused with the option named; the running configuration stays.
        with open(the_lab.sbc_conf, "w") as f:
            f.write(base + "\n[media]\nmax_packet_rate = soon\n")
        result = the_lab.cli_result("reload")
        said = (result.stdout + result.stderr).strip()
        print(f"       sbc-cli reload of an invalid file: exit {result.returncode}: {said}")
        checks.check(result.returncode != 0 and "media.max_packet_rate" in said,
                     "sbc-cli reload refuses the invalid file, naming media.max_packet_rate")
        os.kill(the_lab.sbcd.pid, signal.SIGHUP)
        try:
            wait_until("sbc_config_reloads_total{result=error} to count both refusals",
                       lambda: reloads(the_lab, "error") >= 2, 10, 0.2)
            checks.check(True, "sbc_config_reloads_total{result=\"error\"} counted the refusals")
        except LabError as e:
            checks.check(False, "sbc_config_reloads_total{result=\"error\"} counted the refusals",
                         str(e))
        still = probe(the_lab, "after-invalid")
        checks.check(still == "no answer",
                     f"the running configuration stayed: {SECOND} still denied ({still})")
        config = the_lab.cli_json("show", "config")
        last = config.get("last_reload") or {}
        checks.check(last.get("result") == "error" and "media.max_packet_rate" in last.get("error", ""),
                     f"show config: last reload error names the option ({last})")

        # The call is unaffected: its media kept flowing through all of it.
        try:
            wait_until("the call's media to grow after the reloads",
                       lambda: call_packets(the_lab) > before, 10, 0.2)
            grew = True
        except LabError:
            grew = False
        after = call_packets(the_lab)
        checks.check(grew, f"the call's media counters grew across the reloads ({before} -> "
                     f"{after} packets)")
        with open(the_lab.sbc_conf, "w") as f:
            f.write(base)
        return after
    return during


def test(the_lab, checks):
    the_lab.add_caller_address(SECOND)
    with open(the_lab.sbc_conf) as f:
        base = f.read()
    allowed = probe(the_lab, "before")
    checks.check(allowed.startswith("SIP/2.0 200"),
                 f"OPTIONS from {SECOND} before the reload is answered ({allowed})")

    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), duration_ms=DURATION_MS,
                           audio_seconds=AUDIO_SECONDS, during=reload_during_call(checks, base),
                           timeout_s=40)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200,
                 "caller's BYE after the reloads answered 200")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_nothing_left(the_lab, checks)

    # The file is back to what the lab started with: a reload lifts the ACL again.
    print(the_lab.cli("reload"))
    allowed = probe(the_lab, "restored")
    checks.check(allowed.startswith("SIP/2.0 200"),
                 f"OPTIONS from {SECOND} after reloading the original file is answered "
                 f"({allowed})")


if __name__ == "__main__":
    sys.exit(main(test, "reload"))
