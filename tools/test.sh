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

echo "== build ($build_dir; t+${SECONDS}s)"
configure "$build_dir"
ninja -C "$build_dir" -j "$jobs"

echo "== unit, dpdk and integration suites (t+${SECONDS}s)"
meson test -C "$build_dir" --print-errorlogs --num-processes "$jobs" --suite unit --suite dpdk
meson test -C "$build_dir" --print-errorlogs --num-processes 1 --suite integration

if [[ ${SBC_SKIP_SANITIZERS:-0} != 1 ]]; then
  # Unoptimised, line tables only: an -O2 -g ASan+UBSan compile of one of our test files takes
  # four times as long as this, and the suites stay short (their timeouts are scaled by 4 for the
  # slower code). meson test builds only the targets the unit and dpdk suites need (not the
  # benchmarks or the integration lab tools).
  echo "== sanitizers ($asan_dir: address,undefined; t+${SECONDS}s)"
  configure "$asan_dir" -Db_sanitize=address,undefined -Db_lundef=false \
    -Doptimization=0 -Ddebug=false -Dcpp_args=-g1
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:suppressions="$PWD/tools/asan.supp" UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS=suppressions="$PWD/tools/lsan.supp" \
    meson test -C "$asan_dir" --print-errorlogs --num-processes "$jobs" --timeout-multiplier 4 --suite unit --suite dpdk
fi
if [[ ${SBC_SKIP_FUZZ:-0} != 1 ]]; then
  # Reproducible by default (fixed seed and run count: a red run is red again when rerun);
  # SBC_FUZZ_SECONDS=N fuzzes for N seconds per target from a random seed instead.
  if [[ -n ${SBC_FUZZ_SECONDS:-} ]]; then
    echo "== fuzz (tools/fuzz.sh: libFuzzer + ASan/UBSan, regressions then ${SBC_FUZZ_SECONDS} s per target)"
    tools/fuzz.sh --seconds "$SBC_FUZZ_SECONDS"
  else
    echo "== fuzz (tools/fuzz.sh: libFuzzer + ASan/UBSan, regressions then 300000 runs per target, seed 1; t+${SECONDS}s)"
    tools/fuzz.sh --runs 300000 --seed 1 --seconds 180
  fi
fi
echo "== all test suites passed (${SECONDS}s)"
