#!/usr/bin/env bash
# The C sources as .clang-format wants them: bpf/, user/, include/ and the
# tests' C files. No argument: check only (clang-format --dry-run --Werror,
# one warning per line that would change, exit 1 if any); -i: rewrite the
# files in place (make format). clang-format-19 matches the clang the
# Makefile builds BPF with.
set -u
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-19}
command -v "$CLANG_FORMAT" >/dev/null || {
	echo "format-check: $CLANG_FORMAT not found (apt-get install clang-format-19)" >&2
	exit 1
}
mapfile -t files < <(git ls-files -- 'bpf/*.[ch]' 'user/*.[ch]' 'include/*.h' 'tests/*.c' 'tests/*.h')
if [ "${1:-}" = -i ]; then
	exec "$CLANG_FORMAT" -i "${files[@]}"
fi
"$CLANG_FORMAT" --dry-run --Werror "${files[@]}"
