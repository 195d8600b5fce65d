#!/usr/bin/env bash
# Bash completion (completion/synguard): sourced in bash beside
# bash-completion's own helpers, the completion functions are called as
# bash calls them (COMP_LINE, COMP_POINT, and COMP_WORDS split at '=' as
# the default COMP_WORDBREAKS does), and offer exactly what the binaries
# say: the commands of `synguard help`, a command's flags, every setting
# key of `synguard help set` and an enum's values, the state names, the
# interfaces; synguardd gets its flags, modes and -s KEY=VALUE.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_CLI_BIN" "$LAB_DAEMON"
BC=/usr/share/bash-completion/bash_completion
if [ -r "$BC" ]; then
	source "$BC"
else
	note "bash-completion missing: COMP_WORDS taken as they are"
fi
source completion/synguard
CLI=$LAB_CLI_BIN DAEMON=$LAB_DAEMON

# comp FUNC LINE: COMPREPLY for the end of LINE, sorted, one line
comp() {
	local f=$1
	COMP_LINE=$2 COMP_POINT=${#2}
	read -r -a COMP_WORDS <<<"${2//=/ = }"
	[[ $2 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$f" >/dev/null 2>&1
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
sorted() { tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

cmds=$("$CLI" help | sed -n 's/^ \([a-z]*\)  .*/\1/p' | sorted)
expect "completion: the commands of synguard help" \
	"$(comp _synguard "$CLI ")" = "$(echo "$cmds --help --version" | sorted)"
expect "completion: st -> status stats" "$(comp _synguard "$CLI st")" = "stats status"
expect "completion: options before the command still complete it" \
	"$(comp _synguard "$CLI -i lo st")" = "stats status"
flags=$("$CLI" help conns | grep -o -- '--[a-z-]*' | sorted)
expect "completion: conns -- gives the flags of synguard help conns" \
	"$(comp _synguard "$CLI conns --")" = "$flags"
expect "completion: --state gives the state names" \
	"$(comp _synguard "$CLI conns --state ")" = \
	"$(echo CLOSED CLOSE_WAIT CLOSING ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 LAST_ACK SYN_RCVD SYN_SENT TIME_WAIT | sorted)"
expect "completion: --state SYN_ -> SYN_RCVD SYN_SENT" "$(comp _synguard "$CLI conns --state SYN_")" = "SYN_RCVD SYN_SENT"
keys=$("$CLI" help set | sed -n '/^Settings/,$s/^ \([a-z][^ ]*\) .*/\1=/p' | sorted)
got=$(comp _synguard "$CLI set ")
expect "completion: set offers every key of synguard help set ($(echo "$keys" | wc -w))" "$got" = "$keys"
expect "completion: set timeout.TIME -> timeout.TIME_WAIT=" "$(comp _synguard "$CLI set timeout.TIME")" = "timeout.TIME_WAIT="
expect "completion: set mode= gives the modes" "$(comp _synguard "$CLI set mode=")" = "auto default off on shadow"
expect "completion: set drop_oow_rst=y -> yes" "$(comp _synguard "$CLI set drop_oow_rst=y")" = "yes"
expect "completion: a free-form value offers only default" "$(comp _synguard "$CLI set ports=")" = "default"
expect "completion: no key matches nothing" "$(comp _synguard "$CLI set nosuchkey")" = ""
expect "completion: allow gives its operations" "$(comp _synguard "$CLI allow ")" = "add del flush list"
expect "completion: conns gives its operations" "$(comp _synguard "$CLI conns ")" = "delete flush list"
expect "completion: explain is a command" "$(comp _synguard "$CLI expl")" = "explain"
# other tests' daemons come and go meanwhile: the interfaces of this
# namespace must all be there, and lo is the only one starting with "lo"
got=" $(comp _synguard "$CLI status -i ") " missing=
for i in $(ls /sys/class/net); do [[ $got == *" $i "* ]] || missing+=" $i"; done
expect "completion: -i offers this namespace's interfaces" "${missing:-none}" = none
expect "completion: -i lo -> lo" "$(comp _synguard "$CLI status -i lo")" = "lo"
expect "completion: synguardd --mode gives the modes" "$(comp _synguardd "$DAEMON --mode ")" = "auto off on shadow"
expect "completion: synguardd -s secret. -> its keys" "$(comp _synguardd "$DAEMON -s secret.")" = "secret.file= secret.period="
flags=$("$DAEMON" --help | grep -o -- '--[a-z-]*' | sorted)
expect "completion: synguardd -- gives the flags of synguardd --help" "$(comp _synguardd "$DAEMON --")" = "$flags"
lab_finish
