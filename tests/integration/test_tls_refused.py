#!/usr/bin/env python3
"""Integration: the SBC's TLS listener refuses what its [tls] section does not allow.

The lab's access zone listens for TLS with min_version = 1.2 and groups = X25519:P-256:P-384.
`openssl s_client` in the caller namespace, verifying the SBC against the lab's CA:
  - offering TLS 1.2 and then TLS 1.3 with an allowed group: both handshakes complete, the
    certificate verifies for 192.0.2.1 (the control: the refusals below are about the offer);
  - offering only TLS 1.1: refused at the handshake (protocol_version);
  - offering TLS 1.3 with only the P-521 group: refused at the handshake (no shared group);
and /metrics counts exactly the two refusals as inbound handshake failures.
"""

import sys

from lab_test import lab, main, metric_check

TIMEOUT_S = 15


def s_client(the_lab, *options: str):
    """One handshake from the caller namespace to the SBC's TLS listener; stdin closed at once,
    so s_client ends after the handshake (or its failure)."""
    cmd = ["openssl", "s_client", "-connect", f"{lab.ACCESS_IP}:{lab.SIPS_PORT}",
           "-CAfile", the_lab.pki.ca_file, "-verify_return_error", "-verify_ip", lab.ACCESS_IP,
           "-no_ign_eof", *options]
    return the_lab.caller.run(cmd, timeout=TIMEOUT_S, check=False, input_text="")


def negotiated(output: str) -> str:
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Protocol") and ":" in line:
            return line.split(":", 1)[1].strip()
        if line.startswith("New, ") and "Cipher is" in line:
            return line
    return ""


def test(the_lab, checks):
    for version, extra in (("1.2", ["-tls1_2"]), ("1.3", ["-tls1_3", "-groups", "X25519"])):
        result = s_client(the_lab, *extra)
        out = result.stdout + result.stderr
        checks.check(result.returncode == 0 and "Verify return code: 0 (ok)" in out
                     and "Cipher is (NONE)" not in out,
                     f"TLS {version} handshake with an allowed offer completes and the SBC's "
                     f"certificate verifies for {lab.ACCESS_IP} (exit {result.returncode}, "
                     f"{negotiated(out)})", out[-1500:])
        checks.check(f"TLSv{version}" in out, f"negotiated TLS {version}", out[-800:])

    # TLS 1.1 needs security level 0 in OpenSSL 3's client (SHA-1 in its handshake).
    result = s_client(the_lab, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    out = result.stdout + result.stderr
    checks.check(result.returncode != 0 and "Cipher is (NONE)" in out,
                 f"a TLS 1.1-only client is refused at the handshake (exit {result.returncode})",
                 out[-1500:])
    checks.check("alert protocol version" in out,
                 "the refusal is about the protocol version", out[-800:])

    result = s_client(the_lab, "-tls1_3", "-groups", "P-521")
    out = result.stdout + result.stderr
    checks.check(result.returncode != 0 and "Cipher is (NONE)" in out,
                 f"a TLS 1.3 client offering only P-521 is refused at the handshake "
                 f"(exit {result.returncode})", out[-1500:])
    checks.check("alert handshake failure" in out,
                 "the refusal is a handshake failure (no shared group)", out[-800:])

    the_lab.check_alive()
    metric_check(the_lab, checks, [
        ("sbc_sip_tls_handshake_failures_total", {"direction": "inbound"}, lambda v: v == 2,
         "the two refused handshakes, and not the two good ones"),
        ("sbc_sip_tls_handshake_failures_total", {"direction": "outbound"}, lambda v: v == 0,
         "the SBC opened no TLS connection"),
        ("sbc_sip_connections_accepted_total", {"transport": "tls"}, lambda v: v >= 2,
         "the good handshakes' connections accepted"),
    ])


if __name__ == "__main__":
    sys.exit(main(test, "tls_refused",
                  sip=lab.SipSetup(access_transports=("udp", "tcp", "tls"),
                                   tls_min_version="1.2", tls_groups="X25519:P-256:P-384")))
