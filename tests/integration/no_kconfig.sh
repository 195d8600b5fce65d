#!/usr/bin/env bash
# synguardd on a host whose kernel config it cannot read: a container
# without the host's /boot, on a kernel without /proc/config.gz (Debian's
# and most distributions' kernels). libbpf fills the tracker's CONFIG_HZ
# from that config and, finding none, refuses to load the whole object;
# synguardd must start anyway, say what it lost, and expire TIME_WAIT
# entries at the fixed timeout. The config is hidden in a mount namespace
# of the daemon's own (a socket bound over each file: open() fails).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" unshare ss
PORT=8080
lab_up "sg-rk$$" 225 >/dev/null || { fail "no_kconfig: lab setup"; exit 1; }
hide=$LAB_TMP/hide.sock
$LAB_PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$hide"
{
	echo '#!/bin/sh'
	for f in /proc/config.gz "/boot/config-$(uname -r)"; do
		[ -e "$f" ] && echo "mount --bind $hide $f || exit 99"
	done
	echo "exec $LAB_DAEMON \"\$@\""
} >"$LAB_TMP/hidden.sh"
printf '#!/bin/sh\nexec unshare -m --propagation private %s "$@"\n' "$LAB_TMP/hidden.sh" \
	>"$LAB_TMP/daemon.sh"
chmod +x "$LAB_TMP/hidden.sh" "$LAB_TMP/daemon.sh"
LAB_DAEMON=$LAB_TMP/daemon.sh

lab_bg lsrv $LAB_PY tests/tools/tw_churn.py serve "$PORT"
wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$PORT | wc -l" ||
	{ fail "no_kconfig: server"; lab_finish; }
if ! sg_start -p "$PORT" --mode off; then
	fail "no_kconfig: synguardd starts without a kernel config to read" "$(tail -n 1 "$SG_LOG")"
	sg_log; lab_finish
fi
ok "no_kconfig: synguardd starts without a kernel config to read"
expect "no_kconfig: it says what it lost" "$(logged 'no kernel config to read')" = true

tw() { lsrv ss -Htan state time-wait "( sport = :$PORT )" | wc -l; }
tw_gauge() { sg_stats | jget states.TIME_WAIT -1; }
note "$(lcli $LAB_PY tests/tools/tw_churn.py churn "$LAB_S4" "$PORT" 40 20)"
k=$(tw)
expect "no_kconfig: the churn left server-side TIME_WAIT sockets ($k)" "$k" -gt 0
expect "no_kconfig: the TIME_WAIT gauge equals ss" "$(tw_gauge)" -eq "$(tw)"
# the kernel keeps its TIME_WAIT sockets 60 s; a lowered timeout, the
# fixed limit, ends the tracker's entries alone
sg_cli set -i "$LAB_SIF" timeout.TIME_WAIT=2 >/dev/null
wait_for 0 6 tw_gauge
expect "no_kconfig: timeout.TIME_WAIT=2 expires the entries (gauge 0, ss still $(tw))" \
	"$(tw_gauge)" -eq 0
rows=$(sg_cli conns -i "$LAB_SIF" --state TIME_WAIT --json | $LAB_PY -c \
	'import json, sys; print(len(json.load(sys.stdin)))')
expect "no_kconfig: conns lists no TIME_WAIT entry" "$rows" -eq 0
sg_alive || fail "no_kconfig: synguardd died" "$(sg_log 5)"
lab_finish
