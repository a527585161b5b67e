"""python3 -m audio reference OUT.wav [--seconds S]
python3 -m audio check REFERENCE.wav RECEIVED.wav      (exit 1 on FAIL)
python3 -m audio self-test                             (exit 1 if the checker misjudges a case)
"""

import argparse
import sys

from . import selftest
from .check import check_wav
from .reference import reference_signal, write_wav


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m audio")
    sub = parser.add_subparsers(dest="command", required=True)
    ref = sub.add_parser("reference", help="write the reference signal as a WAV")
    ref.add_argument("out")
    ref.add_argument("--seconds", type=float, default=4.0)
    chk = sub.add_parser("check", help="compare a received WAV with the reference")
    chk.add_argument("reference")
    chk.add_argument("received")
    sub.add_parser("self-test", help="the checker passes good audio, fails silence and noise")
    args = parser.parse_args(argv)
    if args.command == "reference":
        write_wav(args.out, reference_signal(args.seconds))
        return 0
    if args.command == "check":
        verdict = check_wav(args.reference, args.received)
        print(verdict.summary())
        return 0 if verdict.ok else 1
    results = selftest.run()
    return 0 if all(good for _, good, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
