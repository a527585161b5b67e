#!/usr/bin/env python3
"""Integration: a blind transfer the SBC carries out itself (`refer = handle` on the access zone).
The PBX calls the carrier, RTP flows, and the PBX transfers the carrier to extension 200. The
carrier never sees a REFER: the SBC answers the PBX 202, places the call to extension 200 itself
(routed as the carrier's call would be: DID 200 to a second PBX at 192.0.2.30), reports "100
Trying" and "200 OK" to the PBX as sipfrag NOTIFYs, and hangs up the PBX's dialog. The carrier's
RTP, which never stops, reaches the target on the same SBC address and port, and the target's
reaches the carrier; the target hangs up and the SBC ends the carrier's dialog too.

  [zone.access]   refer = handle
  [did.transfer]  numbers = 200   target = 192.0.2.30:5060
  [did.rest]      target = default"""

import os
import sys

from lab_test import check_calls_ended, check_peers_ok, lab, main
from lab import audio  # after lab_test, which puts tools/ on the path
from lab.peers import Sipp

TARGET_IP = "192.0.2.30"
TARGET_MEDIA_PORT = 6002
AUDIO_SECONDS = 1.0  # one play; the carrier plays it four times, the PBX and the target once
SBC_CONFIG = {
    "zone.access": {"refer": "handle"},
    "did.transfer": {"numbers": "200", "target": f"{TARGET_IP}:{lab.SIP_PORT}"},
    "did.rest": {"target": "default"},
}


def test(the_lab, checks):
    the_lab.add_caller_address(TARGET_IP)
    target_dir = the_lab.path("target")
    os.makedirs(target_dir)
    target_packets = audio.write_ulaw_tone(os.path.join(target_dir, "audio.ulaw"),
                                               AUDIO_SECONDS, 660)
    target = Sipp(the_lab.caller, "target", lab.scenario("uas_transfer_target.xml"),
                      target_dir, TARGET_IP, media_port=TARGET_MEDIA_PORT, timeout_s=30)
    the_lab.extra_processes.append(target.process)
    target.wait_listening()

    outcome = lab.run_call(the_lab, lab.scenario("uac_refer_handled.xml"),
                           lab.scenario("uas_transferee.xml"), duration_ms=2000,
                           audio_seconds=AUDIO_SECONDS, timeout_s=30)
    target_result = target.wait(timeout=15)
    check_peers_ok(outcome, checks)
    checks.check(target_result.ok, f"the target's sipp succeeded ({target_result.exit_meaning})",
                 target_result.summary())
    checks.check(outcome.caller.final_response("REFER") == 202, "the PBX's REFER accepted (202)")
    checks.check(not any(m.method == "REFER" for m in outcome.callee.messages),
                 "the carrier never got a REFER")
    invites = [m for m in outcome.callee.messages if m.direction == "received" and
               m.method == "INVITE"]
    checks.check(len(invites) == 1, f"the carrier got one INVITE, no re-INVITE ({len(invites)})")

    invite = next((m for m in target_result.messages if m.direction == "received" and
                   m.method == "INVITE"), None)
    checks.check(invite is not None, "the target got the SBC's INVITE")
    if invite is not None:
        text = invite.text
        checks.check(lab.CALLEE_IP not in text and lab.TRUNK_IP not in text,
                     "nothing of the carrier's side in the target's INVITE")
        checks.check(f"c=IN IP4 {lab.ACCESS_IP}" in text,
                     "the target is offered the SBC's access media address")

    # Media: the carrier's RTP reached the target after the transfer, the target's the carrier.
    to_target = outcome.caller_capture.rtp_to(TARGET_IP, TARGET_MEDIA_PORT)
    checks.check(to_target >= outcome.rtp_per_play // 2,
                 f"the carrier's RTP reached the target ({to_target} packets)")
    to_carrier = outcome.callee_rtp_received
    checks.check(to_carrier >= outcome.rtp_per_play + target_packets * 3 // 4,
                 f"the carrier got the PBX's RTP and then the target's ({to_carrier} packets; "
                 f"{outcome.rtp_per_play} + {target_packets} sent)")

    log = the_lab.logs().get("sbcd", "")
    checks.check("placed by the SBC" in log and "transferred: the caller is now 200" in log,
                 "sbcd logged the transfer it carried out")
    cdr = the_lab.wait_cdrs(1)[-1]
    checks.check(cdr.get("caller") == "200" and cdr.get("duration_s", 0) > 0,
                 f"the CDR names the target as the carrier's party now ({cdr.get('caller')})")
    check_calls_ended(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "refer_handle", sbc_config=SBC_CONFIG))
