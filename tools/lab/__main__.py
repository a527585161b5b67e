"""Command line of the lab: `python3 -m lab {demo,up,cleanup}` (run from tools/, as root).

  demo     one call caller -> SBC -> callee with RTP both ways; prints what crossed; exit 0 only if
           the call completed and media flowed both ways (--access / --trunk: udp, tcp or tls)
  up       brings the lab up and keeps it until Ctrl-C (to poke at it with sbc-cli, ping, sipp)
  cleanup  removes namespaces and DPDK files left by labs whose process died (e.g. kill -9)
"""

import argparse
import os
import sys
import time

from . import (ACCESS_IP, CALLEE_IP, CALLER_IP, TRUNK_IP, Binaries, Lab, LabError, SipSetup,
               cleanup_stale, run_call, scenario, snapshot_calls_while_up)
from .report import media_from_cdr


def _say(line: str) -> None:
    print(f"[lab] {line}", flush=True)


def _section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 72 - len(title)), flush=True)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


def _sip_setup(access: str, trunk: str):
    """None (sbcd's plain UDP configuration) for a UDP-only call; else the listeners it needs."""
    if access == "udp" and trunk == "udp":
        return None
    return SipSetup(access_transports=("udp", "tcp") + (("tls",) if access == "tls" else ()),
                    carrier_transports=("udp", "tcp") + (("tls",) if trunk == "tls" else ()),
                    trunk_transport=trunk)


def demo(args) -> int:
    binaries = Binaries.from_build_dir(args.build_dir)
    with Lab(binaries, log=_say, keep_dir=args.keep_logs,
             sip=_sip_setup(args.access, args.trunk)) as lab:
        _section(f"the call: caller 192.0.2.10 -{args.access}-> SBC 192.0.2.1 | 198.51.100.1 "
                 f"-{args.trunk}-> callee 198.51.100.10")
        _say(f"placing a {args.duration_ms} ms call with {args.audio_seconds:g} s of PCMU each way")
        # A TLS callee is sipp behind a record-routing relay: its answer must echo Record-Route.
        uas = "uas_answer_rtp_rr.xml" if args.trunk == "tls" else "uas_answer_rtp.xml"
        outcome = run_call(lab, scenario("uac_call_rtp.xml"), scenario(uas),
                           duration_ms=args.duration_ms, audio_seconds=args.audio_seconds,
                           during=snapshot_calls_while_up(args.duration_ms / 1000),
                           caller_transport=args.access, callee_transport=args.trunk)

        _section("sbc-cli show calls (during the call)")
        print(_indent(outcome.during or "(sbcd never listed the call)"))

        _section("call result")
        code = outcome.caller.final_response("INVITE")
        print(f"    final response to the caller's INVITE: {code if code else 'none'}")
        print(f"    caller sipp exit {outcome.caller.exit_code} ({outcome.caller.exit_meaning}), "
              f"callee sipp exit {outcome.callee.exit_code} ({outcome.callee.exit_meaning})")
        print("    caller's sipp summary:")
        print(_indent(_indent(outcome.caller.summary())))

        cdrs = []
        try:
            cdrs = lab.wait_cdrs(1)
        except LabError as e:
            _say(str(e))
        media = media_from_cdr(cdrs[-1]) if cdrs else None

        _section("RTP relayed by the dataplane (sbcd's CDR)")
        if cdrs:
            print(_indent(_compact(cdrs[-1])))
        if media:
            print(f"    caller -> callee: {media.caller_to_callee} packets")
            print(f"    callee -> caller: {media.callee_to_caller} packets")
        else:
            print("    (no CDR with media counters)")

        idle = True
        try:
            lab.wait_idle()
        except LabError as e:
            idle = False
            _say(str(e))
        _section("sbc-cli show dataplane (after the call)")
        print(_indent(lab.cli("show", "dataplane")))

        _section("sbcd /metrics (calls and relayed media)")
        for line in lab.metrics().splitlines():
            if line.startswith(("sbc_calls_total", "sbc_calls_active", "sbc_dataplane_sessions",
                                "sbc_dataplane_media_packets_total")):
                print("    " + line)

        _section("RTP received at each end (tcpdump in the caller and callee namespaces)")
        print(f"    caller sent {outcome.caller_rtp_sent}, callee received "
              f"{outcome.callee_rtp_received}  (to {CALLEE_IP}:6000)")
        print(f"    callee sent {outcome.callee_rtp_sent}, caller received "
              f"{outcome.caller_rtp_received}  (to {CALLER_IP}:6000)")

        failures = []
        if not outcome.caller.ok or not outcome.callee.ok:
            failures.append("a sipp peer failed")
        if code != 200:
            failures.append(f"the call was not answered with 200 (got {code})")
        if outcome.caller_rtp_received == 0 or outcome.callee_rtp_received == 0:
            failures.append("RTP did not reach both ends")
        if media is None or media.caller_to_callee == 0 or media.callee_to_caller == 0:
            failures.append("the dataplane did not count relayed RTP both ways")
        if not idle:
            failures.append("the call or its media session was left behind after BYE")

        _section("verdict")
        if failures:
            print("    FAIL: " + "; ".join(failures))
            _say("logs: sbcd and sbc-dataplane tails follow")
            for name, text in lab.logs().items():
                print(f"--- {name} ---\n" + "\n".join(text.splitlines()[-30:]))
            return 1
        print("    PASS: the call completed and media flowed both ways through the SBC")
        return 0


def _compact(record) -> str:
    import json
    return json.dumps(record, sort_keys=True)


def up(args) -> int:
    binaries = Binaries.from_build_dir(args.build_dir)
    with Lab(binaries, log=_say, keep_dir=args.keep_logs) as lab:
        print(f"""
lab {lab.tag} is up (Ctrl-C to tear it down):
  caller ns  {lab.caller.name}  ({CALLER_IP})
  sbc ns     {lab.sbc.name}  (sbc0 {ACCESS_IP}, sbc1 {TRUNK_IP})
  callee ns  {lab.callee.name}  ({CALLEE_IP})
  sbc-cli    {binaries.cli} --socket {lab.mgmt_socket}
  configs    {lab.dataplane_conf}  {lab.sbc_conf}
  e.g.       ip netns exec {lab.caller.name} ping {ACCESS_IP}
""", flush=True)
        while True:
            lab.check_alive()
            time.sleep(1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    default_build = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    for name in ("demo", "up"):
        p = sub.add_parser(name)
        p.add_argument("--build-dir", default=default_build)
        p.add_argument("--keep-logs", metavar="DIR",
                       help="copy configs, logs, captures and sipp traces here before cleanup")
        if name == "demo":
            p.add_argument("--duration-ms", type=int, default=4000)
            p.add_argument("--audio-seconds", type=float, default=3.0)
            p.add_argument("--access", choices=("udp", "tcp", "tls"), default="udp",
                           help="how the caller talks SIP to the SBC (tls: sipp behind kamailio)")
            p.add_argument("--trunk", choices=("udp", "tcp", "tls"), default="udp",
                           help="how the SBC talks SIP to the callee (the trunk's transport)")
    sub.add_parser("cleanup")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return demo(args)
        if args.command == "up":
            return up(args)
        cleanup_stale(_say)
        return 0
    except LabError as e:
        print(f"[lab] error: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("[lab] interrupted; lab cleaned up", file=sys.stderr, flush=True)
        return 130
    except SystemExit as e:  # SIGTERM/SIGHUP, raised by the lab's handler after it unwound
        if isinstance(e.code, int) and e.code > 128:
            print("[lab] terminated; lab cleaned up", file=sys.stderr, flush=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
