#!/bin/bash
# Traffic synguard does not own: a router running synguardd with defaults
# (ports = all, here in --mode on) on its uplink must leave alone what it
# forwards, NATs or bridges, and must not answer SYNs for addresses it does
# not own nor from sources no SYN-ACK may go to (docs/security.md, "Traffic
# synguard does not own").
#
#   client (C) 198.18.60.2 ==uplink== router (R, synguardd) 198.18.60.1
#                          ==path 2== R 198.18.62.1 / C 198.18.62.2
#   R 198.18.61.1 ==== backend (B) 198.18.61.2    (ip_forward=1 on R)
#   bridge lab: C 198.18.63.2 == [R's uplink in bridge, R 198.18.63.1] == B2 .63.3
#
# Every connection case is first run on the bare kernel (it must work
# there, or the topology is wrong), then with synguard.
source "$(dirname "$0")/../lab.sh"
lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nft py:scapy

T=$LAB_ROOT/tests/tools/transit.py
P=8080    # the router and the backend both listen: ports=all protects it
Q=9090    # the router DNATs it to the backend's P; nothing listens on R
CP=7070   # the client listens, for connections the backend opens
N=20

lab_up "sg-tt$$" 60 >/dev/null || { fail "transit: lab setup"; exit 1; }
R=$LAB_SRV C=$LAB_CLI B=sg-tt$$-be
inR() { nsenter --net=/run/netns/"$R" "$@"; }
inC() { nsenter --net=/run/netns/"$C" "$@"; }
inB() { nsenter --net=/run/netns/"$B" "$@"; }

setup() {
	lab_ns "$B" || return 1
	ip link add "sg-tt$$-r" netns "$R" type veth peer name "sg-tt$$-b" netns "$B" || return 1
	ip link add "sg-tt$$-a" netns "$R" type veth peer name "sg-tt$$-z" netns "$C" || return 1
	inR ip addr add 198.18.61.1/24 dev "sg-tt$$-r" &&
	inR ip addr add 2001:db8:61::1/64 dev "sg-tt$$-r" nodad &&
	inR ip addr add 198.18.62.1/24 dev "sg-tt$$-a" &&
	inB ip addr add 198.18.61.2/24 dev "sg-tt$$-b" &&
	inB ip addr add 2001:db8:61::2/64 dev "sg-tt$$-b" nodad &&
	inC ip addr add 198.18.62.2/24 dev "sg-tt$$-z" || return 1
	inR ip link set "sg-tt$$-r" up && inR ip link set "sg-tt$$-a" up &&
	inB ip link set "sg-tt$$-b" up && inC ip link set "sg-tt$$-z" up || return 1
	inB ip route add default via 198.18.61.1 &&
	inB ip -6 route add default via 2001:db8:61::1 &&
	inC ip route add 198.18.61.0/24 via 198.18.60.1 &&
	inC ip -6 route add 2001:db8:61::/64 via 2001:db8:60::1 || return 1
	# the second path's replies come back by the uplink (asymmetric)
	inC ip route add 198.18.62.1/32 via 198.18.60.1 || return 1
	local ns
	for ns in "$R" "$C"; do
		nsenter --net=/run/netns/"$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 >/dev/null
		nsenter --net=/run/netns/"$ns" sh -c \
			'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done'
	done
	inR sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	inR nft -f - <<-EOT || return 1
	table ip sgtt {
		chain pre { type nat hook prerouting priority -100; tcp dport $Q dnat to 198.18.61.2:$P; }
		chain post { type nat hook postrouting priority 100; }
	}
	EOT
	lab_bg inR $LAB_PY "$T" serve $P 600
	lab_bg inB $LAB_PY "$T" serve $P 600
	lab_bg inC $LAB_PY "$T" serve $CP 600
	sleep 0.5
	return 0
}
setup || { fail "transit: topology setup"; lab_finish; }

# masq OIF: MASQUERADE what the router sends out of OIF ("" for none)
masq() {
	inR nft flush chain ip sgtt post
	[ -z "$1" ] || inR nft add rule ip sgtt post oifname "$1" masquerade
}
# route_asym on|off: the router sends to the client by path 2
route_asym() {
	if [ "$1" = on ]; then inR ip route replace 198.18.60.2/32 via 198.18.62.2
	else inR ip route del 198.18.60.2/32 2>/dev/null; fi
}

# The set-ups: NAME, then how to reach it (a function of this script)
case_routed4() { inC $LAB_PY "$T" connect 198.18.61.2 $P $N 1; }
case_routed6() { inC $LAB_PY "$T" connect 2001:db8:61::2 $P $N 1; }
case_dnat() { inC $LAB_PY "$T" connect 198.18.60.1 $Q $N 1; }
case_masq() { masq "sg-tt$$-s"; inB $LAB_PY "$T" connect 198.18.60.2 $CP $N 1; masq ""; }
case_asym_routed() {
	route_asym on; inB $LAB_PY "$T" connect 198.18.60.2 $CP $N 1; route_asym off
}
case_asym_masq() {
	route_asym on; masq "sg-tt$$-a"
	inB $LAB_PY "$T" connect 198.18.60.2 $CP $N 1
	masq ""; route_asym off
}
CASES="routed4 routed6 dnat masq asym_routed asym_masq"

for c in $CASES; do
	expect "transit: $c, bare kernel: $N/$N connect" "$(case_$c)" -eq $N
done

sg_start --mode on || { fail "transit: synguardd start"; sg_log; lab_finish; }
sleep 1.5   # the daemon's first samples: listeners (and local addresses)
for c in $CASES; do
	u0=$(sg_counter drop_synack_unsolicited)
	got=$(case_$c)
	u1=$(sg_counter drop_synack_unsolicited)
	expect "transit: $c, synguard --mode on: $N/$N connect (unsolicited SYN-ACK drops +$((u1 - u0)))" \
		"$got" -eq $N
done

# the MASQUERADEd connections left the uplink from the router's address,
# but no socket of the router's: the tracker follows them not (ss has none)
masq_tracked=$(sg_cli conns -i "$LAB_SIF" --json 2>/dev/null |
	$LAB_PY -c "import json,sys; print(sum(1 for c in json.load(sys.stdin) if c['rport'] == $CP))")
expect "transit: the router tracks none of the connections it MASQUERADEd ($masq_tracked)" \
	"$masq_tracked" -eq 0

# SYNs for an address the router does not own: no cookie SYN-ACK
RMAC=$(lab_mac "$R" "$LAB_SIF")
s0=$(sg_counter syn_cookies_sent)
got=$(inC $LAB_PY "$T" synack "$LAB_CIF" "$RMAC" 198.18.60.2 198.18.60.99 $P 5)
s1=$(sg_counter syn_cookies_sent)
expect "transit: SYN to 198.18.60.99 (not the router's): no SYN-ACK ($got of 5)" "$got" -eq 0
expect "transit: ...and no cookie sent (+$((s1 - s0)))" $((s1 - s0)) -eq 0

# SYNs from sources a SYN-ACK must never go to: none answered, each counted
src_case() {
	local src=$1 cnt=$2 c0 c1 got
	c0=$(sg_counter "$cnt")
	got=$(inC $LAB_PY "$T" synack "$LAB_CIF" "$RMAC" "$src" 198.18.60.1 $P 5)
	c1=$(sg_counter "$cnt")
	expect "transit: SYN from $src: no SYN-ACK ($got of 5)" "$got" -eq 0
	expect "transit: ...counted in $cnt (+$((c1 - c0)))" $((c1 - c0)) -ge 5
}
src_case 255.255.255.255 drop_src_broadcast
src_case 198.18.60.255 drop_src_broadcast
src_case 224.0.0.1 drop_src_multicast
src_case 127.0.0.1 drop_src_loopback
src_case 0.0.0.0 drop_src_unspecified
src_case 198.18.61.1 drop_land

# ---- bridged: the router's uplink is a bridge port -------------------------
lab_up "sg-tb$$" 63 >/dev/null || { fail "transit: bridge lab setup"; lab_finish; }
R2=$LAB_SRV B2=sg-tb$$-be BR=sg-tb$$-br
inR2() { nsenter --net=/run/netns/"$R2" "$@"; }
bridge_setup() {
	lab_ns "$B2" || return 1
	inR2 ip addr flush dev "$LAB_SIF"
	inR2 ip link add "$BR" type bridge && inR2 ip link set "$LAB_SIF" master "$BR" || return 1
	ip link add "sg-tb$$-r" netns "$R2" type veth peer name "sg-tb$$-b" netns "$B2" || return 1
	inR2 ip link set "sg-tb$$-r" master "$BR" && inR2 ip link set "sg-tb$$-r" up &&
	inR2 ip addr add 198.18.63.1/24 dev "$BR" && inR2 ip link set "$BR" up || return 1
	nsenter --net=/run/netns/"$B2" ip addr add 198.18.63.3/24 dev "sg-tb$$-b" &&
	nsenter --net=/run/netns/"$B2" ip link set "sg-tb$$-b" up || return 1
	lab_bg inR2 $LAB_PY "$T" serve $P 600
	lab_bg nsenter --net=/run/netns/"$B2" $LAB_PY "$T" serve $P 600
	sleep 0.5
	return 0
}
bridge_setup || { fail "transit: bridge topology"; lab_finish; }
expect "transit: bridged, bare kernel: $N/$N connect" \
	"$(lcli $LAB_PY "$T" connect 198.18.63.3 $P $N 1)" -eq $N
sg_start --mode on || { fail "transit: synguardd start (bridge port)"; sg_log; lab_finish; }
sleep 1.5
c0=$(sg_counter syn_cookies_sent)
expect "transit: bridged, synguard --mode on on the bridge port: $N/$N connect" \
	"$(lcli $LAB_PY "$T" connect 198.18.63.3 $P $N 1)" -eq $N
c1=$(sg_counter syn_cookies_sent)
expect "transit: ...no cookie for the bridged backend (+$((c1 - c0)))" $((c1 - c0)) -eq 0
# Known limit, not asserted (docs/security.md): the router's own address
# on the bridge, reached through the port synguard runs on, gets cookies,
# but the request socket tc assigns on the port does not survive the
# bridge's hand-over to br0, so those handshakes fail in cookie mode.
got=$(lcli $LAB_PY "$T" connect 198.18.63.1 $P 5 1)
note "bridge port, the router's own address in cookie mode: $got/5 connect (tc_assigned $(sg_counter tc_assigned))"

lab_finish
