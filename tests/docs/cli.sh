#!/usr/bin/env bash
# The man page cannot drift from the CLI's command table: its SYNOPSIS is
# generated from it (tools/man-synopsis.py), and here every command of
# `synguard help` has its entry under COMMANDS and its line in SYNOPSIS
# with every option of `synguard help COMMAND`. Build first: make all.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

page=build/man/synguard.8
[ -s "$page" ] || { fail "cli: $page exists" "run make all"; lab_finish; }
text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -rHY=0 -rLL=400n "$page" 2>/dev/null | col -b)
syn=$(echo "$text" | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p')
cmds=$(echo "$text" | sed -n '/^COMMANDS/,/^SETTINGS/p')
names=$("$LAB_CLI_BIN" help | sed -n '/^Commands:/,/^$/s/^ \([a-z]\+\) .*/\1/p')
n=$(echo "$names" | wc -w)
[ "$n" -ge 10 ] || fail "cli: synguard help lists the commands" "only $n parsed"
nosyn= noentry= noopt=
for c in $names; do
	line=$(echo "$syn" | grep -E "^ +synguard $c( |$)")
	[ -n "$line" ] || nosyn="$nosyn $c"
	echo "$cmds" | grep -qE "^ +$c( |$)" || noentry="$noentry $c"
	for o in $("$LAB_CLI_BIN" help "$c" | sed -n 's/^ \(-., \)\{0,1\} *--\([a-z-]*\).*/\2/p'); do
		[ "$o" = help ] && continue
		short=$("$LAB_CLI_BIN" help "$c" | sed -n "s/^ -\(.\), --$o .*/\1/p")
		echo "$line" | grep -qE -- "--$o|-${short:-NONE} " || noopt="$noopt $c:--$o"
	done
done
[ -z "$nosyn" ] && ok "cli: SYNOPSIS has every command of the table ($n)" || fail "cli: SYNOPSIS lacks" "$nosyn"
[ -z "$noentry" ] && ok "cli: COMMANDS describes every command of the table" || fail "cli: COMMANDS lacks" "$noentry"
[ -z "$noopt" ] && ok "cli: SYNOPSIS shows every option of each command" || fail "cli: SYNOPSIS lacks options" "$noopt"
differ=
for c in $names; do
	[ "$("$LAB_CLI_BIN" "$c" --help 2>&1)" = "$("$LAB_CLI_BIN" help "$c")" ] || differ="$differ $c"
done
[ -z "$differ" ] && ok "cli: COMMAND --help is help COMMAND for all $n" || fail "cli: --help differs from help" "$differ"
lab_finish
