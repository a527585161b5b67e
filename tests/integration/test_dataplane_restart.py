#!/usr/bin/env python3
"""Integration: sbc-dataplane is killed (SIGKILL) mid-call and restarted; the call survives.

A call caller -> SBC -> callee with RTP both ways is up; the test kills sbc-dataplane, restarts it
a second later, and sbcd re-programs the live session when it reconnects (a paced resync). Then:
media flows again both ways, the packets lost are one run between the kill and the resync (RTP
sequence numbers at each end, as captured on the peers' wires), the caller's BYE after the
restart is answered 200 end to end, the CDR is right and nothing is left behind.
"""

import struct
import sys
import time

from lab_test import (TOLERANCE, check_cdr_result, check_nothing_left, check_peers_ok, lab, main,
                      media_from_cdr, metric_check, the_cdr)
from lab.procs import wait_until

AUDIO_SECONDS = 14.0  # each end plays this once after the answer: 700 packets of 20 ms
DURATION_MS = 18000   # the caller hangs up after this, when all RTP has been sent
MEDIA_BEFORE_KILL_S = 2.0
DOWN_S = 1.0          # between the kill and the restart
PACKET_S = 0.020


def _metric(the_lab, name, **labels):
    return lab.metric_sum(lab.parse_metrics(the_lab.metrics()), name, **labels)


def restart_mid_call(the_lab):
    """The `during` callback: kill and restart the dataplane once the call's media flows."""
    wait_until("sbcd to list the call", lambda: the_lab.active_calls() == 1, 10, 0.1,
               alive=the_lab.check_alive)
    wait_until("media relayed both ways", lambda: _both_ways(the_lab), 10, 0.2,
               alive=the_lab.check_alive)
    time.sleep(MEDIA_BEFORE_KILL_S)
    resyncs_before = _metric(the_lab, "sbc_dataplane_resyncs_total")
    killed = time.time()
    the_lab.kill_dataplane()
    wait_until("sbcd to see the dataplane gone",
               lambda: _metric(the_lab, "sbc_dataplane_up") == 0, 10, 0.05)
    time.sleep(DOWN_S)
    calls_while_down = the_lab.cli_json("show", "calls")["calls"]
    the_lab.restart_dataplane()
    listening = time.time()

    def resynced():
        values = lab.parse_metrics(the_lab.metrics())
        return (lab.metric_sum(values, "sbc_dataplane_up") == 1
                and (lab.metric_sum(values, "sbc_dataplane_resyncs_total") or 0) > resyncs_before
                and lab.metric_sum(values, "sbc_dataplane_resync_running") == 0)
    wait_until("sbcd to reconnect and finish the resync", resynced, 15, 0.05,
               alive=the_lab.check_alive)
    done = time.time()
    sessions = the_lab.dataplane_sessions()
    show = the_lab.cli_json("show", "dataplane")
    calls_after = the_lab.cli_json("show", "calls")["calls"]
    return {"killed": killed, "listening": listening, "resynced": done,
            "calls_while_down": calls_while_down, "sessions_after": sessions,
            "resync": show.get("resync"), "calls_after": calls_after,
            "resyncs_before": resyncs_before}


def _both_ways(the_lab):
    calls = the_lab.cli_json("show", "calls")["calls"]
    return calls and calls[0].get("packets_a_to_b", 0) > 0 and calls[0].get("packets_b_to_a", 0) > 0


def rtp_seqs(capture, **match):
    """RTP sequence numbers of the UDP packets matching src/sport/dst/dport, in capture order."""
    out = []
    for p in capture.udp:
        if all(getattr(p, k) == v for k, v in match.items()) and len(p.payload) >= 12 \
                and p.payload[0] >> 6 == 2 and p.payload[1] & 0x7f < 64:
            out.append(struct.unpack("!H", p.payload[2:4])[0])
    return out


def check_direction(checks, what, sent, received, outage):
    """`sent` in sending order; what `received` lacks must be one run, inside the outage."""
    got = set(received)
    lost = [i for i, seq in enumerate(sent) if seq not in got]
    print(f"       {what}: {len(sent)} sent, {len(received)} received, {len(lost)} lost"
          + (f" (packets {lost[0]}..{lost[-1]})" if lost else ""))
    checks.check(len(sent) >= AUDIO_SECONDS / PACKET_S - TOLERANCE,
                 f"{what}: the sender's capture holds its whole stream ({len(sent)})")
    checks.check(bool(lost), f"{what}: packets were lost while the dataplane was down")
    if not lost:
        return
    checks.check(lost == list(range(lost[0], lost[-1] + 1)),
                 f"{what}: the lost packets are one run (the outage), none before or after")
    # A figure, not a check: the outage starts with the kill, so it ends this long after the new
    # dataplane was listening (sbcd's reconnect back-off, Hello and the resync; 20 ms packets).
    print(f"       {what}: media back about "
          f"{(len(lost) * PACKET_S - (outage['listening'] - outage['killed'])) * 1000:.0f} ms "
          "after the new dataplane was listening")
    after = len(sent) - lost[-1] - 1
    checks.check(after >= 1.0 / PACKET_S,
                 f"{what}: media flows again after the restart ({after} packets relayed, "
                 "at least 1 s)")
    before = lost[0]
    checks.check(before >= MEDIA_BEFORE_KILL_S / PACKET_S - TOLERANCE,
                 f"{what}: media flowed before the kill ({before} packets)")
    # Lost only from the kill to the resync (measured here, polling) plus at most 1 s: media is
    # back within 1 s of the new dataplane accepting sbcd's connection.
    budget_s = outage["resynced"] - outage["killed"] + 1.0
    checks.check(len(lost) * PACKET_S <= budget_s,
                 f"{what}: {len(lost) * PACKET_S:.2f} s of media lost, within the "
                 f"{budget_s:.2f} s from the kill to the resync + 1 s")


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), duration_ms=DURATION_MS,
                           audio_seconds=AUDIO_SECONDS, during=restart_mid_call, timeout_s=40)
    outage = outcome.during
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")
    checks.check(outcome.caller.final_response("BYE") == 200,
                 "caller's BYE, sent after the restart, answered 200")
    checks.check("BYE" in outcome.callee.requests_received(),
                 "the callee received the BYE through the restarted SBC")
    if outage is None:
        checks.error("the kill/restart step did not run")
        return
    print(f"       outage: killed at 0.00 s, new dataplane listening at "
          f"{outage['listening'] - outage['killed']:.2f} s, resync done by "
          f"{outage['resynced'] - outage['killed']:.2f} s; resync {outage['resync']}")
    checks.check(len(outage["calls_while_down"]) == 1,
                 "sbcd kept the call while the dataplane was down")
    checks.check(len(outage["calls_after"]) == 1, "show calls lists the call after the restart")
    checks.check(outage["sessions_after"] == 1,
                 f"the restarted dataplane holds the call's session ({outage['sessions_after']})")
    resync = outage["resync"] or {}
    checks.check(resync.get("failed") == 0 and resync.get("completed", 0) >= 2,
                 f"show dataplane: resync completed without failures ({resync})")

    check_direction(checks, "caller -> callee",
                    rtp_seqs(outcome.caller_capture, src=lab.CALLER_IP, sport=6000),
                    rtp_seqs(outcome.callee_capture, dst=lab.CALLEE_IP, dport=6000), outage)
    check_direction(checks, "callee -> caller",
                    rtp_seqs(outcome.callee_capture, src=lab.CALLEE_IP, sport=6000),
                    rtp_seqs(outcome.caller_capture, dst=lab.CALLER_IP, dport=6000), outage)

    cdr = the_cdr(the_lab, checks)
    if cdr is not None:
        check_cdr_result(cdr, checks, "answered", 200)
        media = media_from_cdr(cdr)
        # The CDR's counters are the restarted dataplane's: what it relayed after the resync.
        relayed_after = {
            "caller -> callee": len(rtp_seqs(outcome.callee_capture, dst=lab.CALLEE_IP,
                                             dport=6000)) - _received_before(outcome, "callee"),
            "callee -> caller": len(rtp_seqs(outcome.caller_capture, dst=lab.CALLER_IP,
                                             dport=6000)) - _received_before(outcome, "caller"),
        }
        checks.check(media is not None, "CDR has media counters")
        if media is not None:
            checks.near(media.caller_to_callee, relayed_after["caller -> callee"], TOLERANCE,
                        "CDR caller->callee RTP (restarted dataplane) vs callee capture after "
                        "the outage")
            checks.near(media.callee_to_caller, relayed_after["callee -> caller"], TOLERANCE,
                        "CDR callee->caller RTP (restarted dataplane) vs caller capture after "
                        "the outage")
    check_nothing_left(the_lab, checks)
    metric_check(the_lab, checks, [
        ("sbc_dataplane_up", {}, lambda v: v == 1, "sbcd connected to the new dataplane"),
        ("sbc_dataplane_resyncs_total", {}, lambda v: v == outage["resyncs_before"] + 1,
         "one more resync: the reconnect"),
        ("sbc_dataplane_resync_requests_total", {"result": "failed"}, lambda v: v == 0,
         "no resync request failed"),
        ("sbc_dataplane_resync_pending", {}, lambda v: v == 0, "nothing left to resync"),
        ("sbc_calls_total", {"result": "answered"}, lambda v: v == 1, "one answered call"),
        ("sbc_calls_total", {"result": "failed"}, lambda v: v == 0, "no call failed"),
    ])


def _received_before(outcome, side):
    """Packets `side` received before the outage: the run before the first lost one."""
    if side == "callee":
        sent = rtp_seqs(outcome.caller_capture, src=lab.CALLER_IP, sport=6000)
        got = set(rtp_seqs(outcome.callee_capture, dst=lab.CALLEE_IP, dport=6000))
    else:
        sent = rtp_seqs(outcome.callee_capture, src=lab.CALLEE_IP, sport=6000)
        got = set(rtp_seqs(outcome.caller_capture, dst=lab.CALLER_IP, dport=6000))
    for i, seq in enumerate(sent):
        if seq not in got:
            return i
    return len(sent)


if __name__ == "__main__":
    sys.exit(main(test, "dataplane_restart"))
