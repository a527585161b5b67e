"""Kamailio as the lab's TLS peer: a record-routing relay between a sipp (UDP) and a TLS hop.

Debian's sipp is built without TLS, so a TLS leg is made of sipp speaking UDP to a Kamailio in its
own namespace, and that Kamailio speaking TLS to the SBC:

    caller side:  sipp UAC -UDP-> relay (client) -TLS-> SBC access zone
    callee side:  SBC trunk -TLS-> relay (server) -UDP-> sipp UAS

The relay record-routes (double Record-Route across the protocol change), so every in-dialog
request crosses it too, and logs one line per SIP message it receives (protocol, source, first
Via, Contact), which is what the tests read to learn what the TLS peer saw.
"""

import os
import re
from dataclasses import dataclass
from typing import List, Optional

from .certs import Leaf
from .netns import Netns
from .procs import Process, wait_until

MODULES_DIR = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
# What each log line shows of a message, after its first line (see _LOG_LINE).
_HEADERS = "via=[$hdr(Via)] contact=[$hdr(Contact)]"
_LOG_LINE = re.compile(r"lab-(request|reply) proto=(\S+) src=(\S+) (.*?) via=\[(.*?)\] "
                       r"contact=\[(.*?)\]\s*$")


@dataclass
class SeenMessage:
    kind: str       # "request" or "reply"
    proto: str      # "udp", "tls", ...
    source: str     # ip:port
    line: str       # "INVITE sip:..." or "200 INVITE" (code and CSeq method)
    via: str        # the first Via value
    contact: str    # the Contact value, or "<null>"


def parse_log(text: str) -> List[SeenMessage]:
    seen = []
    for raw in text.splitlines():
        m = _LOG_LINE.search(raw)
        if m:
            seen.append(SeenMessage(*m.groups()))
    return seen


class TlsRelay:
    """One Kamailio process in `ns`, relaying between UDP `udp_port` and TLS `tls_port` on `ip`.

    `forward_to` ("host:port;transport=...") replaces the host part of the Request-URI of every
    initial request (the user part is kept), so the next hop sees a URI naming itself.
    `verify_server`: as a TLS client, verify the server's certificate against `ca_file`.
    """

    def __init__(self, ns: Netns, name: str, workdir: str, ip: str, udp_port: int,
                 tls_port: int, forward_to: str, leaf: Leaf, ca_file: str,
                 verify_server: bool = True):
        self.ns = ns
        self.name = name
        self.ip = ip
        self.udp_port = udp_port
        self.tls_port = tls_port
        os.makedirs(workdir, exist_ok=True)
        run_dir = os.path.join(workdir, "run")
        os.makedirs(run_dir, exist_ok=True)
        tls_cfg = os.path.join(workdir, "tls.cfg")
        with open(tls_cfg, "w") as f:
            f.write(_tls_cfg(leaf, ca_file, verify_server))
        self.config = os.path.join(workdir, "kamailio.cfg")
        with open(self.config, "w") as f:
            f.write(_kamailio_cfg(ip, udp_port, tls_port, forward_to, tls_cfg))
        cmd = ["kamailio", "-f", self.config, "-DD", "-E", "-m", "64", "-M", "8",
               "-Y", run_dir, "-P", os.path.join(run_dir, "kamailio.pid"), "-w", workdir]
        self.process = Process(f"kamailio {name}", ns.exec_cmd(cmd),
                               os.path.join(workdir, "kamailio.log"), cwd=workdir)

    def wait_listening(self, timeout: float = 15) -> None:
        wait_until(f"kamailio {self.name} to listen on udp {self.ip}:{self.udp_port} and "
                   f"tls {self.ip}:{self.tls_port}",
                   lambda: (self.ns.udp_bound(self.ip, self.udp_port)
                            and self.ns.tcp_listening(self.ip, self.tls_port)),
                   timeout, interval=0.1, alive=self.process.check_alive)

    def seen(self, proto: Optional[str] = None) -> List[SeenMessage]:
        """What this relay received (from its log), optionally only over `proto`."""
        return [m for m in parse_log(self.process.log_text()) if proto in (None, m.proto)]

    def stop(self) -> None:
        self.process.stop()


def _tls_cfg(leaf: Leaf, ca_file: str, verify_server: bool) -> str:
    verify = "yes" if verify_server else "no"
    return f"""# Written by tools/lab.
[server:default]
method = TLSv1.2+
certificate = {leaf.certificate}
private_key = {leaf.private_key}
ca_list = {ca_file}
verify_certificate = no
require_certificate = no

[client:default]
method = TLSv1.2+
certificate = {leaf.certificate}
private_key = {leaf.private_key}
ca_list = {ca_file}
verify_certificate = {verify}
require_certificate = {verify}
"""


# The modules every lab Kamailio loads (transactions, record-routing, logging, header checks).
BASE_MODULES = "\n".join(f'loadmodule "{m}.so"' for m in
                         ("tm", "sl", "rr", "pv", "xlog", "siputils", "maxfwd", "textops"))

# The start of request_route every lab Kamailio shares: the hop limit, requests inside a dialog
# along its Route set (loose_route), ACKs and CANCELs of its transactions.
IN_DIALOG = """    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK") && t_check_trans()) {
            t_relay();
        }
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans()) t_relay();
        exit;
    }"""


def _kamailio_cfg(ip: str, udp_port: int, tls_port: int, forward_to: str, tls_cfg: str) -> str:
    return f"""#!KAMAILIO
# Written by tools/lab: a record-routing UDP <-> TLS relay for one lab call.
debug=2
log_stderror=yes
fork=yes
children=2
tcp_children=2
auto_aliases=no
dns=no
rev_dns=no
enable_tls=yes
tcp_connection_lifetime=600
listen=udp:{ip}:{udp_port}
listen=tls:{ip}:{tls_port}

mpath="{MODULES_DIR}"
loadmodule "tls.so"
{BASE_MODULES}

modparam("tls", "config", "{tls_cfg}")
modparam("rr", "enable_double_rr", 1)

request_route {{
    xlog("L_NOTICE", "lab-request proto=$pr src=$si:$sp $rm $ru {_HEADERS}\\n");
{IN_DIALOG}
    record_route();
    $ru = "sip:" + $rU + "@{forward_to}";
    if (!t_relay()) {{
        sl_reply_error();
    }}
    exit;
}}

onreply_route {{
    xlog("L_NOTICE", "lab-reply proto=$pr src=$si:$sp $rs $cs $rm {_HEADERS}\\n");
}}
"""
