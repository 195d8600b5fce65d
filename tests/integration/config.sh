#!/usr/bin/env bash
# Settings: the config file and the flags that override it (synguardd
# --check and a running daemon agree), synguard set (live, validated, one
# line per error, only what can change live), SIGHUP with a broken file
# (refused with FILE:LINE, nothing changes) and with a good one (applied,
# flags still win), what synguard set saved kept over a restart (over the
# file, under the flags), and set while the daemon is down.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh
LAB_KEEP_STATE=1   # restarts here keep what synguard set saved

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
PORT=8080
lab_up "sg-cf$$" 19 >/dev/null || { fail "config: lab setup"; exit 1; }
CONF=$LAB_TMP/sg.conf
D=$LAB_DAEMON C=$LAB_CLI_BIN

status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
setting() { # one setting from status --json (keys have dots: no jget)
	status | $LAB_PY -c '
import json, sys
v = json.load(sys.stdin)["settings"].get(sys.argv[1], "x")
print(str(v).lower() if isinstance(v, bool) else v)' "$1"
}
all_settings() { status | jget settings; }
# usage NAME WANT_RC CMD...: exits WANT_RC with exactly one line; prints it
one_line() {
	local name=$1 want=$2 out rc n; shift 2
	out=$(lsrv timeout 10 "$@" 2>&1 </dev/null); rc=$?
	n=$(printf '%s' "$out" | grep -c .)
	if [ "$rc" -eq "$want" ] && [ "$n" -eq 1 ]; then ok "config: $name: exit $rc, '$out'"
	else fail "config: $name" "exit $rc (want $want), $n lines: $(echo "$out" | head -n 3 | tr '\n' '|')"; fi
}

cat >"$CONF" <<-EOF
	# test config
	mode = off
	ports = $PORT

	[auto]
	hold = 7
	syn_rate_high = 5000 ; inline comment
	[timeout]
	TIME_WAIT = 30
EOF

# ---- precedence: flags over the file over the defaults --------------------------------------
out=$(lsrv "$D" -i "$LAB_SIF" -c "$CONF" -s auto.hold=9 --mode on --check 2>&1)
row() { echo "$out" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }'; }
expect "config: --check: a flag wins over the file" "$(row auto.hold)" = "9 command line"
expect "config: --check: --mode wins over mode = in the file" "$(row mode)" = "on command line"
expect "config: --check: the file's value and its line" "$(row auto.syn_rate_high)" = "5000 $CONF:7"
expect "config: --check: a [timeout] key" "$(row timeout.TIME_WAIT)" = "30 $CONF:9"
expect "config: --check: the rest at its default" "$(row auto.syn_rate_low)" = "2000 default"

if ! sg_start -c "$CONF" -s auto.hold=9 --mode on; then
	fail "config: synguardd -c FILE starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
res=$(status | $LAB_PY -c '
import json, sys
s = json.load(sys.stdin)["settings"]
want = {"auto.hold": 9, "mode": "on", "auto.syn_rate_high": 5000, "timeout.TIME_WAIT": 30,
        "ports": "8080", "auto.syn_rate_low": 2000, "keep_attached": False}
bad = ["%s=%r (want %r)" % (k, s.get(k), v) for k, v in want.items() if s.get(k) != v]
print("; ".join(bad) or "ok")')
expect "config: the running daemon has the same settings ($res)" "$res" = ok
expect "config: status keeps the old keys (timeouts_s.TIME_WAIT)" "$(status | jget timeouts_s.TIME_WAIT)" -eq 30

# ---- synguard set ---------------------------------------------------------------------------
out=$(sg_cli set -i "$LAB_SIF" auto.syn_rate_low=1000 timeout.time_wait=45 2>&1); rc=$?
expect "config: set: two settings at once (exit $rc: $(echo "$out" | tr '\n' '|'))" "$rc" -eq 0
expect "config: set: auto.syn_rate_low is live" "$(setting auto.syn_rate_low)" -eq 1000
expect "config: set: timeout.time_wait (state names in any case)" "$(setting timeout.TIME_WAIT)" -eq 45
for _ in $(seq 30); do grep -q 'auto.syn_rate_low: 2000 -> 1000 (synguard set)' "$SG_LOG" && break; sleep 0.1; done
check "config: set: the daemon logs the change" grep -q 'auto.syn_rate_low: 2000 -> 1000 (synguard set)' "$SG_LOG"
before=$(all_settings)
one_line "set: unknown key" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" auto.nope=1
one_line "set: out of range" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" auto.hold=0
one_line "set: low above high" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" auto.syn_rate_low=6000
one_line "set: not KEY=VALUE" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" mode
one_line "set: unknown mode" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" mode=bogus
one_line "set: a reload setting belongs in the file" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" metrics=off
one_line "set: a start setting needs new tables" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" ct_size=4096
one_line "set: a bad one among good ones" 2 "$C" set -i "$LAB_SIF" --bpffs "$LAB_BPFFS" auto.hold=3 track=some
expect "config: set: refused settings changed nothing" "$(all_settings)" = "$before"
out=$(sg_cli set -i "$LAB_SIF" auto.syn_rate_low=default 2>&1)
expect "config: set KEY=default restores the default ($out)" "$(setting auto.syn_rate_low)" -eq 2000
out=$(lsrv "$C" help set 2>&1)
n=0
for k in $(lsrv "$D" --sample-config | sed -n 's/^#\([A-Za-z_]*\) =.*/\1/p'); do
	echo "$out" | grep -q -- "$k" || n=$((n + 1))
done
expect "config: help set lists every setting of the sample config" "$n" -eq 0

# ---- SIGHUP --------------------------------------------------------------------------------------
before=$(all_settings)
cp "$CONF" "$CONF.good"
printf 'mode = off\n[auto]\nhold = 7\nsyn_rate_high = lots\n' >"$CONF"
: >"$LAB_TMP/mark"
kill -HUP "$SG_PID"
for _ in $(seq 50); do grep -q 'reload refused' "$SG_LOG" && break; sleep 0.1; done
line=$(grep 'reload refused' "$SG_LOG" | tail -n 1)
if [[ "$line" == *"nothing changed: $CONF:4: auto.syn_rate_high: 'lots' is not a number"* ]]; then
	ok "config: SIGHUP with a broken file: refused with FILE:LINE (${line#* })"
else
	fail "config: SIGHUP with a broken file: refused with FILE:LINE" "'$line'"
fi
expect "config: ...and every setting is as before" "$(all_settings)" = "$before"
if sg_alive; then ok "config: ...the daemon keeps running"; else fail "config: ...the daemon keeps running"; sg_log; fi

printf 'mode = off\nports = %s\n[auto]\nhold = 7\nsyn_rate_high = 6000\nsynrcvd_low = 150\n' "$PORT" >"$CONF"
kill -HUP "$SG_PID"
for _ in $(seq 50); do grep -q "reloaded $CONF" "$SG_LOG" && break; sleep 0.1; done
check "config: SIGHUP with a good file: reloaded" grep -q "reloaded $CONF" "$SG_LOG"
expect "config: ...its new value applies" "$(setting auto.syn_rate_high)" -eq 6000
expect "config: ...each change logged" "$(grep -c '(reload)' "$SG_LOG")" -ge 2
expect "config: ...flags still win over it (auto.hold)" "$(setting auto.hold)" -eq 9
expect "config: ...and over mode = off" "$(setting mode)" = on
expect "config: ...a key dropped from the file keeps its value (timeout.TIME_WAIT)" "$(setting timeout.TIME_WAIT)" -eq 45
expect "config: ...XDP still attached (no re-attach)" "$(lab_xdp_attached && echo y)" = y

# ---- restart: what synguard set saved wins over the file; flags win over both ------------------
sg_cli set -i "$LAB_SIF" auto.synrcvd_low=99 auto.syn_rate_high=7000 >/dev/null
kill -KILL "$SG_PID"; wait "$SG_PID" 2>/dev/null; SG_PID=
out=$(sg_cli set -i "$LAB_SIF" auto.synrcvd_high=3000 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ "$out" == *"daemon: not running"*"saved in $(lab_state_file "$LAB_SIF"): survives a restart"* ]]; then
	ok "config: set works while the daemon is down, and says it is saved"
else
	fail "config: set while the daemon is down" "exit $rc: $out"
fi
if ! sg_start -c "$CONF" -s auto.hold=9 --mode on; then
	fail "config: synguardd restarts over the pins" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
expect "config: restart: a set value the file leaves alone survives (auto.synrcvd_high)" "$(setting auto.synrcvd_high)" -eq 3000
expect "config: restart: a saved set value wins over the file's (auto.syn_rate_high 7000, file 6000)" "$(setting auto.syn_rate_high)" -eq 7000
expect "config: restart: ...so does synrcvd_low = 99 over the file's 150" "$(setting auto.synrcvd_low)" -eq 99
expect "config: restart: flags still win over the saved state (auto.hold)" "$(setting auto.hold)" -eq 9
rm -f "$(lab_state_file "$LAB_SIF")"
sg_stop
if ! sg_start -c "$CONF" -s auto.hold=9 --mode on; then
	fail "config: synguardd starts without the state file" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
expect "config: without the state file the file decides again (auto.syn_rate_high)" "$(setting auto.syn_rate_high)" -eq 6000

# ---- a config file that cannot be used: one line, nothing attached ------------------------------
sg_stop
one_line "synguardd -c missing file" 1 "$D" -i "$LAB_SIF" --bpffs "$LAB_BPFFS" -c "$LAB_TMP/nope.conf"
printf '[auto]\nhold = 7\n\nhold = 8\n' >"$CONF"
one_line "synguardd -c file with a key twice" 2 "$D" -i "$LAB_SIF" --bpffs "$LAB_BPFFS" -c "$CONF"
if lab_xdp_attached || [ -e "$LAB_BPFFS/synguard/$LAB_SIF" ]; then fail "config: refused starts attach nothing"
else ok "config: refused starts attach nothing"; fi
if [ -e "$(lab_pidfile)" ]; then fail "config: refused starts leave no pidfile" "$(lab_pidfile)"
else ok "config: refused starts leave no pidfile"; fi
lab_finish
