#!/usr/bin/env python3
"""Integration: the audio that arrives is the audio that was sent, checked by decoding it.

Real peers that encode and decode (baresip, tools/lab/baresip.py) play a reference signal
(tools/audio: a sequence of tone pairs, a different one per direction, so audio reflected back to
its sender fails too) and record what they decode; tools/audio's checker aligns each recording
with the reference the other side sent and requires normalized cross-correlation >= 0.9,
SNR >= 10 dB and >= 75 % of the reference found. Silence or noise on a path FAILS. What crossed
each wire is decoded too (RTP payloads from tcpdump, G.711): plain RTP must carry the reference,
SRTP must not (ciphertext decodes as noise).

Cases (unittest; each SBC case builds its own lab: sbcd + sbc-dataplane in namespaces):
- the checker's self-test: a faithful copy passes, silence, white noise, the wrong signal fail;
- baresip <-> baresip with SDES-SRTP directly (no SBC, a veth between the caller's and the
  callee's namespaces): proves the harness keys, decrypts and checks SRTP;
- a call through the SBC with plain RTP, audio checked in both directions;
- through the SBC with SRTP on the caller's side and RTP on the callee's, the reverse, and SRTP
  on both (sbc.conf `media_profile = rtp | srtp | as-offered` per zone and trunk, SRTP_CASES):
  the SBC terminates SRTP with its own keys per side, so each side's audio is checked, and a
  key seen on both wires fails the case.
Group "transcoding" (`--group transcoding`, meson test integration_media_audio_transcoding):
PCMU-only caller to a PCMA-, G.722- or Opus-only callee (TRANSCODING_CASES): the dataplane's
transcoding lcore carries the audio both ways.
Every SBC call also checks each wire's offer/answer profile and a=crypto lines, that no SRTP
key appears on both sides, that RTP came from the SBC's address, and that the SBC holds no call
or session afterwards.
"""

import os
import shutil
import sys
import time
import unittest

from lab_test import _parse_args, lab  # also puts tools/ on sys.path

import audio  # noqa: E402  (tools/audio)
from lab.baresip import AudioCall, Baresip, run_audio_call  # noqa: E402
from lab.netns import add_veth_pair  # noqa: E402
from lab.procs import LabError  # noqa: E402

RATE = audio.SAMPLE_RATE
REFERENCE_S = 3.0
LEAD_IN_S = 0.5        # silence before the reference: latching and jitter buffers settle
CALLER_TAIL_S = 0.5    # the caller's file ends (and the call with it) this long after its reference
CALLEE_TAIL_S = 3.0    # the callee's file is longer, so the caller is the one that hangs up
SEED_CALLER = 101      # caller -> callee reference
SEED_CALLEE = 202      # callee -> caller reference
RTP_PORTS = (6000, 6009)
SERVICE = "15550002"   # dialled at the SBC; the trunk's Request-URI user, the callee's account

# baresip codec -> (encoder name in its log, source/recording rate, RTP payload type if G.711).
CODECS = {"pcmu": ("PCMU", 8000, 0), "pcma": ("PCMA", 8000, 8),
          "g722": ("G722", 16000, None), "opus": ("opus", 48000, None)}

# The direct (no SBC) pair: its own veth between the lab's caller and callee namespaces.
DIRECT_CALLER_IP = "203.0.113.10"
DIRECT_CALLEE_IP = "203.0.113.20"
DIRECT_SIP_PORT = 5080

# The SBC SRTP cases: (caller mediaenc, callee mediaenc, sbc.conf additions).
SRTP_CASES = {
    "srtp_caller_rtp_callee": ("srtp-mand", None, {
        "zone.access": {"media_profile": "as-offered"},
        "trunk.carrier1": {"media_profile": "rtp"}}),
    "rtp_caller_srtp_callee": (None, "srtp-mand", {
        "zone.access": {"media_profile": "rtp"},
        "trunk.carrier1": {"media_profile": "srtp"}}),
    "srtp_both": ("srtp-mand", "srtp-mand", {
        "zone.access": {"media_profile": "as-offered"},
        "trunk.carrier1": {"media_profile": "srtp"}}),
}

BINARIES = None
LOGS_DIR = None


def write_sources(workdir: str, caller_rate: int = RATE, callee_rate: int = RATE):
    """The two files the UAs play, each at its codec's rate; returns (caller file, callee
    file)."""
    caller = os.path.join(workdir, "caller-source.wav")
    callee = os.path.join(workdir, "callee-source.wav")
    for path, rate, seed, tail in ((caller, caller_rate, SEED_CALLER, CALLER_TAIL_S),
                                   (callee, callee_rate, SEED_CALLEE, CALLEE_TAIL_S)):
        audio.write_wav(path, [0] * int(LEAD_IN_S * rate)
                        + audio.reference_signal(REFERENCE_S, rate=rate, seed=seed)
                        + [0] * int(tail * rate), rate)
    return caller, callee


def keep_dir(name: str):
    if not LOGS_DIR:
        return None
    path = os.path.join(LOGS_DIR, "media_audio", name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def say(text: str) -> None:
    print(f"       {text}", flush=True)


def sip_sdp(capture, sip_port: int):
    """[(first line, source address, m=audio protocol, [a=crypto key params])] of every SIP
    message over UDP with an SDP body in a capture, in capture order."""
    out = []
    for p in capture.udp:
        if sip_port not in (p.sport, p.dport):
            continue
        text = p.payload.decode("utf-8", "replace")
        head, _, body = text.replace("\r\n", "\n").partition("\n\n")
        proto = None
        keys = []
        for line in body.split("\n"):
            if line.startswith("m=audio "):
                fields = line.split()
                proto = fields[2] if len(fields) > 2 else ""
            elif line.startswith("a=crypto:"):
                keys += [f for f in line.split() if f.startswith("inline:")]
        if proto is not None:
            out.append((head.split("\n", 1)[0].strip(), p.src, proto, keys))
    return out


class MediaAudio(unittest.TestCase):
    maxDiff = None

    # --- shared checks ------------------------------------------------------------------------

    def check_audio_call(self, call: AudioCall, caller_srtp: bool, callee_srtp: bool,
                         wires, caller_codec: str = "PCMU", callee_codec: str = "PCMU") -> None:
        """Both UAs set up and ended the call, SRTP was keyed where expected, each recording
        matches the other side's reference, and each wire carried plain audio only on RTP legs.
        `wires`: [(capture name, receiving address, expected sender address or None, srtp,
        codec)]; a G.711 leg's payloads are decoded and checked, others only counted."""
        self.assertTrue(call.caller.established and call.callee.established,
                        "both UAs established the call")
        self.assertTrue(call.caller.terminated, "the caller's call ended (its file ended)")
        for who, result, srtp, codec in (("caller", call.caller, caller_srtp, caller_codec),
                                         ("callee", call.callee, callee_srtp, callee_codec)):
            self.assertTrue((result.codec or "").startswith(codec + " "),
                            f"{who} encodes {codec} (baresip set {result.codec})")
            if srtp:
                self.assertIsNotNone(result.srtp_suite, f"{who} keyed SRTP (SDES)")
            else:
                self.assertIsNone(result.srtp_suite, f"{who} talked plain RTP")
        verdicts = {}
        for direction, result, seed in (("caller -> callee", call.callee, SEED_CALLER),
                                        ("callee -> caller", call.caller, SEED_CALLEE)):
            self.assertIsNotNone(result.received_wav, f"{direction}: a recording exists")
            received, rate = audio.read_wav(result.received_wav)
            verdict = audio.check_audio(audio.reference_signal(REFERENCE_S, seed=seed),
                                        received, RATE, rate)
            say(f"audio {direction} (decoded by {result.name}): {verdict.summary()}")
            verdicts[direction] = verdict
        for name, address, sender, srtp, codec in wires:
            capture = call.captures[name]
            datagrams = [p for p in capture.udp if p.dst == address
                         and RTP_PORTS[0] <= p.dport <= RTP_PORTS[1]
                         and audio.parse_rtp(p.payload) is not None]
            self.assertGreater(len(datagrams), 100, f"{name}: RTP reached {address}")
            if sender is not None:
                sources = {p.src for p in datagrams}
                self.assertEqual(sources, {sender}, f"{name}: RTP to {address} came from {sender}")
            payload_type = CODECS[codec][2]
            if payload_type is None:
                continue  # no decoder for this codec here; the UA's recording is checked
            samples = audio.g711_samples([p.payload for p in datagrams], payload_type)
            seed = SEED_CALLER if address in (lab.CALLEE_IP, DIRECT_CALLEE_IP) else SEED_CALLEE
            wire = audio.check_audio(audio.reference_signal(REFERENCE_S, seed=seed), samples,
                                     RATE)
            say(f"wire {name} ({len(datagrams)} RTP packets to {address}, payload decoded as "
                f"{CODECS[codec][0]}): {wire.summary()}")
            if srtp:
                self.assertFalse(wire.ok, f"{name}: SRTP payloads must not decode as the "
                                 "reference (were they sent in clear?)")
            else:
                self.assertTrue(wire.ok, f"{name}: the plain RTP on the wire carries the "
                                "reference")
        for direction, verdict in verdicts.items():
            self.assertTrue(verdict.ok, f"audio {direction}: {verdict.summary()}")

    def check_sdp(self, capture, sip_port: int, side: str, srtp: bool) -> set:
        """The offer and answer on one wire: RTP/SAVP with a=crypto where that side is SRTP,
        RTP/AVP and no key where it is not. Returns the keys seen on that wire."""
        messages = sip_sdp(capture, sip_port)
        for first, source, proto, keys in messages:
            say(f"{side} wire SDP: {first[:40]} from {source}: {proto}, {len(keys)} a=crypto")
        offers = [m for m in messages if m[0].startswith("INVITE ")]
        answers = [m for m in messages if m[0].startswith("SIP/2.0 200")]
        self.assertTrue(offers and answers, f"{side} wire: an INVITE and a 200 with SDP")
        for first, _, proto, keys in (offers[0], answers[0]):
            if srtp:
                self.assertEqual(proto, "RTP/SAVP", f"{side} wire: {first}: SRTP profile")
                self.assertTrue(keys, f"{side} wire: {first}: carries an a=crypto key")
            else:
                self.assertEqual(proto, "RTP/AVP", f"{side} wire: {first}: plain RTP profile")
                self.assertFalse(keys, f"{side} wire: {first}: no a=crypto toward an RTP side")
        return {k for m in messages for k in m[3]}

    def sbc_call(self, name: str, caller_enc, callee_enc, sbc_config=None,
                 caller_codec: str = "pcmu", callee_codec: str = "pcmu") -> None:
        """One call through a lab of its own; its audio and wires checked before the lab (and the
        recordings in its directory) goes. Each UA offers/accepts only its one codec."""
        with lab.Lab(BINARIES, log=lambda s: print(f"[lab] {s}", flush=True),
                     keep_dir=keep_dir(name), sbc_config=sbc_config) as the_lab:
            caller_rate, callee_rate = CODECS[caller_codec][1], CODECS[callee_codec][1]
            caller_wav, callee_wav = write_sources(the_lab.dir, caller_rate, callee_rate)
            caller = Baresip(the_lab.dir, the_lab.caller, "caller", address=lab.CALLER_IP,
                             iface="c0", user="pbx", source_wav=caller_wav,
                             rtp_ports=RTP_PORTS, mediaenc=caller_enc,
                             codecs=(caller_codec,), sample_rate=caller_rate)
            callee = Baresip(the_lab.dir, the_lab.callee, "callee", address=lab.CALLEE_IP,
                             iface="e0", user=SERVICE, source_wav=callee_wav,
                             rtp_ports=RTP_PORTS, mediaenc=callee_enc,
                             codecs=(callee_codec,), sample_rate=callee_rate)
            call = run_audio_call(caller, callee, f"sip:{SERVICE}@{lab.ACCESS_IP}:{lab.SIP_PORT}",
                                  capture_on=[("caller-wire", the_lab.caller, "c0"),
                                              ("callee-wire", the_lab.callee, "e0")])
            say(call.caller.summary())
            say(call.callee.summary())
            caller_keys = self.check_sdp(call.captures["caller-wire"], lab.SIP_PORT, "caller",
                                         caller_enc is not None)
            callee_keys = self.check_sdp(call.captures["callee-wire"], lab.SIP_PORT, "callee",
                                         callee_enc is not None)
            self.assertFalse(caller_keys & callee_keys, "an SRTP key crossed the SBC: each "
                             "side must have its own keys (the SBC terminates SRTP)")
            self.check_audio_call(call, caller_enc is not None, callee_enc is not None, [
                ("callee-wire", lab.CALLEE_IP, lab.TRUNK_IP, callee_enc is not None,
                 callee_codec),
                ("caller-wire", lab.CALLER_IP, lab.ACCESS_IP, caller_enc is not None,
                 caller_codec)], CODECS[caller_codec][0], CODECS[callee_codec][0])
            try:
                the_lab.wait_idle(10)
            except LabError as e:
                self.fail(f"the SBC still holds the call after it ended: {e}")
            the_lab.check_alive()

    # --- the cases ----------------------------------------------------------------------------

    def test_1_checker_self_test(self):
        """The checker passes a faithful copy and fails silence, noise and the wrong signal."""
        results = audio.selftest.run(log=say)
        wrong = [name for name, good, _ in results if not good]
        self.assertEqual(wrong, [], "the checker misjudged these cases")

    def test_2_direct_srtp_pair(self):
        """baresip <-> baresip, SDES-SRTP (RTP/SAVP), no SBC: the harness decodes SRTP."""
        with lab.Lab(BINARIES, log=lambda s: print(f"[lab] {s}", flush=True),
                     keep_dir=keep_dir("direct_srtp")) as the_lab:
            add_veth_pair(the_lab.caller, "d0", the_lab.callee, "d1")
            the_lab.caller.ip("addr", "add", f"{DIRECT_CALLER_IP}/24", "dev", "d0")
            the_lab.callee.ip("addr", "add", f"{DIRECT_CALLEE_IP}/24", "dev", "d1")
            caller_wav, callee_wav = write_sources(the_lab.dir)
            caller = Baresip(the_lab.dir, the_lab.caller, "direct-caller",
                             address=DIRECT_CALLER_IP, iface="d0", user="alice",
                             sip_port=DIRECT_SIP_PORT, source_wav=caller_wav,
                             rtp_ports=RTP_PORTS, mediaenc="srtp-mand")
            callee = Baresip(the_lab.dir, the_lab.callee, "direct-callee",
                             address=DIRECT_CALLEE_IP, iface="d1", user="bob",
                             sip_port=DIRECT_SIP_PORT, source_wav=callee_wav,
                             rtp_ports=RTP_PORTS, mediaenc="srtp-mand")
            call = run_audio_call(caller, callee,
                                  f"sip:bob@{DIRECT_CALLEE_IP}:{DIRECT_SIP_PORT}",
                                  capture_on=[("direct-wire", the_lab.callee, "d1")])
            say(call.caller.summary())
            say(call.callee.summary())
            self.check_sdp(call.captures["direct-wire"], DIRECT_SIP_PORT, "direct", True)
            self.check_audio_call(call, True, True, [
                ("direct-wire", DIRECT_CALLEE_IP, DIRECT_CALLER_IP, True, "pcmu"),
                ("direct-wire", DIRECT_CALLER_IP, DIRECT_CALLEE_IP, True, "pcmu")])

    def test_3_sbc_rtp(self):
        """caller -> SBC -> callee, plain RTP (PCMU) both sides: audio checked both ways."""
        self.sbc_call("sbc_rtp", None, None)


def _srtp_case(name: str, caller_enc, callee_enc, sbc_config):
    def test(self):
        self.sbc_call(name, caller_enc, callee_enc, sbc_config)
    test.__name__ = f"test_4_sbc_{name}"
    test.__doc__ = (f"caller {caller_enc or 'RTP'} -> SBC -> callee {callee_enc or 'RTP'}: "
                    "audio checked both ways")
    return test


for _name, (_caller_enc, _callee_enc, _conf) in SRTP_CASES.items():
    _test = _srtp_case(_name, _caller_enc, _callee_enc, _conf)
    setattr(MediaAudio, _test.__name__, _test)


# Transcoded calls (group "transcoding", its own meson test): the caller offers only its codec,
# the callee accepts only its own, so audio flows only if the SBC transcodes. The trunk lists the
# callee's codec (sbc.conf `codecs`), so the SBC offers it to the callee as a transcoding
# candidate. (G.729: Debian's baresip has no G.729 module; that pair needs another peer.)
TRANSCODING_CASES = {
    "pcmu_to_pcma": ("pcmu", "pcma"),
    "pcmu_to_g722": ("pcmu", "g722"),
    "pcmu_to_opus": ("pcmu", "opus"),
}


class MediaAudioTranscoding(MediaAudio):
    """The transcoding group: only its own cases (MediaAudio's are not inherited as tests)."""


for _name in [n for n in dir(MediaAudioTranscoding) if n.startswith("test_")]:
    setattr(MediaAudioTranscoding, _name, None)


def _transcoding_case(name: str, caller_codec: str, callee_codec: str):
    def test(self):
        self.sbc_call(name, None, None, {"trunk.carrier1": {"codecs": CODECS[callee_codec][0]}},
                      caller_codec, callee_codec)
    test.__name__ = f"test_sbc_{name}"
    test.__doc__ = (f"caller {caller_codec.upper()} only -> SBC -> callee "
                    f"{callee_codec.upper()} only: transcoded audio checked both ways")
    return test


for _name, (_caller_codec, _callee_codec) in TRANSCODING_CASES.items():
    _test = _transcoding_case(_name, _caller_codec, _callee_codec)
    setattr(MediaAudioTranscoding, _test.__name__, _test)

GROUPS = {"main": MediaAudio, "transcoding": MediaAudioTranscoding}


def main() -> int:
    global BINARIES, LOGS_DIR
    argv = sys.argv[1:]
    group = "main"
    if "--group" in argv:
        at = argv.index("--group")
        group = argv[at + 1] if at + 1 < len(argv) else ""
        del argv[at:at + 2]
        if group not in GROUPS:
            print(f"FAIL   unknown --group {group!r} (one of {', '.join(GROUPS)})")
            return 1
    args, BINARIES = _parse_args(argv)
    LOGS_DIR = args.logs_dir
    lab.check_environment()
    if shutil.which("baresip") is None:
        print("FAIL   baresip is not installed (tools/setup.sh installs baresip-core)")
        return 1
    started = time.monotonic()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(GROUPS[group])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    print(f"[media_audio {group}] done in {time.monotonic() - started:.1f} s: {result.testsRun} run, "
          f"{len(result.failures)} failed, {len(result.errors)} errors, "
          f"{len(result.expectedFailures)} expected failures, "
          f"{len(result.unexpectedSuccesses)} unexpected successes", flush=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
