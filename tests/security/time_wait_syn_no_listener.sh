#!/usr/bin/env bash
# A SYN past a TIME_WAIT connection's sequence, to a port nobody listens on
# any more: the kernel looks for a listener (tcp_v4_rcv, TCP_TW_SYN), finds
# none, keeps its TIME_WAIT socket and answers with an ACK. The tracker must
# keep its TIME_WAIT entry too, or anyone who knows the tuple takes one off
# the gauge per SYN for as long as the socket lives. The SYN comes from the
# real peer: it reconnects from its old port (its ISN is past the old one),
# and its RSTs to the server's ACKs are held back, as an attacker's would be
# absent. IPv4 on a protected port (the SYN path), IPv6 on a port that is
# only tracked; then, with a listener again, the kernel hands the tuple to
# it and the tracker follows the new connection.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" ss nft
PORT4=8091
PORT6=8092
lab_up "sg-tl$$" 227 >/dev/null || { fail "time_wait_syn_no_listener: lab setup"; exit 1; }
sg_start -p "$PORT4" --mode off ||
	{ fail "time_wait_syn_no_listener: synguardd starts"; sg_log; lab_finish; }
lcli nft -f - <<'NFT'
table inet tl {
	chain out {
		type filter hook output priority 0;
		tcp flags & rst == rst drop
	}
}
NFT

# serve ADDR PORT [hold]: accept one connection and close it first (this
# side then holds TIME_WAIT), or with hold keep it 5 s; then close the
# listener
cat >"$LAB_TMP/serve.py" <<'PY'
import socket, sys, time
ls = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(8)
ls.settimeout(10)
c, _ = ls.accept()
ls.close()
if len(sys.argv) > 3:
    time.sleep(5)
c.close()
PY
serve() {
	lab_bg lsrv $LAB_PY "$LAB_TMP/serve.py" "$@"
	wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$2 | wc -l"
}
# connect ADDR PORT [CPORT [hold]]: connect (from CPORT) and wait for the
# server's close, or with hold print at once and leave the socket open 3 s;
# prints the local port, or "failed" (no answer within 2.5 s)
connect() {
	lcli $LAB_PY - "$@" <<'PY'
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if len(sys.argv) > 3:
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sys.argv[3])))
s.settimeout(2.5)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print(s.getsockname()[1], flush=True)
    if len(sys.argv) > 4:
        time.sleep(3)
    else:
        s.recv(1)
except OSError:
    print("failed")
s.close()
PY
}
# ss_count STATE PORT CPORT: the server's sockets of the tuple in STATE
ss_count() { lsrv ss -Htan state "$1" "( sport = :$2 and dport = :$3 )" | wc -l; }
# ct_count STATE PORT CPORT: the tracker's entries of the tuple in STATE
# (any: all of them)
ct_count() {
	local st=(--state "$1")
	[ "$1" = any ] && st=()
	sg_cli conns -i "$LAB_SIF" "${st[@]}" --sport "$2" --dport "$3" --json |
		$LAB_PY -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

for fam in 4 6; do
	if [ $fam = 4 ]; then saddr=$LAB_S4 port=$PORT4; else saddr=$LAB_S6 port=$PORT6; fi
	serve "$saddr" "$port" || { fail "time_wait_syn_no_listener: IPv$fam server"; continue; }
	cport=$(connect "$saddr" "$port")
	[ $fam = 4 ] && cport4=$cport
	wait_for 0 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$port | wc -l"
	wait_for 1 5 ss_count time-wait "$port" "$cport" ||
		{ fail "time_wait_syn_no_listener: IPv$fam: the server holds TIME_WAIT"; continue; }
	expect "time_wait_syn_no_listener: IPv$fam: the tracker holds it too" \
		"$(ct_count TIME_WAIT "$port" "$cport")" -eq 1
	oow=$(sg_counter ct_seg_oow)
	again=$(connect "$saddr" "$port" "$cport")
	# past the 1 s in which an unconfirmed SYN_RCVD entry would live
	sleep 1.5
	expect "time_wait_syn_no_listener: IPv$fam: the peer's new SYNs find no listener ($again)" \
		"$again" = failed
	expect "time_wait_syn_no_listener: IPv$fam: the kernel keeps its TIME_WAIT socket" \
		"$(ss_count time-wait "$port" "$cport")" -eq 1
	expect "time_wait_syn_no_listener: IPv$fam: the tracker keeps its TIME_WAIT entry" \
		"$(ct_count TIME_WAIT "$port" "$cport")" -eq 1
	expect "time_wait_syn_no_listener: IPv$fam: ...and nothing else of the tuple" \
		"$(ct_count any "$port" "$cport")" -eq 1
	n=$(( $(sg_counter ct_seg_oow) - oow ))
	expect "time_wait_syn_no_listener: IPv$fam: ...having ignored the SYNs (ct_seg_oow +$n)" \
		"$n" -ge 1
done
expect "time_wait_syn_no_listener: the TIME_WAIT gauge equals ss" \
	"$(sg_stats | jget states.TIME_WAIT -1)" -eq "$(lsrv ss -Htan state time-wait | wc -l)"

# a listener again: the kernel hands the TIME_WAIT tuple to it (RFC 6191)
serve "$LAB_S4" "$PORT4" hold
connect "$LAB_S4" "$PORT4" "${cport4:-0}" hold >"$LAB_TMP/back" &
cpid=$!
wait_for 1 5 sh -c "grep -c . $LAB_TMP/back"
back=$(head -n 1 "$LAB_TMP/back")
expect "time_wait_syn_no_listener: with a listener the peer connects again from its port" \
	"$back" = "${cport4:-0}"
expect "time_wait_syn_no_listener: ...the kernel's socket is ESTABLISHED, its TIME_WAIT gone" \
	"$(ss_count established "$PORT4" "$back") $(ss_count time-wait "$PORT4" "$back")" = "1 0"
expect "time_wait_syn_no_listener: ...and so is the tracker's entry" \
	"$(ct_count ESTABLISHED "$PORT4" "$back") $(ct_count any "$PORT4" "$back")" = "1 1"
wait "$cpid"
sg_alive || fail "time_wait_syn_no_listener: synguardd died" "$(sg_log 5)"
lab_finish
