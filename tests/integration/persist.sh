#!/usr/bin/env bash
# Run-time changes outlive the daemon: synguard set and deny add|del write
# the interface's state file (/var/lib/synguard/IFACE.state) and say so;
# synguardd applies it over its config file when it starts again and when
# it reloads (SIGHUP), proved by a denied client that still cannot connect
# and a setting that keeps its value; a change that cannot be saved says
# "not saved". Also: several prefixes in one argument ("a, b"), and adding
# a listed prefix says so.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh
LAB_KEEP_STATE=1   # restarts here keep what synguard set saved

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
PORT=8080
T=tests/tools
X=152
trap lab_cleanup EXIT
lab_up "sg-ps$$" $X >/dev/null || { fail "persist: lab setup"; exit 1; }
A=$LAB_C4 B=198.18.$X.3 D=198.18.$X.4
for a in $B $D; do lcli ip addr add "$a/24" dev "$LAB_CIF"; done
for a in $B $D; do lcli ping -c1 -W2 -I "$a" "$LAB_S4" >/dev/null 2>&1; done
STATE=$(lab_state_file "$LAB_SIF")
CONF=$LAB_TMP/synguard.conf
printf '[timeout]\nESTABLISHED = 7200\n' >"$CONF"
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
start() { sg_start -p "$PORT" --mode off --metrics off -c "$CONF"; }
start || { fail "persist: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish; }

conn() { lcli timeout 30 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$1" -T 0.9 | jget ok x; }
setting() { sg_cli status -i "$LAB_SIF" --json | $LAB_PY -c 'import json,sys; print(json.load(sys.stdin)["settings"][sys.argv[1]])' "$1"; }
# in_effect WHEN: the saved setting and both denied sources, with real connects
in_effect() {
	expect "persist: $1: timeout.ESTABLISHED is still 1234 (the file says 7200)" "$(setting timeout.ESTABLISHED)" = 1234
	expect "persist: $1: denied $B cannot connect" "$(conn "$B")" = 0
	expect "persist: $1: denied $D cannot connect" "$(conn "$D")" = 0
	expect "persist: $1: $A connects" "$(conn "$A")" = 1
}

out=$(sg_cli set -i "$LAB_SIF" timeout.ESTABLISHED=1234)
[[ $out == *"saved in $STATE: survives a restart and a reload"* ]] && ok "persist: set says it is saved" ||
	fail "persist: set says it is saved" "$out"
# interface names repeat across namespaces: this one's file is its own
check "persist: the file is the namespace's own ($STATE), not the host's $LAB_SIF.state" \
	test -f "$STATE" -a ! -e "/var/lib/synguard/$LAB_SIF.state"
out=$(sg_cli deny add -i "$LAB_SIF" "$B, $D/32")
[[ $out == *"deny $B/32 added"*"deny $D/32 added"*"saved in $STATE"* ]] &&
	ok "persist: deny add takes \"a, b\" in one argument, and says it is saved" ||
	fail "persist: deny add \"a, b\", saved" "$(echo "$out" | tr '\n' '|')"
out=$(sg_cli deny add -i "$LAB_SIF" "$B")
[[ $out == *"deny $B/32 already listed"* ]] && ok "persist: adding a listed prefix says so" ||
	fail "persist: adding a listed prefix says so" "$out"
expect "persist: live: denied $B cannot connect" "$(conn "$B")" = 0

sg_stop
start || { fail "persist: synguardd starts again" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish; }
in_effect "after a restart"
kill -HUP "$SG_PID"
wait_for true 5 logged "reloaded" || fail "persist: SIGHUP reloads" "$(tail -n 1 "$SG_LOG")"
in_effect "after a reload (SIGHUP)"

out=$(sg_cli deny del -i "$LAB_SIF" "$B")
[[ $out == *"saved in $STATE"* ]] && ok "persist: deny del is saved too" || fail "persist: deny del saved" "$out"
sg_stop
start || { fail "persist: synguardd starts a third time" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish; }
expect "persist: after deny del and a restart, $B connects" "$(conn "$B")" = 1
expect "persist: ...and $D still cannot" "$(conn "$D")" = 0

# the state file cannot be written: the change is made, and said to be unsaved
mkdir -p "$STATE.new"
out=$(sg_cli set -i "$LAB_SIF" timeout.ESTABLISHED=999); rc=$?
rmdir "$STATE.new"
[[ $rc -eq 0 && $out == *"not saved ("*"lost when synguardd restarts or reloads"* ]] &&
	ok "persist: a change that cannot be saved says 'not saved' (exit 0, made live)" ||
	fail "persist: unsaved change says so" "exit $rc: $(echo "$out" | tr '\n' '|')"
expect "persist: ...and is in effect live" "$(setting timeout.ESTABLISHED)" = 999

# KEY=default hands the setting back to the config file
sg_cli set -i "$LAB_SIF" timeout.ESTABLISHED=default >/dev/null
grep -q '^timeout.ESTABLISHED' "$STATE" && fail "persist: set KEY=default drops KEY from the state file" "$(cat "$STATE" | tr '\n' '|')" ||
	ok "persist: set KEY=default drops KEY from the state file (deny.prefixes stays: $(grep -c '^deny.prefixes' "$STATE") lines)"
sg_stop
start || { fail "persist: synguardd starts a fourth time" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish; }
expect "persist: ...after a restart the config file's value is back (7200)" "$(setting timeout.ESTABLISHED)" = 7200
sg_stop
lab_finish
