"""The SBC lab: network namespaces, sbc-dataplane + sbcd, sipp peers, captures (stdlib only).

    from lab import Binaries, Lab, run_call, scenario
    with Lab(Binaries.from_build_dir("build"), log=print) as lab:
        outcome = run_call(lab, scenario("uac_call_rtp.xml"), scenario("uas_answer_rtp.xml"))
"""

from .attack import Flood, FloodResult, ToolRun, check_sipvicious, sipvicious
from .calls import CallOutcome, call_from_carrier, run_call, scenario, snapshot_calls_while_up
from .lab import (ACCESS_IP, CALLEE_IP, CALLER_IP, SIP_PORT, SIPS_PORT, TRUNK_IP, Binaries, Lab,
                  SipSetup, check_environment, cleanup_stale, metric_sum, parse_metrics)
from .procs import LabError

__all__ = [
    "ACCESS_IP", "CALLEE_IP", "CALLER_IP", "SIP_PORT", "SIPS_PORT", "TRUNK_IP", "Binaries",
    "CallOutcome", "Flood", "FloodResult", "Lab", "LabError", "SipSetup", "ToolRun",
    "check_environment", "check_sipvicious", "cleanup_stale", "metric_sum", "parse_metrics",
    "call_from_carrier", "run_call", "scenario", "sipvicious", "snapshot_calls_while_up",
]
