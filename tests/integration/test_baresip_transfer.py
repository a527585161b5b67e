#!/usr/bin/env python3
"""Integration: an independent UA (baresip) transfers a call through the SBC (blind transfer,
REFER per RFC 3515, relayed by the SBC's default policy).

The peers are test_baresip_hold.py's: baresip-core in each namespace, driven through its ctrl_tcp
command interface; tcpdump on both wires.

Flow:
1. the caller (access side) dials the SBC, the callee (trunk side, answermode=auto) answers; both
   talk;
2. the callee runs `/transfer sip:<its own user>@<its own address>`: a REFER on its dialog with the
   SBC. The SBC must accept it (202, from the caller's baresip) and relay it on the caller's dialog
   with the Refer-To pointing at the SBC's access address: nothing of the trunk side may reach the
   caller's wire;
3. the caller's baresip places the referred call to the SBC; the SBC routes it to the trunk like
   any call and the callee's baresip answers it as a second call; the caller's NOTIFYs (sipfrag,
   ending with 200) reach the callee on its first dialog, and the callee hangs the first call up;
4. the new call carries RTP both ways (the SBC's per-call counters grow), then the caller hangs
   up: two CDRs, both answered, nothing left in sbcd or the dataplane.
Everything stays inside the lab's namespaces; every process is stopped by its PID.

With --handle the carrier zone has `refer = handle`: the caller's baresip never sees a REFER.
The SBC answers the callee's REFER 202 itself and places the call to the target (the callee's
baresip, which answers it as its second call), reports "100 Trying" and "200 OK" to the callee
as sipfrag NOTIFYs and hangs up the callee's first dialog; the caller's one call goes on with the
new callee dialog, RTP both ways, and one CDR.
"""

import os
import sys
import time

from lab_test import check_nothing_left, lab, main
from test_baresip_hold import (call_counters, ctrl, dial, read_wire, sbcd_log, start_captured,
                               with_ctrl)
from test_media_audio import RTP_PORTS, SEED_CALLEE, SEED_CALLER, SERVICE, say

import audio  # noqa: E402  (tools/audio)
from lab.baresip import Baresip  # noqa: E402
from lab.procs import LabError, wait_until  # noqa: E402

RATE = 8000
SOURCE_S = 30.0        # longer than the test: only the hang-ups end the calls
TALK_S = 1.0
MIN_RTP = 40           # 20 ms packets per direction on the transferred call (0.8 s)


def count_calls(the_lab) -> int:
    return len(the_lab.cli_json("show", "calls").get("calls") or [])


HANDLE = "--handle" in sys.argv
if HANDLE:
    sys.argv.remove("--handle")


def test(the_lab, checks):
    caller_wav = os.path.join(the_lab.dir, "caller-source.wav")
    callee_wav = os.path.join(the_lab.dir, "callee-source.wav")
    for path, seed in ((caller_wav, SEED_CALLER), (callee_wav, SEED_CALLEE)):
        audio.write_wav(path, audio.reference_signal(SOURCE_S, rate=RATE, seed=seed), RATE)
    caller = with_ctrl(Baresip(the_lab.dir, the_lab.caller, "caller", address=lab.CALLER_IP,
                               iface="c0", user="pbx", source_wav=caller_wav,
                               rtp_ports=RTP_PORTS))
    callee = with_ctrl(Baresip(the_lab.dir, the_lab.callee, "callee", address=lab.CALLEE_IP,
                               iface="e0", user=SERVICE, source_wav=callee_wav,
                               rtp_ports=RTP_PORTS))
    # The transferor takes the referred call while its first one is still up.
    with open(os.path.join(callee.dir, "config")) as f:
        config = f.read()
    with open(os.path.join(callee.dir, "config"), "w") as f:
        f.write(config.replace("call_max_calls\t\t1", "call_max_calls\t\t2"))
    dumps = []
    counters = None
    try:
        start_captured(the_lab, caller, callee, dumps)

        # 1. The first call.
        dial(checks, caller, callee)
        time.sleep(TALK_S)

        # 2. The callee transfers the caller (to itself: the lab's trunk has one host).
        target = f"sip:{SERVICE}@{lab.CALLEE_IP}:{lab.SIP_PORT}"
        moved = ctrl(callee, "transfer", target)
        checks.check(moved.get("ok") is True, f"callee's /transfer {target} accepted", str(moved))
        logged = "placed by the SBC" if HANDLE else "REFER from the callee relayed"
        wait_until("sbcd to take the callee's REFER", lambda: logged in sbcd_log(the_lab), 10,
                   0.1, alive=the_lab.check_alive)

        # 3. The referred call replaces the first one.
        wait_until("the referred call to be placed and the callee to answer it",
                   lambda: callee.log_text().count("Call established") >= 2, 15, 0.1,
                   alive=the_lab.check_alive)
        checks.check(True, "the referred call was established at the callee")
        if not HANDLE:
            try:
                wait_until("the first call to end, one call left",
                           lambda: count_calls(the_lab) == 1, 10, 0.2,
                           alive=the_lab.check_alive)
            except LabError as e:
                say(str(e))
        time.sleep(TALK_S)
        try:
            counters = wait_until(
                "the transferred call's counters to show RTP both ways",
                lambda: (lambda c: c if c and min(c) >= MIN_RTP else None)(
                    call_counters(the_lab)), 8, 0.3, alive=the_lab.check_alive)
        except LabError as e:
            say(str(e))
            counters = call_counters(the_lab)
        checks.check(counters is not None and min(counters) >= MIN_RTP,
                     f"one call left after the transfer, with RTP both ways through the SBC "
                     f"(>= {MIN_RTP} each): {counters}")

        # 4. Hang up.
        hung = ctrl(caller, "hangup")
        checks.check(hung.get("ok") is True, "caller's /hangup accepted", str(hung))
        time.sleep(1.0)
    finally:
        for ua in (caller, callee):
            ua.stop()
        captures = [d.stop() for d in dumps]

    caller_wire = read_wire("caller wire", captures[0], lab.CALLER_IP, lab.ACCESS_IP)
    callee_wire = read_wire("callee wire", captures[1], lab.CALLEE_IP, lab.TRUNK_IP)
    for wire in (caller_wire, callee_wire):
        for m in wire.sip:
            say(f"{wire.name}: [{m.index}] {m.src}: {m.first[:70]} (CSeq {m.cseq})")

    sent = [m for m in callee_wire.sip if m.method == "REFER" and m.src == lab.CALLEE_IP]
    checks.check(bool(sent), "the callee sent a REFER")
    accepted = [m for m in callee_wire.sip if m.status == 202 and m.cseq_method == "REFER"]
    checks.check(bool(accepted), "the callee's REFER was accepted (202)")
    caller_raw = b"".join(p.payload for p in captures[0].udp)
    checks.check(lab.CALLEE_IP.encode() not in caller_raw and lab.TRUNK_IP.encode()
                 not in caller_raw,
                 f"the caller's wire never mentions the trunk side ({lab.CALLEE_IP}, "
                 f"{lab.TRUNK_IP})")
    notifies = [m for m in callee_wire.sip if m.method == "NOTIFY" and m.src == lab.TRUNK_IP]
    frags = [m.message.text.partition("\n\n")[2].strip() for m in notifies]
    checks.check(any(f.startswith("SIP/2.0 200") for f in frags),
                 f"a NOTIFY with sipfrag 200 reached the callee: {frags}")
    invites = {m.message.header("Call-ID") for m in caller_wire.sip
               if m.method == "INVITE" and m.src == lab.CALLER_IP}
    if HANDLE:
        handled_checks(the_lab, checks, caller_wire, callee_wire, invites)
        return
    # The REFER relayed to the caller with the Refer-To at the SBC.
    got = [m for m in caller_wire.sip if m.method == "REFER" and m.src == lab.ACCESS_IP]
    if checks.check(bool(got), "the SBC relayed a REFER to the caller"):
        refer_to = got[0].message.header("Refer-To") or ""
        checks.check(lab.ACCESS_IP in refer_to and lab.CALLEE_IP not in refer_to,
                     f"the caller's Refer-To points at the SBC ({lab.ACCESS_IP}): {refer_to}")
    # The referred call on the caller's wire; the transferor hung up its first call.
    checks.check(len(invites) == 2, f"the caller placed two calls to the SBC ({len(invites)})")
    callee_bye = [m for m in callee_wire.sip if m.method == "BYE" and m.src == lab.CALLEE_IP]
    checks.check(bool(callee_bye), "the callee (transferor) hung up the first call")

    check_nothing_left(the_lab, checks)
    check_answered_cdrs(the_lab, checks, 2)


def check_answered_cdrs(the_lab, checks, count: int) -> None:
    """sbcd wrote `count` CDRs, every one answered."""
    try:
        records = the_lab.wait_cdrs(count)
    except LabError as e:
        checks.check(False, f"sbcd wrote {count} CDR(s)", str(e))
        return
    checks.check(len(records) == count and all(r.get("disposition") == "answered"
                                               for r in records),
                 f"{count} CDR(s), answered: {[r.get('disposition') for r in records]}")


def handled_checks(the_lab, checks, caller_wire, callee_wire, invites) -> None:
    """refer = handle: the SBC did the transferee's part; the caller saw one call only."""
    checks.check(not any(m.method == "REFER" for m in caller_wire.sip),
                 "no REFER reached the caller")
    checks.check(len(invites) == 1, f"the caller placed one call only ({len(invites)})")
    checks.check(not any(m.method == "INVITE" and m.src == lab.ACCESS_IP for m in caller_wire.sip),
                 "the caller was not re-INVITEd (it was not on hold)")
    callee_invites = {m.message.header("Call-ID") for m in callee_wire.sip
                      if m.method == "INVITE" and m.src == lab.TRUNK_IP}
    checks.check(len(callee_invites) == 2,
                 f"the SBC placed the transfer's call to the target itself ({len(callee_invites)} "
                 f"dialogs toward the callee)")
    log = sbcd_log(the_lab)
    checks.check("transferred: the callee is now" in log, "sbcd moved the call to the target")
    check_nothing_left(the_lab, checks)
    check_answered_cdrs(the_lab, checks, 1)


if __name__ == "__main__":
    sys.exit(main(test, "baresip_transfer_handled" if HANDLE else "baresip_transfer",
                  sbc_config={"zone.carrier": {"refer": "handle"}} if HANDLE else None))
