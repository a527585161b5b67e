"""Network namespaces and veth pairs for the lab, through iproute2, ethtool and sysctl."""

import json
import os
from typing import List, Optional, Sequence

from .procs import LabError, run

NETNS_DIR = "/run/netns"


class Netns:
    """One named network namespace; created on construction, removed by delete()."""

    def __init__(self, name: str):
        self.name = name
        run(["ip", "netns", "add", name])
        self._deleted = False
        try:
            self.ip("link", "set", "lo", "up")
            # IPv4-only lab: no router solicitations, MLD or DAD frames reach the dataplane.
            self.sysctl("net.ipv6.conf.all.disable_ipv6", "1")
            self.sysctl("net.ipv6.conf.default.disable_ipv6", "1")
        except LabError:
            self.delete()
            raise

    def exec_cmd(self, cmd: Sequence[str]) -> List[str]:
        """The command line that runs `cmd` inside this namespace (ip netns exec execs in place,
        so the started PID is the command's own)."""
        return ["ip", "netns", "exec", self.name, *cmd]

    def run(self, cmd: Sequence[str], timeout: float = 30, check: bool = True,
            input_text: Optional[str] = None):
        return run(self.exec_cmd(cmd), timeout=timeout, check=check, input_text=input_text)

    def ip(self, *args: str):
        return run(["ip", "-n", self.name, *args])

    def sysctl(self, key: str, value: str) -> None:
        self.run(["sysctl", "-q", "-w", f"{key}={value}"])

    def ethtool_off(self, iface: str, features: Sequence[str]) -> None:
        """Turns offloads off so frames leave the kernel with complete checksums and unmerged."""
        args: List[str] = []
        for feature in features:
            args += [feature, "off"]
        # ethtool exits non-zero when a feature cannot change (fixed on this driver): that is fine
        # for the ones veth lacks, so check the result for the features that matter instead.
        self.run(["ethtool", "-K", iface, *args], check=False)
        if "tx" in features:
            shown = self.run(["ethtool", "-k", iface]).stdout
            for line in shown.splitlines():
                if line.startswith("tx-checksumming:") and " on" in line:
                    raise LabError(f"could not turn tx checksum offload off on {iface} in "
                                   f"{self.name}: {line.strip()}")

    def addresses(self, iface: str) -> Optional[List[str]]:
        """IPv4 addresses (CIDR) of an UP interface, or None if it does not exist or is down."""
        result = run(["ip", "-n", self.name, "-j", "addr", "show", "dev", iface], check=False)
        if result.returncode != 0:
            return None
        try:
            links = json.loads(result.stdout or "[]")
        except json.JSONDecodeError:
            return None
        if not links:
            return None
        link = links[0]
        if "UP" not in link.get("flags", []):
            return None
        return [f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", [])
                if a.get("family") == "inet"]

    def udp_bound(self, ip: str, port: int) -> bool:
        """True once some socket in the namespace listens on UDP ip:port (or the wildcard)."""
        return self._listening("-u", ip, port)

    def tcp_listening(self, ip: str, port: int) -> bool:
        """True once some socket in the namespace listens on TCP ip:port (or the wildcard)."""
        return self._listening("-t", ip, port)

    def listening(self, transport: str, ip: str, port: int) -> bool:
        """udp_bound for "udp", tcp_listening for "tcp" and "tls" (TLS runs over TCP)."""
        return self._listening("-u" if transport == "udp" else "-t", ip, port)

    def _listening(self, kind: str, ip: str, port: int) -> bool:
        result = self.run(["ss", "-H", kind, "-l", "-n"], check=False)
        wanted = {f"{ip}:{port}", f"0.0.0.0:{port}", f"*:{port}"}
        for line in result.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[3] in wanted:
                return True
        return False

    def delete(self) -> None:
        """Removes the namespace (its veth ends go with it). Idempotent."""
        if self._deleted:
            return
        run(["ip", "netns", "delete", self.name], check=False)
        self._deleted = True


def add_veth_pair(left: Netns, left_name: str, right: Netns, right_name: str) -> None:
    """Creates a veth pair with one end in each namespace and both ends up.

    The ends are created directly inside their namespaces, so their short names (c0, a0...) never
    exist in the root namespace and several labs can use the same ones at once.
    """
    run(["ip", "link", "add", left_name, "netns", left.name, "type", "veth",
         "peer", "name", right_name, "netns", right.name])
    left.ip("link", "set", left_name, "up")
    right.ip("link", "set", right_name, "up")


def list_lab_namespaces(prefix: str) -> List[str]:
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))
    except FileNotFoundError:
        return []
