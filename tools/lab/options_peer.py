"""A carrier's SIP server reduced to what qualify sees: it answers every OPTIONS with 200 OK and
ignores anything else. Run in a namespace by tests (`python3 tools/lab/options_peer.py IP PORT`);
stopping it makes the carrier silent, starting it again brings it back.

Hand-written because no Debian peer does only this: sipp answers in a fixed sequence and
would need a scenario per ping, and Kamailio would answer INVITEs as well."""

import socket
import sys


def answer(request: str) -> str:
    """The 200 OK to `request`: its Via, From, Call-ID and CSeq copied, a tag added to To."""
    lines = request.split("\r\n")
    keep = []
    for line in lines[1:]:
        if not line:
            break
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            keep.append(line)
        elif name in ("to", "t"):
            keep.append(line if ";tag=" in line else line + ";tag=options-peer")
    return "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"


def main(address: str, port: int) -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    print(f"options_peer: answering OPTIONS on {address}:{port}", flush=True)
    answered = 0
    while True:
        data, source = sock.recvfrom(65535)
        text = data.decode("utf-8", "replace")
        if text.startswith("OPTIONS "):
            sock.sendto(answer(text).encode(), source)
            answered += 1
            print(f"options_peer: answered OPTIONS #{answered} from {source[0]}:{source[1]}",
                  flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
