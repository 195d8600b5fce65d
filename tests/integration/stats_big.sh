#!/usr/bin/env bash
# synguard stats over a table too big to walk at each call: the gauges of
# the daemon's last sweep, at most a few seconds old and saying so
# (states_age_s), equal to a fresh walk; with the daemon stopped (pins
# kept), stats walks the tables itself again.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" build/sg_bench
FLOWS=80000   # above SG_GAUGES_WALK_MAX (65536)
lab_up "sg-sb$$" 14 >/dev/null || { fail "stats_big: lab setup"; exit 1; }
sg_start -p 80 --mode on --ct-size 100000 --keep-attached ||
	{ fail "stats_big: synguardd did not start"; sg_log; exit 1; }
PINS=$LAB_BPFFS/synguard/$LAB_SIF
build/sg_bench --populate "$PINS/sg_ct_synced" -f $FLOWS >/dev/null ||
	{ fail "stats_big: fill the table"; exit 1; }

# the daemon sweeps each second: wait for a sweep that saw the entries
got= age=0
for _ in $(seq 50); do
	J=$(sg_stats)
	got=$(echo "$J" | jget states.ESTABLISHED 0) age=$(echo "$J" | jget states_age_s 0)
	[ "$got" -eq $FLOWS ] && [ "$age" != 0.0 ] && break
	sleep 0.2
done
expect "stats_big: $FLOWS established flows, from the daemon's sweep" "$got" -eq $FLOWS
check "stats_big: states_age_s says how old that sweep is ($age s)" \
	"$LAB_PY" -c "import sys; a = float(sys.argv[1]); sys.exit(not 0 < a < 2.5)" "$age"
sg_cli stats -i "$LAB_SIF" | grep -q "states as of the daemon's sweep" &&
	ok "stats_big: the text output says the states come from the sweep" ||
	fail "stats_big: the text output says the states come from the sweep"
line=$(sg_cli stats -i "$LAB_SIF" | grep '^ESTABLISHED ')
[[ "$line" =~ sweep\ [0-9.]+\ s\ ago$ ]] &&
	ok "stats_big: ...and each gauge line how old it is: $line" ||
	fail "stats_big: each gauge line says how old its sweep is" "'$line'"
expect "stats_big: stats --json says states_source sweep" "$(sg_stats | jget states_source x)" = sweep
sweep=$(sg_stats | jget states_sweep_s 0)
check "stats_big: states_sweep_s says how long that sweep took ($sweep s)" \
	"$LAB_PY" -c "import sys; s = float(sys.argv[1]); sys.exit(not 0 < s < 2.5)" "$sweep"
sg_cli stats -i "$LAB_SIF" | grep -q "swept in [0-9.]* s" &&
	ok "stats_big: the text output says how long the sweep took" ||
	fail "stats_big: the text output says how long the sweep took"

# A daemon that stops sweeping (stopped here, its process kept): once its
# last sweep is older than 2.5 s plus three times the sweep's duration,
# stats walks the tables itself rather than show gauges that stopped moving.
wait_s=$("$LAB_PY" -c "import sys; print(3.5 + 3 * float(sys.argv[1]))" "$sweep")
kill -STOP "$SG_PID"
sleep "$wait_s"
src=$(sg_stats | jget states_source x)
got=$(sg_stats | jget states.ESTABLISHED -1)
kill -CONT "$SG_PID"
expect "stats_big: daemon stopped sweeping for ${wait_s} s: stats walks itself" "$src" = walk
expect "stats_big: ... and counts every flow ($got)" "$got" -eq $FLOWS
for _ in $(seq 50); do
	[ "$(sg_stats | jget states_source x)" = sweep ] && break
	sleep 0.2
done
expect "stats_big: daemon sweeping again: stats shows its sweep" "$(sg_stats | jget states_source x)" = sweep

sg_stop
expect "stats_big: synguardd stopped, pins kept" "$(ls "$PINS" 2>/dev/null | grep -c "^sg_daemon$")" -eq 1
got=$(sg_stats | jget states.ESTABLISHED -1)
age=$(sg_stats | jget states_age_s -1)
expect "stats_big: daemon stopped: stats walks the table itself ($got)" "$got" -eq $FLOWS
expect "stats_big: ... and states_age_s is 0" "$age" = 0.0
expect "stats_big: ... and states_source walk" "$(sg_stats | jget states_source x)" = walk
# the pins outlive the daemon here: ours to remove
lsrv ip link set dev "$LAB_SIF" xdpdrv off 2>/dev/null
rm -rf "$PINS"
lab_finish
