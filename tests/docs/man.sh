#!/usr/bin/env bash
# The generated man pages (build/man/*.8, from man/*.8.in and the settings
# table) list every setting synguard accepts, and render without warnings.
# Build them first: make all.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

keys=$("$LAB_CLI_BIN" help set | sed -n 's/^ \([a-zA-Z0-9_.]\+\)  \+.*; default .*/\1/p')
n=$(echo "$keys" | wc -w)
[ "$n" -gt 20 ] || fail "man: synguard help set lists the settings" "only $n parsed"
for m in synguardd synguard; do
	page=build/man/$m.8
	if [ ! -s "$page" ]; then
		fail "man: $page exists" "run make all"
		continue
	fi
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -z "$w" ]; then ok "man: $m.8 renders without warnings"
	else fail "man: $m.8 renders without warnings" "$(echo "$w" | head -n 2 | tr '\n' ' ')"; fi
	# each key as the tag of its own entry, in the rendered text
	text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -rHY=0 -rLL=250n "$page" 2>/dev/null | col -b)
	missing=
	for k in $keys; do
		echo "$text" | grep -qE -- "^ +${k//./\\.} = .*; default .* \((live|reload|start)\)$" || missing="$missing $k"
	done
	if [ -z "$missing" ]; then ok "man: $m.8 lists all $n settings of the table"
	else fail "man: $m.8 lists every setting" "missing:$missing"; fi
done
lab_finish
