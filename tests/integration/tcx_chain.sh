#!/usr/bin/env bash
# synguard's tc programs hand every packet on (TCX_NEXT), as the design
# promises a CNI or any other tc user sharing the interface: a clsact
# filter on ingress and egress (build/tc_count.bpf.o, which counts what
# reaches it; legacy tc runs after the whole tcx chain, and only when it
# ends in TCX_NEXT) counts the packets of the cookie handshakes synguard
# completes in cookie mode (TC ingress assigns the request socket, then
# hands the packet on), IPv4 and IPv6, and of plain connections with
# cookie mode off; every connection succeeds. With TC_ACT_OK (the end of
# the chain) the filters count 0.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" tc bpftool
[ -e "$LAB_ROOT/build/tc_count.bpf.o" ] || { skip "tcx_chain" "build/tc_count.bpf.o missing: make all"; exit 0; }
T=tests/tools
lab_up "sg-tx$$" 124 >/dev/null || { fail "tcx_chain: lab setup"; exit 1; }
if ! sg_start -p 8080 --mode on; then
	fail "tcx_chain: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
lsrv tc qdisc add dev "$LAB_SIF" clsact
for dir in ingress egress; do
	lsrv tc filter add dev "$LAB_SIF" "$dir" pref 1 bpf da obj "$LAB_ROOT/build/tc_count.bpf.o" sec tc ||
		{ fail "tcx_chain: a clsact filter on $dir"; lab_finish; }
done
# packets the counting filter of DIR has seen (its map, summed over CPUs)
seen() {
	local prog map
	prog=$(lsrv tc -j filter show dev "$LAB_SIF" "$1" | jget 1.options.prog.id 0)
	map=$(bpftool -j prog show id "$prog" 2>/dev/null | jget map_ids.0 0)
	bpftool -j map dump id "$map" 2>/dev/null | $LAB_PY -c '
import json, sys
# without BTF, bpftool prints a value as its bytes
num = lambda v: v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little")
print(sum(num(v["value"]) for e in json.load(sys.stdin) for v in e.get("values", [])))'
}
in0=$(seen ingress) out0=$(seen egress) acc0=$(sg_counter tc_assigned)
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py 8080 -n 0 -t 60 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
ok4=$(lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 8080 -n 10 -b 2000 -q | tail -n 1 | jget summary.ok 0)
ok6=$(lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S6" 8080 -n 10 -b 2000 -q | tail -n 1 | jget summary.ok 0)
acc=$(( $(sg_counter tc_assigned) - acc0 ))
in=$(( $(seen ingress) - in0 )) out=$(( $(seen egress) - out0 ))
expect "tcx_chain: 20/20 cookie handshakes (IPv4, IPv6) complete" "$((ok4 + ok6))" -eq 20
expect "tcx_chain: ...each through TC ingress's socket assignment" "$acc" -ge 20
expect "tcx_chain: the ingress filter after synguard's tcx program sees their packets ($in)" "$in" -ge 100
expect "tcx_chain: the egress filter after synguard's tcx program sees their packets ($out)" "$out" -ge 60
# cookie mode off: a plain handshake through the kernel, also handed on
sg_cli set -i "$LAB_SIF" mode=off >/dev/null
in0=$(seen ingress)
okp=$(lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 8080 -n 5 -b 2000 -q | tail -n 1 | jget summary.ok 0)
expect "tcx_chain: with cookie mode off, 5/5 connect and the filter still sees them" \
	"$okp/$(( $(seen ingress) - in0 >= 25 ))" = "5/1"
lab_finish
