#!/usr/bin/env python3
"""Integration: a carrier that challenges every INVITE (sipp, uas_challenge.xml: 401 with a Digest
MD5 qop=auth challenge, then sipp's verifyauth on the INVITE that comes again). The trunk has
`username`/`secret`: the SBC ACKs the 401, sends the INVITE again with Authorization for the
trunk's account (next CSeq, same Call-ID), the carrier accepts it and answers; the caller sees one
call answered 200, never the challenge; RTP flows both ways and the call ends normally. The
secret appears nowhere in sbcd's log.

Then outbound registration: trunk `registrar` (198.51.100.20, `register = yes`) registers with a
registrar that challenges REGISTER (sipp, uas_registrar.xml: 401, then verifyauth, then 200 with
expires=120); `show trunks` shows it registered with the granted time, sbc_trunk_registered is 1.
The route table sends calls to carrier1 only."""

import sys

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main
from lab.peers import Sipp
from lab.procs import wait_until

AUDIO_SECONDS = 1.0
SECRET = "s3cret"
REGISTRAR_IP = "198.51.100.20"
SBC_CONFIG = {"trunk.carrier1": {"username": "acct-42", "secret": SECRET},
              "trunk.registrar": {"zone": "carrier", "host": REGISTRAR_IP, "username": "acct-42",
                                  "secret": SECRET, "register": "yes", "fromdomain":
                                  "carrier.example"},
              "route.all": {"trunks": "carrier1"}}


def registration(the_lab):
    rows = the_lab.cli_json("show", "trunks")["trunks"]
    return next(row for row in rows if row["name"] == "registrar")["registration"]


def check_registration(the_lab, checks):
    """The trunk registers through a challenge once its registrar's address exists: the REGISTER
    sbcd sent at start is still being retransmitted (Timer E, every 4 s at most)."""
    the_lab.callee.ip("addr", "add", f"{REGISTRAR_IP}/24", "dev", "e0")
    registrar = Sipp(the_lab.callee, "registrar", lab.scenario("uas_registrar.xml"),
                     the_lab.path("registrar"), REGISTRAR_IP, media_port=6002, timeout_s=20)
    the_lab.extra_processes.append(registrar.process)
    registrar.wait_listening()
    try:
        wait_until("the registrar trunk registered",
                   lambda: registration(the_lab)["state"] == "registered", 15, interval=0.2)
    except lab.LabError:
        pass
    state = registration(the_lab)
    checks.check(state["state"] == "registered" and state["granted_s"] == 120 and
                 0 < state["expires_in_s"] <= 120,
                 f"the trunk is registered for the granted 120 s ({state})")
    result = registrar.wait(timeout=10)
    registers = [m for m in result.messages if m.direction == "received" and m.method == "REGISTER"]
    checks.check(len(registers) == 2 and 'username="acct-42"' in
                 (registers[1].header("Authorization") or ""),
                 f"the registrar got REGISTER twice, the second with Authorization for acct-42 "
                 f"({len(registers)})")
    if registers:
        checks.check(registers[0].header("Contact") == "<sip:acct-42@198.51.100.1:5060>" and
                     registers[0].header("To") == "<sip:acct-42@carrier.example>",
                     f"REGISTER binds acct-42@carrier.example to the SBC's trunk address "
                     f"({registers[0].header('To')} -> {registers[0].header('Contact')})")
    value = lab.metric_sum(lab.parse_metrics(the_lab.metrics()), "sbc_trunk_registered",
                           trunk="registrar")
    checks.check(value == 1, f"sbc_trunk_registered{{trunk=registrar}} is 1 ({value})")
    print(the_lab.cli("show", "trunks"), flush=True)


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_challenge.xml"), audio_seconds=AUDIO_SECONDS,
                           timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200, "caller's INVITE answered 200")
    caller_trace = "\n".join(m.text for m in outcome.caller.messages)
    checks.check(all(m.status_code not in (401, 407) for m in outcome.caller.messages)
                 and "Authenticate" not in caller_trace,
                 "the caller never saw the carrier's challenge")
    callee_invites = [m for m in outcome.callee.messages
                      if m.direction == "received" and m.method == "INVITE"]
    checks.check(len(callee_invites) == 2, f"the carrier got our INVITE twice "
                 f"({len(callee_invites)}): challenged, then with credentials")
    if len(callee_invites) == 2:
        checks.check('username="acct-42"' in (callee_invites[1].header("Authorization") or ""),
                     "the second INVITE carries Authorization for acct-42")
    log = the_lab.logs().get("sbcd", "")
    checks.check("answered with its credentials" in log, "sbcd logged the answered challenge")
    checks.check(SECRET not in log, "the trunk's secret is not in sbcd's log")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)
    check_registration(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "trunk_auth", sbc_config=SBC_CONFIG))
