# Shared lab for synguard's integration tests and demo (source it; bash).
#
#   source tests/lab.sh
#   lab_up sg-ck 7        # namespaces sg-ck-srv / sg-ck-cli, veth sg-ck-s / sg-ck-c,
#                         # 198.18.7.1 (srv) / .2 (cli), 2001:db8:7::1 / ::2
#   sg_start -p 8080 --mode on      # synguardd on the server veth, waits for it
#   sg_stats | jget counters.syn_cookies_sent
#   ok NAME / fail NAME DETAIL / skip NAME REASON / check NAME CMD...
#   lab_finish            # exit status: non-zero if any check failed
#
# Rules: namespaces are named sg-*, addresses come from 198.18.0.0/15 and
# 2001:db8::/32, everything started here is stopped and every namespace
# removed on EXIT (also after a failure or ^C).
# nsenter --net keeps our mount namespace (ip netns exec would mount a fresh
# /sys and hide /sys/fs/bpf), so pins made by the daemon are seen by the CLI.

LAB_ROOT=${SG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LAB_PY=/usr/bin/python3          # Debian's python3 (python3-scapy), not pyenv
LAB_DAEMON=${SG_DAEMON:-$LAB_ROOT/build/synguardd}
LAB_CLI_BIN=${SG_CLI:-$LAB_ROOT/build/synguard}
LAB_BPFFS=${SG_BPFFS:-/sys/fs/bpf}
SG_RUN=/run/synguard             # the daemons' pidfiles, per network namespace
LAB_TMP=$(mktemp -d /tmp/sg-lab.XXXXXX)
LAB_NAMES=()          # lab prefixes brought up (for cleanup)
LAB_PIDS=()           # background helpers to kill on exit
LAB_EXTRA_NS=()       # namespaces of lab_ns (for cleanup)
LAB_FAILS=0
LAB_OKS=0
SG_PID=
SG_LOG=$LAB_TMP/synguardd.log

# ---- result lines ---------------------------------------------------------
ok()   { echo "ok - $1"; LAB_OKS=$((LAB_OKS + 1)); }
fail() { echo "not ok - $1${2:+: $2}"; LAB_FAILS=$((LAB_FAILS + 1)); }
skip() { echo "skip - $1${2:+ ($2)}"; }
# check NAME CMD...: ok if CMD succeeds, else not ok with CMD's last output line
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$out" | tail -n 1)"; fi
}
# expect NAME ACTUAL OP EXPECTED (OP: -eq -ne -gt -ge -lt -le, = or !=)
expect() {
	local name=$1 a=$2 op=$3 e=$4 r
	case $op in
		=|!=) [ "$a" "$op" "$e" ]; r=$? ;;
		*) [[ "$a" =~ ^-?[0-9]+$ ]] && [ "$a" "$op" "$e" ]; r=$? ;;
	esac
	if [ $r -eq 0 ]; then ok "$name"; else fail "$name" "got '$a', want $op $e"; fi
}
lab_finish() { [ "$LAB_FAILS" -eq 0 ]; exit $?; }
note() { echo "# $*"; }

# ---- namespaces -----------------------------------------------------------
# After lab_up NAME X: LAB_SRV LAB_CLI (netns), LAB_SIF LAB_CIF (veth ends),
# LAB_S4 LAB_C4 LAB_S6 LAB_C6 (addresses), LAB_SIDX (server ifindex, in its ns)
lsrv() { nsenter --net=/run/netns/"$LAB_SRV" "$@"; }
lcli() { nsenter --net=/run/netns/"$LAB_CLI" "$@"; }

# lab_require CMD|py:MODULE... : skip the whole script if a command, or a
# module of $LAB_PY, is missing
lab_require() {
	local c
	for c in "$@"; do
		case $c in
		py:*) $LAB_PY -c "import ${c#py:}" 2>/dev/null && continue ;;
		*) { command -v "$c" >/dev/null 2>&1 || [ -x "$c" ]; } && continue ;;
		esac
		skip "$(basename "$0" .sh)" "$c missing: make deps / make all"
		exit 0
	done
}

# ---- several labs in one test ---------------------------------------------
# Every lab_up NAME makes NAME the current lab; lab_use NAME switches back
# to an earlier one. The helpers below (lsrv, sg_start, sg_cli, ...) act on
# the current lab; each lab has its own synguardd (SG_PID, SG_LOG), and
# every one of them is stopped on exit.
LAB_VARS="LAB_SRV LAB_CLI LAB_SIF LAB_CIF LAB_S4 LAB_C4 LAB_S6 LAB_C6 LAB_SIDX SG_PID SG_LOG"
declare -A LAB_KEPT
LAB_CUR=
lab_keep() {
	local v
	[ -n "$LAB_CUR" ] || return 0
	for v in $LAB_VARS; do LAB_KEPT[$LAB_CUR.$v]=${!v}; done
}
lab_use() {
	local v
	lab_keep
	for v in $LAB_VARS; do printf -v "$v" '%s' "${LAB_KEPT[$1.$v]-}"; done
	LAB_CUR=$1
}

lab_up() {
	local name=$1 x=${2:-0} ns
	case $name in sg-*) ;; *) echo "lab_up: namespace prefix must start with sg-" >&2; return 1 ;; esac
	if [ $(( ${#name} + 2 )) -gt 15 ]; then echo "lab_up: $name too long for an iface name" >&2; return 1; fi
	lab_keep
	LAB_CUR=$name SG_PID= SG_LOG=$LAB_TMP/synguardd.$name.log
	LAB_SRV=$name-srv LAB_CLI=$name-cli LAB_SIF=$name-s LAB_CIF=$name-c
	LAB_S4=198.18.$x.1 LAB_C4=198.18.$x.2 LAB_S6=2001:db8:$x::1 LAB_C6=2001:db8:$x::2
	LAB_NAMES+=("$name")
	ip netns del "$LAB_SRV" 2>/dev/null; ip netns del "$LAB_CLI" 2>/dev/null
	lab_unpin "$LAB_SIF"
	ip netns add "$LAB_SRV" && ip netns add "$LAB_CLI" || return 1
	ip link add "$LAB_SIF" netns "$LAB_SRV" type veth peer name "$LAB_CIF" netns "$LAB_CLI" || return 1
	for ns in "$LAB_SRV" "$LAB_CLI"; do
		nsenter --net=/run/netns/$ns sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null
		nsenter --net=/run/netns/$ns ip link set lo up
	done
	lsrv ip addr add "$LAB_S4/24" dev "$LAB_SIF" &&
	lsrv ip addr add "$LAB_S6/64" dev "$LAB_SIF" nodad &&
	lcli ip addr add "$LAB_C4/24" dev "$LAB_CIF" &&
	lcli ip addr add "$LAB_C6/64" dev "$LAB_CIF" nodad || return 1
	lsrv ip link set "$LAB_SIF" up && lcli ip link set "$LAB_CIF" up || return 1
	# XDP_TX on a veth is lost unless the peer end runs an XDP program
	lcli ip link set dev "$LAB_CIF" xdpdrv obj "$LAB_ROOT/build/xdp_pass.bpf.o" sec xdp.frags || return 1
	# the kernel accepts BPF-assigned request sockets only with syncookies != 0
	lsrv sysctl -qw net.ipv4.tcp_syncookies=1 >/dev/null || return 1
	LAB_SIDX=$(lsrv cat /sys/class/net/"$LAB_SIF"/ifindex 2>/dev/null ||
		lsrv ip -o link show dev "$LAB_SIF" | cut -d: -f1)
	# neighbours resolved up front: the first SYN must not wait for ARP/ND
	lcli ping -c1 -W2 "$LAB_S4" >/dev/null 2>&1
	lcli ping -6 -c1 -W2 "$LAB_S6" >/dev/null 2>&1
	return 0
}

# lab_state_file IFACE: where synguard set/allow/deny save for the server's
# daemon (a named network namespace has a directory of its own)
lab_state_file() { echo "/var/lib/synguard/netns/$LAB_SRV/$1.state"; }
# lab_unpin IFACE: its pins, the cookie secrets a plain stop keeps, its state file
lab_unpin() {
	rm -rf "${LAB_BPFFS:?}/synguard/$1" "$LAB_BPFFS/synguard-kept/$1" 2>/dev/null
	rm -f "$(lab_state_file "$1")"
	rmdir "/var/lib/synguard/netns/$LAB_SRV" "$LAB_BPFFS/synguard-kept" 2>/dev/null
}
lab_down() {
	local name ns pids
	# anything still running in our namespaces was started by this script
	for name in "${LAB_NAMES[@]}"; do
		for ns in "$name-srv" "$name-cli"; do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -n "$pids" ] && kill $pids 2>/dev/null
		done
	done
	for ns in "${LAB_EXTRA_NS[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for name in "${LAB_NAMES[@]}"; do
		ip netns del "$name-srv" 2>/dev/null
		ip netns del "$name-cli" 2>/dev/null
		lab_unpin "$name-s"
	done
	LAB_NAMES=() LAB_EXTRA_NS=()
}

# lab_ns NS: one more namespace (named sg-*, lo up), removed on exit like
# the lab's own: for topologies of more than two hosts (a backend behind
# the server, a second path)
lab_ns() {
	case $1 in sg-*) ;; *) echo "lab_ns: namespace must start with sg-" >&2; return 1 ;; esac
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	LAB_EXTRA_NS+=("$1")
	nsenter --net=/run/netns/"$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	nsenter --net=/run/netns/"$1" ip link set lo up
}

lab_cleanup() {
	local p name
	sg_stop quiet
	lab_keep
	for name in "${LAB_NAMES[@]}"; do
		lab_use "$name"
		sg_stop quiet
	done
	for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${LAB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	LAB_PIDS=()
	lab_down
	rm -rf "$LAB_TMP"
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM HUP

# lab_bg CMD...: background helper, killed on exit. lsrv/lcli CMD run as
# nsenter directly, so $! is the helper itself, not a subshell.
lab_bg() {
	case $1 in
		lsrv) shift; nsenter --net=/run/netns/"$LAB_SRV" "$@" & ;;
		lcli) shift; nsenter --net=/run/netns/"$LAB_CLI" "$@" & ;;
		*) "$@" & ;;
	esac
	LAB_PIDS+=($!)
}

# ---- synguard daemon and CLI ---------------------------------------------
# sg_cli ARGS...: the CLI in the server namespace, same bpffs
sg_cli() { lsrv "$LAB_CLI_BIN" "$@" --bpffs "$LAB_BPFFS"; }
sg_stats() { sg_cli stats -i "$LAB_SIF" --json; }

# sg_start ARGS...: synguardd -i LAB_SIF ARGS in the server namespace, in
# the background, log in $SG_LOG; returns once it says it runs (pins left by
# an earlier daemon answer status before that), `synguard status` answers
# and XDP is attached (1 if the daemon exits or is not up within 10 s).
# What synguard set/allow/deny saved for the interface is dropped first, so
# that each daemon starts from its flags as the test wrote them; a test of
# saved state sets LAB_KEEP_STATE=1.
sg_start() {
	local i
	: >"$SG_LOG"
	[ "${LAB_KEEP_STATE:-0}" = 1 ] || rm -f "$(lab_state_file "$LAB_SIF")"
	# nsenter directly (not the lsrv function): $! must be the daemon itself
	nsenter --net=/run/netns/"$LAB_SRV" "$LAB_DAEMON" -i "$LAB_SIF" --bpffs "$LAB_BPFFS" "$@" >>"$SG_LOG" 2>&1 &
	SG_PID=$!
	for i in $(seq 100); do
		if ! kill -0 "$SG_PID" 2>/dev/null; then
			wait "$SG_PID" 2>/dev/null; SG_PID=; return 1
		fi
		if grep -q "synguardd running on $LAB_SIF" "$SG_LOG" &&
			sg_cli status -i "$LAB_SIF" >/dev/null 2>&1 && lab_xdp_attached; then
			return 0   # (TC is attached before XDP)
		fi
		sleep 0.1
	done
	return 1
}

# sg_stop [quiet]: SIGTERM (the daemon detaches), SIGKILL after 10 s.
# Returns the daemon's exit status (137 if it had to be killed).
sg_stop() {
	local rc=0 i
	[ -n "$SG_PID" ] || return 0
	if kill -0 "$SG_PID" 2>/dev/null; then
		kill -TERM "$SG_PID" 2>/dev/null
		for i in $(seq 100); do kill -0 "$SG_PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$SG_PID" 2>/dev/null; then
			[ "${1:-}" = quiet ] || note "synguardd ignored SIGTERM for 10 s: killed"
			kill -KILL "$SG_PID" 2>/dev/null
		fi
	fi
	wait "$SG_PID" 2>/dev/null; rc=$?
	SG_PID=
	return $rc
}
# wait_for WANT SECS CMD...: until CMD prints WANT, bounded
wait_for() {
	local want=$1 n=$(( $2 * 10 )); shift 2
	for _ in $(seq "$n"); do [ "$("$@")" = "$want" ] && return 0; sleep 0.1; done
	return 1
}
# logged TEXT: prints true once synguardd's log holds TEXT (for wait_for)
logged() { grep -q -- "$1" "$SG_LOG" && echo true; }
# lab_pidfile: the server namespace's synguardd pidfile of the server veth
lab_pidfile() { echo "$SG_RUN/$(stat -L -c %i /run/netns/"$LAB_SRV")/$LAB_SIF.pid"; }
sg_alive() { [ -n "$SG_PID" ] && kill -0 "$SG_PID" 2>/dev/null; }
sg_log() { sed 's/^/# synguardd: /' "$SG_LOG" | tail -n "${1:-15}"; }

# lab_route_spoof ADDR: the server answers ADDR, a raw client's address no
# kernel owns (tests/tools/cookie_handshake.py), through its veth
lab_route_spoof() {
	lsrv ip route replace "$1/32" dev "$LAB_SIF"
	lsrv ip neigh replace "$1" lladdr "$(lab_mac "$LAB_CLI" "$LAB_CIF")" dev "$LAB_SIF" nud permanent
}

# ---- attachment probes ----------------------------------------------------
lab_xdp_attached() { lsrv ip -d link show dev "$LAB_SIF" | grep -q 'prog/xdp'; }
# bpftool links (xdp, tcx) on the server veth; ifindexes repeat across
# namespaces, so bpftool runs in the server namespace and matches ifindex
lab_links_on_sif() {
	lsrv bpftool -j link show 2>/dev/null | $LAB_PY -c '
import json, sys
idx = int(sys.argv[1])
try: links = json.load(sys.stdin)
except Exception: links = []
for l in links:
    if l.get("ifindex") == idx:
        print(l.get("id"), l.get("type"), l.get("attach_type", ""), l.get("prog_id"))' "$LAB_SIDX"
}

# lab_tcx_count: how many tcx links (ingress and egress) are on the server
# veth. bpftool 7.1 lists tcx links without their device (lab_links_on_sif
# never sees them): tests/tools/tcx_query.py asks the kernel by ifindex.
lab_tcx_count() {
	lsrv $LAB_PY "$LAB_ROOT/tests/tools/tcx_query.py" "$LAB_SIF" | awk '{n += NF - 1} END {print n + 0}'
}

# ---- JSON -----------------------------------------------------------------
# jget PATH [DEFAULT] < JSON: value at a dotted path (a.b.c); bools as
# true/false, objects/lists as JSON; DEFAULT (or exit 1) when absent
jget() {
	$LAB_PY -c '
import json, sys
try:
    v = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
except Exception:
    if len(sys.argv) > 2: print(sys.argv[2]); sys.exit(0)
    sys.exit(1)
if isinstance(v, bool): print("true" if v else "false")
elif isinstance(v, (dict, list)): print(json.dumps(v))
else: print(v)' "$@"
}
# sg_counter NAME: one counter from synguard stats --json (-1 if unreadable)
sg_counter() { sg_stats 2>/dev/null | jget "counters.$1" -1; }

# ---- kernel counters (per netns) -----------------------------------------
# nstat_get NS COUNTER: absolute value; -s keeps nstat's history file alone
nstat_get() {
	nsenter --net=/run/netns/"$1" nstat -asz "$2" 2>/dev/null | awk -v c="$2" '$1==c {print $2; f=1} END {if (!f) print 0}'
}
srv_cookies_sent() { nstat_get "$LAB_SRV" TcpExtSyncookiesSent; }
srv_out_rsts() { nstat_get "$LAB_SRV" TcpOutRsts; }

# ---- trafgen (netsniff-ng) ------------------------------------------------
lab_mac() { nsenter --net=/run/netns/"$1" cat /sys/class/net/"$2"/address 2>/dev/null ||
	ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
# lab_trafgen_cfg FLAGS DPORT [SRC]: one IPv4 TCP packet template from the
# client veth to the server, valid IP and TCP checksums, random source port,
# sequence and ack numbers. FLAGS: TCP flags byte (0x02 SYN, 0x10 ACK).
# SRC: "client" (the client's own address; source ports 4096-4351, outside
# the ephemeral range, so no packet lands on a real connection's tuple) or
# "random" (198.19.rnd.rnd, inside 198.18.0.0/15, owned by nobody).
lab_trafgen_cfg() {
	local flags=$1 dport=$2 src=${3:-random} da sa sip dip sport="drnd(2)"
	da=$(lab_mac "$LAB_SRV" "$LAB_SIF" | sed 's/^/0x/;s/:/, 0x/g')
	sa=$(lab_mac "$LAB_CLI" "$LAB_CIF" | sed 's/^/0x/;s/:/, 0x/g')
	dip=$(echo "$LAB_S4" | tr . ,)
	if [ "$src" = client ]; then
		sip=$(echo "$LAB_C4" | tr . ,) sport="0x10, drnd(1)"
	else
		sip="198, 19, drnd(2)"
	fi
	cat <<-EOT
	{ $da, $sa, 0x08, 0x00,
	  0x45, 0x00, const16(40), drnd(2), 0x40, 0x00, 64, 6, csumip(14, 33),
	  $sip, $dip,
	  $sport, const16($dport), drnd(4), drnd(4), 0x50, $flags, const16(64240),
	  csumtcp(14, 34), const16(0) }
	EOT
}
# lab_trafgen CFG PACKETS SECONDS [RATE_PPS]: send from the client veth,
# bounded in packets and time; prints the number of packets the client
# veth transmitted meanwhile.
lab_trafgen() {
	local cfg=$1 n=$2 secs=$3 rate=${4:-} t0 t1 ropt=()
	[ -n "$rate" ] && ropt=(-b "${rate}pps")
	t0=$(lcli awk -v d="$LAB_CIF:" '$1==d {print $11}' /proc/net/dev)
	lcli timeout -s INT "$secs" trafgen -o "$LAB_CIF" -i "$cfg" -n "$n" -P 1 -q "${ropt[@]}" \
		>"$LAB_TMP/trafgen.out" 2>&1
	t1=$(lcli awk -v d="$LAB_CIF:" '$1==d {print $11}' /proc/net/dev)
	echo $((t1 - t0))
}
