"""What the sustained-load benchmark measures, as plain functions (stdlib only, no lab needed).

  parse_rates("200,400,600") / parse_rates("200:1200:200")   the stepped call rates
  read_stat_csv(path)       sipp's -trace_stat file: one dict per dump, the last one cumulative
  read_rtt_csv(path)        sipp's -trace_rtt file: (time of the 200 in ms, set-up latency ms)
  percentile(values, p)     nearest-rank percentile
  answer_rate(samples)      calls/s sipp actually achieved, from when the 200s arrived
  CpuSample / cpu_percent   a process's utime+stime from /proc/PID/stat, as % of one core
  HostCpu / host_busy       the whole machine's busy share from /proc/stat (noise indicator)
  wire_setup_latencies(pcap) INVITE -> 200 per call from a capture of the caller's SIP
"""

import math
import os
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_rates(text: str) -> List[int]:
    """"200,400,600" (a list) or "200:1200:200" (start:max:step, both ends included) ->
    ascending call rates in calls/s. ValueError with the reason on anything else."""
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"'{text}': a range is start:max:step, e.g. 200:1200:200")
        start, stop, step = (_positive_int(p, "rate range") for p in parts)
        if stop < start:
            raise ValueError(f"'{text}': max {stop} is below start {start}")
        rates = list(range(start, stop + 1, step))
    else:
        rates = [_positive_int(p, "rate") for p in text.split(",") if p.strip()]
    if not rates:
        raise ValueError("no rate given")
    if rates != sorted(set(rates)):
        raise ValueError(f"'{text}': rates must be distinct and ascending")
    return rates


def _positive_int(text: str, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{what} '{text.strip()}' is not a whole number") from None
    if value <= 0:
        raise ValueError(f"{what} '{text.strip()}' must be positive")
    return value


# --- sipp's statistics file (-trace_stat -stf FILE -fd SECONDS) ---------------------------------

def read_stat_csv(path: str) -> List[Dict[str, str]]:
    """Rows of sipp's statistics file as {column: value}; [] when it does not exist (yet).

    sipp writes a header line, then one line per dump period (-fd) and a last one at exit; "(C)"
    columns are cumulative, "(P)" ones cover the period. A line being written (no newline yet) is
    skipped."""
    try:
        with open(path, "r", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    if len(lines) < 2:
        return []
    header = [h.strip() for h in lines[0].split(";")]
    rows = []
    for line in lines[1:-1]:  # the last element follows the last newline: partial or empty
        if not line.strip():
            continue
        fields = line.split(";")
        rows.append({name: fields[i].strip() for i, name in enumerate(header)
                     if i < len(fields)})
    return rows


def stat_int(row: Optional[Dict[str, str]], column: str) -> int:
    """An integer column of a stat row; 0 when the row or the column is missing."""
    if not row:
        return 0
    try:
        return int(float(row.get(column, "0") or 0))
    except ValueError:
        return 0


# sipp's cumulative failure columns, in the order a reader wants to see them.
FAILURE_COLUMNS = (
    "FailedCallRejected(C)", "FailedUnexpectedMessage(C)", "FailedMaxUDPRetrans(C)",
    "FailedTimeoutOnRecv(C)", "FailedTimeoutOnSend(C)", "FailedCannotSendMessage(C)",
    "FailedOutboundCongestion(C)", "FailedTcpConnect(C)", "FailedTcpClosed(C)",
    "FailedCmdNotSent(C)", "FailedRegexpDoesntMatch(C)", "FailedRegexpShouldntMatch(C)",
    "FailedRegexpHdrNotFound(C)",
)


def failure_breakdown(row: Optional[Dict[str, str]]) -> Dict[str, int]:
    """{"CallRejected": n, ...} for every non-zero cumulative failure reason of a stat row."""
    out = {}
    for column in FAILURE_COLUMNS:
        n = stat_int(row, column)
        if n:
            out[column[len("Failed"):-len("(C)")]] = n
    return out


# --- sipp's response-time trace (-trace_rtt) ----------------------------------------------------

def read_rtt_csv(path: str, rtd: int = 1) -> List[Tuple[float, float]]:
    """(date_ms, response_time_ms) of every measurement of response-time `rtd` in sipp's
    -trace_rtt file ("Date_ms;response_time_ms;rtd_no" lines, e.g. "2460;8;1"). date_ms is when
    the measurement ended (here: the 200 OK arrived), in ms since sipp started; sipp 3.6 gives
    response times in whole milliseconds (0: under 1 ms)."""
    samples = []
    try:
        with open(path, "r", errors="replace") as f:
            for line in f:
                fields = line.strip().split(";")
                if len(fields) < 3:
                    continue
                try:
                    date, value, number = float(fields[0]), float(fields[1]), fields[2].strip()
                except ValueError:
                    continue  # the header
                if number == str(rtd):
                    samples.append((date, value))
    except FileNotFoundError:
        return []
    return samples


def percentile(values: Sequence[float], p: float) -> Optional[float]:
    """Nearest-rank percentile (the smallest value with at least p % of values at or below it);
    None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def answer_rate(samples: Sequence[Tuple[float, float]]) -> Optional[float]:
    """Calls/s sipp achieved: answered calls over the span between the first and the last 200 OK
    (set-up latency is nearly constant, so this is the rate calls were placed at). None below 2
    samples or for a zero span."""
    if len(samples) < 2:
        return None
    dates = [d for d, _ in samples]
    span_s = (max(dates) - min(dates)) / 1000.0
    if span_s <= 0:
        return None
    return (len(samples) - 1) / span_s


# --- CPU ----------------------------------------------------------------------------------------

@dataclass
class CpuSample:
    ticks: int        # utime + stime of every thread of the process, in clock ticks
    when: float       # time.monotonic()


def process_cpu(pid: int) -> Optional[CpuSample]:
    """utime+stime of process `pid` (all its threads) now; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return CpuSample(utime + stime, time.monotonic())


def cpu_percent(before: Optional[CpuSample], after: Optional[CpuSample]) -> Optional[float]:
    """CPU used between two samples, in % of one core (200 % = both cores of a 2-core box)."""
    if before is None or after is None or after.when - before.when < 0.2:
        return None  # too short a window for clock-tick (10 ms) resolution
    return 100.0 * (after.ticks - before.ticks) / CLOCK_TICKS / (after.when - before.when)


@dataclass
class HostCpu:
    busy: int
    total: int
    steal: int


def host_cpu() -> HostCpu:
    """Aggregate jiffies of /proc/stat's "cpu" line: busy (all but idle and iowait), total and
    steal (time a hypervisor gave to someone else)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    fields += [0] * (8 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return HostCpu(busy=total - idle - iowait, total=total, steal=steal)


def host_busy(before: HostCpu, after: HostCpu) -> Tuple[Optional[float], Optional[float]]:
    """(% of all the machine's cores busy, % stolen) between two samples."""
    total = after.total - before.total
    if total <= 0:
        return None, None
    return (100.0 * (after.busy - before.busy) / total,
            100.0 * (after.steal - before.steal) / total)


# --- set-up latency on the wire (a tcpdump of the caller's SIP) ---------------------------------

_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}


def _sip_udp_payloads(path: str):
    """(timestamp s, UDP payload) of every Ethernet/IPv4/UDP frame of a classic pcap file (the
    lab's reader drops timestamps, which are all this needs). Truncated frames (-s) are fine as
    long as the SIP headers fit."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in _PCAP_MAGICS:
        return
    order, unit = _PCAP_MAGICS[data[:4]]
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from(order + "IIII", data, offset)
        offset += 16
        frame = data[offset:offset + incl]
        offset += incl
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 17:
            continue
        yield sec + frac * unit, frame[14 + ihl + 8:]


def _header(head: str, *names: str) -> str:
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in names:
            return value.strip()
    return ""


def wire_setup_latencies(path: str) -> List[float]:
    """Set-up latency of every call whose INVITE a capture of the caller's side saw: from the
    first INVITE (retransmissions ignored) to the first 200 OK for it arriving, in ms, from the
    kernel's capture timestamps (microseconds). Calls cut by the capture window are left out."""
    invites: Dict[str, float] = {}
    latencies: List[float] = []
    answered = set()
    for when, payload in _sip_udp_payloads(path):
        head = payload.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace")
        first = head.split("\r\n", 1)[0]
        cseq = _header(head, "cseq")
        if not cseq.upper().endswith("INVITE"):
            continue
        call_id = _header(head, "call-id", "i")
        if not call_id:
            continue
        if first.startswith("INVITE "):
            invites.setdefault(call_id, when)
        elif first.startswith("SIP/2.0 200") and call_id in invites and call_id not in answered:
            answered.add(call_id)
            latencies.append(1000.0 * (when - invites[call_id]))
    return latencies
