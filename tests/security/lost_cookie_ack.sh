#!/bin/bash
# A lost cookie ACK: the client's ACK of a cookie SYN-ACK is lost on the
# server after synguard's XDP validated it (dropped by a tc program before
# or after synguard's, as a full queue or a filter would). The client
# thinks the connection is open and sends its data; that segment carries
# the same cookie and must still open the connection. A tracker that took
# the validated ACK for an ESTABLISHED connection before the kernel had a
# socket let the data through as a known flow to a kernel with no socket,
# which reset it. The kernel has no netem: test-only tcx_probe.bpf.o drops
# the ACK. `ss` on the server is the oracle.
source "$(dirname "$0")/../lab.sh"
PROBE=$LAB_ROOT/build/security/tcx_probe
PROBE_OBJ=$LAB_ROOT/build/security/tcx_probe.bpf.o
lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" "$PROBE"
[ -f "$PROBE_OBJ" ] || { skip lost_cookie_ack "$PROBE_OBJ missing: make test builds it"; exit 0; }
PINS=$LAB_BPFFS/sg-la$$-probes
trap 'rm -rf "$PINS"; lab_cleanup' EXIT

T=$LAB_ROOT/tests/tools/transit.py
P=8080
N=10
lab_up "sg-la$$" 65 >/dev/null || { fail "lost_cookie_ack: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY "$T" serve $P 120
mkdir -p "$PINS"
sg_start --mode on || { fail "lost_cookie_ack: synguardd start"; sg_log; lab_finish; }
sleep 1.5

# established IPv4 sockets on the server's port P, per ss
srv_estab() { lsrv ss -Htn state established "( sport = :$P )" | wc -l; }
# tracked ESTABLISHED entries on port P
ct_estab() {
	sg_cli conns -i "$LAB_SIF" --state ESTABLISHED --json 2>/dev/null |
		$LAB_PY -c "import json,sys; print(sum(1 for c in json.load(sys.stdin) if c['lport'] == $P))"
}

for where in first last; do
	pin=$PINS/$where
	lsrv "$PROBE" attach "$PROBE_OBJ" "$LAB_SIF" ingress $where "$pin" ||
		{ fail "lost_cookie_ack: attach the dropping probe $where"; continue; }
	ok=0
	for _ in $(seq $N); do
		lsrv "$PROBE" drop "$pin" $P 1
		# hold: connect (its ACK is dropped), 1 s open, then data and echo
		[ "$(lcli $LAB_PY "$T" hold "$LAB_S4" $P 1)" = 1 ] && ok=$((ok + 1))
	done
	dropped=$(lsrv "$PROBE" show "$pin" | cut -d' ' -f2)
	expect "lost_cookie_ack ($where of synguard's tc): the probe dropped the first ACK ($dropped)" \
		"${dropped:-0}" -eq $N
	expect "lost_cookie_ack ($where): $N/$N connections open by the data after a lost ACK" $ok -eq $N
	rm -rf "$pin"
done

# the tracker agrees with ss on a held connection whose first ACK was lost
lsrv "$PROBE" attach "$PROBE_OBJ" "$LAB_SIF" ingress last "$PINS/ss" &&
	lsrv "$PROBE" drop "$PINS/ss" $P 1
lab_bg lcli sh -c "$LAB_PY $T hold $LAB_S4 $P 3 4 >/dev/null"
sleep 1.5
expect "lost_cookie_ack: while the ACK is lost and no data came, ss shows no socket" "$(srv_estab)" -eq 0
expect "lost_cookie_ack: ...and the tracker no ESTABLISHED entry" "$(ct_estab)" -eq 0
sleep 3
expect "lost_cookie_ack: once the data came, ss shows the socket ESTABLISHED" "$(srv_estab)" -eq 1
expect "lost_cookie_ack: ...and so does the tracker" "$(ct_estab)" -eq 1
lab_finish
