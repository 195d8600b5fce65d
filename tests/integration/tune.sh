#!/usr/bin/env bash
# synguard tune --apply --persist, in a lab namespace: the values it
# applies land in a sysctl.d file (here SYNGUARD_SYSCTL_CONF, so the test
# never writes the host's /etc) that sysctl -p turns back into the same
# values after they were undone; a second run that changes nothing keeps
# them; --persist alone is a usage error and an unwritable file a runtime
# one. tune -w counts the seconds on a terminal (stderr a pty, through
# script(1)) and stays quiet when stderr is not one.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_CLI_BIN" sysctl script
lab_up "sg-tu$$" 135 >/dev/null || { fail "tune: lab setup"; exit 1; }
mkdir -p "$LAB_TMP/nobpf"
CONF=$LAB_TMP/sysctl.d/90-synguard.conf
mkdir -p "${CONF%/*}"
etc_before=$(ls -l /etc/sysctl.d/90-synguard.conf 2>&1)
tune() { lsrv env SYNGUARD_SYSCTL_CONF="$CONF" "$LAB_CLI_BIN" tune -w 1 --bpffs "$LAB_TMP/nobpf" "$@"; }
harm() { lsrv sysctl -qw net.ipv4.tcp_syn_retries=1 net.ipv4.tcp_syncookies=2; }
now() { lsrv sysctl -n net.ipv4.tcp_syn_retries net.ipv4.tcp_syncookies | paste -sd' '; }

harm
out=$(tune --apply --persist 2>&1); rc=$?
expect "tune --apply --persist: exit 0 ($(echo "$out" | tail -n 1))" "$rc" -eq 0
expect "tune --apply --persist: applied in the namespace (syn_retries, syncookies: 6 1)" "$(now)" = "6 1"
expect "tune --persist: the file holds tcp_syn_retries = 6" "$(grep -c '^net.ipv4.tcp_syn_retries = 6$' "$CONF" 2>/dev/null)" -eq 1
expect "tune --persist: ...and tcp_syncookies = 1" "$(grep -c '^net.ipv4.tcp_syncookies = 1$' "$CONF" 2>/dev/null)" -eq 1
expect "tune --persist: says where it wrote" "$(echo "$out" | grep -c "^persisted in $CONF")" -eq 1

# the file is what sysctl reads at boot: undo the values, read it back
harm
expect "undone by hand (1 2)" "$(now)" = "1 2"
lsrv sysctl -q -p "$CONF" >/dev/null
expect "sysctl -p of the persisted file restores them (6 1)" "$(now)" = "6 1"

# nothing left to change: the file keeps what the first run wrote
out=$(tune --apply --persist --json 2>&1); rc=$?
expect "tune: a second run changes nothing (exit $rc)" "$(echo "$out" | jget advice x | grep -c '"change": true')" -eq 0
expect "tune --persist: ...and keeps both lines" "$(grep -c '^net.ipv4.tcp_sy[nc]' "$CONF")" -eq 2
expect "tune --persist --json: names the file" "$(echo "$out" | jget persisted x)" = "$CONF"
expect "tune --persist never wrote the host's /etc/sysctl.d/90-synguard.conf" \
	"$(ls -l /etc/sysctl.d/90-synguard.conf 2>&1)" = "$etc_before"

# errors
out=$(tune --persist 2>&1); rc=$?
expect "tune --persist without --apply: usage error, exit 2 ($out)" "$rc" -eq 2
harm
out=$(lsrv env SYNGUARD_SYSCTL_CONF="$LAB_TMP/missing/x.conf" "$LAB_CLI_BIN" tune -w 1 \
	--bpffs "$LAB_TMP/nobpf" --apply --persist 2>&1 >/dev/null); rc=$?
expect "tune --persist to a missing directory: exit 1" "$rc" -eq 1
expect "...with one line naming the file ($out)" "$(echo "$out" | grep -c "cannot write $LAB_TMP/missing/x.conf")" -eq 1

# progress: on a terminal only
out=$(lsrv script -qec "$LAB_CLI_BIN tune -w 2 --bpffs $LAB_TMP/nobpf" /dev/null | tr '\r' '\n')
expect "tune -w 2 on a terminal counts the seconds" "$(echo "$out" | grep -c 'observing 1/2 s')" -eq 1
out=$(lsrv "$LAB_CLI_BIN" tune -w 2 --bpffs "$LAB_TMP/nobpf" 2>&1 >/dev/null)
expect "tune -w 2 with stderr not a terminal prints no progress" "$(echo "$out" | grep -c observing)" -eq 0
lab_finish
