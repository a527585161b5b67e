#!/usr/bin/env bash
# Style and static checks: clang-format (must be clean) and, with --tidy, clang-tidy over the
# project's sources using the compile database of a configured build directory.
#   tools/lint.sh            # format check (fast; tools/test.sh runs it)
#   tools/lint.sh --fix      # rewrite files in place
#   tools/lint.sh --tidy     # also clang-tidy (slow: minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files -- '*.cc' '*.h')
mode=check
tidy=0
for arg in "$@"; do
  case $arg in
    --fix) mode=fix ;;
    --tidy) tidy=1 ;;
    *) echo "usage: $0 [--fix] [--tidy]" >&2; exit 64 ;;
  esac
done

if [[ $mode == fix ]]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
  echo "clang-format: ${#files[@]} files clean"
fi

if ((tidy)); then
  # clang-tidy 16 (bookworm) with two concessions to its age: it knows -std=c++2b, not c++23, and it
  # reports __cpp_concepts 201907, which hides libstdc++ 12's <expected>; both only for this run.
  build_dir=${SBC_BUILD_DIR:-build}
  [[ -f $build_dir/compile_commands.json ]] || meson setup "$build_dir" >/dev/null
  db=$(mktemp -d)
  trap 'rm -rf "$db"' EXIT
  sed 's/-std=c++23/-std=c++2b/g' "$build_dir/compile_commands.json" > "$db/compile_commands.json"
  mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.cc$')
  run-clang-tidy-16 -quiet -p "$db" -j "$(nproc)" \
    -extra-arg=-Wno-builtin-macro-redefined -extra-arg=-D__cpp_concepts=202002L "${sources[@]}"
fi
