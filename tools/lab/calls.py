"""One call through the lab's SBC: captures at both ends, sipp callee then caller, results.

The demo and every integration test go through run_call(), so they all exercise the same steps.
"""

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

from . import audio
from .kamailio import SeenMessage, TlsRelay
from .lab import ACCESS_IP, CALLEE_IP, CALLER_IP, SIP_PORT, SIPS_PORT, TRUNK_IP, Lab
from .pcap import Capture
from .peers import Sipp, SippResult, Tcpdump
from .procs import LabError

SCENARIO_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "tests",
                                             "integration", "scenarios"))
MEDIA_PORT = 6000  # sipp's [media_port] at both ends (each in its own namespace)
RELAY_UDP_PORT = 5070  # a TLS relay's UDP side, next to sipp's 5060 on the same address


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
    caller_transport: str = "udp"
    callee_transport: str = "udp"
    # What a side's TLS relay received (kamailio.TlsRelay.seen()), for a side that speaks TLS.
    caller_relay_seen: Optional[List[SeenMessage]] = None
    callee_relay_seen: Optional[List[SeenMessage]] = None
    caller_ip: str = CALLER_IP

    @property
    def caller_rtp_received(self) -> int:
        return self.caller_capture.rtp_to(self.caller_ip, MEDIA_PORT)

    @property
    def callee_rtp_received(self) -> int:
        return self.callee_capture.rtp_to(CALLEE_IP, MEDIA_PORT)

    @property
    def caller_rtp_sent(self) -> int:
        return self.caller_capture.count_from(self.caller_ip, MEDIA_PORT)

    @property
    def callee_rtp_sent(self) -> int:
        return self.callee_capture.count_from(CALLEE_IP, MEDIA_PORT)


def run_call(lab: Lab, uac_scenario: str, uas_scenario: str, *, duration_ms: int = 3000,
             audio_seconds: float = 2.0, service: str = "15550002",
             during: Optional[Callable[[Lab], Any]] = None, timeout_s: int = 30,
             caller_transport: str = "udp", callee_transport: str = "udp",
             caller_user: str = "15550001", caller_extra: Sequence[str] = (),
             caller_ip: str = CALLER_IP, sbc_port: int = SIP_PORT) -> CallOutcome:
    """Places one call from the caller namespace to the SBC, answered in the callee namespace.

    `duration_ms` is sipp's -d (the caller's pause before BYE, or before CANCEL); `audio_seconds`
    the length of the tone each end plays once after the answer (keep it below duration_ms so
    all RTP is sent before the BYE). `during(lab)` runs while the caller's sipp is running.
    `caller_transport` / `callee_transport`: how that side talks SIP with the SBC ("udp", "tcp",
    or "tls": sipp over UDP behind a kamailio.TlsRelay in the same namespace, whose loopback is
    captured too; a TLS callee needs a scenario that echoes Record-Route). The lab's SipSetup
    must give the SBC the matching listeners and trunk transport. `caller_user` is the caller's
    From user, `caller_extra` more sipp arguments for the caller (e.g. -key NAME VALUE).
    `caller_ip` (added to the namespace by the test) and `sbc_port`: where a plain caller calls
    from and the SBC's access port it calls (another access zone's listener).
    """
    assert lab.caller is not None and lab.callee is not None
    for side, transport in (("caller", caller_transport), ("callee", callee_transport)):
        if transport == "tls" and lab.pki is None:
            raise LabError(f"a TLS {side} needs a lab with TLS (SipSetup with a tls listener)")
    index = len([d for d in os.listdir(lab.dir) if d.startswith("call")])
    workdir = lab.path(f"call{index}")
    caller_dir = os.path.join(workdir, "caller")
    callee_dir = os.path.join(workdir, "callee")
    os.makedirs(caller_dir)
    os.makedirs(callee_dir)
    packets = audio.write_ulaw_tone(os.path.join(caller_dir, "audio.ulaw"), audio_seconds, 440)
    audio.write_ulaw_tone(os.path.join(callee_dir, "audio.ulaw"), audio_seconds, 880)

    started = []

    def track(process):
        started.append(process)
        lab.extra_processes.append(process)

    def capture(ns, iface: str, name: str) -> Tcpdump:
        dump = Tcpdump(ns, iface, os.path.join(workdir, name))
        track(dump.process)
        return dump

    try:
        caller_caps = [capture(lab.caller, "c0", "caller.pcap")]
        callee_caps = [capture(lab.callee, "e0", "callee.pcap")]
        caller_relay = callee_relay = None
        if caller_transport == "tls":
            caller_caps.append(capture(lab.caller, "lo", "caller-lo.pcap"))
            caller_relay = TlsRelay(lab.caller, "caller", os.path.join(workdir, "caller-relay"),
                                    CALLER_IP, RELAY_UDP_PORT, SIPS_PORT,
                                    f"{ACCESS_IP}:{SIPS_PORT};transport=tls",
                                    lab.pki.leaves["caller"], lab.pki.ca_file)
            track(caller_relay.process)
        if callee_transport == "tls":
            callee_caps.append(capture(lab.callee, "lo", "callee-lo.pcap"))
            callee_relay = TlsRelay(lab.callee, "callee", os.path.join(workdir, "callee-relay"),
                                    CALLEE_IP, RELAY_UDP_PORT, SIPS_PORT,
                                    f"{CALLEE_IP}:{SIP_PORT}", lab.pki.leaves["callee"],
                                    lab.pki.ca_file)
            track(callee_relay.process)
        for relay in (caller_relay, callee_relay):
            if relay is not None:
                relay.wait_listening()

        uas = Sipp(lab.callee, "callee", uas_scenario, callee_dir, CALLEE_IP,
                   media_port=MEDIA_PORT, timeout_s=timeout_s,
                   transport="udp" if callee_transport == "tls" else callee_transport)
        track(uas.process)
        uas.wait_listening()

        if caller_transport == "tls":
            remote, sipp_transport = f"{CALLER_IP}:{RELAY_UDP_PORT}", "udp"
        else:
            remote, sipp_transport = f"{ACCESS_IP}:{sbc_port}", caller_transport
        uac = Sipp(lab.caller, "caller", uac_scenario, caller_dir, caller_ip,
                   media_port=MEDIA_PORT, remote=remote, service=service,
                   caller_user=caller_user, duration_ms=duration_ms, timeout_s=timeout_s,
                   transport=sipp_transport, extra=caller_extra)
        track(uac.process)

        during_result = during(lab) if during is not None else None
        caller_result = uac.wait()
        try:
            callee_result = uas.wait(timeout=10)
        except LabError:
            callee_result = uas.stop()  # the call never reached it, or never ended there
        time.sleep(0.3)  # let the last relayed packets land in the captures
        caller_capture = _stop_all(caller_caps)
        callee_capture = _stop_all(callee_caps)
        lab.check_alive()
        return CallOutcome(caller_result, callee_result, caller_capture, callee_capture,
                           packets, during_result, workdir, caller_transport, callee_transport,
                           caller_relay.seen() if caller_relay else None,
                           callee_relay.seen() if callee_relay else None, caller_ip)
    finally:
        for proc in started:
            proc.stop()


def call_from_carrier(lab: Lab, service: str, answer_ip: str, *, answer_port: int = SIP_PORT,
                      caller_user: str = "15551234567", name: str = "carrier",
                      timeout_s: int = 30, call_ip: str = CALLEE_IP,
                      answer_extra: Sequence[str] = ()) -> Tuple[SippResult, SippResult]:
    """The carrier (the callee namespace; `call_ip`, by default trunk carrier1's host) calls
    `service` through the SBC's trunk side; a sipp in the caller namespace at
    `answer_ip`:`answer_port` (a registered phone or the PBX, added to the namespace by the test)
    answers, with `answer_extra` sipp options. No captures. Returns the carrier's and the
    answerer's results."""
    assert lab.caller is not None and lab.callee is not None
    answer_dir, call_dir = lab.path(f"{name}-answer"), lab.path(f"{name}-call")
    for d, tone in ((answer_dir, 880), (call_dir, 440)):
        os.makedirs(d, exist_ok=True)
        audio.write_ulaw_tone(os.path.join(d, "audio.ulaw"), 1.0, tone)
    uas = Sipp(lab.caller, f"{name}-answer", scenario("uas_answer_rtp.xml"), answer_dir, answer_ip,
               sip_port=answer_port, media_port=6002, timeout_s=timeout_s, extra=answer_extra)
    lab.extra_processes.append(uas.process)
    uas.wait_listening()
    uac = Sipp(lab.callee, name, scenario("uac_call_rtp.xml"), call_dir, call_ip,
               remote=f"{TRUNK_IP}:{SIP_PORT}", service=service, caller_user=caller_user,
               duration_ms=2000, timeout_s=timeout_s)
    lab.extra_processes.append(uac.process)
    caller = uac.wait()
    try:
        callee = uas.wait(timeout=10)
    except LabError:
        callee = uas.stop()  # the call never reached it
    return caller, callee


def _stop_all(captures: List[Tcpdump]) -> Capture:
    merged = captures[0].stop()
    for cap in captures[1:]:
        merged = merged.merged(cap.stop())
    return merged


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
