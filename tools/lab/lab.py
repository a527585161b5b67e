"""The SBC lab: three namespaces, two veth pairs, sbc-dataplane and sbcd, always cleaned up.

    caller ns: c0 192.0.2.10/24  <->  sbc ns: a0 (af_packet, no IP)   TAP sbc0 192.0.2.1/24
    sbc ns:    t0 (af_packet)    <->  callee ns: e0 198.51.100.10/24  TAP sbc1 198.51.100.1/24

Every name that could collide between labs running at once carries a per-run tag (namespaces,
temp dir, DPDK --file-prefix); interface names live inside the lab's own namespaces.

Use as a context manager. Cleanup (processes stopped by PID, namespaces deleted, DPDK runtime
files and the temp dir removed) runs on normal exit, on exceptions, on SIGINT/SIGTERM/SIGHUP
and, as a last resort, at interpreter exit.
"""

import atexit
import itertools
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .certs import Pki, make_pki
from .conf import Extra, merge_ini
from .netns import Netns, add_veth_pair
from .procs import LabError, Process, run, wait_until

CALLER_IP = "192.0.2.10"
CALLEE_IP = "198.51.100.10"
ACCESS_IP = "192.0.2.1"
TRUNK_IP = "198.51.100.1"
SIP_PORT = 5060
SIPS_PORT = 5061  # the SBC's TLS listeners, and the lab's TLS relays
METRICS_PORT = 9100  # inside the sbc namespace's own loopback, so never taken by anything else
NS_PREFIX = "sbclab-"
DPDK_RUNTIME_DIR = "/var/run/dpdk"

REQUIRED_TOOLS = ("ip", "ethtool", "sysctl", "ss", "sipp", "tcpdump", "curl")
TLS_TOOLS = ("openssl", "kamailio")  # certificates; the TLS peer in front of sipp

# Offloads off on every veth end: the kernel then computes full checksums before a frame reaches
# the dataplane's af_packet socket, and frames stay MTU-sized (no GSO/GRO super-frames).
_OFFLOADS = ("rx", "tx", "tso", "gso", "gro")

_counter = itertools.count()
_active: List["Lab"] = []
_handlers_installed = False


def _raise_exit(signum, _frame):
    # Unwinds through every `with Lab()` and `finally`, which do the cleanup.
    raise SystemExit(128 + signum)


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    atexit.register(_close_all)
    _handlers_installed = True


def _close_all() -> None:
    for lab in list(_active):
        lab.close()


def _ensure_sbin_in_path() -> None:
    # ip, ethtool and sysctl live in sbin, which a non-login root shell or CI may not have in PATH.
    parts = os.environ.get("PATH", "").split(os.pathsep)
    for extra in ("/usr/local/sbin", "/usr/sbin", "/sbin"):
        if extra not in parts:
            parts.append(extra)
    os.environ["PATH"] = os.pathsep.join(p for p in parts if p)


def check_environment() -> None:
    """Fails loudly (never skips) when the lab cannot run here."""
    _ensure_sbin_in_path()
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, veth pairs, DPDK af_packet): "
                       "run with sudo")
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        raise LabError(f"missing tools: {', '.join(missing)} (install them with tools/setup.sh)")


@dataclass
class Binaries:
    dataplane: str
    sbcd: str
    cli: str
    flood: Optional[str] = None  # sbc-sip-flood (tools/flood), for the security tests only

    @staticmethod
    def from_build_dir(build_dir: str) -> "Binaries":
        b = Binaries(os.path.join(build_dir, "dataplane", "sbc-dataplane"),
                     os.path.join(build_dir, "controlplane", "app", "sbcd"),
                     os.path.join(build_dir, "cli", "sbc-cli"),
                     os.path.join(build_dir, "tools", "flood", "sbc-sip-flood"))
        b.check()
        return b

    def check(self) -> None:
        for path in (self.dataplane, self.sbcd, self.cli):
            if not os.access(path, os.X_OK):
                raise LabError(f"binary not found or not executable: {path} (build first: "
                               f"ninja -C <build dir>)")

    def require_flood(self) -> str:
        """The sbc-sip-flood path; LabError when it is not built (checked only by its users)."""
        if not self.flood or not os.access(self.flood, os.X_OK):
            raise LabError(f"sbc-sip-flood not found or not executable: {self.flood} (build it: "
                           "ninja -C <build dir> tools/flood/sbc-sip-flood; tools/meson.build "
                           "needs subdir('flood'))")
        return self.flood


TRANSPORTS = ("udp", "tcp", "tls")


@dataclass(frozen=True)
class SipSetup:
    """How the lab's sbcd speaks SIP: the listeners of each zone and how it reaches the trunk.

    A Lab without one writes the plain configuration the first tests were written against (no
    transport keys: sbcd's defaults). With TLS anywhere the lab makes a test CA and certificates
    (Lab.pki) for the SBC's two addresses and for each peer, and writes [tls].
    """
    access_transports: Sequence[str] = ("udp", "tcp")
    carrier_transports: Sequence[str] = ("udp", "tcp")
    trunk_transport: str = "udp"   # [trunk.carrier1] transport; its port is 5061 for TLS
    tls_min_version: str = "1.2"
    tls_groups: str = "X25519:P-256:P-384"

    def __post_init__(self) -> None:
        for t in (*self.access_transports, *self.carrier_transports, self.trunk_transport):
            if t not in TRANSPORTS:
                raise LabError(f"unknown SIP transport {t!r} (one of {', '.join(TRANSPORTS)})")
        if self.trunk_transport not in self.carrier_transports:
            raise LabError(f"the carrier zone needs a {self.trunk_transport} listener to reach "
                           f"the trunk over {self.trunk_transport}")

    @property
    def tls(self) -> bool:
        return "tls" in (*self.access_transports, *self.carrier_transports)

    @property
    def trunk_port(self) -> int:
        return SIPS_PORT if self.trunk_transport == "tls" else SIP_PORT

    def listeners(self) -> List[Tuple[str, str, int]]:
        """(transport, address, port) of every listener sbcd must open."""
        out = []
        for ip, transports in ((ACCESS_IP, self.access_transports),
                               (TRUNK_IP, self.carrier_transports)):
            for t in transports:
                out.append((t, ip, SIPS_PORT if t == "tls" else SIP_PORT))
        return out


class Lab:
    def __init__(self, binaries: Binaries, log: Callable[[str], None] = lambda s: None,
                 media_timeout_s: int = 60, keep_dir: Optional[str] = None,
                 start_timeout_s: float = 60, sip: Optional[SipSetup] = None,
                 sbc_config: Optional[Extra] = None, dataplane_config: Optional[Extra] = None):
        """`log` receives progress lines. `keep_dir`: copy every log there before cleanup.
        `sip`: listeners and trunk transport (None: the plain UDP configuration).
        `sbc_config` / `dataplane_config`: {section: {key: value}} merged into the generated
        sbc.conf / dataplane.conf (a value replaces the key, a list repeats it, None removes it,
        new sections are appended; see conf.merge_ini)."""
        self.binaries = binaries
        self.sip = sip
        self.sbc_config = sbc_config
        self.dataplane_config = dataplane_config
        self.pki: Optional[Pki] = None
        self.log = log
        self.media_timeout_s = media_timeout_s
        self.keep_dir = keep_dir
        self.start_timeout_s = start_timeout_s
        self.tag = f"{os.getpid()}-{next(_counter)}"
        self.dir: Optional[str] = None
        self.caller: Optional[Netns] = None
        self.sbc: Optional[Netns] = None
        self.callee: Optional[Netns] = None
        self.dataplane: Optional[Process] = None
        self.sbcd: Optional[Process] = None
        self.sbcd_starts = 1
        self.extra_processes: List[Process] = []
        self._closed = False
        self.file_prefix = f"sbclab-{self.tag}"

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> "Lab":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        check_environment()
        if self.sip is not None and self.sip.tls:
            missing = [t for t in TLS_TOOLS if shutil.which(t) is None]
            if missing:
                raise LabError(f"TLS in the lab needs {', '.join(missing)} (kamailio, "
                               "kamailio-tls-modules and openssl: tools/setup.sh installs them)")
        _install_handlers()
        _active.append(self)
        self.dir = tempfile.mkdtemp(prefix=f"sbclab-{self.tag}-")
        self.log(f"lab {self.tag}: building namespaces in {self.dir}")
        self._build_network()
        self._write_configs()
        self._start_dataplane()
        self._start_sbcd()
        self.log(f"lab {self.tag}: ready (caller {CALLER_IP} -> SBC {ACCESS_IP} | "
                 f"{TRUNK_IP} -> callee {CALLEE_IP})")

    def close(self) -> None:
        """Stops everything this lab started and removes what it created. Idempotent."""
        if self._closed:
            return
        self._closed = True
        # A second Ctrl-C must not leave namespaces behind half-way through cleanup.
        restore = self._block_signals()
        try:
            for proc in reversed(self.extra_processes):
                proc.stop()
            if self.sbcd is not None:
                self.sbcd.stop(signal.SIGTERM, grace=10)
            if self.dataplane is not None:
                self.dataplane.stop(signal.SIGTERM, grace=10)
            for ns in (self.callee, self.sbc, self.caller):
                if ns is not None:
                    ns.delete()
            shutil.rmtree(os.path.join(DPDK_RUNTIME_DIR, self.file_prefix), ignore_errors=True)
            if self.dir is not None:
                if self.keep_dir:
                    try:
                        shutil.copytree(self.dir, self.keep_dir, dirs_exist_ok=True,
                                        ignore=shutil.ignore_patterns("*.sock", "audio.ulaw"))
                    except OSError as e:
                        self.log(f"could not keep logs in {self.keep_dir}: {e}")
                shutil.rmtree(self.dir, ignore_errors=True)
        finally:
            if self in _active:
                _active.remove(self)
            restore()

    @staticmethod
    def _block_signals() -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        for s in saved:
            signal.signal(s, signal.SIG_IGN)

        def restore() -> None:
            for s, h in saved.items():
                signal.signal(s, h)
        return restore

    # --- building ---------------------------------------------------------------------------

    def path(self, name: str) -> str:
        assert self.dir is not None
        return os.path.join(self.dir, name)

    def _build_network(self) -> None:
        self.caller = Netns(f"{NS_PREFIX}{self.tag}-caller")
        self.sbc = Netns(f"{NS_PREFIX}{self.tag}-sbc")
        self.callee = Netns(f"{NS_PREFIX}{self.tag}-callee")
        add_veth_pair(self.caller, "c0", self.sbc, "a0")
        add_veth_pair(self.sbc, "t0", self.callee, "e0")
        for ns, iface in ((self.caller, "c0"), (self.sbc, "a0"), (self.sbc, "t0"),
                          (self.callee, "e0")):
            ns.ethtool_off(iface, _OFFLOADS)
        self.caller.ip("addr", "add", f"{CALLER_IP}/24", "dev", "c0")
        self.callee.ip("addr", "add", f"{CALLEE_IP}/24", "dev", "e0")

    def _write_configs(self) -> None:
        self.dataplane_socket = self.path("dataplane.sock")
        self.mgmt_socket = self.path("sbcd.sock")
        self.cdr_file = self.path("cdr.jsonl")
        self.state_db = self.path("state.db")
        self.dataplane_conf = self.path("dataplane.conf")
        self.sbc_conf = self.path("sbc.conf")
        with open(self.dataplane_conf, "w") as f:
            f.write(merge_ini(f"""# Written by tools/lab for lab {self.tag}.
[dataplane]
control_socket = {self.dataplane_socket}
eal_args = --no-huge --no-pci -m 256 --file-prefix {self.file_prefix}
lcores = 0-1
transcode_lcores = 1
idle_policy = backoff
mbuf_count = 16383
max_sessions = 1024

[port.access]
device = net_af_packet0,iface=a0
tap = sbc0
address = {ACCESS_IP}/24

[port.trunk]
device = net_af_packet1,iface=t0
tap = sbc1
address = {TRUNK_IP}/24
""", self.dataplane_config))
        access_extra, carrier_extra, trunk_extra, tls_section = self._sip_config()
        with open(self.sbc_conf, "w") as f:
            f.write(merge_ini(f"""# Written by tools/lab for lab {self.tag}.
[sbcd]
dataplane_socket = {self.dataplane_socket}
mgmt_socket = {self.mgmt_socket}
cdr_file = {self.cdr_file}
state_db = {self.state_db}
log_level = debug

[media]
port_min = 20000
port_max = 20999
timeout = {self.media_timeout_s}
latch_window = 2000

[metrics]
listen = 127.0.0.1:{METRICS_PORT}

[zone.access]
dataplane_port = access
sip_address = {ACCESS_IP}
sip_port = {SIP_PORT}
default_target = {CALLER_IP}:{SIP_PORT}
# Secure by default (sbcd refuses an open access zone): the caller is the lab's PBX, known by
# its address; anyone else is challenged.
authenticate = register, invite
trusted = {CALLER_IP}/32
{access_extra}
[zone.carrier]
dataplane_port = trunk
sip_address = {TRUNK_IP}
sip_port = {SIP_PORT}
{carrier_extra}
[trunk.carrier1]
zone = carrier
host = {CALLEE_IP}
fromdomain = carrier.example
fromuser = 15550001
{trunk_extra}{tls_section}""", self.sbc_config))

    def _sip_config(self) -> Tuple[str, str, str, str]:
        """The transport lines of [zone.access], [zone.carrier], [trunk.carrier1], and [tls]."""
        if self.sip is None:
            return "", "", f"port = {SIP_PORT}\n", ""
        setup = self.sip
        tls_port = f"tls_port = {SIPS_PORT}\n"
        access = f"transports = {','.join(setup.access_transports)}\n"
        carrier = f"transports = {','.join(setup.carrier_transports)}\n"
        if "tls" in setup.access_transports:
            access += tls_port
        if "tls" in setup.carrier_transports:
            carrier += tls_port
        trunk = f"port = {setup.trunk_port}\ntransport = {setup.trunk_transport}\n"
        tls = ""
        if setup.tls:
            self.pki = make_pki(self.path("pki"), {
                "sbc": [ACCESS_IP, TRUNK_IP], "caller": [CALLER_IP], "callee": [CALLEE_IP]})
            sbc = self.pki.leaves["sbc"]
            tls = f"""
[tls]
certificate = {sbc.certificate}
private_key = {sbc.private_key}
ca_file = {self.pki.ca_file}
min_version = {setup.tls_min_version}
groups = {setup.tls_groups}
verify_client = false
verify_server = true
"""
        return access, carrier, trunk, tls

    def _start_dataplane(self, log_name: str = "sbc-dataplane.log") -> None:
        assert self.sbc is not None
        run([self.binaries.dataplane, "--config", self.dataplane_conf, "--check-config"])
        self.log("starting sbc-dataplane")
        self.dataplane = Process("sbc-dataplane", self.sbc.exec_cmd(
            [self.binaries.dataplane, "--config", self.dataplane_conf]), self.path(log_name))
        for tap, address in (("sbc0", f"{ACCESS_IP}/24"), ("sbc1", f"{TRUNK_IP}/24")):
            wait_until(f"TAP {tap} up with {address} in {self.sbc.name}",
                       lambda: address in (self.sbc.addresses(tap) or []),
                       self.start_timeout_s, interval=0.1, alive=self.dataplane.check_alive)
        # A dataplane killed before leaves its socket file behind: wait for a listener, not a file.
        wait_until("the dataplane control socket", self._control_socket_listening,
                   self.start_timeout_s, alive=self.dataplane.check_alive)

    def restart_sbcd(self, sig: int = signal.SIGKILL) -> None:
        """Stops sbcd with `sig` (SIGKILL: a crash; SIGTERM: a graceful stop), waits for it to
        exit and starts it again on the same config and state database, as an operator would;
        the dataplane keeps running. The new sbcd logs to sbcd-N.log (N = 2, 3, ...)."""
        assert self.sbcd is not None
        self.log(f"stopping sbcd (PID {self.sbcd.pid}) with signal {int(sig)}")
        self.sbcd.stop(sig, grace=10)
        self.sbcd_starts += 1
        self._start_sbcd(f"sbcd-{self.sbcd_starts}.log")

    def _control_socket_listening(self) -> bool:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            probe.connect(self.dataplane_socket)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    # --- crashes and restarts -----------------------------------------------------------------

    def kill_dataplane(self) -> None:
        """SIGKILL to sbc-dataplane, as a crash: no clean-up of its own (its TAPs vanish with it,
        its control socket file stays). Returns once it is gone."""
        assert self.dataplane is not None
        self.log("killing sbc-dataplane (SIGKILL)")
        self.dataplane.stop(signal.SIGKILL, grace=10)
        if self.dataplane.running():
            raise LabError("sbc-dataplane survived SIGKILL")

    def restart_dataplane(self) -> None:
        """Starts sbc-dataplane again with the same configuration (after kill_dataplane); its log
        goes to sbc-dataplane.N.log. Returns once its TAPs have their addresses and its control
        socket accepts connections; sbcd reconnects by itself."""
        assert self.dataplane is not None and not self.dataplane.running()
        restarts = len([n for n in os.listdir(self.dir)
                        if re.fullmatch(r"sbc-dataplane\.\d+\.log", n)])
        self._start_dataplane(f"sbc-dataplane.{restarts + 1}.log")

    def _start_sbcd(self, log_name: str = "sbcd.log") -> None:
        assert self.sbc is not None
        run([self.binaries.sbcd, "--config", self.sbc_conf, "--check-config"])
        self.log("starting sbcd")
        self.sbcd = Process("sbcd", self.sbc.exec_cmd(
            [self.binaries.sbcd, "--config", self.sbc_conf]), self.path(log_name))

        def alive() -> None:
            self.dataplane.check_alive()
            self.sbcd.check_alive()
        listeners = ([("udp", ip, SIP_PORT) for ip in (ACCESS_IP, TRUNK_IP)]
                     if self.sip is None else self.sip.listeners())
        for transport, ip, port in listeners:
            wait_until(f"sbcd to listen for SIP over {transport} on {ip}:{port}",
                       lambda: self.sbc.listening(transport, ip, port), self.start_timeout_s,
                       interval=0.1, alive=alive)
        wait_until("sbc-cli show dataplane to succeed",
                   lambda: self.cli_result("show", "dataplane").returncode == 0,
                   self.start_timeout_s, interval=0.2, alive=alive)

    # --- more peers on the wires (security tests) -------------------------------------------

    def add_caller_address(self, address: str) -> None:
        """One more address on the caller's c0 (same /24): another host on the access side, e.g.
        an attacker or a phone next to the PBX. The PBX's 192.0.2.10 stays the primary address,
        and arp_announce=2 makes it the sender of every ARP request c0 sends, so a banned
        neighbour's address never becomes the ARP source the SBC drops (the PBX would lose the
        SBC's MAC with it)."""
        assert self.caller is not None
        self.caller.sysctl("net.ipv4.conf.all.arp_announce", "2")
        self.caller.sysctl("net.ipv4.conf.c0.arp_announce", "2")
        self.caller.ip("addr", "add", f"{address}/24", "dev", "c0")

    def route_via_caller(self, cidr: str) -> None:
        """Routes `cidr` from the SBC namespace to the caller (via 192.0.2.10 on sbc0): sources
        the caller side spoofs then look like a network behind the PBX's router, and the SBC's
        answers go back out of the access port (where the caller drops them: not its
        addresses)."""
        assert self.sbc is not None
        self.sbc.ip("route", "replace", cidr, "via", CALLER_IP, "dev", "sbc0")

    def check_alive(self) -> None:
        for proc in (self.dataplane, self.sbcd):
            if proc is not None:
                proc.check_alive()

    # --- looking at it ----------------------------------------------------------------------

    def cli_result(self, *words: str, json_output: bool = False):
        cmd = [self.binaries.cli, "--socket", self.mgmt_socket]
        if json_output:
            cmd.append("--json")
        return run([*cmd, *words], timeout=15, check=False)

    def cli(self, *words: str) -> str:
        """Runs a one-shot sbc-cli command; its text output."""
        result = self.cli_result(*words)
        if result.returncode != 0:
            raise LabError(f"sbc-cli {' '.join(words)} failed (exit {result.returncode}): "
                           f"{result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def cli_json(self, *words: str):
        result = self.cli_result(*words, json_output=True)
        if result.returncode != 0:
            raise LabError(f"sbc-cli --json {' '.join(words)} failed (exit {result.returncode}): "
                           f"{result.stderr.strip() or result.stdout.strip()}")
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError as e:
            raise LabError(f"sbc-cli --json {' '.join(words)} printed invalid JSON ({e}): "
                           f"{result.stdout[:500]}") from e

    def dataplane_sessions(self) -> int:
        """Media sessions in the dataplane, as `sbc-cli --json show dataplane` reports them."""
        data = self.cli_json("show", "dataplane")
        if not isinstance(data, dict) or not isinstance(data.get("sessions"), int):
            raise LabError(f"no session count in `sbc-cli --json show dataplane`: "
                           f"{str(data)[:400]}")
        return data["sessions"]

    def active_calls(self) -> int:
        """Calls sbcd lists in `sbc-cli --json show calls`."""
        data = self.cli_json("show", "calls")
        if not isinstance(data, dict) or not isinstance(data.get("calls"), list):
            raise LabError(f"unexpected `sbc-cli --json show calls` output: {str(data)[:400]}")
        return len(data["calls"])

    def wait_idle(self, timeout: float = 10) -> None:
        """Waits until sbcd lists no call and the dataplane holds no session (bounded)."""
        wait_until("sbcd to list no calls", lambda: self.active_calls() == 0, timeout, 0.2,
                   alive=self.check_alive)
        wait_until("the dataplane to hold no session", lambda: self.dataplane_sessions() == 0,
                   timeout, 0.2, alive=self.check_alive)

    def metrics(self) -> str:
        """sbcd's /metrics page, fetched from inside the sbc namespace."""
        assert self.sbc is not None
        result = self.sbc.run(["curl", "-sS", "--max-time", "5",
                               f"http://127.0.0.1:{METRICS_PORT}/metrics"], check=False)
        if result.returncode != 0:
            raise LabError(f"GET /metrics failed: {result.stderr.strip()}")
        return result.stdout

    def cdr_records(self) -> List[Dict]:
        try:
            with open(self.cdr_file) as f:
                lines = [line for line in f if line.strip()]
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise LabError(f"CDR file has an invalid JSON line ({e}): {line[:200]}") from e
        return records

    def wait_cdrs(self, count: int, timeout: float = 10) -> List[Dict]:
        return wait_until(f"{count} CDR line(s) in {self.cdr_file}",
                          lambda: (lambda r: r if len(r) >= count else None)(self.cdr_records()),
                          timeout, interval=0.1)

    def logs(self) -> Dict[str, str]:
        """The daemons' logs, and those of the peers (sipp, kamailio) started for calls."""
        out = {}
        peers = [p for p in self.extra_processes if not p.name.startswith("tcpdump")]
        for proc in (self.dataplane, self.sbcd, *peers):
            if proc is not None:
                out[proc.name] = proc.log_text()
        return out


def parse_metrics(text: str) -> Dict[str, float]:
    """Prometheus text format -> {'name{labels}': value} (labels as printed)."""
    values: Dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)", line)
        if m:
            try:
                values[m.group(1)] = float(m.group(2))
            except ValueError:
                continue
    return values


def metric_sum(values: Dict[str, float], name: str, **labels: str) -> Optional[float]:
    """Sum of every series of `name` whose labels include `labels`; None if there is none."""
    total = None
    for key, value in values.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        if all(f'{k}="{v}"' in rest for k, v in labels.items()):
            total = (total or 0.0) + value
    return total


def cleanup_stale(log: Callable[[str], None] = print) -> int:
    """Removes namespaces and DPDK runtime dirs of labs whose process is gone; returns how many."""
    removed = 0
    from .netns import list_lab_namespaces
    for name in list_lab_namespaces(NS_PREFIX):
        m = re.match(rf"{NS_PREFIX}(\d+)-", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        # Processes still inside a stale namespace (a leaked daemon) keep it alive: end them.
        pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "delete", name], check=False)
        log(f"removed stale namespace {name}")
        removed += 1
    try:
        for entry in os.listdir(DPDK_RUNTIME_DIR):
            m = re.match(r"sbclab-(\d+)-", entry)
            if m and not _pid_alive(int(m.group(1))):
                shutil.rmtree(os.path.join(DPDK_RUNTIME_DIR, entry), ignore_errors=True)
    except FileNotFoundError:
        pass
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
