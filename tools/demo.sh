#!/usr/bin/env bash
# The demo: README's first command, `sudo tools/demo.sh`, on a fresh Debian 12 machine.
#
# Installs the packages (tools/setup.sh), builds, then builds a lab of three network namespaces
# (caller -- SBC -- callee), runs sbc-dataplane (DPDK on af_packet) and sbcd in the middle, and
# places one call with sipp from caller to callee with RTP both ways. It prints the call's result,
# `sbc-cli show calls` during the call, the RTP the dataplane relayed each way (sbcd's CDR), and
# the RTP each end received (tcpdump in each end's namespace). Exit 0 only if the call completed
# and media flowed both ways. Everything it creates is removed on exit, failure and Ctrl-C.
#
# Environment: SBC_BUILD_DIR (default build), SBC_DEMO_LOGS=DIR to keep logs, traces and captures,
# SBC_SKIP_SETUP=1 to skip tools/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (sudo tools/demo.sh): it installs packages and creates namespaces" >&2
  exit 1
fi

if [[ ${SBC_SKIP_SETUP:-0} != 1 ]]; then
  echo "== packages (tools/setup.sh)"
  "$root/tools/setup.sh"
fi

build_dir=${SBC_BUILD_DIR:-build}
echo "== build ($build_dir)"
if [[ ! -f $build_dir/build.ninja ]]; then
  meson setup "$build_dir" >/dev/null || { echo "demo.sh: meson setup failed" >&2; exit 1; }
fi
if ! ninja -C "$build_dir" >"$build_dir/demo-build.log" 2>&1; then
  tail -n 60 "$build_dir/demo-build.log" >&2
  echo "demo.sh: build failed (full log: $build_dir/demo-build.log)" >&2
  exit 1
fi
echo "built: $build_dir/dataplane/sbc-dataplane $build_dir/controlplane/app/sbcd $build_dir/cli/sbc-cli"

echo "== lab"
args=(demo --build-dir "$(cd "$build_dir" && pwd)")
if [[ -n ${SBC_DEMO_LOGS:-} ]]; then
  args+=(--keep-logs "$SBC_DEMO_LOGS")
fi
# Debian's python3, stdlib only. exec: Ctrl-C reaches the lab directly, which cleans up.
cd "$root/tools"
exec /usr/bin/python3 -m lab "${args[@]}"
