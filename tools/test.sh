#!/usr/bin/env bash
# Runs every test tier: installs what is needed, builds, then the unit, dpdk and integration suites
# (plus the same unit and dpdk suites under AddressSanitizer + UndefinedBehaviorSanitizer), then
# a short libFuzzer run of every fuzz target.
# README's test command. Needs root (namespaces, veths, DPDK on af_packet).
set -euo pipefail
cd "$(dirname "$0")/.."

"$(pwd)/tools/setup.sh"

build_dir=${SBC_BUILD_DIR:-build}
asan_dir=${SBC_ASAN_BUILD_DIR:-build-asan}
jobs=$(nproc)

configure() {  # dir [meson options...]
  local dir=$1; shift
  if [[ -f $dir/build.ninja ]]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

echo "== style (clang-format)"
tools/lint.sh

echo "== build ($build_dir)"
configure "$build_dir"
ninja -C "$build_dir" -j "$jobs"

echo "== unit, dpdk and integration suites"
meson test -C "$build_dir" --print-errorlogs --num-processes "$jobs" --suite unit --suite dpdk
meson test -C "$build_dir" --print-errorlogs --num-processes 1 --suite integration

if [[ ${SBC_SKIP_SANITIZERS:-0} != 1 ]]; then
  echo "== sanitizers ($asan_dir: address,undefined)"
  configure "$asan_dir" -Db_sanitize=address,undefined -Db_lundef=false
  ninja -C "$asan_dir" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:suppressions="$PWD/tools/asan.supp" UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS=suppressions="$PWD/tools/lsan.supp" \
    meson test -C "$asan_dir" --print-errorlogs --num-processes "$jobs" --suite unit --suite dpdk
fi
if [[ ${SBC_SKIP_FUZZ:-0} != 1 ]]; then
  # Reproducible by default (fixed seed and run count: a red run is red again when rerun);
  # SBC_FUZZ_SECONDS=N fuzzes for N seconds per target from a random seed instead.
  if [[ -n ${SBC_FUZZ_SECONDS:-} ]]; then
    echo "== fuzz (tools/fuzz.sh: libFuzzer + ASan/UBSan, regressions then ${SBC_FUZZ_SECONDS} s per target)"
    tools/fuzz.sh --seconds "$SBC_FUZZ_SECONDS"
  else
    echo "== fuzz (tools/fuzz.sh: libFuzzer + ASan/UBSan, regressions then 300000 runs per target, seed 1)"
    tools/fuzz.sh --runs 300000 --seed 1 --seconds 180
  fi
fi
echo "== all test suites passed"
