#!/usr/bin/env python3
"""Integration: SIPVicious scanners against the SBC's access address.

svmap (from 192.0.2.66) finds no SIP device: its friendly-scanner User-Agent bans the source at
its first request, which gets no answer. The ban shows in `show bans` and /metrics, and later
packets from that source die in the dataplane (banned_source). svwar (from a fresh 192.0.2.67)
enumerates no extension although user 1001 exists. Bans are added and removed by hand from the
CLI. Then a legitimate call from the trusted PBX still completes.
"""

import sys

from lab_test import check_peers_ok, lab, main
from security_checks import (SCANNER, SCANNER2, ban_of, bans, dataplane_drops, metrics,
                             print_security_metrics, value, wait_banned, wait_dataplane_refresh)

USER = "1001"
MANUAL_BAN = "192.0.2.99"

SBC_CONFIG = {
    "zone.access": {"authenticate": "register, invite", "trusted": f"{lab.CALLER_IP}/32"},
    f"user.{USER}": {"secret": "not-in-any-wordlist-5b8c", "zone": "access"},
}


def svmap(the_lab, source: str, local_port: int):
    return lab.sipvicious(the_lab, the_lab.caller, "svmap",
                          ["-P", str(local_port), "-p", str(lab.SIP_PORT), lab.ACCESS_IP],
                          timeout=60, log_name=f"svmap-{source}-{local_port}", source=source)


def found_nothing(run) -> bool:
    """SIPVicious prints a results table ("SIP Device" / "Extension" column) only when it found
    something, and "found nothing" otherwise."""
    return "found nothing" in run.output and "| SIP Device" not in run.output and \
        "| Extension" not in run.output


def test(the_lab, checks):
    lab.check_sipvicious()
    for address in (SCANNER, SCANNER2):
        the_lab.add_caller_address(address)

    first = svmap(the_lab, SCANNER, 5070)
    print(first.show())
    checks.check(found_nothing(first), "svmap lists no SIP device at 192.0.2.1")
    wait_banned(the_lab, checks, SCANNER, "scanner")
    after_svmap = wait_dataplane_refresh(the_lab)
    print_security_metrics(after_svmap, "after svmap")
    checks.check(value(after_svmap, "sbc_security_offences_total", offence="scanner") >= 1,
                 "sbc_security_offences_total{offence=\"scanner\"} counted svmap")
    checks.check(value(after_svmap, "sbc_security_bans_total", reason="scanner") >= 1,
                 "sbc_security_bans_total{reason=\"scanner\"} counted the ban")
    checks.check(value(after_svmap, "sbc_security_bans_active") >= 1,
                 f"sbc_security_bans_active = {value(after_svmap, 'sbc_security_bans_active'):g}")

    # The banned source tries again: the dataplane drops it before sbcd sees anything.
    again = svmap(the_lab, SCANNER, 5071)
    checks.check(found_nothing(again), "svmap again from the banned source: still nothing")
    after_again = wait_dataplane_refresh(the_lab)
    dropped = dataplane_drops(after_again, "banned_source") - \
        dataplane_drops(after_svmap, "banned_source")
    print(f"       dataplane banned_source drops during the second svmap: +{dropped:g}")
    checks.check(dropped >= 1, "the dataplane dropped the banned source's packets "
                 f"(banned_source +{dropped:g})")

    war = lab.sipvicious(the_lab, the_lab.caller, "svwar",
                         ["-P", "5072", "-p", str(lab.SIP_PORT), "-e", "1000-1010", "-m",
                          "REGISTER", lab.ACCESS_IP], timeout=90, log_name="svwar",
                         source=SCANNER2)
    print(war.show())
    checks.check(found_nothing(war) and f"| {USER}" not in war.output,
                 f"svwar enumerates no extension (user {USER} exists)")
    wait_banned(the_lab, checks, SCANNER2, "scanner")

    # Manual bans from the CLI.
    print(the_lab.cli("ban", "add", MANUAL_BAN, "120"))
    manual = ban_of(the_lab, MANUAL_BAN)
    checks.check(manual is not None and manual.get("reason") == "manual",
                 f"ban add {MANUAL_BAN} 120: listed as a manual ban ({manual})")
    print(f"       show bans:\n{the_lab.cli('show', 'bans')}")
    the_lab.cli("ban", "remove", MANUAL_BAN)
    checks.check(ban_of(the_lab, MANUAL_BAN) is None, f"ban remove {MANUAL_BAN}: gone")
    removed_twice = the_lab.cli_result("ban", "remove", MANUAL_BAN)
    checks.check(removed_twice.returncode != 0,
                 f"ban remove of an address not banned fails (exit {removed_twice.returncode}: "
                 f"{(removed_twice.stderr or removed_twice.stdout).strip()})")
    checks.check(ban_of(the_lab, SCANNER) is not None and ban_of(the_lab, SCANNER2) is not None,
                 f"both scanners are still banned ({len(bans(the_lab))} bans)")

    # The PBX is untouched by all of this.
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_rtp.xml"),
                           lab.scenario("uas_answer_rtp.xml"), duration_ms=2000,
                           audio_seconds=1.0)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"a legitimate call from the PBX is answered 200 (got {code})")
    checks.check(outcome.callee_rtp_received > 0 and outcome.caller_rtp_received > 0,
                 f"its media flows both ways ({outcome.caller_rtp_received} / "
                 f"{outcome.callee_rtp_received} RTP packets received)")
    print_security_metrics(metrics(the_lab), "at the end")


if __name__ == "__main__":
    sys.exit(main(test, "scanners", sbc_config=SBC_CONFIG))
