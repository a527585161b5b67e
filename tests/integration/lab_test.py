"""Shared frame of the integration tests: arguments, the lab, named checks, a clear verdict.

Each test script calls main(test_function). The test function gets a started Lab and a Checks
object, places its call(s) with lab.run_call and records checks. The script prints every check
and a closing "N passed, N failed" line, and exits non-zero on any failed check or error.

These tests need root and the tools tools/setup.sh installs; without them they FAIL (never skip).
"""

import argparse
import os
import shutil
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "tools")))

import lab  # noqa: E402  (tools/lab, found through the path set above)
from lab.procs import LabError, wait_until  # noqa: E402
from lab.report import media_from_cdr  # noqa: E402


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition: bool, what: str, detail: str = "") -> bool:
        if condition:
            self.passed += 1
            print(f"ok     {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL   {what}" + (f"\n       {detail}" if detail else ""), flush=True)
        return bool(condition)

    def near(self, value: int, expected: int, tolerance: int, what: str) -> bool:
        return self.check(abs(value - expected) <= tolerance,
                          f"{what}: {value} vs {expected} (within {tolerance})")

    def error(self, what: str) -> None:
        self.failed += 1
        print(f"FAIL   {what}", flush=True)


def _parse_args(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", help="build root holding dataplane/, controlplane/, cli/")
    parser.add_argument("--dataplane")
    parser.add_argument("--sbcd")
    parser.add_argument("--cli")
    parser.add_argument("--flood", help="sbc-sip-flood (tools/flood), for the security tests")
    parser.add_argument("--logs-dir", help="where to keep this test's configs, logs and captures")
    args = parser.parse_args(argv)
    if args.dataplane and args.sbcd and args.cli:
        binaries = lab.Binaries(args.dataplane, args.sbcd, args.cli, args.flood)
        binaries.check()
    elif args.build_dir:
        binaries = lab.Binaries.from_build_dir(args.build_dir)
        if args.flood:
            binaries.flood = args.flood
    else:
        parser.error("give --build-dir or all of --dataplane, --sbcd, --cli")
    return args, binaries


def main(test, name: str, sip=None, sbc_config=None, dataplane_config=None) -> int:
    """`sip`: the lab's lab.SipSetup (listeners per zone, trunk transport); None: plain UDP.
    `sbc_config` / `dataplane_config`: {section: {key: value}} merged into the lab's configs."""
    checks = Checks()
    try:
        args, binaries = _parse_args(sys.argv[1:])
        lab.check_environment()
        keep = None
        if args.logs_dir:
            keep = os.path.join(args.logs_dir, name)
            shutil.rmtree(keep, ignore_errors=True)
        started = time.monotonic()
        with lab.Lab(binaries, log=lambda s: print(f"[lab] {s}", flush=True),
                     keep_dir=keep, sip=sip, sbc_config=sbc_config,
                     dataplane_config=dataplane_config) as the_lab:
            try:
                test(the_lab, checks)
            finally:
                if checks.failed:
                    dump_logs(the_lab)
        print(f"[lab] done in {time.monotonic() - started:.1f} s"
              + (f"; logs, traces and captures kept in {keep}" if keep else ""), flush=True)
    except LabError as e:
        checks.error(f"lab error: {e}")
    except Exception:  # a bug in the test itself must fail it loudly, with its traceback
        checks.error("unexpected exception:\n" + traceback.format_exc())
    print(f"{checks.passed} passed, {checks.failed} failed", flush=True)
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


def dump_logs(the_lab) -> None:
    for proc_name, text in the_lab.logs().items():
        print(f"----- last lines of {proc_name} -----")
        print("\n".join(text.splitlines()[-40:]))


# --- checks shared by the tests --------------------------------------------------------------

def check_nothing_left(the_lab, checks: Checks) -> None:
    """After the call: no call in sbcd, no session in the dataplane (bounded wait)."""
    try:
        wait_until("sbcd to list no calls", lambda: the_lab.active_calls() == 0, 10, 0.2)
        checks.check(True, "show calls is empty after the call")
    except LabError as e:
        checks.check(False, "show calls is empty after the call", str(e))
    try:
        wait_until("the dataplane to hold no session",
                   lambda: the_lab.dataplane_sessions() == 0, 10, 0.2)
        checks.check(True, "show dataplane reports 0 sessions after the call")
    except LabError as e:
        checks.check(False, "show dataplane reports 0 sessions after the call", str(e))


def check_calls_ended(the_lab, checks: Checks, result: str = "answered", count: int = 1,
                      more=()) -> None:
    """After the test's calls: nothing left in sbcd or the dataplane, and /metrics counted `count`
    calls with `result`, no call in progress and no media session, plus the `more` expectations
    (as metric_check takes them)."""
    check_nothing_left(the_lab, checks)
    metric_check(the_lab, checks, [
        ("sbc_calls_total", {"result": result}, lambda v: v == count,
         f"{count} {result} call{'s' if count != 1 else ''}"),
        ("sbc_calls_active", {}, lambda v: v == 0, "no call in progress"),
        ("sbc_dataplane_sessions", {}, lambda v: v == 0, "no media session left"),
        *more,
    ])


def check_topology_hidden(outcome, checks: Checks) -> None:
    """Nothing of the caller's side reaches the callee's wire, and the other way round."""
    caller_ids = outcome.caller.call_ids()
    callee_ids = outcome.callee.call_ids()
    checks.check(len(caller_ids) == 1 and len(callee_ids) == 1 and caller_ids != callee_ids,
                 f"each side has its own Call-ID (caller {caller_ids}, callee {callee_ids})")
    for side, capture, foreign_ip, foreign_ids in (
            ("callee", outcome.callee_capture, lab.CALLER_IP, caller_ids),
            ("caller", outcome.caller_capture, lab.CALLEE_IP, callee_ids)):
        # The absence checks below mean something only if the capture saw the call's SIP (in
        # plain text: UDP datagrams or TCP streams; a TLS side's sipp talks UDP to its relay).
        sip = capture.sip_carriers(lab.SIP_PORT)
        checks.check(len(sip) >= 2, f"{side}'s capture holds the call's SIP ({len(sip)} "
                     "datagrams or streams)")
        packets = capture.involving(foreign_ip)
        checks.check(not packets, f"{side}'s wire carries no packet from/to {foreign_ip}",
                     f"{len(packets)} packets, first {packets[:1]}")
        leaks = capture.mentions(foreign_ip.encode())
        checks.check(not leaks, f"{side}'s wire has no payload mentioning {foreign_ip}",
                     f"{len(leaks)} datagrams or streams, first {leaks[0].payload[:300]!r}"
                     if leaks else "")
        for call_id in foreign_ids:
            leaks = capture.mentions(call_id.encode())
            checks.check(not leaks, f"{side}'s wire never carries the other side's Call-ID "
                         f"{call_id}", f"{len(leaks)} packets")
        # The same, as the peer's own SIP stack saw it (sipp's message trace).
        trace = "\n".join(m.text for m in (outcome.callee if side == "callee"
                                           else outcome.caller).messages)
        leaked = [t for t in (foreign_ip, *foreign_ids) if t in trace]
        checks.check(bool(trace) and not leaked,
                     f"{side}'s sipp trace mentions neither {foreign_ip} nor the other Call-ID",
                     f"found {leaked}" if trace else "empty trace")


def metric_check(the_lab, checks: Checks, expectations) -> None:
    """expectations: [(name, labels dict, predicate, description)]; waits for the scrape to show
    them (sbcd refreshes dataplane counters periodically), bounded."""
    last = {}

    def all_true():
        values = lab.parse_metrics(the_lab.metrics())
        last.clear()
        ok = True
        for name, labels, predicate, _ in expectations:
            value = lab.metric_sum(values, name, **labels)
            last[(name, tuple(labels.items()))] = value
            ok = ok and value is not None and predicate(value)
        return ok
    try:
        wait_until("/metrics to show the expected values", all_true, 10, 0.3)
    except LabError:
        pass
    values = lab.parse_metrics(the_lab.metrics())
    for name, labels, predicate, description in expectations:
        value = lab.metric_sum(values, name, **labels)
        label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        checks.check(value is not None and predicate(value),
                     f"/metrics {name}{{{label_text}}} = {value} ({description})")


def the_cdr(the_lab, checks: Checks):
    try:
        records = the_lab.wait_cdrs(1)
    except LabError as e:
        checks.check(False, "sbcd wrote a CDR for the call", str(e))
        return None
    checks.check(len(records) == 1, f"sbcd wrote exactly one CDR ({len(records)})")
    print(f"       CDR: {records[-1]}")
    return records[-1]


def check_peers_ok(outcome, checks: Checks) -> None:
    """Both sipp instances ran their scenario to the end."""
    for who, peer in (("caller", outcome.caller), ("callee", outcome.callee)):
        checks.check(peer.ok, f"{who} sipp succeeded (exit {peer.exit_code}: {peer.exit_meaning})",
                     peer.summary())


def check_cdr_result(cdr, checks: Checks, disposition: str, code: int) -> None:
    checks.check(cdr.get("disposition") == disposition and cdr.get("result_code") == code,
                 f"CDR says {disposition} {code} "
                 f"({cdr.get('disposition')} {cdr.get('result_code')})")


TOLERANCE = 3  # packets: in flight when a latch settles, or at the edges of a capture


def answered_call_metrics(outcome):
    """/metrics after one answered call has ended: counted, nothing left, RTP as captured."""
    return [
        ("sbc_calls_total", {"result": "answered"}, lambda v: v == 1, "one answered call"),
        ("sbc_calls_active", {}, lambda v: v == 0, "no call in progress"),
        ("sbc_dataplane_sessions", {}, lambda v: v == 0, "no media session left"),
        ("sbc_dataplane_media_packets_total", {"port": "trunk"},
         lambda v: abs(v - outcome.callee_rtp_received) <= TOLERANCE,
         "RTP relayed out of the trunk port, as the callee received"),
        ("sbc_dataplane_media_packets_total", {"port": "access"},
         lambda v: abs(v - outcome.caller_rtp_received) <= TOLERANCE,
         "RTP relayed out of the access port, as the caller received"),
    ]


def check_answered_media(the_lab, outcome, checks: Checks, expected: int):
    """An answered call's media: what each end sent is what sipp played, what each end received
    crossed the dataplane, each end only ever talked RTP with the SBC's address on its side, the
    topology stayed hidden, and the CDR's per-direction counters match the captures. Returns the
    CDR's media record (None when missing)."""
    checks.near(outcome.caller_rtp_sent, expected, 0, "RTP the caller sent")
    checks.near(outcome.callee_rtp_sent, expected, 0, "RTP the callee sent")
    checks.near(outcome.callee_rtp_received, expected, TOLERANCE,
                "RTP the callee received (caller -> callee)")
    checks.near(outcome.caller_rtp_received, expected, TOLERANCE,
                "RTP the caller received (callee -> caller)")
    callee_sources = {(p.src, p.sport) for p in outcome.callee_capture.udp
                      if p.dst == lab.CALLEE_IP and p.dport == 6000}
    caller_sources = {(p.src, p.sport) for p in outcome.caller_capture.udp
                      if p.dst == lab.CALLER_IP and p.dport == 6000}
    checks.check(len(callee_sources) == 1 and next(iter(callee_sources))[0] == lab.TRUNK_IP,
                 f"callee's RTP came from one SBC trunk address {callee_sources}")
    checks.check(len(caller_sources) == 1 and next(iter(caller_sources))[0] == lab.ACCESS_IP,
                 f"caller's RTP came from one SBC access address {caller_sources}")
    check_topology_hidden(outcome, checks)
    cdr = the_cdr(the_lab, checks)
    if cdr is None:
        return None
    check_cdr_result(cdr, checks, "answered", 200)
    media = media_from_cdr(cdr)
    checks.check(media is not None, "CDR has media counters")
    if media is not None:
        checks.near(media.caller_to_callee, outcome.callee_rtp_received, TOLERANCE,
                    "dataplane caller->callee RTP (CDR) vs callee capture")
        checks.near(media.callee_to_caller, outcome.caller_rtp_received, TOLERANCE,
                    "dataplane callee->caller RTP (CDR) vs caller capture")
    return media


__all__ = ["Checks", "main", "check_nothing_left", "check_topology_hidden", "metric_check",
           "the_cdr", "media_from_cdr", "lab", "check_peers_ok", "check_cdr_result",
           "check_answered_media", "TOLERANCE"]
