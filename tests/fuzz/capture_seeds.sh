#!/usr/bin/env bash
# Regenerates tests/fuzz/corpus from real Linux TCP in the lab (no synguard
# attached): handshakes, data, every close (client first, server first,
# reset), IPv4 and IPv6, with the client's default options, then with
# timestamps/SACK/window scaling off and ECN on, then with a small MSS,
# then at MTU 9000.
#   tests/fuzz/capture_seeds.sh [OUTDIR]     (root)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export SG_ROOT=$ROOT
OUT=${1:-$ROOT/tests/fuzz/corpus}
source "$ROOT/tests/lab.sh"
PY="$LAB_PY $ROOT/tests/fuzz/capture.py"
PORT=8080

lab_up sg-cap$$ 31 || { echo "capture: lab_up failed" >&2; exit 1; }
# one frame per segment: no TSO/GSO super-frames in the seeds
lsrv ethtool -K "$LAB_SIF" tso off gso off gro off >/dev/null 2>&1
lcli ethtool -K "$LAB_CIF" tso off gso off gro off >/dev/null 2>&1
lab_bg lsrv $PY serve $PORT
lab_bg lsrv $PY sniff "$LAB_SIF" "$LAB_TMP/raw" 30
sleep 0.5
round() {
	local h k
	for h in "$LAB_S4" "$LAB_S6"; do
		for k in e s r; do lcli $PY client "$h" $PORT $k || echo "capture: client $h $k failed" >&2; done
	done
}
round
lcli sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 \
	net.ipv4.tcp_window_scaling=0 net.ipv4.tcp_ecn=1
round
lcli sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
	net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=0
lsrv ip link set "$LAB_SIF" mtu 1280
lcli ip link set "$LAB_CIF" mtu 1280
for k in e s; do lcli $PY client "$LAB_S4" $PORT $k; lcli $PY client "$LAB_S6" $PORT $k; done
# jumbo frames (9000-byte segments: several buffers each at XDP)
lsrv ip link set "$LAB_SIF" mtu 9000
lcli ip link set "$LAB_CIF" mtu 9000
lcli $PY client "$LAB_S4" $PORT j
lcli $PY client "$LAB_S6" $PORT j
sleep 1
kill "${LAB_PIDS[1]}" 2>/dev/null; wait "${LAB_PIDS[1]}" 2>/dev/null
rm -rf "$OUT"
$LAB_PY "$ROOT/tests/fuzz/capture.py" corpus "$LAB_TMP/raw" "$OUT"
