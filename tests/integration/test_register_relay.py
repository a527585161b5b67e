#!/usr/bin/env python3
"""Integration: a phone behind NAT registers through the SBC with an upstream registrar (a hosted
PBX), then receives a call from it.

The access zone says `register_relay = upstream`: trunk `upstream` (198.51.100.20, a sipp
registrar, uas_registrar.xml) challenges REGISTER with 401 and accepts acct-42/s3cret, granting
120 s. The phone (sipp at 192.0.2.20:5062, uac_register_relay.xml) says Contact 10.99.0.5, so the
SBC sees it behind NAT.

1. The challenge reaches the phone, its credentials reach the registrar unchanged; the registrar
   sees the SBC's own dialog and Contact (sip:sbc-r-TOKEN@198.51.100.1), nothing of the phone's
   addresses. The phone is granted nat_expires (60 s), the registrar's 120 s stay upstream.
2. The phone's refresh a second later is answered from the SBC's cache: the registrar gets two
   REGISTERs, not three (sbc_register_relay_total{outcome="cached"} 1).
3. `show registrations` lists the binding as relayed, with both expiries.
4. The upstream calls the Contact it was given: the INVITE reaches the phone at its NAT address
   with the phone's own Contact as Request-URI, is answered, RTP flows, the CDR names acct-42.
5. The phone calls out through the registrar (a hosted PBX), which challenges the INVITE: the
   trunk holds no credentials, so the 401 goes back to the phone and its credentials up on the
   second INVITE; answered.
6. The phone gets keep-alive OPTIONS (nat_keepalive = options, every 5 s) at its NAT address,
   answers them (sipp -aa during the calls, then tools/lab/options_peer.py) and keeps its
   binding.
"""

import os
import sys
from types import SimpleNamespace

from lab_test import check_peers_ok, lab, main
from lab import audio  # after lab_test, which puts tools/ on the path
from lab.peers import Sipp
from lab.procs import Process, wait_until
from security_checks import PHONE, PHONE_PORT, metrics, registrations, value

ACCOUNT = "acct-42"  # uas_registrar.xml's account
SECRET = "s3cret"
UPSTREAM_IP = "198.51.100.20"
OPTIONS_PEER = os.path.join(os.path.dirname(os.path.abspath(lab.__file__)), "options_peer.py")
SBC_CONFIG = {"zone.access": {"register_relay": "upstream", "authenticate": "none",
                              "acl_allow": "192.0.2.0/24",
                              "nat_keepalive": "options",
                              "nat_keepalive_interval": "5"},
              "trunk.upstream": {"zone": "carrier", "host": UPSTREAM_IP,
                                 "fromdomain": "pbx.example"},
              "route.all": {"trunks": "upstream"}}


def register_through_the_relay(the_lab, checks) -> str:
    """Steps 1-3; returns the token of the Contact the SBC registered upstream."""
    the_lab.callee.ip("addr", "add", f"{UPSTREAM_IP}/24", "dev", "e0")
    the_lab.add_caller_address(PHONE)
    registrar = Sipp(the_lab.callee, "registrar", lab.scenario("uas_registrar.xml"),
                     the_lab.path("registrar"), UPSTREAM_IP, timeout_s=20)
    the_lab.extra_processes.append(registrar.process)
    registrar.wait_listening()
    phone = Sipp(the_lab.caller, "phone-register", lab.scenario("uac_register_relay.xml"),
                 the_lab.path("phone-register"), PHONE, sip_port=PHONE_PORT,
                 remote=f"{lab.ACCESS_IP}:{lab.SIP_PORT}", service=ACCOUNT, timeout_s=20,
                 extra=["-au", ACCOUNT, "-ap", SECRET, "-aa"])
    the_lab.extra_processes.append(phone.process)
    result = phone.wait()
    oks = [m for m in result.messages if m.direction == "received" and m.status_code == 200
           and (m.header("CSeq") or "").endswith("REGISTER")]
    challenge = next((m for m in result.messages if m.status_code == 401), None)
    checks.check(result.ok and len(oks) == 2,
                 f"the phone registered through the challenge and refreshed: {len(oks)} x 200 "
                 f"(sipp exit {result.exit_code})", result.summary())
    checks.check(challenge is not None and 'realm="carrier.example"' in
                 (challenge.header("WWW-Authenticate") or ""),
                 "the upstream's 401 reached the phone with its own WWW-Authenticate")
    if oks:
        contact = oks[0].header("Contact") or ""
        checks.check(contact == f"<sip:{ACCOUNT}@10.99.0.5:{PHONE_PORT}>;expires=60",
                     f"the NATed phone is granted nat_expires, 60 s ({contact})")
    upstream = registrar.wait(timeout=10)
    registers = [m for m in upstream.messages
                 if m.direction == "received" and m.method == "REGISTER"]
    checks.check(len(registers) == 2,
                 f"the registrar got two REGISTERs, the refresh was answered from the cache "
                 f"({len(registers)})")
    token = ""
    if len(registers) == 2:
        first, second = registers
        contact = first.header("Contact") or ""
        token = contact[len("<sip:"):contact.find("@")] if contact.startswith("<sip:") else ""
        checks.check(token.startswith("sbc-r-") and contact.endswith("@198.51.100.1:5060>"),
                     f"upstream, the SBC's own Contact ({contact})")
        checks.check(first.header("To") == f"<sip:{ACCOUNT}@pbx.example>",
                     f"upstream, the address-of-record at the trunk's domain ({first.header('To')})")
        checks.check('username="acct-42"' in (second.header("Authorization") or "") and
                     second.header("Call-ID") == first.header("Call-ID") and
                     second.header("Contact") == contact,
                     "the phone's credentials went up unchanged, on the SBC's one dialog and "
                     "Contact")
        leaked = [m.first_line for m in registers if "10.99.0.5" in m.text or PHONE in m.text]
        checks.check(not leaked, f"nothing of the phone's addresses reached the registrar "
                     f"({leaked})")
    values = metrics(the_lab)
    cached = value(values, "sbc_register_relay_total", outcome="cached")
    accepted = value(values, "sbc_register_relay_total", outcome="accepted")
    checks.check(cached == 1 and accepted == 1,
                 f"sbc_register_relay_total: cached {cached:g}, accepted {accepted:g}")
    print(f"       show registrations:\n{the_lab.cli('show', 'registrations')}")
    rows = [r for r in registrations(the_lab) if r.get("user") == ACCOUNT]
    row = rows[0] if rows else {}
    checks.check(len(rows) == 1 and row.get("relayed") is True and row.get("nat") is True and
                 0 < row.get("expires_in_s", 0) <= 60 and
                 60 < (row.get("upstream_expires_in_s") or 0) <= 120,
                 f"show registrations: relayed, NATed, 60 s here and 120 s upstream ({row})")
    return token


def call_the_phone(the_lab, checks, token: str) -> None:
    """Step 4: the upstream calls the Contact it holds."""
    caller, callee = lab.call_from_carrier(the_lab, token, PHONE, answer_port=PHONE_PORT,
                                           call_ip=UPSTREAM_IP, name="upstream",
                                           answer_extra=["-aa"])
    check_peers_ok(SimpleNamespace(caller=caller, callee=callee), checks)
    code = caller.final_response("INVITE")
    checks.check(code == 200, f"the upstream's call to the registered Contact is answered ({code})")
    invite = next((m for m in callee.messages if m.method == "INVITE"), None)
    checks.check(invite is not None and
                 invite.first_line.startswith(f"INVITE sip:{ACCOUNT}@10.99.0.5:{PHONE_PORT} "),
                 "the phone got the INVITE at its NAT address, to its own Contact "
                 f"({invite.first_line if invite else None})")
    if invite is not None:
        checks.check(token not in invite.text, "the token stays between the SBC and the upstream")
    cdrs = the_lab.wait_cdrs(1)
    callee_user = cdrs[-1].get("callee") if cdrs else None
    checks.check(callee_user == ACCOUNT, f"the CDR's callee is {ACCOUNT} ({callee_user})")


def phone_calls_out(the_lab, checks) -> None:
    """Step 5: the phone calls through the registrar, which challenges its INVITE: the trunk has
    no credentials of its own, so the challenge goes to the phone and its answer comes back."""
    upstream_dir = the_lab.path("upstream-challenge")
    os.makedirs(upstream_dir, exist_ok=True)
    audio.write_ulaw_tone(os.path.join(upstream_dir, "audio.ulaw"), 1.0, 440)
    upstream = Sipp(the_lab.callee, "upstream-challenge", lab.scenario("uas_challenge.xml"),
                    upstream_dir, UPSTREAM_IP, media_port=6002, timeout_s=20)
    the_lab.extra_processes.append(upstream.process)
    upstream.wait_listening()
    phone = Sipp(the_lab.caller, "phone-call", lab.scenario("uac_call_auth.xml"),
                 the_lab.path("phone-call"), PHONE, sip_port=PHONE_PORT,
                 remote=f"{lab.ACCESS_IP}:{lab.SIP_PORT}", service="15550002000",
                 caller_user=ACCOUNT, duration_ms=1000, timeout_s=20,
                 extra=["-au", ACCOUNT, "-ap", SECRET, "-aa"])
    the_lab.extra_processes.append(phone.process)
    caller = phone.wait()
    callee = upstream.wait(timeout=10)
    check_peers_ok(SimpleNamespace(caller=caller, callee=callee), checks)
    challenge = next((m for m in caller.messages if m.status_code == 401), None)
    checks.check(challenge is not None and 'realm="carrier.example"' in
                 (challenge.header("WWW-Authenticate") or ""),
                 "the registrar's challenge to the INVITE reached the phone")
    invites = [m for m in callee.messages if m.direction == "received" and m.method == "INVITE"]
    checks.check(len(invites) == 2 and 'username="acct-42"' in
                 (invites[1].header("Authorization") or ""),
                 f"the phone's credentials reached the registrar on the second INVITE "
                 f"({len(invites)} INVITEs)")
    checks.check(caller.final_response("INVITE") == 200,
                 f"the phone's call is answered ({caller.final_response('INVITE')})")
    leaked = [m.first_line for m in callee.messages if PHONE in m.text or "10.99.0.5" in m.text]
    checks.check(not leaked, f"nothing of the phone's addresses reached the registrar ({leaked})")


def keepalives(the_lab, checks) -> None:
    """Step 5: the phone's answering sipp has gone; a bare OPTIONS responder (the phone's SIP
    stack as keep-alives see it) takes its address and port."""
    peer = Process("phone options_peer",
                   the_lab.caller.exec_cmd(["python3", OPTIONS_PEER, PHONE, str(PHONE_PORT)]),
                   the_lab.path("phone_options_peer.log"))
    the_lab.extra_processes.append(peer)
    wait_until("the phone's OPTIONS responder", lambda: "answering" in peer.log_text(), 5,
               alive=peer.check_alive)
    try:
        wait_until("a keep-alive OPTIONS answered by the phone",
                   lambda: "answered OPTIONS" in peer.log_text(), 12, interval=0.5)
    except lab.LabError:
        pass
    answered = [line for line in peer.log_text().splitlines() if "answered OPTIONS" in line]
    checks.check(bool(answered) and f"from {lab.ACCESS_IP}:{lab.SIP_PORT}" in answered[0],
                 f"the SBC sent the NATed phone keep-alive OPTIONS from its access address "
                 f"({answered[:1]})")
    values = metrics(the_lab)
    sent = value(values, "sbc_nat_keepalives_total", result="sent")
    unanswered = value(values, "sbc_nat_keepalives_total", result="unanswered")
    checks.check(sent >= 1 and unanswered == 0,
                 f"sbc_nat_keepalives_total: sent {sent:g}, unanswered {unanswered:g}")
    rows = [r for r in registrations(the_lab) if r.get("user") == ACCOUNT]
    checks.check(len(rows) == 1, "the phone that answers its keep-alives keeps its binding")
    peer.stop()


def test(the_lab, checks):
    token = register_through_the_relay(the_lab, checks)
    if not token:
        return
    call_the_phone(the_lab, checks, token)
    phone_calls_out(the_lab, checks)
    keepalives(the_lab, checks)


if __name__ == "__main__":
    sys.exit(main(test, "register_relay", sbc_config=SBC_CONFIG))
