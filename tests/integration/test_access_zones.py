#!/usr/bin/env python3
"""Integration: two access zones (two sites) behind one trunk. The lab's zone access keeps its PBX
at 192.0.2.10; a second zone, office, listens on the SBC's access address at port 5070 with its
own PBX at 192.0.2.30. The carrier's calls go to the office (trunk carrier1's inbound_zone),
except a DID that names zone access.

  [zone.office]    dataplane_port = access   sip_port = 5070   default_target = 192.0.2.30:5060
  [trunk.carrier1] inbound_zone = office
  [did.main]       numbers = 1555000   zone = access   target = default
  [did.rest]       target = default

1. The carrier calls 15559990000: the office PBX answers it, the INVITE comes from the office
   zone's listener (port 5070), RTP flows both ways, and the CDR names the DID entry.
2. The carrier calls 15550001000 (DID main): the first site's PBX gets it, from port 5060.
3. The office PBX calls the carrier from its zone (trusted there): answered, with media.
4. `show trunks` names the trunk's inbound zone, `show dids` the zone of DID main."""

import sys
from types import SimpleNamespace

from lab_test import check_calls_ended, check_peers_ok, lab, main

OFFICE_PBX = "192.0.2.30"
OFFICE_PORT = 5070
SBC_CONFIG = {
    "zone.office": {"dataplane_port": "access", "sip_address": lab.ACCESS_IP,
                    "sip_port": str(OFFICE_PORT), "default_target": f"{OFFICE_PBX}:{lab.SIP_PORT}",
                    "authenticate": "register, invite", "trusted": f"{OFFICE_PBX}/32"},
    "trunk.carrier1": {"inbound_zone": "office"},
    "did.main": {"numbers": "1555000", "zone": "access", "target": "default"},
    "did.rest": {"target": "default"},
}


def received_invite(result):
    return next((m for m in result.messages if m.direction == "received" and
                 m.method == "INVITE"), None)


def check_reached(checks, what, caller, callee, pbx, via_port):
    check_peers_ok(SimpleNamespace(caller=caller, callee=callee), checks)
    checks.check(caller.final_response("INVITE") == 200, f"{what}: answered")
    invite = received_invite(callee)
    checks.check(invite is not None, f"{what}: the PBX at {pbx} got the INVITE")
    if invite is None:
        return
    via = invite.header("Via") or ""
    checks.check(f"{lab.ACCESS_IP}:{via_port}" in via,
                 f"{what}: the INVITE came from the zone's listener {lab.ACCESS_IP}:{via_port} "
                 f"({via})")


def test(the_lab, checks):
    the_lab.add_caller_address(OFFICE_PBX)

    caller, callee = lab.call_from_carrier(the_lab, "15559990000", OFFICE_PBX, name="to-office")
    check_reached(checks, "the carrier's call to the office", caller, callee, OFFICE_PBX,
                  OFFICE_PORT)
    cdr = the_lab.wait_cdrs(1)[-1]
    checks.check(cdr.get("route") == "rest" and cdr.get("duration_s", 0) > 0,
                 f"the CDR names DID entry rest and the call was answered ({cdr})")

    caller, callee = lab.call_from_carrier(the_lab, "15550001000", lab.CALLER_IP, name="to-main")
    check_reached(checks, "the carrier's call to DID main", caller, callee, lab.CALLER_IP,
                  lab.SIP_PORT)

    # The office PBX calls out through its own zone's listener.
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), audio_seconds=1.0, timeout_s=30,
                           caller_ip=OFFICE_PBX, sbc_port=OFFICE_PORT)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200,
                 "the office PBX's call to the carrier is answered")
    for received, name in ((outcome.callee_rtp_received, "carrier"),
                           (outcome.caller_rtp_received, "office PBX")):
        checks.check(received > 0, f"the office call's RTP reached the {name} ({received})")
    check_calls_ended(the_lab, checks, count=3)

    trunks = the_lab.cli_json("show", "trunks")["trunks"]
    checks.check(trunks[0].get("inbound_zone") == "office",
                 f"show trunks names carrier1's inbound zone ({trunks[0].get('inbound_zone')})")
    dids = {d["name"]: d.get("zone") for d in the_lab.cli_json("show", "dids")["dids"]}
    checks.check(dids == {"main": "access", "rest": ""},
                 f"show dids names the zone of DID main only ({dids})")


if __name__ == "__main__":
    sys.exit(main(test, "access_zones", sbc_config=SBC_CONFIG))
