#!/usr/bin/env python3
"""Integration: a digest brute force, a banned source dropped by the dataplane, and a registered
user reached from the trunk.

1. svcrack (192.0.2.66) guesses user alice's password from a numeric range that does not hold it.
   svcrack always sends "User-Agent: friendly-scanner" (it has no option to change it), so this
   lab's scanner list leaves that string out: the auth-failure path is what must ban it, after
   max_auth_failures (5) wrong answers. It never finds the password.
2. The banned source sends 500 more requests: the dataplane counts them (banned_source) while
   sbcd's request counter does not move and nothing answers.
3. A phone (192.0.2.20:5062) registers with the right password (sipp, MD5 digest): 200, listed
   in `show registrations`. A call from the carrier (sipp in the callee namespace) to alice
   reaches that phone's sipp, at the registered contact, and is answered.
The secret appears in no log, metric or CLI output.
"""

import sys
from types import SimpleNamespace

from lab_test import check_peers_ok, lab, main
from lab.peers import Sipp
from security_checks import (PHONE, PHONE_PORT, SCANNER, check_secret_hidden, dataplane_drops,
                             metrics, print_security_metrics, registrations, sip_requests, value,
                             wait_banned, wait_dataplane_refresh)

USER = "alice"
SECRET = "Lab-Secret-7e1f-not-numeric"
MAX_AUTH_FAILURES = 5
BANNED_REQUESTS = 500

SBC_CONFIG = {
    "security": {"max_auth_failures": MAX_AUTH_FAILURES, "window": 60,
                 # Everything but svcrack's friendly-scanner: see the module text.
                 "scanner_user_agents": "sipvicious, sipcli, sip-scan, sundayddr, iWar"},
    # sipp's [authentication] computes MD5 digests only, and reads the first challenge.
    "zone.access": {"authenticate": "register, invite", "trusted": f"{lab.CALLER_IP}/32",
                    "auth_algorithms": "md5"},
    f"user.{USER}": {"secret": SECRET, "zone": "access"},
}


def crack(the_lab, checks) -> None:
    run = lab.sipvicious(the_lab, the_lab.caller, "svcrack",
                         ["-u", USER, "-r", "1000-1999", "-P", "5073", "-p", str(lab.SIP_PORT),
                          "--maximumtime", "5", lab.ACCESS_IP],
                         timeout=120, log_name="svcrack", source=SCANNER)
    print(run.show())
    checks.check("The password for" not in run.output and SECRET not in run.output,
                 "svcrack never finds alice's password")
    wait_banned(the_lab, checks, SCANNER, "auth_failure")
    values = wait_dataplane_refresh(the_lab)
    print_security_metrics(values, "after svcrack")
    failures = value(values, "sbc_security_offences_total", offence="auth_failure")
    checks.check(failures >= MAX_AUTH_FAILURES,
                 f"sbc_security_offences_total{{offence=\"auth_failure\"}} = {failures:g} "
                 f"(>= max_auth_failures {MAX_AUTH_FAILURES})")
    checks.check(value(values, "sbc_auth_failures_total") >= MAX_AUTH_FAILURES,
                 f"sbc_auth_failures_total = {value(values, 'sbc_auth_failures_total'):g}")
    checks.check(value(values, "sbc_auth_challenges_total") >= 1,
                 f"sbc_auth_challenges_total = {value(values, 'sbc_auth_challenges_total'):g}")
    checks.check(value(values, "sbc_security_bans_total", reason="auth_failure") >= 1,
                 "sbc_security_bans_total{reason=\"auth_failure\"} counted the ban")


def banned_source_dropped_by_dataplane(the_lab, checks) -> None:
    before = wait_dataplane_refresh(the_lab)
    flood = lab.Flood(the_lab, the_lab.caller, "flood-banned", rate=250,
                      count=BANNED_REQUESTS, duration_s=10, source=SCANNER)
    result = flood.wait()
    print(f"       {result.describe()}")
    after = wait_dataplane_refresh(the_lab)
    dropped = dataplane_drops(after, "banned_source") - dataplane_drops(before, "banned_source")
    seen = sip_requests(after) - sip_requests(before)
    sbcd_banned = value(after, "sbc_security_dropped_total", reason="banned") - \
        value(before, "sbc_security_dropped_total", reason="banned")
    print(f"       dataplane banned_source drops +{dropped:g}; sbcd SIP requests +{seen:g}; "
          f"sbcd drops for reason banned +{sbcd_banned:g}")
    checks.check(result.sent == BANNED_REQUESTS, f"the banned source sent {result.sent} requests")
    checks.check(dropped >= BANNED_REQUESTS,
                 f"the dataplane dropped them all (banned_source +{dropped:g} >= "
                 f"{BANNED_REQUESTS})")
    checks.check(seen == 0, f"sbcd saw none of them (sbc_sip_requests_total +{seen:g})")
    checks.check(sbcd_banned == 0, "none reached sbcd's own ban check either "
                 f"(sbc_security_dropped_total{{reason=\"banned\"}} +{sbcd_banned:g})")
    checks.check(result.responses == 0, f"no answer came back ({result.responses})")


def register_and_call(the_lab, checks) -> None:
    phone_dir = the_lab.path("phone-register")
    reg = Sipp(the_lab.caller, "phone-register", lab.scenario("uac_register_auth.xml"),
               phone_dir, PHONE, sip_port=PHONE_PORT, remote=f"{lab.ACCESS_IP}:{lab.SIP_PORT}",
               service=USER, timeout_s=20, extra=["-au", USER, "-ap", SECRET])
    the_lab.extra_processes.append(reg.process)
    result = reg.wait()
    code = result.final_response("REGISTER")
    checks.check(result.ok and code == 200,
                 f"alice's phone registers with the right password: {code} (sipp exit "
                 f"{result.exit_code})", result.summary())
    challenged = [m for m in result.messages if m.status_code == 401]
    checks.check(bool(challenged) and "MD5" in (challenged[0].header("WWW-Authenticate") or ""),
                 "the first REGISTER was challenged 401 with an MD5 WWW-Authenticate")
    print(f"       show registrations:\n{the_lab.cli('show', 'registrations')}")
    entries = [r for r in registrations(the_lab) if r.get("user") == USER]
    contact = f"{PHONE}:{PHONE_PORT}"
    checks.check(len(entries) == 1 and contact in str(entries[0]),
                 f"show registrations lists alice at {contact} ({entries})")
    values = metrics(the_lab)
    checks.check(value(values, "sbc_registrations_active") == 1,
                 f"sbc_registrations_active = {value(values, 'sbc_registrations_active'):g}")
    checks.check(value(values, "sbc_auth_successes_total") >= 1,
                 f"sbc_auth_successes_total = {value(values, 'sbc_auth_successes_total'):g}")

    # The carrier calls alice: the SBC sends the INVITE to the registered contact (nothing
    # listens on the PBX's 5060 meanwhile, so the default target could not answer).
    caller, callee = lab.call_from_carrier(the_lab, USER, PHONE, answer_port=PHONE_PORT)
    check_peers_ok(SimpleNamespace(caller=caller, callee=callee), checks)
    code = caller.final_response("INVITE")
    checks.check(code == 200, f"the carrier's call to alice is answered 200 (got {code})")
    checks.check("INVITE" in callee.requests_received(),
                 "the INVITE reached alice's registered phone at "
                 f"{PHONE}:{PHONE_PORT}")
    invite = next((m for m in callee.messages if m.method == "INVITE"), None)
    if invite is not None:
        print(f"       the phone received: {invite.first_line}")


def test(the_lab, checks):
    lab.check_sipvicious()
    the_lab.add_caller_address(SCANNER)
    the_lab.add_caller_address(PHONE)
    crack(the_lab, checks)
    banned_source_dropped_by_dataplane(the_lab, checks)
    register_and_call(the_lab, checks)
    check_secret_hidden(the_lab, checks, SECRET)
    print_security_metrics(metrics(the_lab), "at the end")


if __name__ == "__main__":
    sys.exit(main(test, "bruteforce", sbc_config=SBC_CONFIG))
