#!/bin/bash
# Chaining with other tc programs: synguard's tcx programs must hand every
# packet on to the next program of the chain (TCX_NEXT), not end it
# (TC_ACT_OK is TCX_PASS: a program attached after synguard's saw no packet
# at all). A counting program of the test's own (tcx_probe.bpf.c) sits at
# the head and at the tail of the ingress and egress chains of the server
# veth, around synguard's; every one of them must see the connections'
# packets, and synguard must still complete cookie handshakes.
source "$(dirname "$0")/../lab.sh"
PROBE=$LAB_ROOT/build/security/tcx_probe
PROBE_OBJ=$LAB_ROOT/build/security/tcx_probe.bpf.o
lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" "$PROBE"
[ -f "$PROBE_OBJ" ] || { skip tcx_chain "$PROBE_OBJ missing: make test builds it"; exit 0; }
PINS=$LAB_BPFFS/sg-tx$$-probes
trap 'rm -rf "$PINS"; lab_cleanup' EXIT

T=$LAB_ROOT/tests/tools/transit.py
P=8080
N=20
lab_up "sg-tx$$" 64 >/dev/null || { fail "tcx_chain: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY "$T" serve $P 120
mkdir -p "$PINS"
sg_start --mode on || { fail "tcx_chain: synguardd start"; sg_log; lab_finish; }
sleep 1.5   # ports=all: the listener is protected from the first sample

probes=""
for dir in ingress egress; do
	for where in first last; do
		if lsrv "$PROBE" attach "$PROBE_OBJ" "$LAB_SIF" $dir $where "$PINS/$dir-$where"; then
			probes="$probes $dir-$where"
		else
			fail "tcx_chain: attach a probe $where on $dir"
		fi
	done
done

a0=$(sg_counter cookies_accepted)
got=$(lcli $LAB_PY "$T" connect "$LAB_S4" $P $N 2)
a1=$(sg_counter cookies_accepted)
expect "tcx_chain: $N/$N connects through synguard with probes around it" "$got" -eq $N
expect "tcx_chain: ...each a cookie handshake (cookies_accepted +$((a1 - a0)))" $((a1 - a0)) -ge $N
for pr in $probes; do
	seen=$(lsrv "$PROBE" show "$PINS/$pr" | cut -d' ' -f1)
	# a connection is at least 3 segments each way (handshake, echo, close)
	expect "tcx_chain: the probe $pr of synguard's saw the TCP packets ($seen)" "${seen:-0}" -ge $((3 * N))
done
lab_finish
