# Lab for the conntrack integration tests (sourced). Private helpers: a
# server and a client namespace joined by one veth, a synguard daemon on the
# server end, cleanup on any exit.
# Env: SG_CT_DAEMON / SG_CT_CLI override the binaries (default build/...).
# Names carry the pid: runs may overlap (make test next to a developer's
# run), and synguardd's pidfile is per interface name, across namespaces.
CT_SRV_NS=${CT_SRV_NS:-sg-ct-srv.$$}
CT_CLI_NS=${CT_CLI_NS:-sg-ct-cli.$$}
CT_SRV_IF=${CT_SRV_IF:-ct-s$$}
CT_CLI_IF=${CT_CLI_IF:-ct-c$$}
CT_BPFFS=${CT_BPFFS:-/run/sg-ct-bpffs.$$}
CT_DAEMON=${SG_CT_DAEMON:-$ROOT/build/synguardd}
CT_CLI=${SG_CT_CLI:-$ROOT/build/synguard}
CT_DLOG=/tmp/sg-ct-daemon.$$.log
CT_DPID=
export CT_SRV_NS CT_CLI_NS CT_SRV_IF CT_CLI_IF

# SIGTERM (detach), SIGKILL after 10 s
ct_daemon_down() {
	if [ -n "$CT_DPID" ] && kill -0 "$CT_DPID" 2>/dev/null; then
		kill -TERM "$CT_DPID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$CT_DPID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$CT_DPID" 2>/dev/null; then
			echo "# synguardd ignored SIGTERM for 10 s: killed"
			kill -KILL "$CT_DPID" 2>/dev/null
		fi
		wait "$CT_DPID" 2>/dev/null
	fi
	CT_DPID=
}

ct_cleanup() {
	ct_daemon_down
	ip netns del "$CT_SRV_NS" 2>/dev/null
	ip netns del "$CT_CLI_NS" 2>/dev/null
	if mountpoint -q "$CT_BPFFS" 2>/dev/null; then umount "$CT_BPFFS"; fi
	rmdir "$CT_BPFFS" 2>/dev/null
	rm -f "$CT_DLOG"
}
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ct_require() {
	local m
	for m in "$CT_DAEMON" "$CT_CLI"; do
		set -- $m
		if [ ! -x "$1" ]; then
			echo "skip - $(basename "$0" .sh) ($1 not built: make all)"
			return 1
		fi
	done
	if ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
		echo "skip - $(basename "$0" .sh) (python3-scapy missing)"
		return 1
	fi
	return 0
}

ct_sns() { nsenter --net=/run/netns/"$CT_SRV_NS" "$@"; }
ct_cns() { nsenter --net=/run/netns/"$CT_CLI_NS" "$@"; }

ct_lab_up() {
	ip netns del "$CT_SRV_NS" 2>/dev/null
	ip netns del "$CT_CLI_NS" 2>/dev/null
	ip netns add "$CT_SRV_NS" && ip netns add "$CT_CLI_NS" || return 1
	ip link add "$CT_SRV_IF" netns "$CT_SRV_NS" type veth peer name "$CT_CLI_IF" netns "$CT_CLI_NS" || return 1
	local ns
	for ns in "$CT_SRV_NS" "$CT_CLI_NS"; do
		nsenter --net=/run/netns/$ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		nsenter --net=/run/netns/$ns ip link set lo up
	done
	ct_sns ip addr add 198.18.0.1/24 dev "$CT_SRV_IF"
	ct_sns ip addr add 2001:db8::1/64 dev "$CT_SRV_IF" nodad
	ct_cns ip addr add 198.18.0.2/24 dev "$CT_CLI_IF"
	ct_cns ip addr add 2001:db8::2/64 dev "$CT_CLI_IF" nodad
	ct_sns ip link set "$CT_SRV_IF" up
	ct_cns ip link set "$CT_CLI_IF" up
	# the raw peer's addresses: owned by no kernel, routed to the client veth
	local cmac
	cmac=$(ct_cns ip -o link show dev "$CT_CLI_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ct_sns ip neigh replace 198.18.0.99 lladdr "$cmac" dev "$CT_SRV_IF" nud permanent
	ct_sns ip neigh replace 2001:db8::99 lladdr "$cmac" dev "$CT_SRV_IF" nud permanent
	ct_sns sysctl -qw net.ipv4.tcp_fin_timeout=60
	[ -n "$cmac" ] || return 1
	return 0
}

# ct_daemon_up "EXTRA ARGS": synguardd --mode off on the server veth.
ct_daemon_up() {
	mkdir -p "$CT_BPFFS"
	mountpoint -q "$CT_BPFFS" || mount -t bpf bpf "$CT_BPFFS" || return 1
	# shellcheck disable=SC2086
	nsenter --net=/run/netns/"$CT_SRV_NS" $CT_DAEMON -i "$CT_SRV_IF" --mode off --bpffs "$CT_BPFFS" $1 >"$CT_DLOG" 2>&1 &
	CT_DPID=$!
	local i
	for i in $(seq 100); do
		if ct_sns $CT_CLI stats -i "$CT_SRV_IF" --json --bpffs "$CT_BPFFS" >/dev/null 2>&1; then
			break
		fi
		kill -0 "$CT_DPID" 2>/dev/null || return 1
		sleep 0.1
	done
	[ "$i" -lt 100 ] || return 1
	sleep 0.3  # programs attached after the maps are pinned
	export CT_SG_CLI
	CT_SG_CLI=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1].split() + sys.argv[2:]))' \
		"$CT_CLI" -i "$CT_SRV_IF" --bpffs "$CT_BPFFS")
	return 0
}

ct_daemon_alive() { [ -z "$CT_DPID" ] || kill -0 "$CT_DPID" 2>/dev/null; }
ct_daemon_log() { sed 's/^/# daemon: /' "$CT_DLOG" | tail -n 20; }
