"""Shared pieces of the security integration tests (scanners, brute force, flood): who attacks from
where, reading bans / registrations from sbc-cli, and counters from /metrics.

The lab's PBX (192.0.2.10) is the trusted caller. Attackers and phones are extra addresses on the
caller's wire (Lab.add_caller_address), so a ban never touches the PBX.
"""

from typing import Any, Dict, List, Optional

from lab_test import Checks, lab, wait_until
from lab.procs import LabError

SCANNER = "192.0.2.66"    # svmap, svcrack, the single-source flood
SCANNER2 = "192.0.2.67"   # svwar, from a fresh address
PHONE = "192.0.2.20"      # a registered user's phone
PHONE_PORT = 5062
SPOOF_CIDR = "198.18.0.0/16"  # RFC 2544 benchmarking range: spoofed flood sources

# Every series this issue adds; a test prints them around each attack.
SECURITY_SERIES = (
    "sbc_security_dropped_total", "sbc_security_offences_total", "sbc_security_bans_total",
    "sbc_security_bans_active", "sbc_auth_challenges_total", "sbc_auth_failures_total",
    "sbc_auth_successes_total", "sbc_registrations_active",
)


def _entries(data: Any, key: str) -> List[Dict[str, Any]]:
    """The list under `key` of an sbc-cli --json answer (or the answer itself if a list)."""
    if isinstance(data, dict):
        data = data.get(key)
    if not isinstance(data, list):
        raise LabError(f"sbc-cli --json: no '{key}' list in {str(data)[:300]}")
    return [e for e in data if isinstance(e, dict)]


def bans(the_lab) -> List[Dict[str, Any]]:
    return _entries(the_lab.cli_json("show", "bans"), "bans")


def ban_of(the_lab, address: str) -> Optional[Dict[str, Any]]:
    return next((b for b in bans(the_lab) if b.get("address") == address), None)


def wait_banned(the_lab, checks: Checks, address: str, reason: Optional[str],
                timeout: float = 10) -> Optional[Dict[str, Any]]:
    """Checks that `show bans` lists `address` (bounded wait), with `reason` if given."""
    try:
        entry = wait_until(f"show bans to list {address}", lambda: ban_of(the_lab, address),
                           timeout, 0.2, alive=the_lab.check_alive)
    except LabError as e:
        checks.check(False, f"show bans lists {address}", f"{e}; bans: {bans(the_lab)}")
        return None
    checks.check(True, f"show bans lists {address}: {entry}")
    if reason is not None:
        checks.check(entry.get("reason") == reason,
                     f"{address} banned for {reason} (reason {entry.get('reason')!r})")
    return entry


def registrations(the_lab) -> List[Dict[str, Any]]:
    return _entries(the_lab.cli_json("show", "registrations"), "registrations")


def metrics(the_lab) -> Dict[str, float]:
    return lab.parse_metrics(the_lab.metrics())


def value(values: Dict[str, float], name: str, **labels: str) -> float:
    """Sum of the matching series; 0 when there is none yet (counters appear on first use)."""
    return lab.metric_sum(values, name, **labels) or 0.0


def dataplane_drops(values: Dict[str, float], reason: str) -> float:
    return value(values, "sbc_dataplane_drops_total", reason=reason)


def sip_requests(values: Dict[str, float]) -> float:
    return value(values, "sbc_sip_requests_total")


def wait_dataplane_refresh(the_lab, timeout: float = 10) -> Dict[str, float]:
    """A scrape whose dataplane counters were read after everything sent so far.

    sbcd copies the dataplane's counters into /metrics every ~2 s. One ping from the carrier to
    the SBC's trunk address marks "now": once the trunk port's to-kernel counter has moved past
    it, the copy was taken after the ping, so after all earlier traffic too."""
    def to_kernel(values: Dict[str, float]) -> float:
        return value(values, "sbc_dataplane_to_kernel_packets_total", port="trunk")

    marker = to_kernel(metrics(the_lab))
    the_lab.callee.run(["ping", "-n", "-c", "1", "-W", "2", lab.TRUNK_IP], check=False)
    return wait_until("sbcd to refresh the dataplane counters",
                      lambda: (lambda v: v if to_kernel(v) > marker else None)(metrics(the_lab)),
                      timeout, 0.3, alive=the_lab.check_alive)


def print_security_metrics(values: Dict[str, float], title: str) -> None:
    print(f"       {title} (series at 0 left out):")
    for key in sorted(values):
        base = key.partition("{")[0]
        if (base in SECURITY_SERIES or base == "sbc_dataplane_drops_total") and values[key]:
            print(f"         {key} = {values[key]:g}")


def check_secret_hidden(the_lab, checks: Checks, secret: str) -> None:
    """The digest secret appears in no log, no /metrics and no CLI output."""
    places = {"/metrics": the_lab.metrics()}
    for words in (("show", "accounts"), ("show", "registrations"), ("show", "bans")):
        result = the_lab.cli_result(*words)
        places[f"sbc-cli {' '.join(words)}"] = result.stdout + result.stderr
        result = the_lab.cli_result(*words, json_output=True)
        places[f"sbc-cli --json {' '.join(words)}"] = result.stdout + result.stderr
    places.update(the_lab.logs())
    leaks = [where for where, text in places.items() if secret in text]
    checks.check(not leaks, f"the user's secret appears nowhere ({len(places)} places looked "
                 "at: logs, /metrics, CLI)", f"found in {leaks}")
