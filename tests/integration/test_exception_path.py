#!/usr/bin/env python3
"""Integration: the kernel exception path. Everything that is not media (ARP, ICMP) crosses the
dataplane to the kernel through each port's TAP and back: a ping to each SBC address is answered
once (no duplicate from the raw veth), the peers see the port's own MAC, and the dataplane counts
the frames it punted to and sent for the kernel."""

import re
import sys

from lab_test import lab, main, wait_until

PINGS = 5


def port_counters(the_lab, name):
    for port in the_lab.cli_json("show", "dataplane").get("ports", []):
        if port.get("name") == name:
            return port
    return None


def ping(checks, ns, address):
    result = ns.run(["ping", "-n", "-c", str(PINGS), "-i", "0.2", "-W", "2", address],
                    timeout=30, check=False)
    out = result.stdout
    match = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    received = int(match.group(2)) if match else -1
    checks.check(received == PINGS, f"{ns.name}: ping {address}: {received} of {PINGS} answered",
                 out[-400:])
    checks.check("DUP!" not in out, f"{ns.name}: no duplicate replies from {address}")


def neighbour_mac(ns, address):
    out = ns.run(["ip", "neigh", "show", address], check=False).stdout
    match = re.search(r"lladdr ([0-9a-f:]{17})", out)
    return match.group(1) if match else None


def test(the_lab, checks):
    before = {name: port_counters(the_lab, name) or {} for name in ("access", "trunk")}
    for ns, address, port in ((the_lab.caller, lab.ACCESS_IP, "access"),
                              (the_lab.callee, lab.TRUNK_IP, "trunk")):
        ping(checks, ns, address)
        info = port_counters(the_lab, port)
        mac = neighbour_mac(ns, address)
        checks.check(info is not None and mac == info.get("mac"),
                     f"{ns.name} sees {address} at the {port} port's MAC ({mac} vs "
                     f"{info and info.get('mac')})")

    # sbcd refreshes the dataplane's counters every 2 s: wait for both ports' numbers to move.
    def counted():
        now = {name: port_counters(the_lab, name) or {} for name in ("access", "trunk")}
        grown = all(now[n].get("to_kernel", 0) - before[n].get("to_kernel", 0) >= PINGS and
                    now[n].get("from_kernel", 0) - before[n].get("from_kernel", 0) >= PINGS
                    for n in now)
        return now if grown else None

    now, why = None, ""
    try:
        now = wait_until("dataplane counts the pings", counted, timeout=15, interval=0.5,
                         alive=the_lab.check_alive)
    except Exception as e:  # noqa: BLE001 - reported as the failed check's reason
        why = str(e)
    checks.check(now is not None, "both ports counted the pings to and from the kernel", why)
    for name in ("access", "trunk") if now else ():
        print(f"       {name}: to_kernel +{now[name]['to_kernel'] - before[name].get('to_kernel', 0)}"
              f", from_kernel +{now[name]['from_kernel'] - before[name].get('from_kernel', 0)}")
    checks.check(the_lab.dataplane_sessions() == 0, "no media session was created by pings")


if __name__ == "__main__":
    sys.exit(main(test, "exception_path"))
