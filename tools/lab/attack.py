"""Attackers for the security tests, run inside the lab's namespaces only: sbc-sip-flood (a paced
SIP flood from one source or from spoofed ones) and SIPVicious (svmap, svwar, svcrack)."""

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .lab import ACCESS_IP, SIP_PORT, Lab
from .netns import Netns
from .procs import LabError, Process, run

SIPVICIOUS_TOOLS = ("svmap", "svwar", "svcrack")


@dataclass
class FloodResult:
    mode: str             # "single" or "spoofed"
    method: str
    source: str
    requested_rate: int
    sent: int
    send_errors: int
    responses: int        # answers the flood's socket received (-1: spoofed, not seen)
    elapsed_s: float
    achieved_rate: float
    raw: Dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        answered = "" if self.responses < 0 else f", {self.responses} responses"
        return (f"{self.mode} flood from {self.source}: {self.sent} {self.method} in "
                f"{self.elapsed_s:.2f} s = {self.achieved_rate:.0f} req/s (asked "
                f"{self.requested_rate}/s), {self.send_errors} send errors{answered}")


class Flood:
    """sbc-sip-flood running in a namespace; a lab process (stopped by PID on cleanup).

    `source`: bind this address (one source); `spoof`: a CIDR the source of each request is
    drawn from (raw socket). Bounded by `duration_s` and `count`, whichever comes first.
    """

    def __init__(self, lab: Lab, ns: Netns, name: str, *, rate: int = 10000,
                 duration_s: int = 5, count: Optional[int] = None, source: Optional[str] = None,
                 spoof: Optional[str] = None, method: str = "OPTIONS",
                 target: str = f"{ACCESS_IP}:{SIP_PORT}", user_agent: Optional[str] = None):
        binary = lab.binaries.require_flood()
        cmd = [binary, "--target", target, "--rate", str(rate), "--duration", str(duration_s),
               "--method", method, "--json"]
        if count is not None:
            cmd += ["--count", str(count)]
        if source is not None:
            cmd += ["--source", source]
        if spoof is not None:
            cmd += ["--spoof", spoof]
        if user_agent is not None:
            cmd += ["--user-agent", user_agent]
        self.name = name
        self.duration_s = duration_s
        self.process = Process(name, ns.exec_cmd(cmd), lab.path(f"{name}.out"))
        lab.extra_processes.append(self.process)

    def wait(self) -> FloodResult:
        code = self.process.wait(self.duration_s + 20)
        text = self.process.log_text()
        if code != 0:
            raise LabError(f"{self.name} exited with code {code}: {text.strip()[-500:]}")
        for line in reversed(text.splitlines()):
            if line.startswith("{"):
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as e:
                    raise LabError(f"{self.name} printed invalid JSON ({e}): {line}") from e
                return FloodResult(data["mode"], data["method"], data["source"],
                                   int(data["requested_rate"]), int(data["sent"]),
                                   int(data["send_errors"]), int(data["responses"]),
                                   float(data["elapsed_s"]), float(data["achieved_rate"]), data)
        raise LabError(f"{self.name} printed no result: {text.strip()[-500:]}")


def check_sipvicious() -> None:
    missing = [t for t in SIPVICIOUS_TOOLS if not _which(t)]
    if missing:
        raise LabError(f"missing SIPVicious tools: {', '.join(missing)} (apt-get install "
                       "sipvicious; tools/setup.sh installs it)")


def _which(tool: str) -> bool:
    return any(os.access(os.path.join(d, tool), os.X_OK)
               for d in os.environ.get("PATH", "").split(os.pathsep) if d)


@dataclass
class ToolRun:
    cmd: List[str]
    exit_code: int
    output: str        # stdout and stderr (SIPVicious reports through logging, on stderr)
    seconds: float

    def show(self) -> str:
        return f"$ {' '.join(self.cmd)}   (exit {self.exit_code}, {self.seconds:.1f} s)\n" + \
            "\n".join("    " + line for line in self.output.rstrip().splitlines())


def sipvicious(lab: Lab, ns: Netns, tool: str, args: List[str], timeout: float = 90,
               log_name: Optional[str] = None, source: Optional[str] = None,
               target: str = ACCESS_IP, iface: str = "c0") -> ToolRun:
    """Runs svmap / svwar / svcrack in `ns` to completion (killed at `timeout`); keeps its output
    in the lab directory as `log_name`.

    `source`: the address its packets to `target` leave from. SIPVicious 0.3.3's svwar and
    svcrack ignore their -b option (only svmap passes it on) and bind the wildcard, so the
    kernel's choice decides: a host route to `target` with that preferred source, on `iface`,
    for the tool's run only (sockets bound to an address, like the PBX's sipp, are unaffected).
    """
    if tool not in SIPVICIOUS_TOOLS:
        raise LabError(f"not a SIPVicious tool: {tool}")
    cmd = [tool, *(["-b", source] if source else []), *args]
    started = time.monotonic()
    # Its own working directory and HOME: nothing it might save lands outside the lab's dir.
    workdir = lab.path(log_name or tool)
    os.makedirs(workdir, exist_ok=True)
    if source:
        ns.ip("route", "replace", f"{target}/32", "dev", iface, "src", source)
    try:
        result = run(ns.exec_cmd(["env", f"HOME={workdir}", *cmd]), timeout=timeout,
                     check=False)
    finally:
        if source:
            run(["ip", "-n", ns.name, "route", "del", f"{target}/32", "dev", iface],
                check=False)
    output = (result.stdout or "") + (result.stderr or "")
    with open(os.path.join(workdir, "output.txt"), "w") as f:
        f.write(output)
    return ToolRun(cmd, result.returncode, output, time.monotonic() - started)
