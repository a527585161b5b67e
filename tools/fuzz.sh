#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang 16 (-fsanitize=fuzzer,address,undefined)
# and runs each one for a while: first its crash regressions (tests/fuzz/regressions/<target>/),
# then fuzzing from its seed corpus and dictionary. Exits non-zero on any crash, leak, timeout or
# out-of-memory and prints the path of the input that caused it.
#   tools/fuzz.sh [--seconds N] [--runs N --seed S] [target...]   # default: 60 s per target
# --runs with --seed makes a run reproducible: the same inputs in the same order on every machine
# (CI uses it, so a red CI run is red again when rerun); --seconds then only caps a slow machine.
# Environment: SBC_FUZZ_BUILD_DIR (default build-fuzz); SBC_FUZZ_FLAGS: extra libFuzzer flags,
# given last so they override the defaults (e.g. -max_len=65536). The corpus each run grows is
# kept in <build dir>/fuzz/<target>/corpus and reused by the next run; artifacts go next to it.
# Needs clang-16 and libclang-rt-16-dev (tools/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() {
  echo "usage: $0 [--seconds N] [--runs N --seed S] [sip_message_fuzz|sdp_fuzz|control_protocol_fuzz...]" >&2
  exit 64
}

all_targets=(sip_message_fuzz sdp_fuzz control_protocol_fuzz)
seconds=60
runs=
seed=
targets=()
while (($#)); do
  case $1 in
    --seconds) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; [[ $seconds =~ ^[0-9]+$ ]] || usage; shift ;;
    --runs) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; runs=$2; shift 2 ;;
    --seed) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; seed=$2; shift 2 ;;
    -h | --help) usage ;;
    *)
      [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "fuzz.sh: unknown target $1" >&2; usage; }
      targets+=("$1")
      shift
      ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

command -v clang++-16 >/dev/null || {
  echo "fuzz.sh: clang++-16 not found (apt-get install clang-16 libclang-rt-16-dev)" >&2
  exit 1
}

build_dir=${SBC_FUZZ_BUILD_DIR:-build-fuzz}
echo "== build ($build_dir: clang++-16, fuzzer + address + undefined)"
# -Werror stays on for the fuzz targets (tests/fuzz/meson.build); the libraries are gated by the
# g++ build, and a clang-only warning in them must not stop the fuzz run.
options=(-Dfuzz=true "-Db_sanitize=address,undefined" -Db_lundef=false -Dwerror=false)
if [[ -f $build_dir/build.ninja ]]; then
  meson setup --reconfigure "$build_dir" "${options[@]}" >/dev/null
else
  CXX=clang++-16 meson setup "$build_dir" "${options[@]}" >/dev/null
fi
ninja -C "$build_dir"

# Per target: seed directories (read only; missing ones skipped), dictionary, longest input.
seeds_of() {
  case $1 in
    sip_message_fuzz) echo "tests/fuzz/corpus/sip tests/data/rfc4475" ;;
    sdp_fuzz) echo "tests/fuzz/corpus/sdp" ;;
    control_protocol_fuzz) echo "$build_dir/tests/fuzz/corpus_control_protocol" ;;
  esac
}
dict_of() {
  case $1 in
    sip_message_fuzz) echo "tests/fuzz/sip.dict" ;;
    sdp_fuzz) echo "tests/fuzz/sdp.dict" ;;
  esac
}
max_len_of() {
  case $1 in
    sip_message_fuzz) echo 8192 ;;  # tight limits in the target reach the limit paths
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=()
report_artifacts() {  # target artifact_dir log
  echo "fuzz.sh: $1 FAILED (log: $3)" >&2
  grep -E 'ERROR: |SUMMARY: |invariant broken|==[0-9]+==' "$3" | head -n 20 >&2 || true
  local f
  for f in "$2"/*; do
    [[ -f $f ]] && echo "fuzz.sh: crashing input: $f (reproduce: $exe $f)" >&2
  done
  failed+=("$1")
}

for target in "${targets[@]}"; do
  exe=$root/$build_dir/tests/fuzz/$target
  work=$root/$build_dir/fuzz/$target
  artifacts=$work/artifacts
  mkdir -p "$work/corpus" "$artifacts"
  rm -f "$artifacts"/*

  regressions=(tests/fuzz/regressions/"$target"/*)
  if [[ -f ${regressions[0]} ]]; then
    echo "== $target: ${#regressions[@]} regression inputs"
    if ! "$exe" -artifact_prefix="$artifacts/" "${regressions[@]}" >"$work/regressions.log" 2>&1; then
      report_artifacts "$target" "$artifacts" "$work/regressions.log"
      for f in "${regressions[@]}"; do
        "$exe" "$f" >/dev/null 2>&1 || echo "fuzz.sh: crashing input: $root/$f" >&2
      done
      continue
    fi
  fi

  seed_dirs=()
  for d in $(seeds_of "$target"); do
    [[ -d $d ]] && seed_dirs+=("$d")
  done
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len_of "$target")"
    -artifact_prefix="$artifacts/" -print_final_stats=1)
  [[ -n $runs ]] && flags+=(-runs="$runs")
  [[ -n $seed ]] && flags+=(-seed="$seed")
  dict=$(dict_of "$target")
  [[ -n $dict ]] && flags+=(-dict="$dict")
  read -r -a extra <<<"${SBC_FUZZ_FLAGS:-}"
  flags+=("${extra[@]}")
  echo "== $target: ${runs:+$runs runs (seed ${seed:-random}), at most }${seconds}s from $work/corpus + ${seed_dirs[*]}"
  if "$exe" "${flags[@]}" "$work/corpus" "${seed_dirs[@]}" >"$work/fuzz.log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -n 1 || true
    grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$work/fuzz.log" || true
  else
    report_artifacts "$target" "$artifacts" "$work/fuzz.log"
  fi
done

if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all targets ran clean"
