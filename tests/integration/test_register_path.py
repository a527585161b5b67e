#!/usr/bin/env python3
"""Integration: REGISTER relayed with Path (RFC 3327) to a real Kamailio registrar, which then
routes a call to the phone back through the SBC by that Path.

The access zone says `register_relay = upstream` and `register_relay_mode = path`: trunk
`upstream` is a Kamailio (198.51.100.20, tools/lab/kamailio_registrar.py) with the auth,
usrloc and registrar modules, `use_path` on. The phone (sipp at 192.0.2.20:5062,
uac_register_relay.xml) says Contact 10.99.0.5, so the SBC sees it behind NAT.

1. The registrar's challenge reaches the phone, its credentials reach the registrar (which
   verifies them: pv_www_authenticate). The REGISTER upstream carries the phone's own Contact,
   a Path naming the SBC's trunk side with a token (sip:sbc-r-TOKEN@198.51.100.1:5060;lr) and
   Supported: path; the phone's refresh a second later is answered from the SBC's cache.
2. A carrier-side caller (sipp at 198.51.100.30) calls acct-42 at the registrar. Kamailio's
   lookup("location") sends the INVITE to the SBC (the Path's first hop) with the phone's
   Contact as Request-URI and the Path as Route; the SBC finds the binding by the token and the
   phone gets the INVITE at its NAT address; answered, RTP both ways through the dataplane, the
   CDR names acct-42.
"""

import os
import sys
from types import SimpleNamespace

from lab_test import TOLERANCE, check_peers_ok, lab, main
from lab import audio  # after lab_test, which puts tools/ on the path
from lab.kamailio_registrar import KamailioRegistrar
from lab.peers import Sipp
from security_checks import PHONE, PHONE_PORT, metrics, value

ACCOUNT = "acct-42"
SECRET = "s3cret"
UPSTREAM_IP = "198.51.100.20"
CARRIER_CALLER_IP = "198.51.100.30"
SBC_CONFIG = {"zone.access": {"register_relay": "upstream", "register_relay_mode": "path",
                              "authenticate": "none", "acl_allow": "192.0.2.0/24"},
              "trunk.upstream": {"zone": "carrier", "host": UPSTREAM_IP,
                                 "fromdomain": "pbx.example"},
              "route.all": {"trunks": "upstream"}}


def register_with_path(the_lab, checks, registrar) -> str:
    """Step 1; returns the Path the SBC registered (empty when it did not)."""
    phone = Sipp(the_lab.caller, "phone-register", lab.scenario("uac_register_relay.xml"),
                 the_lab.path("phone-register"), PHONE, sip_port=PHONE_PORT,
                 remote=f"{lab.ACCESS_IP}:{lab.SIP_PORT}", service=ACCOUNT, timeout_s=20,
                 extra=["-au", ACCOUNT, "-ap", SECRET])
    the_lab.extra_processes.append(phone.process)
    result = phone.wait()
    oks = [m for m in result.messages if m.direction == "received" and m.status_code == 200]
    challenge = next((m for m in result.messages if m.status_code == 401), None)
    checks.check(result.ok and len(oks) == 2,
                 f"the phone registered through Kamailio's challenge and refreshed: {len(oks)} "
                 f"x 200 (sipp exit {result.exit_code})", result.summary())
    checks.check(challenge is not None and 'realm="pbx.example"' in
                 (challenge.header("WWW-Authenticate") or ""),
                 "Kamailio's 401 reached the phone")
    registers = [m for m in registrar.seen() if m.kind == "request" and
                 m.line.startswith("REGISTER ")]
    checks.check(len(registers) == 2,
                 f"Kamailio got two REGISTERs (challenge, credentials); the refresh was answered "
                 f"from the cache ({len(registers)})")
    if not registers:
        return ""
    last = registers[-1]
    print(f"       upstream REGISTER: contact={last.contact} path={last.path}")
    checks.check(last.source == f"{lab.TRUNK_IP}:{lab.SIP_PORT}",
                 f"the REGISTER came from the SBC's trunk side ({last.source})")
    checks.check(last.contact == f"<sip:{ACCOUNT}@10.99.0.5:{PHONE_PORT}>",
                 f"upstream, the phone's own Contact ({last.contact})")
    path = last.path
    checks.check(path.startswith("<sip:sbc-r-") and
                 path.endswith(f"@{lab.TRUNK_IP}:{lab.SIP_PORT};lr>"),
                 f"upstream, a Path through the SBC with a token ({path})")
    values = metrics(the_lab)
    cached = value(values, "sbc_register_relay_total", outcome="cached")
    accepted = value(values, "sbc_register_relay_total", outcome="accepted")
    checks.check(cached == 1 and accepted == 1,
                 f"sbc_register_relay_total: cached {cached:g}, accepted {accepted:g}")
    return path


def call_through_the_path(the_lab, checks, registrar, path: str) -> None:
    """Step 2: the carrier-side caller calls the registered user at the registrar."""
    the_lab.callee.ip("addr", "add", f"{CARRIER_CALLER_IP}/24", "dev", "e0")
    answer_dir, call_dir = the_lab.path("phone-answer"), the_lab.path("carrier-call")
    for d, tone in ((answer_dir, 880), (call_dir, 440)):
        os.makedirs(d, exist_ok=True)
        audio.write_ulaw_tone(os.path.join(d, "audio.ulaw"), 1.0, tone)
    uas = Sipp(the_lab.caller, "phone-answer", lab.scenario("uas_answer_rtp.xml"), answer_dir,
               PHONE, sip_port=PHONE_PORT, media_port=6002, timeout_s=30)
    the_lab.extra_processes.append(uas.process)
    uas.wait_listening()
    uac = Sipp(the_lab.callee, "carrier-call", lab.scenario("uac_call_rtp.xml"), call_dir,
               CARRIER_CALLER_IP, remote=f"{UPSTREAM_IP}:{lab.SIP_PORT}", service=ACCOUNT,
               caller_user="15551234567", duration_ms=2000, timeout_s=30)
    the_lab.extra_processes.append(uac.process)
    caller = uac.wait()
    try:
        callee = uas.wait(timeout=10)
    except lab.LabError:
        callee = uas.stop()  # the call never reached it
    check_peers_ok(SimpleNamespace(caller=caller, callee=callee), checks)
    code = caller.final_response("INVITE")
    checks.check(code == 200, f"the call through the registrar is answered ({code})")
    answers = [m for m in registrar.seen() if m.kind == "reply" and "INVITE" in m.line and
               m.source == f"{lab.TRUNK_IP}:{lab.SIP_PORT}"]
    checks.check(bool(answers) and answers[-1].line.startswith("200 "),
                 f"Kamailio sent the INVITE through the Path: the SBC answered it "
                 f"({[a.line for a in answers]})")
    invite = next((m for m in callee.messages if m.method == "INVITE"), None)
    checks.check(invite is not None and
                 invite.first_line.startswith(f"INVITE sip:{ACCOUNT}@10.99.0.5:{PHONE_PORT} "),
                 "the phone got the INVITE at its NAT address, to its own Contact "
                 f"({invite.first_line if invite else None})")
    token = path[len("<sip:"):path.find("@")]
    if invite is not None:
        checks.check(token not in invite.text and UPSTREAM_IP not in invite.text,
                     "neither the token nor the registrar's address reached the phone")
    values = metrics(the_lab)
    for port in ("access", "trunk"):
        # Each side sends 50 (1 s of 20 ms packets); a few may be in flight as a latch settles.
        packets = value(values, "sbc_dataplane_media_packets_total", port=port)
        checks.check(packets >= 50 - TOLERANCE,
                      f"RTP relayed out of the {port} port ({packets:g} of 50 packets)")
    cdrs = the_lab.wait_cdrs(1)
    callee_user = cdrs[-1].get("callee") if cdrs else None
    checks.check(callee_user == ACCOUNT, f"the CDR's callee is {ACCOUNT} ({callee_user})")


def test(the_lab, checks):
    the_lab.callee.ip("addr", "add", f"{UPSTREAM_IP}/24", "dev", "e0")
    the_lab.add_caller_address(PHONE)
    registrar = KamailioRegistrar(the_lab.callee, "registrar", the_lab.path("registrar"),
                                  UPSTREAM_IP, SECRET)
    the_lab.extra_processes.append(registrar.process)
    registrar.wait_listening()
    path = register_with_path(the_lab, checks, registrar)
    if path:
        call_through_the_path(the_lab, checks, registrar, path)


if __name__ == "__main__":
    sys.exit(main(test, "register_path", sbc_config=SBC_CONFIG))
