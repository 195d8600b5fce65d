#!/usr/bin/env bash
# Exit status and error lines of synguard and synguardd on bad input, as
# man/synguard.8.in and man/synguardd.8.in (EXIT STATUS) document them:
# 2 for bad usage or an invalid setting, 1 for a runtime failure, and one
# line on standard error each time. Nothing here needs a daemon or a lab:
# every case fails before anything is loaded. Build first: make all.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
tmp=$LAB_TMP
printf 'bogus_key = 1\n' >"$tmp/bad.conf"
printf 'zz\n' >"$tmp/bad.key"
chmod 600 "$tmp/bad.key"

# case WANT NAME CMD...: exit status WANT and exactly one line on stderr
case_() {
	local want=$1 name=$2 rc lines; shift 2
	"$@" >/dev/null 2>"$tmp/err"; rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ]; then
		ok "exit_codes: $name: $rc, $(cat "$tmp/err")"
	else
		fail "exit_codes: $name" "exit $rc (want $want), $lines lines: $(head -c 300 "$tmp/err")"
	fi
}

case_ 2 "synguard, an unknown command" "$LAB_CLI_BIN" bogus
case_ 2 "synguard, an unknown option" "$LAB_CLI_BIN" stats --bogus
case_ 2 "synguard, an unknown state" "$LAB_CLI_BIN" conns -i sg-nope0 --state BOGUS
case_ 2 "synguard, an interface it does not run on" "$LAB_CLI_BIN" stats -i sg-nope0
case_ 2 "synguard, no synguard under --bpffs" "$LAB_CLI_BIN" conns --bpffs "$tmp/none"
case_ 2 "synguardd, no -i" "$LAB_DAEMON"
case_ 2 "synguardd, a bad --mode" "$LAB_DAEMON" -i lo --mode bogus --check
case_ 2 "synguardd, an unknown setting in the config" "$LAB_DAEMON" -i lo -c "$tmp/bad.conf" --check
case_ 1 "synguardd, a config file it cannot read" "$LAB_DAEMON" -i lo -c "$tmp/none.conf" --check
case_ 2 "synguardd, a malformed key file" "$LAB_DAEMON" -i lo --secret-file "$tmp/bad.key" --check
case_ 2 "synguardd, a key file it cannot read" "$LAB_DAEMON" -i lo --secret-file "$tmp/none.key" --check
case_ 1 "synguardd, no such interface" "$LAB_DAEMON" -i sg-nope0
lab_finish
