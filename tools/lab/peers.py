"""The lab's peers: sipp (caller and callee) and tcpdump captures, each run inside a namespace."""

import os
import re
import signal
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from . import pcap
from .netns import Netns
from .procs import LabError, Process, wait_until

# sipp's documented exit codes.
SIPP_EXIT_CODES = {
    0: "all calls succeeded",
    1: "at least one call failed",
    97: "exit on internal command",
    99: "normal exit without calls processed",
    255: "fatal error",
    254: "fatal error binding a socket",
}


# sipp's -t values: one socket (UDP) or one connection (TCP) for every call.
SIPP_TRANSPORTS = {"udp": "u1", "tcp": "t1"}


@dataclass
class SipMessage:
    direction: str  # "sent" or "received"
    text: str

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    def header(self, name: str) -> Optional[str]:
        prefix = name.lower() + ":"
        for line in self.text.split("\n"):
            if line.lower().startswith(prefix):
                return line[len(prefix):].strip()
            if not line.strip():
                break
        return None

    @property
    def status_code(self) -> Optional[int]:
        m = re.match(r"SIP/2\.0 (\d{3})", self.first_line)
        return int(m.group(1)) if m else None

    @property
    def method(self) -> Optional[str]:
        m = re.match(r"([A-Z]+) \S+ SIP/2\.0", self.first_line)
        return m.group(1) if m else None


@dataclass
class SippResult:
    name: str
    exit_code: int
    messages: List[SipMessage]
    screen: str
    log: str
    errors: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def exit_meaning(self) -> str:
        return SIPP_EXIT_CODES.get(self.exit_code, "unknown")

    def final_response(self, method: str = "INVITE") -> Optional[int]:
        """The final (>= 200) response code this side sent or received for `method`."""
        for msg in reversed(self.messages):
            code = msg.status_code
            cseq = msg.header("CSeq") or ""
            if code is not None and code >= 200 and cseq.split()[-1:] == [method]:
                return code
        return None

    def call_ids(self) -> List[str]:
        ids = []
        for msg in self.messages:
            value = msg.header("Call-ID") or msg.header("i")
            if value and value not in ids:
                ids.append(value)
        return ids

    def requests_received(self) -> List[str]:
        return [m.method for m in self.messages if m.direction == "received" and m.method]

    def call_counts(self) -> Dict[str, int]:
        """sipp's cumulative call totals from its last screen: {"Successful call": n,
        "Failed call": n} (a key is missing when the screen never showed it)."""
        totals: Dict[str, int] = {}
        for line in self.screen.splitlines():
            m = re.match(r"\s+(Successful call|Failed call)\s.*\|\s*(\d+)\s*$", line)
            if m:
                totals[m.group(1)] = int(m.group(2))  # the last screen's cumulative value wins
        return totals

    def summary(self) -> str:
        """sipp's last scenario screen (message counts per step) and its call totals."""
        screens = self.screen.split("------------------------------ Scenario Screen")
        scenario = ""
        if len(screens) > 1:
            body = screens[-1].split("\n", 1)[-1]
            kept = []
            for line in body.splitlines():
                if line.startswith("-------"):
                    break
                if "Messages  Retrans" in line or kept:
                    kept.append(line.rstrip())
            scenario = "\n".join(kept)
        totals = {}
        for line in self.screen.splitlines():
            m = re.match(r"\s+(Successful call|Failed call)\s.*\|\s*(\d+)\s*$", line)
            if m:
                totals[m.group(1)] = m.group(2)  # the last screen's cumulative value wins
        total_line = ", ".join(f"{k}: {v}" for k, v in totals.items())
        return (scenario.rstrip() + "\n" + total_line).strip("\n")


def parse_message_log(text: str) -> List[SipMessage]:
    """Splits sipp's -trace_msg log into messages."""
    messages: List[SipMessage] = []
    blocks = re.split(r"^-{20,} [^\n]*\n", text, flags=re.MULTILINE)
    for block in blocks:
        m = re.match(r"\s*\w+ message (sent|received)[^\n]*\n\n?", block)
        if not m:
            continue
        body = block[m.end():].replace("\r\n", "\n").strip("\n")
        messages.append(SipMessage(m.group(1), body))
    return messages


class Sipp:
    """One sipp instance (one call, -m 1, unless `calls` says more) in a namespace, working in
    its own directory.

    Scenarios play `audio.ulaw` from the working directory with rtp_stream, so the caller of this
    class writes that file there first (see audio.write_ulaw_tone).
    """

    def __init__(self, ns: Netns, name: str, scenario: str, workdir: str, local_ip: str,
                 sip_port: int = 5060, media_port: int = 6000, remote: Optional[str] = None,
                 service: str = "15550002", caller_user: str = "15550001",
                 duration_ms: int = 0, timeout_s: int = 30, extra: Sequence[str] = (),
                 transport: str = "udp", calls: int = 1, rate: Optional[float] = None,
                 trace_messages: bool = True):
        """`transport`: "udp" or "tcp" (Debian's sipp has no TLS: see kamailio.TlsRelay).
        `calls`: sipp's -m (calls to place, or to answer, before exiting); `rate`: new calls per
        second (-r, a caller's pace; None: sipp's default). `trace_messages`: log every message
        (-trace_msg, parsed into SippResult.messages); off for load runs, where it would cost
        more than the calls."""
        if calls < 1:
            raise LabError(f"sipp {name}: calls must be at least 1 ({calls})")
        if transport not in SIPP_TRANSPORTS:
            raise LabError(f"sipp cannot speak {transport!r} here "
                           f"(one of {list(SIPP_TRANSPORTS)})")
        self.ns = ns
        self.name = name
        self.workdir = workdir
        self.local_ip = local_ip
        self.sip_port = sip_port
        self.media_port = media_port
        self.transport = transport
        os.makedirs(workdir, exist_ok=True)
        self._messages = os.path.join(workdir, "messages.log")
        self._screen = os.path.join(workdir, "screen.log")
        self._errors = os.path.join(workdir, "errors.log")
        cmd = ["sipp", "-sf", os.path.abspath(scenario)]
        if remote:
            cmd.append(remote)
        cmd += ["-t", SIPP_TRANSPORTS[transport],
                "-i", local_ip, "-p", str(sip_port), "-mi", local_ip, "-mp", str(media_port),
                "-m", str(calls), "-nostdin", "-s", service, "-key", "caller_user", caller_user]
        if trace_messages:
            cmd += ["-trace_msg", "-message_file", self._messages]
        cmd += ["-trace_screen", "-screen_file", self._screen,
                "-trace_err", "-error_file", self._errors,
                "-timeout", f"{timeout_s}s", "-timeout_error", "-max_retrans", "5"]
        if duration_ms:
            cmd += ["-d", str(duration_ms)]
        if rate is not None:
            cmd += ["-r", f"{rate:g}", "-rp", "1000"]
        cmd += list(extra)
        self.timeout_s = timeout_s
        self.process = Process(f"sipp {name}", ns.exec_cmd(cmd),
                               os.path.join(workdir, "sipp.out"), cwd=workdir)

    def wait_listening(self, timeout: float = 10) -> None:
        wait_until(f"sipp {self.name} to listen on {self.transport} "
                   f"{self.local_ip}:{self.sip_port}",
                   lambda: self.ns.listening(self.transport, self.local_ip, self.sip_port),
                   timeout, alive=self.process.check_alive)

    def wait(self, timeout: Optional[float] = None) -> SippResult:
        """Waits for sipp to finish (it has its own -timeout; ours is a backstop)."""
        code = self.process.wait(timeout if timeout is not None else self.timeout_s + 10)
        return self.result(code)

    def stop(self) -> SippResult:
        code = self.process.stop()
        return self.result(-1 if code is None else code)

    def result(self, code: int) -> SippResult:
        def read(path: str) -> str:
            try:
                with open(path, "rb") as f:
                    return f.read().decode("utf-8", "replace")
            except OSError:
                return ""
        return SippResult(self.name, code & 0xFF if code >= 0 else code,
                          parse_message_log(read(self._messages)), read(self._screen),
                          self.process.log_text(), read(self._errors))


class Tcpdump:
    """A capture of everything on one interface of a namespace, written to a pcap file."""

    def __init__(self, ns: Netns, iface: str, path: str):
        self.ns = ns
        self.iface = iface
        self.path = path
        # -U: write each packet at once, so stopping loses nothing; -Z root: keep writing into our
        # root-owned temp dir instead of switching to the tcpdump user.
        cmd = ["tcpdump", "-i", iface, "-n", "-s", "0", "-U", "-Z", "root", "-w", path]
        self.process = Process(f"tcpdump {ns.name}/{iface}", ns.exec_cmd(cmd), path + ".log")
        wait_until(f"tcpdump on {iface} in {ns.name} to start",
                   lambda: "listening on" in self.process.log_text(), 10,
                   alive=self.process.check_alive)

    def stop(self) -> pcap.Capture:
        self.process.stop(signal.SIGINT)  # tcpdump flushes and closes the file on SIGINT
        try:
            return pcap.read(self.path)
        except (OSError, pcap.PcapError) as e:
            raise LabError(f"cannot read capture {self.path}: {e}") from e

