"""baresip (Debian 12: baresip-core 1.0.0) as a lab peer that really encodes and decodes audio.

What this baresip offers, and how the lab uses it:
- Audio in: the `aufile` module is an audio *source* only (`audio_source aufile,FILE.wav`; 16-bit
  mono WAV at exactly `ausrc_srate`, which the lab sets to the codec's rate: 8000 for G.711,
  16000 for G.722, 48000 for Opus). When the file ends the
  source reports "end of file" and baresip hangs the call up (BYE): the caller's file length is
  the call's length. There is no file *player* in 1.0.0.
- Audio out: the `sndfile` filter dumps the audio it encodes (`dump-<time>-enc.wav`) and the
  audio it decoded from RTP (`dump-<time>-dec.wav`) into `snd_path`; each UA gets its own
  directory, so the received audio of one UA is its one `*-dec.wav`. The player is
  `aubridge,<name>` (no sound card; it never plays anything, the dump is the recording).
- Control: `-e "/dial URI"` runs the dial command at start-up (menu module); the callee answers
  by itself (`;answermode=auto` in its account line); hang-up is the caller's file ending, and
  the processes are stopped by PID (SIGTERM) afterwards. (ctrl_tcp, JSON over netstrings on
  `ctrl_tcp_listen`, exists too but is not needed.) `-s` writes the SIP trace (with SDP) to the
  log.
- SRTP (`srtp` module, SDES RFC 4568): account `;mediaenc=srtp` (best effort: RTP/AVP with
  a=crypto), `srtp-mand` (RTP/SAVP), `srtp-mandf` (RTP/SAVPF); suites AES_CM_128_HMAC_SHA1_80,
  AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM. It logs
  "srtp: audio: SRTP is Enabled (cryptosuite=...)" once keyed. (dtls_srtp exists; not used.)
- Codecs in baresip-core: g711 (PCMU, PCMA), g722, opus, g726, gsm, l16, codec2, mpa, amr, aptx;
  no G.729 module in Debian (G.729 needs another peer). The account's `;audio_codecs=` picks
  and orders them (full names for wideband: g722/16000/1, opus/48000/2). Measured directly
  between two baresips with tools/audio: PCMU/PCMA 0.9999 and 38 dB, G.722 0.9999 and 38 dB,
  Opus 0.9985 and 26 dB (the Opus dump is 48 kHz stereo; the checker takes one channel).
- The SIP transport binds `sip_listen` for UDP and TCP, and port+1 for TLS (so two UAs on one
  address need ports at least 2 apart).
"""

import glob
import os
import shutil
import signal
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

from . import pcap
from .netns import Netns
from .peers import Tcpdump
from .procs import LabError, Process, wait_until

BARESIP = "baresip"
MODULE_DIR = "/usr/lib/baresip/modules"
MEDIAENC = (None, "srtp", "srtp-mand", "srtp-mandf")
# Account codec names: baresip takes a bare name as NAME/8000/1, and an account whose codec it
# cannot find silently falls back to every codec (PCMU first); so wideband codecs need their
# full names, and the negotiated codec is read back from the log (BaresipResult.codec).
CODEC_NAMES = {"pcmu": "pcmu", "pcma": "pcma", "g722": "g722/16000/1", "opus": "opus/48000/2"}


@dataclass
class BaresipResult:
    name: str
    log: str
    received_wav: Optional[str]   # what it decoded from RTP (sndfile's -dec.wav)
    sent_wav: Optional[str]       # what it encoded (sndfile's -enc.wav)
    established: bool
    terminated: bool              # the call was up and ended
    closed: Optional[str]         # "session closed: ..." when it was refused or failed
    srtp_suite: Optional[str]     # "AES_CM_128_HMAC_SHA1_80" ... once SRTP was keyed
    codec: Optional[str]          # the encoder it set: "PCMU 8000Hz 1ch", "G722 16000Hz 1ch"...

    def summary(self) -> str:
        return (f"{self.name}: established={self.established} terminated={self.terminated} "
                + (f"({self.closed}) " if self.closed else "") +
                f"codec={self.codec} srtp={self.srtp_suite} received={self.received_wav}")


class Baresip:
    """One baresip UA in a namespace, with its own configuration directory made at run time.

    `source_wav`: what it sends once the call is up (16-bit mono WAV at `sample_rate`). `user`: its account
    user, which a callee must match with the Request-URI's user. `codecs`: baresip codec names in
    order of preference. `mediaenc`: None (plain RTP) or one of srtp, srtp-mand, srtp-mandf.
    `sample_rate`: the rate of `source_wav` and of the audio device side; use the codec's own
    rate (16000 for G.722, 48000 for Opus): baresip 1.0.0's resampler between the file and the
    codec degrades the signal (an 8 kHz file through G.722 measured correlation 0.57 before the
    network was involved, while the decoded audio matched the encoded audio at 0.99999).
    """

    def __init__(self, workdir: str, ns: Netns, name: str, *, address: str, iface: str,
                 user: str, source_wav: str, sip_port: int = 5060,
                 rtp_ports: Sequence[int] = (6000, 6009), codecs: Sequence[str] = ("pcmu",),
                 mediaenc: Optional[str] = None, sample_rate: int = 8000):
        if shutil.which(BARESIP) is None:
            raise LabError("baresip not found (tools/setup.sh installs baresip-core)")
        unknown = [c for c in codecs if c not in CODEC_NAMES]
        if unknown:
            raise LabError(f"codecs {unknown} not known to the lab (one of {list(CODEC_NAMES)})")
        if mediaenc not in MEDIAENC:
            raise LabError(f"unknown baresip mediaenc {mediaenc!r} (one of {MEDIAENC})")
        self.ns = ns
        self.name = name
        self.address = address
        self.sip_port = sip_port
        self.user = user
        self.workdir = workdir
        self.dir = os.path.join(workdir, f"baresip-{name}")
        self.record_dir = os.path.join(self.dir, "recordings")
        os.makedirs(self.record_dir, exist_ok=True)
        self.log_path = os.path.join(workdir, f"baresip-{name}.log")
        self.process: Optional[Process] = None
        names = ",".join(CODEC_NAMES[c] for c in codecs)
        params = ["regint=0", "answermode=auto", f"audio_codecs={names}",
                  "ptime=20"]
        if mediaenc:
            params.append(f"mediaenc={mediaenc}")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:{user}@{address}:{sip_port}>;{';'.join(params)}\n")
        with open(os.path.join(self.dir, "contacts"), "w") as f:
            f.write("")
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"""# Written by tools/lab/baresip.py for UA {name}.
poll_method		epoll
sip_listen		{address}:{sip_port}
net_interface		{iface}
call_local_timeout	30
call_max_calls		1
audio_player		aubridge,play-{name}
audio_alert		aubridge,alert-{name}
audio_source		aufile,{source_wav}
ausrc_srate		{sample_rate}
auplay_srate		{sample_rate}
ausrc_channels		1
auplay_channels		1
audio_buffer		20
rtp_ports		{rtp_ports[0]}-{rtp_ports[1]}
rtcp_mux		no
jitter_buffer_delay	1-10
rtp_timeout		0
snd_path		{self.record_dir}
module_path		{MODULE_DIR}
module			g711.so
module			g722.so
module			opus.so
module			aufile.so
module			aubridge.so
module			sndfile.so
module			srtp.so
module_tmp		account.so
module_app		menu.so
""")

    def start(self, dial: Optional[str] = None) -> None:
        """Starts baresip in its namespace; `dial` (a SIP URI) places the call at once. Returns
        when its SIP socket is bound (bounded wait)."""
        cmd = [BARESIP, "-4", "-s", "-v", "-f", self.dir]
        if dial:
            cmd += ["-e", f"/dial {dial}"]
        self.process = Process(f"baresip-{self.name}", self.ns.exec_cmd(cmd), self.log_path,
                               cwd=self.dir)
        if not dial:
            wait_until(f"baresip {self.name} to bind SIP {self.address}:{self.sip_port}",
                       lambda: self.ns.udp_bound(self.address, self.sip_port), 10, 0.1,
                       alive=self.process.check_alive)

    def log_text(self) -> str:
        return self.process.log_text() if self.process else ""

    def call_ended(self) -> bool:
        """The call is over: ended after it was up ("terminated"), or refused or failed before
        ("session closed: 488 Not Acceptable Here" and the like)."""
        text = self.log_text()
        return " terminated (duration" in text or ": session closed" in text

    def wait_call_end(self, timeout: float) -> None:
        assert self.process is not None
        wait_until(f"baresip {self.name}'s call to end", self.call_ended, timeout, 0.2,
                   alive=self.process.check_alive)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGTERM, grace=5)

    def result(self) -> BaresipResult:
        text = self.log_text()
        suite = None
        marker = "SRTP is Enabled (cryptosuite="
        if marker in text:
            suite = text.split(marker, 1)[1].split(")", 1)[0]
        closed = None
        marker = ": session closed"
        if marker in text:
            closed = "session closed" + text.split(marker, 1)[1].split("\n", 1)[0].rstrip()
        codec = None
        marker = "audio: Set audio encoder: "
        if marker in text:
            codec = text.split(marker, 1)[1].split("\n", 1)[0].strip()
        dec = sorted(glob.glob(os.path.join(self.record_dir, "*-dec.wav")))
        enc = sorted(glob.glob(os.path.join(self.record_dir, "*-enc.wav")))
        return BaresipResult(self.name, text, dec[-1] if dec else None,
                             enc[-1] if enc else None, "Call established" in text,
                             " terminated (duration" in text, closed, suite, codec)


@dataclass
class AudioCall:
    caller: BaresipResult
    callee: BaresipResult
    captures: Dict[str, pcap.Capture]   # by the name given in run_audio_call's capture_on


def run_audio_call(caller: Baresip, callee: Baresip, dial: str, timeout_s: float = 20,
                   capture_on: Sequence[Tuple[str, Netns, str]] = ()) -> AudioCall:
    """The callee starts and waits; the caller dials `dial` and sends its file; the call ends when
    the caller's file ends (the callee's must be longer). `capture_on`: (name, namespace,
    interface) captured with tcpdump for the whole call. Both UAs and the captures are stopped by
    PID afterwards, whatever happened; their results (logs, recordings, SRTP suite) returned."""
    dumps: Dict[str, Tcpdump] = {}
    captures: Dict[str, pcap.Capture] = {}
    try:
        for name, ns, iface in capture_on:
            dumps[name] = Tcpdump(ns, iface, os.path.join(caller.workdir, f"{name}.pcap"))
        callee.start()
        caller.start(dial=dial)
        try:
            caller.wait_call_end(timeout_s)
            if "Call established" in caller.log_text():
                wait_until(f"baresip {callee.name}'s call to end", callee.call_ended, 5, 0.1)
        except LabError:
            pass  # reported through the results: established / terminated / recordings
    finally:
        caller.stop()
        callee.stop()
        for name, dump in dumps.items():
            captures[name] = dump.stop()
    return AudioCall(caller.result(), callee.result(), captures)
