#!/usr/bin/env bash
# A connection the tracker lost (older than the daemon, evicted; here
# flushed) is tracked again from the next segment the host sends, with the
# kernel's state. Its window scales were in the handshake, which the
# tracker never saw: the entry must assume the widest (windows err on the
# wide side), or the client's upload overruns the raw window the server
# advertises, the client's FIN behind it is judged out of the window, and
# the entry ends FIN_WAIT_2 over a socket the kernel closed long before.
# After the close, `ss` and the tracker agree: no socket, no open entry.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" ss
PORT=8093
lab_up "sg-rt$$" 230 >/dev/null || { fail "ct_retracked: lab setup"; exit 1; }
sg_start -p "$PORT" --mode off || { fail "ct_retracked: synguardd starts"; sg_log; lab_finish; }
# server: sends a line at once, then reads the upload to its end, closes
cat >"$LAB_TMP/server.py" <<'PY'
import os, socket, sys, time
ls = socket.socket(socket.AF_INET6)
ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("::", int(sys.argv[1])))
ls.listen(8)
ls.settimeout(20)
for _ in range(2):
    c, _ = ls.accept()
    c.settimeout(20)
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.05)
    c.sendall(b"hello\n")
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.close()
    print(n, flush=True)
PY
# client: connects, waits for the server's line, uploads 4 MB, closes
cat >"$LAB_TMP/client.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
print(s.getsockname()[1], flush=True)
s.recv(16)
s.sendall(b"x" * (4 << 20))
s.close()
PY
lab_bg lsrv $LAB_PY "$LAB_TMP/server.py" "$PORT" "$LAB_TMP/go" >"$LAB_TMP/server.out"
wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$PORT | wc -l" ||
	{ fail "ct_retracked: server"; lab_finish; }

# ct_entry PORT CPORT: the local state and bytes in of the tuple's entry
# ("none" if it is gone)
ct_entry() {
	sg_cli conns -i "$LAB_SIF" --sport "$1" --dport "$2" --json |
		$LAB_PY -c 'import json, sys
r = json.load(sys.stdin)
print(" ".join("%s %d" % (c["state"], c["bytes_in"]) for c in r) or "none")'
}
for fam in 4 6; do
	if [ $fam = 4 ]; then addr=$LAB_S4; else addr=$LAB_S6; fi
	rm -f "$LAB_TMP/go"
	lab_bg lcli $LAB_PY "$LAB_TMP/client.py" "$addr" "$PORT" >"$LAB_TMP/client$fam"
	cpid=$!
	wait_for 1 5 sh -c "grep -c . $LAB_TMP/client$fam" ||
		{ fail "ct_retracked: IPv$fam: client connects"; continue; }
	cport=$(head -n 1 "$LAB_TMP/client$fam")
	# the tracker loses the flow before the server's first segment
	sg_cli conns flush -i "$LAB_SIF" >/dev/null
	touch "$LAB_TMP/go"
	wait "$cpid"
	n=$(( fam == 4 ? 1 : 2 ))
	wait_for $n 10 sh -c "grep -c . $LAB_TMP/server.out" ||
		{ fail "ct_retracked: IPv$fam: the upload ends"; continue; }
	expect "ct_retracked: IPv$fam: the server read the whole upload" \
		"$(sed -n ${n}p "$LAB_TMP/server.out")" -eq $((4 << 20))
	sleep 1
	expect "ct_retracked: IPv$fam: the server's socket is gone (ss)" \
		"$(lsrv ss -Htan "( sport = :$PORT and dport = :$cport )" | wc -l)" -eq 0
	e=$(ct_entry "$PORT" "$cport")
	expect "ct_retracked: IPv$fam: ...and the tracker, which took it up again, ends CLOSED ($e)" \
		"${e%% *}" = CLOSED
	expect "ct_retracked: IPv$fam: ...having followed the whole upload (bytes in ${e##* })" \
		"${e##* }" -ge $((4 << 20))
done
sg_alive || fail "ct_retracked: synguardd died" "$(sg_log 5)"
lab_finish
