"""Sustained-load benchmark: stepped call rates through the lab's SBC, each held for a duration.

  cd tools && python3 -m bench.sip_load                       # 200..1200 calls/s, 60 s per step
  cd tools && python3 -m bench.sip_load --quick               # smoke run: 2 short low-rate steps
  cd tools && python3 -m bench.sip_load --rates 600:1400:200 --duration 60 --hold 500

One lab serves the whole run (caller, SBC and callee namespaces, sbc-dataplane on
net_af_packet, sbcd). Each step starts a sipp UAS in the callee namespace and a sipp UAC in the
caller namespace placing RATE calls/s for DURATION s (-r RATE -rp 1000,
-m RATE*DURATION, -l concurrency cap). Every call is INVITE with an SDP offer -> SBC -> callee,
180, 200 with an SDP answer, ACK, HOLD ms, BYE, 200: sbcd anchors each call's media on the
dataplane (a session programmed per call) whether or not RTP flows. With --rtp each side also
plays a PCMU tone for ~80 % of the hold time through the dataplane. Default: no RTP, signalling
and anchoring only: RTP would spend on both sipps CPU the 2-core box needs for the SBC, and sipp
3.6 plays every call's RTP from its one media port (-mp) and never reads what it receives.

A step is sustained when: sipp counted every call successful and none failed; sipp achieved at
least 97 % of the rate (measured from when the 200 OKs arrived, so a sipp that falls behind on a
busy box cannot pass as a sustained rate); and 30 s after the step sbcd lists no call and the
dataplane holds no session. Stepping stops at the first step that is not sustained.

Measured per step:
  * calls: sipp UAC's statistics file (-trace_stat, dumped every second), and for every failed
    call the status code sipp got instead of the 200 (its error log); sbcd's /metrics deltas
    (sbc_calls_total by result, INVITEs received, and every drop/refusal counter that moved)
  * CPU of sbcd and sbc-dataplane (and both sipps): utime+stime of each process (all threads)
    from /proc/PID/stat between the UAC's start and its exit, as % of one core; the machine's
    busy and steal share from /proc/stat alongside, because the box is shared
  * set-up latency, INVITE out -> 200 OK in at the caller (through the SBC and the callee's
    immediate 180 + 200), p50/p90/p99/max by nearest rank:
      - on the wire (the figure in the table and the headline): tcpdump of the caller's SIP
        (udp port 5060 on c0) for --capture s (default 10) in the middle of the step; each call
        from its first INVITE to its first 200 for that INVITE, by Call-ID, kernel timestamps
        in microseconds; calls cut by the window are left out;
      - sipp's response time 1 on every answered call of the step (-trace_rtt), alongside:
        sipp 3.6 reads a coarse clock (4-ms steps on the lab VM; 0 = under one step), and its
        own scheduling delay on a loaded box is part of that figure.
  * kernel UDP receive errors in each namespace (/proc/net/snmp), so datagrams lost because a
    socket's buffer filled (sbcd or a sipp not reading in time) show up with their place.

Traffic stays inside the lab's namespaces. The lab removes everything it created on exit, on
errors and on Ctrl-C (see tools/lab/README.md).
"""

import argparse
import json
import math
import os
import re
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from lab import (ACCESS_IP, CALLEE_IP, CALLER_IP, SIP_PORT, Binaries, Lab, LabError,
                 parse_metrics, scenario)
from lab.audio import write_ulaw_tone
from lab.peers import Sipp
from lab.procs import Process, wait_until

from .load_stats import (CpuSample, cpu_percent, failure_breakdown, host_busy, host_cpu,
                         parse_rates, percentile, process_cpu, read_rtt_csv, read_stat_csv,
                         stat_int, answer_rate, wire_setup_latencies)

DEFAULT_RATES = "200:1200:200"
SUSTAINED_RATE_SHARE = 0.97   # sipp must achieve this share of the offered rate
MEDIA_PORT = 6000             # sipp's -mp at both ends (each in its own namespace)
PROGRESS_EVERY_S = 10
SCENARIOS = {  # (caller, callee) from tests/integration/scenarios
    False: ("uac_call_short.xml", "uas_answer_short.xml"),
    True: ("uac_call_rtp.xml", "uas_answer_rtp.xml"),
}
# Counters whose movement during a step explains refused or lost calls.
_TROUBLE = re.compile(r"(dropped|drops|missed|refused|rejected|failures|overload|full|exhausted)")


def _say(line: str) -> None:
    print(f"[bench] {line}", flush=True)


@dataclass
class StepResult:
    rate: int
    duration_s: int
    hold_ms: int
    planned: int
    created: int = 0
    successful: int = 0
    failed: int = 0
    failure_reasons: Dict[str, int] = field(default_factory=dict)
    refusals: Dict[str, int] = field(default_factory=dict)  # status code -> failed calls
    retransmissions: int = 0
    sipp_watchdog: int = 0
    uac_exit: Optional[int] = None
    achieved_rate: Optional[float] = None
    latency_samples: int = 0   # sipp's response times (every answered call, 1-tick steps)
    latency_ms: Dict[str, Optional[float]] = field(default_factory=dict)
    wire_samples: int = 0      # calls in the capture window (microsecond timestamps)
    wire_window_s: float = 0.0
    wire_latency_ms: Dict[str, Optional[float]] = field(default_factory=dict)
    capture_note: str = ""
    cpu: Dict[str, Optional[float]] = field(default_factory=dict)
    host_busy_pct: Optional[float] = None
    host_steal_pct: Optional[float] = None
    wall_s: float = 0.0
    sbcd_calls: Dict[str, float] = field(default_factory=dict)
    sbcd_invites: float = 0.0
    sbcd_trouble: Dict[str, float] = field(default_factory=dict)
    kernel_udp_drops: Dict[str, int] = field(default_factory=dict)  # "ns RcvbufErrors": n
    media_packets: float = 0.0  # RTP/RTCP the dataplane relayed during the step
    peak_dataplane_sessions: Optional[float] = None
    peak_sbcd_calls: Optional[float] = None
    drained: bool = True
    problems: List[str] = field(default_factory=list)

    @property
    def sustained(self) -> bool:
        return not self.problems


# --- configuration of the lab ---------------------------------------------------------------------

def _parse_sets(items: List[str], what: str) -> Dict[str, Dict[str, str]]:
    """["zone.access.trusted=1.2.3.4/32", "sbcd.log_level=info"] -> {section: {key: value}}
    (the section is everything before the last dot of the left side)."""
    out: Dict[str, Dict[str, str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        section, dot, key = name.strip().rpartition(".")
        if not sep or not dot or not section or not key:
            raise LabError(f"{what} '{item}': expected SECTION.KEY=VALUE, e.g. "
                           "security.max_calls=20000")
        out.setdefault(section, {})[key] = value.strip()
    return out


def _merge(base: Dict[str, Dict[str, object]], extra: Dict[str, Dict[str, str]]):
    merged = {section: dict(keys) for section, keys in base.items()}
    for section, keys in extra.items():
        merged.setdefault(section, {}).update(keys)
    return merged


def lab_configs(args) -> tuple:
    """(sbc_config, dataplane_config) for the benchmark's lab: what an operator sets for a PBX
    and a carrier pushing this load, every value overridable with --sbc-set/--dataplane-set."""
    sbc = {
        "sbcd": {"log_level": args.log_level},
        # 20,000 RTP/RTCP pairs per dataplane port: media ports are never what runs out here.
        "media": {"port_min": 20000, "port_max": 59999},
        # The PBX is a known, trusted peer (the carrier is, as the trunk's host): no per-source
        # token bucket in sbcd, and the dataplane's trusted punt budget for its signalling.
        "zone.access": {"trusted": f"{CALLER_IP}/32"},
    }
    dataplane = {"dataplane": {"max_sessions": args.max_sessions}}
    return (_merge(sbc, _parse_sets(args.sbc_set, "--sbc-set")),
            _merge(dataplane, _parse_sets(args.dataplane_set, "--dataplane-set")))


# --- one step -------------------------------------------------------------------------------------

class Metrics:
    """sbcd's /metrics, fetched from the sbc namespace."""

    def __init__(self, lab: Lab):
        self.lab = lab

    def get(self) -> Dict[str, float]:
        try:
            return parse_metrics(self.lab.metrics())
        except LabError as e:
            _say(f"warning: {e}")
            return {}


def _delta(after: Dict[str, float], before: Dict[str, float], key: str) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def _by_label(values: Dict[str, float], before: Dict[str, float], name: str,
              label: str) -> Dict[str, float]:
    out = {}
    for key in values:
        if key.startswith(name + "{"):
            m = re.search(label + r'="([^"]*)"', key)
            d = _delta(values, before, key)
            if m and d:
                out[m.group(1)] = d
    return out


def _refusal_codes(error_log: str) -> Dict[str, int]:
    """Status codes that made sipp abort a call, counted ("503": 120), from its error log
    ("Aborting call on unexpected message for Call-Id '...': while expecting '100' (index 1),
    received 'SIP/2.0 503 Service Unavailable"); late retransmissions it merely discarded are
    not refusals and are not counted."""
    counts: Dict[str, int] = {}
    for m in re.finditer(r"Aborting call on unexpected message[^\n]*?received 'SIP/2\.0 (\d{3})",
                         error_log):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def _udp_counters(lab: Lab) -> Dict[str, int]:
    """UDP receive errors of the kernel in each lab namespace ("caller InErrors": n, ...) from
    /proc/net/snmp: datagrams dropped because a socket's buffer was full (RcvbufErrors) or for
    any reason (InErrors), which neither sipp nor sbcd can count."""
    out: Dict[str, int] = {}
    for side, ns in (("caller", lab.caller), ("sbc", lab.sbc), ("callee", lab.callee)):
        if ns is None:
            continue
        result = ns.run(["cat", "/proc/net/snmp"], check=False)
        rows = [line.split() for line in result.stdout.splitlines() if line.startswith("Udp:")]
        if len(rows) < 2:
            continue
        for name, value in zip(rows[0][1:], rows[1][1:]):
            if name in ("InErrors", "RcvbufErrors") and value.isdigit():
                out[f"{side} {name}"] = int(value)
    return out


def _read(path: str, limit: int = 50_000_000) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _signal(proc, sig: int) -> None:
    if proc.running():
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass


def _finish(sipp: Sipp, timeout: float) -> Optional[int]:
    """Waits for a sipp to exit; past `timeout`, asks it to stop placing calls and end the open
    ones (SIGUSR1), then stops it. Its exit code (None if it had to be killed)."""
    try:
        return sipp.process.wait(timeout)
    except LabError:
        pass
    _signal(sipp.process, signal.SIGUSR1)
    try:
        return sipp.process.wait(10)
    except LabError:
        sipp.process.stop()
        return None


def run_step(lab: Lab, args, index: int, rate: int) -> StepResult:
    hold_s = args.hold / 1000.0
    planned = rate * args.duration
    step = StepResult(rate=rate, duration_s=args.duration, hold_ms=args.hold, planned=planned)
    workdir = lab.path(f"step{index}-{rate}cps")
    caller_dir, callee_dir = os.path.join(workdir, "caller"), os.path.join(workdir, "callee")
    os.makedirs(caller_dir)
    os.makedirs(callee_dir)
    if args.rtp:
        tone_s = max(0.02, 0.8 * hold_s)
        write_ulaw_tone(os.path.join(caller_dir, "audio.ulaw"), tone_s, 440)
        write_ulaw_tone(os.path.join(callee_dir, "audio.ulaw"), tone_s, 880)
    uac_xml, uas_xml = (scenario(name) for name in SCENARIOS[args.rtp])
    # sipp writes its response-time trace in batches of -rtt_freq values and drops the last,
    # partial batch at exit: a batch of 1 keeps every call (one short write per call).
    # A call that gets no answer, ACK or BYE within this many ms fails (sipp -recv_timeout):
    # the callee waits HOLD ms for the BYE, so its bound has the hold time on top.
    recv_timeout_ms = int(args.hold + 10_000)
    sipp_timeout_s = args.duration + int(hold_s) + 60
    limit = args.max_concurrent or max(100, math.ceil(rate * (hold_s + 5) * 2))
    common = ["-recv_timeout", str(recv_timeout_ms), "-buff_size", "1048576",
              "-max_log_size", "20000000"]
    stat_file = os.path.join(caller_dir, "stat.csv")

    started: List = []
    try:
        uas = Sipp(lab.callee, f"callee-{rate}", uas_xml, callee_dir, CALLEE_IP,
                   media_port=MEDIA_PORT, timeout_s=sipp_timeout_s + 30, calls=planned,
                   trace_messages=False, extra=common)
        started.append(uas.process)
        lab.extra_processes.append(uas.process)
        uas.wait_listening()

        metrics = Metrics(lab)
        before = metrics.get()
        udp_before = _udp_counters(lab)
        host0 = host_cpu()
        cpu0 = {"sbcd": process_cpu(lab.sbcd.pid), "dataplane": process_cpu(lab.dataplane.pid),
                "sipp_uas": process_cpu(uas.process.pid)}
        uac = Sipp(lab.caller, f"caller-{rate}", uac_xml, caller_dir, CALLER_IP,
                   media_port=MEDIA_PORT, remote=f"{ACCESS_IP}:{SIP_PORT}",
                   duration_ms=args.hold, timeout_s=sipp_timeout_s, calls=planned, rate=rate,
                   trace_messages=False,
                   extra=common + ["-l", str(limit), "-trace_stat", "-stf", stat_file,
                                   "-fd", "1", "-trace_rtt", "-rtt_freq", "1"])
        started.append(uac.process)
        lab.extra_processes.append(uac.process)
        cpu0["sipp_uac"] = process_cpu(uac.process.pid)
        t0 = time.monotonic()

        capture = Capture(lab, os.path.join(workdir, "caller-sip.pcap"), args, t0)
        started.append(capture)
        uac_cpu = _watch(lab, args, step, uac, metrics, stat_file, cpu0, t0, sipp_timeout_s,
                         capture)
        capture.stop()

        cpu1 = {"sbcd": process_cpu(lab.sbcd.pid), "dataplane": process_cpu(lab.dataplane.pid),
                "sipp_uas": process_cpu(uas.process.pid)}
        step.uac_exit = _finish(uac, 1)  # _watch returned: the UAC has exited or was stopped
        t1 = time.monotonic()
        host1 = host_cpu()
        # The UAC's own CPU: its last sample while it ran (a reaped process has no /proc entry).
        cpu1["sipp_uac"] = uac_cpu
        step.wall_s = t1 - t0
        for name in ("sbcd", "dataplane", "sipp_uac", "sipp_uas"):
            step.cpu[name] = cpu_percent(cpu0.get(name), cpu1.get(name))
        step.host_busy_pct, step.host_steal_pct = host_busy(host0, host1)
        _finish(uas, hold_s + 15)
        lab.check_alive()
        after = metrics.get()
        for key, value in _udp_counters(lab).items():
            if value - udp_before.get(key, 0):
                step.kernel_udp_drops[key] = value - udp_before.get(key, 0)
    finally:
        for proc in started:
            proc.stop()

    _collect(step, before, after, stat_file, caller_dir)
    capture.collect(step)
    _judge(lab, args, step)
    return step


def _watch(lab: Lab, args, step: StepResult, uac: Sipp, metrics: Metrics, stat_file: str,
           cpu0: Dict[str, Optional[CpuSample]], t0: float,
           sipp_timeout_s: int, capture: "Capture") -> Optional[CpuSample]:
    """Polls while the caller's sipp runs: peaks of sbcd's gauges, a progress line every
    PROGRESS_EVERY_S, the daemons' health; with --fail-fast ends the step at the first failed
    call. Bounded by sipp's own -timeout plus a margin. Returns the caller sipp's last CPU
    sample."""
    deadline = t0 + sipp_timeout_s + 30
    next_progress = t0 + PROGRESS_EVERY_S
    last = dict(cpu0)
    uac_cpu = cpu0.get("sipp_uac")
    stopping = False
    while uac.process.running():
        now = time.monotonic()
        if now > deadline:
            step.problems.append(f"the caller's sipp did not finish within {deadline - t0:.0f} s")
            _signal(uac.process, signal.SIGUSR1)
            break
        time.sleep(1 if args.duration >= 10 else 0.5)
        lab.check_alive()
        uac_cpu = process_cpu(uac.process.pid) or uac_cpu
        capture.tick(now)
        values = metrics.get()
        for attr, key in (("peak_dataplane_sessions", "sbc_dataplane_sessions"),
                          ("peak_sbcd_calls", "sbc_calls_active")):
            if key in values:
                setattr(step, attr, max(getattr(step, attr) or 0.0, values[key]))
        rows = read_stat_csv(stat_file)
        row = rows[-1] if rows else None
        if args.fail_fast and not stopping and stat_int(row, "FailedCall(C)") > 0:
            _say(f"{step.rate}/s: a call failed after {now - t0:.0f} s; ending the step "
                 "(--fail-fast)")
            _signal(uac.process, signal.SIGUSR1)
            stopping = True
        if now >= next_progress:
            next_progress += PROGRESS_EVERY_S
            cpu_now = {"sbcd": process_cpu(lab.sbcd.pid),
                       "dataplane": process_cpu(lab.dataplane.pid)}
            shares = {k: cpu_percent(last.get(k), cpu_now[k]) for k in cpu_now}
            last.update(cpu_now)
            _say(f"{step.rate}/s  t={now - t0:3.0f}s  created {stat_int(row, 'TotalCallCreated')}"
                 f"/{step.planned}  ok {stat_int(row, 'SuccessfulCall(C)')}  failed "
                 f"{stat_int(row, 'FailedCall(C)')}  open {stat_int(row, 'CurrentCall')}  "
                 f"sbcd {_pct(shares['sbcd'])}  dataplane {_pct(shares['dataplane'])} "
                 f"(last {PROGRESS_EVERY_S} s)")
    return uac_cpu


class Capture:
    """A tcpdump of the caller's SIP (udp port 5060 on c0) for --capture seconds in the middle of
    the step: per-call set-up latency from kernel timestamps, without sipp's clock ticks."""

    def __init__(self, lab: Lab, path: str, args, t0: float):
        self.lab = lab
        self.path = path
        self.window = min(float(args.capture), max(0.0, args.duration - 2.0))
        self.start_at = t0 + max(1.0, (args.duration - self.window) / 2)
        self.stop_at = self.start_at + self.window
        self.process: Optional[Process] = None
        self.started_at = self.stopped_at = 0.0

    def tick(self, now: float) -> None:
        if self.window <= 0:
            return
        if self.process is None and now >= self.start_at:
            assert self.lab.caller is not None
            # -s 600: the SIP start line and headers; -B: 16 MiB so bursts are not dropped.
            self.process = Process("tcpdump caller SIP", self.lab.caller.exec_cmd(
                ["tcpdump", "-i", "c0", "-n", "-s", "600", "-B", "16384", "-Z", "root",
                 "-w", self.path, "udp", "port", str(SIP_PORT)]), self.path + ".log")
            self.lab.extra_processes.append(self.process)
            try:
                wait_until("tcpdump on the caller's c0", lambda: "listening on" in
                           self.process.log_text(), 10, alive=self.process.check_alive)
            except LabError as e:
                _say(f"warning: no latency capture this step: {e}")
                self.process.stop()
                self.window = 0
                return
            self.started_at = time.monotonic()
        elif self.process is not None and not self.stopped_at and now >= self.stop_at:
            self.stop()

    def stop(self) -> None:
        if self.process is not None and not self.stopped_at:
            self.process.stop(signal.SIGINT)  # tcpdump flushes the file on SIGINT
            self.stopped_at = time.monotonic()

    def collect(self, step: StepResult) -> None:
        if self.process is None or not os.path.exists(self.path):
            step.capture_note = "no capture"
            return
        try:
            latencies = wire_setup_latencies(self.path)
        except OSError as e:
            step.capture_note = f"capture unreadable: {e}"
            return
        step.wire_samples = len(latencies)
        step.wire_window_s = self.stopped_at - self.started_at
        step.wire_latency_ms = {f"p{p}": _round(percentile(latencies, p)) for p in (50, 90, 99)}
        step.wire_latency_ms["max"] = _round(max(latencies)) if latencies else None
        m = re.search(r"(\d+) packets? dropped by kernel", self.process.log_text())
        if m and int(m.group(1)):
            step.capture_note = f"tcpdump dropped {m.group(1)} packets (those calls left out)"
        os.remove(self.path)  # tens of MB at high rates; the figures are kept


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 2)


def _collect(step: StepResult, before: Dict[str, float], after: Dict[str, float],
             stat_file: str, caller_dir: str) -> None:
    rows = read_stat_csv(stat_file)
    final = rows[-1] if rows else None
    step.created = stat_int(final, "TotalCallCreated")
    step.successful = stat_int(final, "SuccessfulCall(C)")
    step.failed = stat_int(final, "FailedCall(C)")
    step.failure_reasons = failure_breakdown(final)
    step.retransmissions = stat_int(final, "Retransmissions(C)")
    step.sipp_watchdog = stat_int(final, "WatchdogMajor(C)") + stat_int(final, "WatchdogMinor(C)")
    step.refusals = _refusal_codes(_read(os.path.join(caller_dir, "errors.log")))

    rtt_files = [f for f in os.listdir(caller_dir) if f.endswith("_rtt.csv")]
    samples = []
    for name in rtt_files:
        samples += read_rtt_csv(os.path.join(caller_dir, name))
    latencies = [value for _, value in samples]
    step.latency_samples = len(latencies)
    step.latency_ms = {f"p{p}": percentile(latencies, p) for p in (50, 90, 99)}
    step.latency_ms["max"] = max(latencies) if latencies else None
    step.achieved_rate = answer_rate(samples)

    step.sbcd_calls = _by_label(after, before, "sbc_calls_total", "result")
    step.sbcd_invites = _delta(after, before, 'sbc_sip_requests_total{method="INVITE"}')
    step.media_packets = sum(_delta(after, before, key) for key in after
                             if key.startswith("sbc_dataplane_media_packets_total"))
    for key in after:
        name = key.partition("{")[0]
        if name.endswith("_total") and _TROUBLE.search(name):
            d = _delta(after, before, key)
            if d:
                step.sbcd_trouble[key] = d


def _judge(lab: Lab, args, step: StepResult) -> None:
    if step.failed:
        reasons = ", ".join(f"{k} {v}" for k, v in step.failure_reasons.items())
        codes = ", ".join(f"{code} x{n}" for code, n in sorted(step.refusals.items()))
        step.problems.append(f"{step.failed} failed call(s)" + (f" ({reasons})" if reasons else "")
                             + (f"; received instead of 200: {codes}" if codes else ""))
    if step.successful + step.failed < step.planned:
        step.problems.append(f"{step.successful} of {step.planned} calls completed "
                             f"({step.created} placed, {step.failed} failed)")
    # The rate is read from the answers, so it says something only when every call was answered.
    if not step.failed and (step.achieved_rate is None
                            or step.achieved_rate < SUSTAINED_RATE_SHARE * step.rate):
        achieved = "unknown" if step.achieved_rate is None else f"{step.achieved_rate:.0f}/s"
        step.problems.append(f"sipp achieved {achieved}, under {SUSTAINED_RATE_SHARE:.0%} of "
                             f"{step.rate}/s (sipp's own CPU on a busy box, or its -l cap)")
    try:
        lab.wait_idle(timeout=args.drain_timeout)
    except LabError as e:
        step.drained = False
        step.problems.append(f"not drained after the step: {e}")


# --- report ---------------------------------------------------------------------------------------

def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _ms(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.0f}" if value >= 100 else f"{value:.2f}"


def print_step(step: StepResult) -> None:
    verdict = "SUSTAINED" if step.sustained else "NOT SUSTAINED"
    lat = step.latency_ms
    print(f"""
  {step.rate} calls/s for {step.duration_s} s, hold {step.hold_ms} ms: {verdict}
    sipp caller: {step.created} placed, {step.successful} successful, {step.failed} failed, \
{step.retransmissions} retransmissions, exit {step.uac_exit}; answered at \
{'-' if step.achieved_rate is None else f'{step.achieved_rate:.1f}'} calls/s
    set-up latency, INVITE out -> 200 in at the caller:
      on the wire ({step.wire_samples} calls captured over {step.wire_window_s:.1f} s mid-step): \
{_lat(step.wire_latency_ms)}{(' - ' + step.capture_note) if step.capture_note else ''}
      sipp's response time ({step.latency_samples} calls, whole step, sipp's clock ticks): \
{_lat(lat)}
    CPU (% of one core, over {step.wall_s:.0f} s): sbcd {_pct(step.cpu.get('sbcd'))}, \
sbc-dataplane {_pct(step.cpu.get('dataplane'))}; sipp caller {_pct(step.cpu.get('sipp_uac'))}, \
callee {_pct(step.cpu.get('sipp_uas'))}; whole machine {_pct(step.host_busy_pct)} busy of \
{os.cpu_count()} cores, {_pct(step.host_steal_pct)} steal
    sbcd: {step.sbcd_invites:.0f} INVITEs, calls ended {_fmt_counts(step.sbcd_calls)}; \
peak {_num(step.peak_sbcd_calls)} calls, {_num(step.peak_dataplane_sessions)} dataplane sessions; \
{step.media_packets:.0f} media packets relayed""")
    if step.sbcd_trouble:
        print("    sbcd counters that moved: " +
              ", ".join(f"{k} +{v:g}" for k, v in sorted(step.sbcd_trouble.items())))
    if step.kernel_udp_drops:
        print("    kernel UDP receive errors: " + ", ".join(
            f"{k} +{v}" for k, v in sorted(step.kernel_udp_drops.items())) +
            ("  (caller/callee: with --rtp, relayed RTP that sipp never reads; sbc: datagrams "
             "sbcd did not read in time)" if step.media_packets else
             "  (sbc: datagrams sbcd did not read in time)"))
    for problem in step.problems:
        print(f"    - {problem}")
    sys.stdout.flush()


def _lat(lat: Dict[str, Optional[float]]) -> str:
    return (f"p50 {_ms(lat.get('p50'))} ms, p90 {_ms(lat.get('p90'))} ms, "
            f"p99 {_ms(lat.get('p99'))} ms, max {_ms(lat.get('max'))} ms")


def setup_latency(step: StepResult) -> Dict[str, Optional[float]]:
    """The wire figures when the step had a capture, else sipp's."""
    return step.wire_latency_ms if step.wire_samples else step.latency_ms


def _fmt_counts(counts: Dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(counts.items())) or "none"


def _num(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:g}"


def print_table(steps: List[StepResult]) -> None:
    header = (f"{'rate/s':>7} {'answered':>8} {'calls':>7} {'failed':>6} {'p50 ms':>6} "
              f"{'p90 ms':>6} {'p99 ms':>6} {'sbcd':>5} {'dp':>5} {'sipp':>5} {'host':>5}  verdict")
    print("\n" + header)
    print("-" * len(header))
    for s in steps:
        sipp = None
        if s.cpu.get("sipp_uac") is not None or s.cpu.get("sipp_uas") is not None:
            sipp = (s.cpu.get("sipp_uac") or 0) + (s.cpu.get("sipp_uas") or 0)
        achieved = "-" if s.achieved_rate is None else f"{s.achieved_rate:.0f}"
        lat = setup_latency(s)
        print(f"{s.rate:>7} {achieved:>8} {s.successful:>7} {s.failed:>6} "
              f"{_ms(lat.get('p50')):>6} {_ms(lat.get('p90')):>6} "
              f"{_ms(lat.get('p99')):>6} {_pct(s.cpu.get('sbcd')):>5} "
              f"{_pct(s.cpu.get('dataplane')):>5} {_pct(sipp):>5} {_pct(s.host_busy_pct):>5}  "
              f"{'sustained' if s.sustained else 'NOT sustained'}")
    print("(set-up latency: INVITE -> 200 on the caller's wire, calls captured mid-step; "
          "CPU: % of one core over the step; sipp = caller + callee; host = share of all "
          f"{os.cpu_count()} cores busy, other users of the machine included)")


def headline(steps: List[StepResult], args) -> str:
    good = [s for s in steps if s.sustained]
    if not good:
        first = steps[0].rate if steps else 0
        return (f"highest sustained: none (the first step, {first} calls/s, was not sustained)")
    best = max(good, key=lambda s: s.rate)
    lat = setup_latency(best)
    line = (f"highest sustained: {best.rate} calls/s for {best.duration_s} s with 0 failed "
            f"(calls held {best.hold_ms} ms, {'RTP both ways' if args.rtp else 'no RTP'}; "
            f"sbcd {_pct(best.cpu.get('sbcd'))}, sbc-dataplane {_pct(best.cpu.get('dataplane'))}"
            f" of one core; set-up p50/p90/p99 {_ms(lat.get('p50'))}/"
            f"{_ms(lat.get('p90'))}/{_ms(lat.get('p99'))} ms)")
    if best is steps[-1] and best.rate == max(args.rate_list):
        line += "; the highest rate tried: the limit is above it"
    if best.duration_s < 60:
        line += f"; steps of {best.duration_s} s, not the 60-s figure"
    return line


# --- main -----------------------------------------------------------------------------------------

def parse_args(argv):
    default_build = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "build"))
    p = argparse.ArgumentParser(prog="python3 -m bench.sip_load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=default_build)
    p.add_argument("--rates", default=None,
                   help=f"calls/s per step: a list (200,400,800) or start:max:step "
                        f"(default {DEFAULT_RATES}; --quick: 20,50)")
    p.add_argument("--duration", type=int, default=None,
                   help="seconds each step places calls (default 60; --quick: 10)")
    p.add_argument("--hold", type=int, default=None,
                   help="ms each call stays up between ACK and BYE (default 500; --quick: 200)")
    p.add_argument("--rtp", action="store_true",
                   help="both ends play PCMU through the dataplane for ~80%% of the hold "
                        "(default: signalling with SDP offer/answer only; media is anchored "
                        "either way)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: rates 20,50, 10-s steps, 200-ms holds (each overridable)")
    p.add_argument("--max-concurrent", type=int, default=0,
                   help="sipp's -l (open calls cap); default 2 x rate x (hold + 5 s)")
    p.add_argument("--max-sessions", type=int, default=65536,
                   help="the dataplane's max_sessions (default 65536)")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warn", "error"),
                   help="sbcd's log_level (default info, as an operator runs it)")
    p.add_argument("--sbc-set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="extra sbc.conf setting, repeatable (e.g. security.max_calls=20000)")
    p.add_argument("--dataplane-set", action="append", default=[],
                   metavar="SECTION.KEY=VALUE", help="extra dataplane.conf setting, repeatable")
    p.add_argument("--settle", type=float, default=None,
                   help="seconds to wait between steps once the SBC is idle (default 5; "
                        "--quick: 1)")
    p.add_argument("--drain-timeout", type=float, default=30,
                   help="seconds after a step for sbcd to list no call and the dataplane to "
                        "hold no session (default 30)")
    p.add_argument("--capture", type=float, default=10,
                   help="seconds of the caller's SIP captured mid-step for set-up latency "
                        "(default 10; 0: none, sipp's coarser figures only)")
    p.add_argument("--fail-fast", action="store_true",
                   help="end a step at its first failed call (saves time; partial figures)")
    p.add_argument("--keep-going", action="store_true",
                   help="run every step even after one was not sustained")
    p.add_argument("--target", type=int, default=0,
                   help="exit 1 unless at least this rate is sustained")
    p.add_argument("--json", metavar="FILE", help="write every step's figures here as JSON")
    p.add_argument("--keep-logs", metavar="DIR",
                   help="copy configs, daemon logs and sipp statistics here before cleanup")
    args = p.parse_args(argv)
    quick = args.quick
    args.rates = args.rates or ("20,50" if quick else DEFAULT_RATES)
    args.duration = args.duration or (10 if quick else 60)
    args.hold = args.hold if args.hold is not None else (200 if quick else 500)
    args.settle = args.settle if args.settle is not None else (1 if quick else 5)
    try:
        args.rate_list = parse_rates(args.rates)
    except ValueError as e:
        p.error(f"--rates: {e}")
    if args.duration < 2:
        p.error("--duration: at least 2 s")
    if args.hold < 0:
        p.error("--hold: not negative")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    steps: List[StepResult] = []
    try:
        binaries = Binaries.from_build_dir(args.build_dir)
        sbc_config, dataplane_config = lab_configs(args)
        # Without RTP a call's media timeout must not end it: keep it well above the hold.
        media_timeout = max(60, int(args.hold / 1000) + 30)
        _say(f"rates {args.rate_list} calls/s, {args.duration} s per step, calls held "
             f"{args.hold} ms, {'RTP both ways' if args.rtp else 'no RTP (SDP only)'}; "
             f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        with Lab(binaries, log=_say, keep_dir=args.keep_logs, media_timeout_s=media_timeout,
                 sbc_config=sbc_config, dataplane_config=dataplane_config) as lab:
            _say(f"sbcd pid {lab.sbcd.pid}, sbc-dataplane pid {lab.dataplane.pid}; "
                 f"configs in {lab.dir}")
            for index, rate in enumerate(args.rate_list):
                _say(f"step {index + 1}/{len(args.rate_list)}: {rate} calls/s for "
                     f"{args.duration} s ({rate * args.duration} calls)")
                step = run_step(lab, args, index, rate)
                steps.append(step)
                print_step(step)
                if not step.sustained and not args.keep_going:
                    _say("stopping: this step was not sustained (--keep-going runs the rest)")
                    break
                if index + 1 < len(args.rate_list):
                    time.sleep(args.settle)
    except LabError as e:
        print(f"[bench] error: {e}", file=sys.stderr, flush=True)
        if steps:
            print_table(steps)
        return 1
    except KeyboardInterrupt:
        print("[bench] interrupted; lab cleaned up", file=sys.stderr, flush=True)
        if steps:
            print_table(steps)
        return 130
    print_table(steps)
    line = headline(steps, args)
    print("\n" + line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rates": args.rate_list, "duration_s": args.duration,
                       "hold_ms": args.hold, "rtp": args.rtp, "cores": os.cpu_count(),
                       "headline": line,
                       "steps": [dict(asdict(s), sustained=s.sustained) for s in steps]},
                      f, indent=2)
    best = max((s.rate for s in steps if s.sustained), default=0)
    return 1 if args.target and best < args.target else 0


if __name__ == "__main__":
    sys.exit(main())
