#!/usr/bin/env python3
"""Integration: normalisation on the wire. The lab's PBX (the caller) dials national 10-digit
numbers and sends a P-Asserted-Identity, a Diversion, an internal header and its User-Agent;
the carrier (the callee, trunk carrier1) wants 11-digit numbers without '+', a tech prefix, the
Diversion and an account header, and is not in our trust domain.

  [zone.access]   number_in = {10}>+1, 1{11}>+1   trust_identity = yes   user_agent = Lab SBC access
  [trunk.carrier1] number_out = +>   tech_prefix = 7788#   headers_pass = Diversion
                   headers_rewrite = Diversion   header_add = X-Carrier-Account: acct-42
                   user_agent = Lab SBC

1. `Privacy: none`: the carrier's INVITE has Request-URI 7788%2315550002000 (the tech prefix,
   '#' escaped), To 15550002000, From the trunk's fromuser, the PBX's asserted identity
   rewritten to 15550001999 at the carrier-side host, the Diversion rewritten the same way (the
   PBX's address gone), X-Carrier-Account, our User-Agent and nothing else of the PBX's; the PBX's responses carry our Server; RTP flows
   both ways and the CDR has the numbers in E.164.
2. `Privacy: id`: the untrusted carrier gets no P-Asserted-Identity and an anonymous From.
3. The carrier calls DID 15550009001 (its 11-digit form; number_in makes it +15550009001): the
   DID table's [did.sales] sends it to the PBX (the default target) as extension 101, with the
   caller's number in the PBX's national form (access number_out) and our User-Agent."""

import sys
from types import SimpleNamespace

from lab_test import (TOLERANCE, check_answered_media, check_calls_ended, check_peers_ok, lab,
                      main)

SBC_CONFIG = {
    "zone.access": {"number_in": "{10}>+1, 1{11}>+1", "number_out": "+1{12}>",
                    "trust_identity": "yes", "user_agent": "Lab SBC access"},
    "trunk.carrier1": {"number_out": "+>", "tech_prefix": "7788#", "headers_pass": "Diversion",
                       "headers_rewrite": "Diversion", "header_add": "X-Carrier-Account: acct-42",
                       "number_in": "1{11}>+1", "user_agent": "Lab SBC"},
    "did.sales": {"numbers": "+1555000900", "target": "default", "called": "101"},
}
SERVICE = "5550002000"  # national, as the PBX dials it
CALLER = "5550001000"


def place_call(the_lab, privacy):
    return lab.run_call(the_lab, lab.scenario("uac_call_identity.xml"),
                        lab.scenario("uas_answer_rtp.xml"), audio_seconds=1.0, timeout_s=30,
                        service=SERVICE, caller_user=CALLER,
                        caller_extra=["-key", "privacy", privacy])


def carrier_invite(outcome):
    return next(m for m in outcome.callee.messages
                if m.direction == "received" and m.method == "INVITE")


def expect_header(checks, message, name, expected, what):
    value = message.header(name)
    checks.check(value == expected, f"{what}: {name} is {expected!r} ({value!r})")


def test(the_lab, checks):
    outcome = place_call(the_lab, "none")
    check_peers_ok(outcome, checks)
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)

    invite = carrier_invite(outcome)
    what = "the carrier's INVITE"
    checks.check(invite.first_line.startswith(
        f"INVITE sip:7788%2315550002000@{lab.CALLEE_IP} SIP/2.0"),
        f"{what}: Request-URI has the tech prefix and the carrier's number form "
        f"({invite.first_line})")
    expect_header(checks, invite, "To", f"<sip:15550002000@{lab.CALLEE_IP}>", what)
    from_header = invite.header("From") or ""
    checks.check(from_header.startswith('"Lab Caller" <sip:15550001@carrier.example>;tag='),
                 f"{what}: From is the trunk's fromuser at its fromdomain ({from_header})")
    expect_header(checks, invite, "P-Asserted-Identity",
                  '"Desk 7" <sip:15550001999@carrier.example>', what)
    expect_header(checks, invite, "Diversion",
                  "<sip:15550001100@carrier.example>;reason=unconditional", what)
    expect_header(checks, invite, "X-Carrier-Account", "acct-42", what)
    expect_header(checks, invite, "User-Agent", "Lab SBC", what)
    for hidden in ("X-Internal-Route", "Privacy"):
        expect_header(checks, invite, hidden, None, what)
    bye = next((m for m in outcome.callee.messages
                if m.direction == "received" and m.method == "BYE"), None)
    checks.check(bye is not None and bye.header("User-Agent") == "Lab SBC",
                 "our BYE to the carrier names the SBC as on its INVITE "
                 f"({bye.header('User-Agent') if bye else None})")
    servers = {m.header("Server") for m in outcome.caller.messages
               if m.direction == "received" and m.status_code and m.status_code > 100}
    checks.check(servers == {"Lab SBC access"},
                 f"the PBX's responses carry our Server, nothing of the carrier's ({servers})")
    cdr = the_lab.wait_cdrs(1)[-1]
    checks.check(cdr.get("caller") == "+15550001000" and cdr.get("callee") == "+15550002000",
                 f"the CDR has the numbers in E.164 ({cdr.get('caller')} -> {cdr.get('callee')})")

    outcome = place_call(the_lab, "id")
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200, "the private call is answered")
    for received, name in ((outcome.callee_rtp_received, "callee"),
                           (outcome.caller_rtp_received, "caller")):
        checks.near(received, outcome.rtp_per_play, TOLERANCE, f"private call: RTP the {name} "
                    "received")
    invite = carrier_invite(outcome)
    what = "the private call's INVITE"
    from_header = invite.header("From") or ""
    checks.check(from_header.startswith('"Anonymous" <sip:15550001@carrier.example>;tag='),
                 f"{what}: an anonymous From, the trunk's account kept ({from_header})")
    for hidden in ("P-Asserted-Identity", "Privacy", "X-Internal-Route"):
        expect_header(checks, invite, hidden, None, what)

    call_a_did(the_lab, checks)


def call_a_did(the_lab, checks):
    # The PBX (the default target) answers on the caller's address.
    caller, callee = lab.call_from_carrier(the_lab, "15550009001", lab.CALLER_IP)
    check_peers_ok(SimpleNamespace(caller=caller, callee=callee), checks)
    checks.check(caller.final_response("INVITE") == 200, "the carrier's call to the DID is answered")
    invite = next((m for m in callee.messages if m.direction == "received" and
                   m.method == "INVITE"), None)
    checks.check(invite is not None, "the PBX got an INVITE")
    if invite is None:
        return
    what = "the PBX's INVITE"
    checks.check(invite.first_line == f"INVITE sip:101@{lab.CALLER_IP} SIP/2.0",
                 f"{what}: Request-URI is extension 101 ({invite.first_line})")
    expect_header(checks, invite, "To", f"<sip:101@{lab.CALLER_IP}>", what)
    from_header = invite.header("From") or ""
    checks.check(f"<sip:5551234567@{lab.ACCESS_IP}>" in from_header,
                 f"{what}: From has the caller in national form at the SBC ({from_header})")
    expect_header(checks, invite, "User-Agent", "Lab SBC access", what)
    dids = the_lab.cli_json("show", "dids")["dids"]
    checks.check(dids == [{"name": "sales", "numbers": ["+1555000900"], "trunks": [], "zone": "",
                           "target": "default", "called": "101"}],
                 f"show dids lists the DID table ({dids})")
    print(the_lab.cli("show", "dids"), flush=True)
    cdr = the_lab.wait_cdrs(3)[-1]
    checks.check(cdr.get("route") == "sales" and cdr.get("callee") == "+15550009001" and
                 cdr.get("caller") == "+15551234567",
                 f"the CDR names DID entry sales and has E.164 numbers ({cdr.get('route')}, "
                 f"{cdr.get('caller')} -> {cdr.get('callee')})")


if __name__ == "__main__":
    sys.exit(main(test, "normalization", sbc_config=SBC_CONFIG))
