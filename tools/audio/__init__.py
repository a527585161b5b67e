"""Audio checks for the lab: a reference signal and a checker that compares received audio with it.

Python 3 standard library only. `reference.py` makes the test signal (a WAV written at run time),
`check.py` aligns what a peer received with it and reports normalized cross-correlation and SNR,
`g711.py` decodes G.711 payloads (RTP captured in a pcap). `python3 -m audio self-test` proves the
checker passes a faithful copy and fails silence and white noise.
"""

from .check import (AudioVerdict, CORRELATION_THRESHOLD, SNR_THRESHOLD_DB, check_audio,
                    check_wav)
from .g711 import alaw_decode, ulaw_decode
from .rtp import g711_samples, parse_rtp
from . import selftest
from .reference import SAMPLE_RATE, read_wav, reference_signal, write_wav

__all__ = ["AudioVerdict", "CORRELATION_THRESHOLD", "SNR_THRESHOLD_DB", "check_audio",
           "check_wav", "alaw_decode", "ulaw_decode", "g711_samples", "parse_rtp",
           "SAMPLE_RATE", "read_wav", "reference_signal", "write_wav", "selftest"]
