#!/usr/bin/env bash
# Per-state gauges (synguard stats) against ss and against a walk of the
# table (synguard conns): after churn, after a TIME_WAIT timeout shorter
# than the kernel's, and through a SYN flood into a small table.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. "$ROOT/tests/tools/ct_lab.sh"
N=${CT_CHURN:-2000}
TW=5
SIZE=1024

ct_require || exit 0
ct_lab_up || { echo "not ok - conntrack_gauges: lab setup failed"; exit 1; }
ct_daemon_up "" || { echo "not ok - conntrack_gauges: daemon did not start"; ct_daemon_log; exit 1; }

rc=0
coproc CHURN { timeout 240 /usr/bin/python3 "$ROOT/tests/tools/ct_churn.py" churn "$N" "$TW"; }
cpid=$CHURN_PID
while IFS= read -r -t 240 line <&"${CHURN[0]}"; do
	if [ "$line" = "# READY" ]; then
		if ct_sns $CT_CLI set -i "$CT_SRV_IF" --bpffs "$CT_BPFFS" timeout.TIME_WAIT=$TW >/dev/null; then
			echo "ok - synguard set timeout.TIME_WAIT=$TW"
		else
			echo "not ok - synguard set timeout.TIME_WAIT=$TW failed"; rc=1
		fi
		echo go >&"${CHURN[1]}"
		continue
	fi
	echo "$line"
done
wait "$cpid" || rc=1

# SYN flood into a small table, cookies off: a fresh daemon on a fresh bpffs
ct_daemon_down
umount "$CT_BPFFS"; rmdir "$CT_BPFFS"; CT_BPFFS=$CT_BPFFS.small
ct_sns ip route replace 198.19.0.0/16 via 198.18.0.99 dev "$CT_SRV_IF"  # SYN-ACKs leave by the NIC
if ct_daemon_up "--ct-size $SIZE"; then
	timeout 180 /usr/bin/python3 "$ROOT/tests/tools/ct_churn.py" flood 8000 "$SIZE" || rc=1
else
	echo "not ok - conntrack_gauges: daemon with --ct-size $SIZE did not start"; ct_daemon_log; rc=1
fi
ct_daemon_alive || { echo "not ok - conntrack_gauges: daemon died"; ct_daemon_log; rc=1; }
exit $rc
