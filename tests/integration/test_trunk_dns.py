#!/usr/bin/env python3
"""Integration: a trunk known by DNS name, located per RFC 3263 through a real DNS server.

dnsmasq in the carrier's namespace (198.51.100.53) serves carrier.test: a NAPTR record for
SIP over UDP, two SRV records (sbc1.carrier.test priority 10, sbc2.carrier.test priority 20)
and their A records. sbc1 (198.51.100.20) is silent; sbc2 is the lab's sipp callee. The trunk
`carrier_dns` says only `host = carrier.test`, and [route.lab] sends the lab's numbers to it.
sbcd starts before the DNS server is up, so its first lookup fails and its retry finds it.

1. `show trunks` lists carrier_dns with both targets in SRV order, and no DNS error;
   sbc_trunk_targets counts them.
2. A call: our INVITE goes to sbc1 first; after failover_timeout_ms without an answer it goes
   to sbc2, which answers; the caller sees one answered call, RTP flows both ways; the callee's
   Request-URI names carrier.test; the CDR lists the attempt at 198.51.100.20.
3. sbc1 is held after failing that call (`show trunks` lists it in held_targets and leads with
   sbc2): the next call goes straight to sbc2, its CDR lists no attempt."""

import shutil
import sys
import time

from lab_test import check_answered_media, check_calls_ended, check_peers_ok, lab, main
from lab.procs import Process

DNS_IP = "198.51.100.53"
SILENT_IP = "198.51.100.20"
SBC_CONFIG = {"sbcd": {"dns_servers": DNS_IP, "dns_timeout_ms": "500"},
              "trunk.carrier_dns": {"zone": "carrier", "host": "carrier.test",
                                    "failover_timeout_ms": "1000"},
              "route.lab": {"prefix": "1555", "trunks": "carrier_dns"}}


def start_dns(the_lab):
    the_lab.callee.ip("addr", "add", f"{DNS_IP}/24", "dev", "e0")
    the_lab.callee.ip("addr", "add", f"{SILENT_IP}/24", "dev", "e0")
    cmd = [shutil.which("dnsmasq") or "/usr/sbin/dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
           "--user=root", "--group=root", "--bind-interfaces", f"--listen-address={DNS_IP}",
           "--port=53", f"--pid-file={the_lab.path('dnsmasq.pid')}", "--log-queries",
           "--log-facility=-", "--local=/test/", "--local-ttl=60",
           "--naptr-record=carrier.test,10,10,S,SIP+D2U,,_sip._udp.carrier.test",
           "--srv-host=_sip._udp.carrier.test,sbc1.carrier.test,5060,10,0",
           "--srv-host=_sip._udp.carrier.test,sbc2.carrier.test,5060,20,0",
           f"--host-record=sbc1.carrier.test,{SILENT_IP}",
           f"--host-record=sbc2.carrier.test,{lab.CALLEE_IP}"]
    proc = Process("dnsmasq", the_lab.callee.exec_cmd(cmd), the_lab.path("dnsmasq.log"))
    the_lab.extra_processes.append(proc)
    return proc


def wait_resolved(the_lab, dns, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    row = {}
    while time.monotonic() < deadline:
        dns.check_alive()
        rows = the_lab.cli_json("show", "trunks")["trunks"]
        row = next(r for r in rows if r["name"] == "carrier_dns")
        if row["targets"] and not row["dns"]["error"]:
            return row
        time.sleep(0.5)
    return row


def held_call(the_lab, checks):
    """Step 3: the silent server is held; the next call starts at the second."""
    row = next(r for r in the_lab.cli_json("show", "trunks")["trunks"]
               if r["name"] == "carrier_dns")
    held = row.get("held_targets") or []
    checks.check(len(held) == 1 and held[0].get("target") == f"{SILENT_IP}:5060/udp" and
                 0 < held[0].get("for_s", 0) <= 30 and
                 row.get("address") == f"carrier.test={lab.CALLEE_IP}:5060/udp",
                 f"show trunks: the silent server held, the second leads "
                 f"({held}, {row.get('address')})")
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), audio_seconds=1.0, timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200,
                 "the next call is answered by the second SRV target")
    cdr = the_lab.wait_cdrs(2)[-1]
    checks.check(not cdr.get("trunk_attempts"),
                 f"it went straight there: no failed attempt ({cdr.get('trunk_attempts')})")


def test(the_lab, checks):
    dns = start_dns(the_lab)
    row = wait_resolved(the_lab, dns)
    print(the_lab.cli("show", "trunks"), flush=True)
    expected = [f"{SILENT_IP}:5060/udp", f"{lab.CALLEE_IP}:5060/udp"]
    checks.check(row.get("targets") == expected,
                 f"show trunks: carrier.test resolved to {expected} ({row.get('targets')})")
    checks.check(row.get("host") == "carrier.test" and row.get("dns", {}).get("error") == "",
                 f"show trunks: host carrier.test, no DNS error ({row.get('dns')})")
    checks.check(0 < (row.get("dns", {}).get("expires_in_s") or 0) <= 60,
                 f"the answer is held for its TTL ({row.get('dns')})")
    targets = lab.metric_sum(lab.parse_metrics(the_lab.metrics()), "sbc_trunk_targets",
                             trunk="carrier_dns")
    checks.check(targets == 2, f"/metrics sbc_trunk_targets{{trunk=carrier_dns}} is 2 ({targets})")

    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), audio_seconds=1.0, timeout_s=30)
    check_peers_ok(outcome, checks)
    checks.check(outcome.caller.final_response("INVITE") == 200,
                 "the call is answered by the second SRV target")
    statuses = [m.status_code for m in outcome.caller.messages
                if m.direction == "received" and m.status_code]
    checks.check(not any(code >= 300 for code in statuses),
                 f"the caller saw no failure response ({statuses})")
    invites = [m.first_line for m in outcome.callee.messages
               if m.direction == "received" and m.method == "INVITE"]
    checks.check(bool(invites) and "@carrier.test" in invites[0],
                 f"the callee's Request-URI names the trunk's domain ({invites[:1]})")
    check_answered_media(the_lab, outcome, checks, outcome.rtp_per_play)
    check_calls_ended(the_lab, checks)
    cdr = the_lab.wait_cdrs(1)[-1]
    attempts = cdr.get("trunk_attempts") or []
    checks.check(cdr.get("callee_trunk") == "carrier_dns" and len(attempts) == 1 and
                 attempts[0].get("address") == f"{SILENT_IP}:5060/udp" and
                 attempts[0].get("code") in (408, 503),
                 f"the CDR lists the silent first target's attempt ({attempts})")
    held_call(the_lab, checks)
    log = open(the_lab.path("dnsmasq.log"), encoding="utf-8", errors="replace").read()
    checks.check("query[NAPTR] carrier.test" in log and "query[SRV] _sip._udp.carrier.test" in log,
                 "sbcd asked the DNS server for NAPTR, then SRV records")


if __name__ == "__main__":
    sys.exit(main(test, "trunk_dns", sbc_config=SBC_CONFIG))
