#!/usr/bin/env bash
# An established connection the host DNATs (here a REDIRECT from the
# protected port 8080 to a local 9090, as a published container port is
# DNATed) has no socket on the address and port XDP sees. If the tracker
# does not hold it (older than the daemon, evicted; here flushed), the ACK
# path finds no cookie and no socket: before, it dropped the connection's
# segments as soon as cookie mode went on. Netfilter knows the flow, and
# now the ACK path asks it before a drop (ack_forwarded). IPv4 and IPv6.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nft
lab_up "sg-dn$$" 229 >/dev/null || { fail "dnat_established: lab setup"; exit 1; }
sg_start -p 8080 --mode off || { fail "dnat_established: synguardd starts"; sg_log; lab_finish; }
lsrv nft -f - <<'NFT'
table inet dn {
	chain pre {
		type nat hook prerouting priority -100;
		tcp dport 8080 redirect to :9090
	}
}
NFT
# echo server on 9090: each line back, for two clients
cat >"$LAB_TMP/echo.py" <<'PY'
import socket, threading
ls = socket.socket(socket.AF_INET6)
ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("::", 9090))
ls.listen(8)
ls.settimeout(30)
def serve(c):
    f = c.makefile("rwb", 0)
    for line in f:
        f.write(line)
    c.close()
for _ in range(2):
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
ls.close()
threading.Event().wait(30)
PY
lab_bg lsrv $LAB_PY "$LAB_TMP/echo.py"
wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :9090 | wc -l" ||
	{ fail "dnat_established: echo server"; lab_finish; }
# client ADDR: one line through the connection, then another once the
# file $LAB_TMP/go exists; prints what came back of each ("-" for none)
cat >"$LAB_TMP/client.py" <<'PY'
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 8080), timeout=3)
f = s.makefile("rwb", 0)
f.write(b"one\n")
first = f.readline().strip().decode() or "-"
print(first, flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
try:
    f.write(b"two\n")
    second = f.readline().strip().decode() or "-"
except OSError:
    second = "-"
print(second, flush=True)
PY
active() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null | jget cookie_mode_active x; }

for fam in 4 6; do
	if [ $fam = 4 ]; then addr=$LAB_S4; else addr=$LAB_S6; fi
	rm -f "$LAB_TMP/go"
	sg_cli set -i "$LAB_SIF" mode=off >/dev/null
	lab_bg lcli $LAB_PY "$LAB_TMP/client.py" "$addr" "$LAB_TMP/go" >"$LAB_TMP/out$fam"
	cpid=$!
	wait_for 1 5 sh -c "grep -c . $LAB_TMP/out$fam"
	# the tracker loses the flow; cookie mode goes on
	sg_cli conns flush -i "$LAB_SIF" >/dev/null
	sg_cli set -i "$LAB_SIF" mode=on >/dev/null
	wait_for true 5 active || fail "dnat_established: IPv$fam: cookie mode on"
	fwd=$(sg_counter ack_forwarded)
	rej=$(sg_counter cookies_rejected)
	touch "$LAB_TMP/go"
	wait "$cpid"
	expect "dnat_established: IPv$fam: the DNATed connection carries data in mode off" \
		"$(sed -n 1p "$LAB_TMP/out$fam")" = one
	expect "dnat_established: IPv$fam: ...and, forgotten by the tracker, in cookie mode" \
		"$(sed -n 2p "$LAB_TMP/out$fam")" = two
	n=$(( $(sg_counter ack_forwarded) - fwd ))
	expect "dnat_established: IPv$fam: ...netfilter's flow passed (ack_forwarded +$n)" "$n" -ge 1
	n=$(( $(sg_counter cookies_rejected) - rej ))
	expect "dnat_established: IPv$fam: ...nothing of it dropped as a bad cookie (cookies_rejected +$n)" \
		"$n" -eq 0
done
sg_alive || fail "dnat_established: synguardd died" "$(sg_log 5)"
lab_finish
