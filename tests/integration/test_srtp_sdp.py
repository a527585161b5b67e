#!/usr/bin/env python3
"""Integration: SDES-SRTP negotiation on the wire (issue 9).

The trunk's policy is `media_profile = rtp`. A sipp caller offers RTP/SAVP with two a=crypto
lines; the sipp callee must receive a plain RTP/AVP offer with no a=crypto at all (nothing of the
caller's keys), and the caller's 200 must carry RTP/SAVP with exactly one a=crypto: the tag and
suite it offered (AES_CM_128_HMAC_SHA1_80 is preferred) with a key of sbcd's own. No key may
appear in sbcd's log or the CDR. Signalling only: the media path has its own tests.
"""

import base64
import re
import sys

from lab_test import check_calls_ended, check_cdr_result, check_peers_ok, lab, main, the_cdr

CALLER_KEYS = ("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
               "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj")  # uac_call_srtp.xml
CRYPTO = re.compile(r"^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", re.M)


def sdp_of(message) -> str:
    text = message.text.replace("\r\n", "\n") if message else ""
    return text.split("\n\n", 1)[1] if "\n\n" in text else ""


def received(result, predicate):
    return next((m for m in result.messages if m.direction == "received" and predicate(m)), None)


def audio_proto(sdp: str) -> str:
    m = re.search(r"^m=audio \d+ (\S+)", sdp, re.M)
    return m.group(1) if m else ""


def test(the_lab, checks):
    outcome = lab.run_call(the_lab, lab.scenario("uac_call_srtp.xml"),
                           lab.scenario("uas_answer_short.xml"), duration_ms=500)
    check_peers_ok(outcome, checks)
    code = outcome.caller.final_response("INVITE")
    checks.check(code == 200, f"caller's INVITE answered 200 (got {code})")

    # Toward the trunk: plain RTP, no a=crypto, none of the caller's keys.
    invite = received(outcome.callee, lambda m: m.method == "INVITE")
    offer = sdp_of(invite)
    checks.check(audio_proto(offer) == "RTP/AVP",
                 f"the callee's offer is RTP/AVP (got {audio_proto(offer)!r})", offer)
    checks.check("a=crypto" not in offer, "the callee's offer has no a=crypto line", offer)
    for key in CALLER_KEYS:
        leaks = outcome.callee_capture.mentions(key.encode())
        checks.check(not leaks, f"the caller's key {key[:6]}... never crosses to the trunk side",
                     f"{len(leaks)} packets")

    # Toward the caller: RTP/SAVP with one a=crypto of the tag and suite it offered, our key.
    ok = received(outcome.caller, lambda m: m.status_code == 200 and "INVITE" in
                  (m.header("CSeq") or ""))
    answer = sdp_of(ok)
    checks.check(audio_proto(answer) == "RTP/SAVP",
                 f"the caller's answer is RTP/SAVP (got {audio_proto(answer)!r})", answer)
    lines = CRYPTO.findall(answer)
    checks.check(len(lines) == 1 and answer.count("a=crypto") == 1,
                 f"the caller's answer has exactly one a=crypto ({len(lines)})", answer)
    our_key = None
    if lines:
        tag, suite, our_key = lines[0]
        checks.check((tag, suite) == ("1", "AES_CM_128_HMAC_SHA1_80"),
                     f"it answers the offered tag 1 AES_CM_128_HMAC_SHA1_80 (got {tag} {suite})")
        checks.check(our_key not in CALLER_KEYS, "its key is sbcd's own, not the caller's")
        checks.check(len(base64.b64decode(our_key)) == 30,
                     "its key||salt is 30 bytes (AES_CM_128_HMAC_SHA1_80)")

    # Keys are never logged or written to the CDR.
    cdr = the_cdr(the_lab, checks)
    if cdr is not None:
        check_cdr_result(cdr, checks, "answered", 200)
        checks.check(cdr.get("media_refusal") is None, "the CDR names no media refusal")
    logs = the_lab.logs()
    sbcd_log = next((text for name, text in logs.items() if name.startswith("sbcd")), "")
    checks.check("caller SRTP AES_CM_128_HMAC_SHA1_80 tag 1" in sbcd_log,
                 "sbcd logged the SRTP negotiation (suite and tag only)")
    cdr_text = open(the_lab.cdr_file).read()
    for key in (*CALLER_KEYS, *([our_key] if our_key else [])):
        checks.check(key not in sbcd_log and key not in cdr_text,
                     f"key {key[:6]}... is in neither sbcd's log nor the CDR file")

    check_calls_ended(the_lab, checks, more=[
        ("sbc_media_refused_total", {}, lambda v: v == 0, "no media refusal counted"),
    ])


if __name__ == "__main__":
    sys.exit(main(test, "srtp_sdp", sbc_config={"trunk.carrier1": {"media_profile": "rtp"}}))
