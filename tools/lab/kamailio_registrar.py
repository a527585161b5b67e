"""Kamailio as an upstream registrar (a hosted PBX, a carrier registering each phone) that
honours Path (RFC 3327), for the SBC's `register_relay_mode = path`.

It challenges REGISTER (auth module, any user with `secret`, realm = the To domain), saves the
binding with its Path (registrar use_path, path_mode 1: Path echoed to a client that supports
it), and sends an INVITE for a registered user to the binding's Contact through its Path
(lookup("location"): the first Path hop is where the INVITE goes, the Path becomes its Route
set), record-routing, so the whole dialog crosses it. It logs one line per SIP message it
receives (method or status, Request-URI, Contact, Path, Route), which the tests read.
"""

import os
import re
from dataclasses import dataclass
from typing import List

from .kamailio import BASE_MODULES, IN_DIALOG, MODULES_DIR
from .netns import Netns
from .procs import Process, wait_until

_LOG_LINE = re.compile(r"lab-(request|reply) src=(\S+) (.*?) contact=\[(.*?)\] path=\[(.*?)\] "
                       r"route=\[(.*?)\]\s*$")


@dataclass
class RegistrarSeen:
    kind: str     # "request" or "reply"
    source: str   # ip:port
    line: str     # "REGISTER sip:..." or "200 REGISTER"
    contact: str  # the Contact value, or "<null>"
    path: str     # the Path value, or "<null>"
    route: str    # the Route value, or "<null>"


class KamailioRegistrar:
    """One Kamailio process in `ns` on udp `ip`:`port`."""

    def __init__(self, ns: Netns, name: str, workdir: str, ip: str, secret: str,
                 port: int = 5060):
        self.ns = ns
        self.name = name
        self.ip = ip
        self.port = port
        os.makedirs(workdir, exist_ok=True)
        run_dir = os.path.join(workdir, "run")
        os.makedirs(run_dir, exist_ok=True)
        self.config = os.path.join(workdir, "kamailio.cfg")
        with open(self.config, "w") as f:
            f.write(_config(ip, port, secret))
        cmd = ["kamailio", "-f", self.config, "-DD", "-E", "-m", "64", "-M", "8",
               "-Y", run_dir, "-P", os.path.join(run_dir, "kamailio.pid"), "-w", workdir]
        self.process = Process(f"kamailio {name}", ns.exec_cmd(cmd),
                               os.path.join(workdir, "kamailio.log"), cwd=workdir)

    def wait_listening(self, timeout: float = 15) -> None:
        wait_until(f"kamailio {self.name} to listen on udp {self.ip}:{self.port}",
                   lambda: self.ns.udp_bound(self.ip, self.port), timeout, interval=0.1,
                   alive=self.process.check_alive)

    def seen(self) -> List[RegistrarSeen]:
        """What the registrar received (from its log)."""
        out = []
        for raw in self.process.log_text().splitlines():
            m = _LOG_LINE.search(raw)
            if m:
                out.append(RegistrarSeen(*m.groups()))
        return out

    def stop(self) -> None:
        self.process.stop()


def _config(ip: str, port: int, secret: str) -> str:
    headers = "contact=[$hdr(Contact)] path=[$hdr(Path)] route=[$hdr(Route)]"
    return f"""#!KAMAILIO
# Written by tools/lab: an upstream registrar honouring Path (RFC 3327).
debug=2
log_stderror=yes
fork=yes
children=2
auto_aliases=no
dns=no
rev_dns=no
listen=udp:{ip}:{port}

mpath="{MODULES_DIR}"
{BASE_MODULES}
loadmodule "auth.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "use_path", 1)
modparam("registrar", "path_mode", 1)
modparam("registrar", "max_expires", 120)

request_route {{
    xlog("L_NOTICE", "lab-request src=$si:$sp $rm $ru {headers}\\n");
{IN_DIALOG}
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("$td", "{secret}", "0")) {{
            www_challenge("$td", "0");
            exit;
        }}
        if (!save("location")) sl_reply_error();
        exit;
    }}
    if (is_method("INVITE")) {{
        if (!lookup("location")) {{
            sl_send_reply("404", "Not Found");
            exit;
        }}
        record_route();
        if (!t_relay()) sl_reply_error();
        exit;
    }}
    sl_send_reply("405", "Method Not Allowed");
}}

onreply_route {{
    xlog("L_NOTICE", "lab-reply src=$si:$sp $rs $cs $rm {headers}\\n");
}}
"""
