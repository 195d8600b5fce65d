#!/usr/bin/env bash
# Off-path segments into a TIME_WAIT connection: an attacker who knows (or
# guesses) the tuple but not the sequence numbers sends ACKs far outside the
# window, from the peer's address. The kernel answers each and rearms the
# socket's 60 s timer (tcp_timewait_state_process), so `ss` keeps the socket
# that long from the last one; the tracker's entry must live as long, or the
# TIME_WAIT gauge runs under `ss` (the attack shown on the bare kernel: its
# timer restarts). An out-of-window RST and an inexact in-window one end
# neither. The peer's own stack is kept from answering (its RST to the
# server's ACK would end the socket, as RFC 1337 warns).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" ss nft py:scapy.all
PORT=8090
WAIT=8
lab_up "sg-rw$$" 226 >/dev/null || { fail "time_wait_spoofed_ack: lab setup"; exit 1; }
sg_start -p "$PORT" --mode off || { fail "time_wait_spoofed_ack: synguardd starts"; sg_log; lab_finish; }
lcli nft -f - <<'NFT'
table inet rw {
	chain out {
		type filter hook output priority 0;
		tcp flags & rst == rst drop
	}
}
NFT

lab_bg lsrv $LAB_PY tests/tools/tw_make.py serve "$PORT" 1 --first >/dev/null
wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$PORT | wc -l" ||
	{ fail "time_wait_spoofed_ack: server"; lab_finish; }
lcli $LAB_PY tests/tools/tw_make.py connect "$LAB_S4" "$PORT" 1 >/dev/null
# the server's TIME_WAIT socket: its peer's port and the seconds its timer has left
tw_line() { lsrv ss -Htano state time-wait "( sport = :$PORT )"; }
tw_left() { tw_line | sed -n 's/.*timer:(timewait,\([0-9]*\)sec.*/\1/p'; }
cport=$(tw_line | awk '{ n = split($4, a, ":"); print a[n] }')
[ -n "$cport" ] || { fail "time_wait_spoofed_ack: the server holds a TIME_WAIT socket"; lab_finish; }
# the tracker's entry: how long it has been idle, and the gauge
idle() {
	sg_cli conns -i "$LAB_SIF" --state TIME_WAIT --json | $LAB_PY -c '
import json, sys
r = [c for c in json.load(sys.stdin) if c["rport"] == int(sys.argv[1])]
print(int(r[0]["idle_s"]) if r else -1)' "$cport"
}
tw_gauge() { sg_stats | jget states.TIME_WAIT -1; }
# spoof FLAGS SEQ_OFFSET: one segment from the peer's address and port,
# sequence and acknowledgment numbers far from the connection's
spoof() {
	lcli $LAB_PY - "$LAB_C4" "$LAB_S4" "$cport" "$PORT" "$1" <<'PY'
import logging, random, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, send
src, dst, sp, dp, flags = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
send(IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=random.getrandbits(32),
                                ack=random.getrandbits(32), window=1024), verbose=0)
PY
}

sleep "$WAIT"
before=$(tw_left)
spoof A
sleep 0.5
after=$(tw_left)
expect "time_wait_spoofed_ack: the bare kernel rearms its TIME_WAIT timer for an out-of-window ACK (${before}s left, then ${after}s)" \
	"${after:-0}" -gt $(( ${before:-60} + WAIT / 2 ))
i=$(idle)
expect "time_wait_spoofed_ack: the tracker's entry is rearmed with it (idle ${i}s, the close was ${WAIT}s before)" \
	"$i" -eq 0
spoof R
spoof RA
sleep 0.5
expect "time_wait_spoofed_ack: out-of-window RSTs leave the socket (ss: $(tw_line | wc -l))" \
	"$(tw_line | wc -l)" -eq 1
expect "time_wait_spoofed_ack: and the entry, the TIME_WAIT gauge equals ss" "$(tw_gauge)" -eq 1
sg_alive || fail "time_wait_spoofed_ack: synguardd died" "$(sg_log 5)"
lab_finish
