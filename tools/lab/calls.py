"""One call through the lab's SBC: captures at both ends, sipp callee then caller, results.

The demo and every integration test go through run_call(), so they all exercise the same steps.
"""

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import audio
from .lab import ACCESS_IP, CALLEE_IP, CALLER_IP, SIP_PORT, Lab
from .pcap import Capture
from .peers import Sipp, SippResult, Tcpdump
from .procs import LabError

SCENARIO_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "tests",
                                             "integration", "scenarios"))
MEDIA_PORT = 6000  # sipp's [media_port] at both ends (each in its own namespace)


def scenario(name: str) -> str:
    path = os.path.join(SCENARIO_DIR, name)
    if not os.path.isfile(path):
        raise LabError(f"sipp scenario not found: {path}")
    return path


@dataclass
class CallOutcome:
    caller: SippResult
    callee: SippResult
    caller_capture: Capture
    callee_capture: Capture
    rtp_per_play: int             # packets one play of audio.ulaw sends (each end plays it once)
    during: Any = None            # whatever the `during` callback returned
    workdir: str = ""

    @property
    def caller_rtp_received(self) -> int:
        return self.caller_capture.rtp_to(CALLER_IP, MEDIA_PORT)

    @property
    def callee_rtp_received(self) -> int:
        return self.callee_capture.rtp_to(CALLEE_IP, MEDIA_PORT)

    @property
    def caller_rtp_sent(self) -> int:
        return self.caller_capture.count_from(CALLER_IP, MEDIA_PORT)

    @property
    def callee_rtp_sent(self) -> int:
        return self.callee_capture.count_from(CALLEE_IP, MEDIA_PORT)


def run_call(lab: Lab, uac_scenario: str, uas_scenario: str, *, duration_ms: int = 3000,
             audio_seconds: float = 2.0, service: str = "15550002",
             during: Optional[Callable[[Lab], Any]] = None, timeout_s: int = 30) -> CallOutcome:
    """Places one call from the caller namespace to the SBC, answered in the callee namespace.

    `duration_ms` is sipp's -d (the caller's pause before BYE, or before CANCEL); `audio_seconds`
    the length of the tone each end plays once after the answer (keep it below duration_ms so
    all RTP is sent before the BYE). `during(lab)` runs while the caller's sipp is running.
    """
    assert lab.caller is not None and lab.callee is not None
    index = len([d for d in os.listdir(lab.dir) if d.startswith("call")])
    workdir = lab.path(f"call{index}")
    caller_dir = os.path.join(workdir, "caller")
    callee_dir = os.path.join(workdir, "callee")
    os.makedirs(caller_dir)
    os.makedirs(callee_dir)
    packets = audio.write_ulaw_tone(os.path.join(caller_dir, "audio.ulaw"), audio_seconds, 440)
    audio.write_ulaw_tone(os.path.join(callee_dir, "audio.ulaw"), audio_seconds, 880)

    started = []
    try:
        caller_cap = Tcpdump(lab.caller, "c0", os.path.join(workdir, "caller.pcap"))
        started.append(caller_cap.process)
        lab.extra_processes.append(caller_cap.process)
        callee_cap = Tcpdump(lab.callee, "e0", os.path.join(workdir, "callee.pcap"))
        started.append(callee_cap.process)
        lab.extra_processes.append(callee_cap.process)

        uas = Sipp(lab.callee, "callee", uas_scenario, callee_dir, CALLEE_IP,
                   media_port=MEDIA_PORT, timeout_s=timeout_s)
        started.append(uas.process)
        lab.extra_processes.append(uas.process)
        uas.wait_listening()

        uac = Sipp(lab.caller, "caller", uac_scenario, caller_dir, CALLER_IP,
                   media_port=MEDIA_PORT, remote=f"{ACCESS_IP}:{SIP_PORT}", service=service,
                   duration_ms=duration_ms, timeout_s=timeout_s)
        started.append(uac.process)
        lab.extra_processes.append(uac.process)

        during_result = during(lab) if during is not None else None
        caller_result = uac.wait()
        try:
            callee_result = uas.wait(timeout=10)
        except LabError:
            callee_result = uas.stop()  # the call never reached it, or never ended there
        time.sleep(0.3)  # let the last relayed packets land in the captures
        caller_capture = caller_cap.stop()
        callee_capture = callee_cap.stop()
        lab.check_alive()
        return CallOutcome(caller_result, callee_result, caller_capture, callee_capture,
                           packets, during_result, workdir)
    finally:
        for proc in started:
            proc.stop()


def snapshot_calls_while_up(timeout_s: float = 10) -> Callable[[Lab], Optional[str]]:
    """A `during` callback: waits until sbcd lists a call, then returns `show calls` text."""
    def snap(lab: Lab) -> Optional[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if lab.active_calls() > 0:
                return lab.cli("show", "calls")
            time.sleep(0.1)
        return None
    return snap
