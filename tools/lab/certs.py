"""Test certificates for the lab's TLS hops, made at run time with the openssl CLI.

One throw-away CA signs a leaf certificate per TLS endpoint; each leaf names its addresses as IP
subjectAltNames (what a verifying peer checks, since the lab has no DNS). Keys are P-256 and live
in the lab's temp dir only.
"""

import os
from dataclasses import dataclass
from typing import Dict, Sequence

from .procs import run

_DAYS = "2"


@dataclass(frozen=True)
class Leaf:
    certificate: str
    private_key: str


@dataclass(frozen=True)
class Pki:
    ca_file: str
    ca_key: str
    leaves: Dict[str, Leaf]


def _new_key(path: str) -> None:
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", path])
    os.chmod(path, 0o600)


def make_pki(directory: str, leaves: Dict[str, Sequence[str]]) -> Pki:
    """A CA plus one leaf per name in `leaves` ({name: [ip, ...]}), in `directory`."""
    os.makedirs(directory, exist_ok=True)
    ca_key = os.path.join(directory, "ca.key")
    ca_file = os.path.join(directory, "ca.crt")
    _new_key(ca_key)
    run(["openssl", "req", "-x509", "-new", "-key", ca_key, "-out", ca_file, "-days", _DAYS,
         "-subj", "/O=sbc lab/CN=sbc lab test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    made: Dict[str, Leaf] = {}
    for name, addresses in leaves.items():
        key = os.path.join(directory, f"{name}.key")
        csr = os.path.join(directory, f"{name}.csr")
        crt = os.path.join(directory, f"{name}.crt")
        ext = os.path.join(directory, f"{name}.ext")
        _new_key(key)
        run(["openssl", "req", "-new", "-key", key, "-out", csr,
             "-subj", f"/O=sbc lab/CN={addresses[0]}"])
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n"
                    "subjectAltName=" + ",".join(f"IP:{a}" for a in addresses) + "\n")
        run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_file, "-CAkey", ca_key,
             "-CAcreateserial", "-out", crt, "-days", _DAYS, "-extfile", ext])
        made[name] = Leaf(crt, key)
    return Pki(ca_file, ca_key, made)
