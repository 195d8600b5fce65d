#!/usr/bin/env bash
# synguardd / synguard command line: bad usage exits 2 with one line that
# names the fix, runtime failures exit non-zero with a clear line, one
# daemon per interface, --mode off hands SYNs to the kernel, and
# stats --json carries every key DESIGN.md promises.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat
PORT=8080
T=tests/tools
lab_up "sg-cl$$" 12 >/dev/null || { fail "cli: lab setup"; exit 1; }
D=$LAB_DAEMON C=$LAB_CLI_BIN

# usage NAME WANT_RC CMD...: CMD (in the server namespace, bounded) must
# exit WANT_RC ("1|2" allowed) and print exactly one non-empty line
usage() {
	local name=$1 want=$2 out rc n; shift 2
	out=$(lsrv timeout 10 "$@" 2>&1 </dev/null); rc=$?
	n=$(printf '%s' "$out" | grep -c .)
	if [[ "|$want|" != *"|$rc|"* ]]; then
		fail "cli: $name: exit $want" "exit $rc: $(echo "$out" | head -n 2 | tr '\n' ' ')"
	elif [ "$n" -ne 1 ]; then
		fail "cli: $name: one line" "$n lines: $(echo "$out" | head -n 3 | tr '\n' '|')"
	else
		ok "cli: $name: exit $rc, '$out'"
	fi
}

# ---- bad usage ------------------------------------------------------------
usage "synguardd unknown flag" 2 "$D" --no-such-flag
usage "synguard unknown flag" 2 "$C" stats --no-such-flag --bpffs "$LAB_BPFFS"
usage "synguard unknown command" 2 "$C" no-such-command
for p in 80,70000 90-80 abc 0 80,,443 -5 80- ""; do
	usage "synguardd -p '$p'" 2 "$D" -i "$LAB_SIF" -p "$p" --bpffs "$LAB_BPFFS"
done
usage "synguardd --mode bogus" 2 "$D" -i "$LAB_SIF" --mode bogus --bpffs "$LAB_BPFFS"
usage "synguardd -s with no =" 2 "$D" -i "$LAB_SIF" -s auto.hold --bpffs "$LAB_BPFFS"
usage "synguardd --metrics bad address" 2 "$D" -i "$LAB_SIF" --metrics localhost --bpffs "$LAB_BPFFS"
usage "synguardd --secret-period 0" 2 "$D" -i "$LAB_SIF" --secret-period 0 --bpffs "$LAB_BPFFS"
usage "synguard stats -w 0" 2 "$C" stats -w 0 --bpffs "$LAB_BPFFS"
usage "synguardd without -i" 2 "$D" -p "$PORT" --bpffs "$LAB_BPFFS"
usage "synguardd -i missing interface" "1|2" "$D" -i sg-nosuch0 -p "$PORT" --bpffs "$LAB_BPFFS"
out=$(lsrv timeout 10 "$D" -i sg-nosuch0 -p "$PORT" --bpffs "$LAB_BPFFS" 2>&1)
if echo "$out" | grep -q 'sg-nosuch0'; then ok "cli: missing interface: the error names it"
else fail "cli: missing interface: the error names it" "$out"; fi
usage "synguard stats -i NOTOURS" 2 "$C" stats -i NOTOURS --bpffs "$LAB_BPFFS"
# lists take blanks after commas; keys take any case (as state names do)
printf 'ports = 80, 443 ,8000-8001\n[AUTO]\nHOLD = 8\n[allow]\nprefixes = 198.18.0.0/24,198.18.1.0/24, 198.18.2.0/24\n' >"$LAB_TMP/spaces.conf"
out=$("$D" --check -c "$LAB_TMP/spaces.conf" 2>&1)
if echo "$out" | grep -qE '^ports +80,443,8000-8001 ' && echo "$out" | grep -qE '^auto.hold +8 ' &&
	echo "$out" | grep -qE '^allow.prefixes +198.18.0.0/24, 198.18.1.0/24, 198.18.2.0/24 '; then
	ok "cli: config lists take blanks after commas, keys any case"
else fail "cli: config lists with blanks, keys any case" "$(echo "$out" | grep -E 'ports|hold|allow.pre|synguardd:' | tr '\n' '|')"; fi
usage "synguard stats -i NOTOURS --json" 2 "$C" stats -i NOTOURS --json --bpffs "$LAB_BPFFS"
[ -e "$LAB_BPFFS/synguard/$LAB_SIF" ] && fail "cli: refused starts leave no pins" "$LAB_BPFFS/synguard/$LAB_SIF exists"
if [ -e "$(lab_pidfile)" ]; then fail "cli: refused starts leave no pidfile" "$(lab_pidfile)"
else ok "cli: refused starts leave no pidfile"; fi

# ---- --mode auto (the default) starts with cookie mode off -----------------
if sg_start -p "$PORT" --mode auto; then
	st=$(sg_cli status -i "$LAB_SIF" --json 2>/dev/null)
	expect "cli: synguardd --mode auto runs in mode auto" "$(echo "$st" | jget mode x)" = auto
	expect "cli: --mode auto: at rest cookie mode is off" "$(echo "$st" | jget cookie_mode_active x)" = false
	sg_stop
else
	fail "cli: synguardd --mode auto starts" "$(tail -n 1 "$SG_LOG")"
fi

# ---- --mode off: the kernel handles SYNs ---------------------------------
if ! sg_start -p "$PORT" --mode off; then
	fail "cli: synguardd --mode off starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
ok "cli: synguardd --mode off starts"

# a second daemon on the same interface is refused, the first keeps working
usage "second synguardd on $LAB_SIF refused" "1|2" "$D" -i "$LAB_SIF" -p "$PORT" --mode on --bpffs "$LAB_BPFFS"
if sg_alive && lab_xdp_attached && [ -d "$LAB_BPFFS/synguard/$LAB_SIF" ] &&
	[ "$(sg_stats | jget mode x)" = off ] && [ "$(cat "$(lab_pidfile)" 2>/dev/null)" = "$SG_PID" ]; then
	ok "cli: after the refused second daemon the first is intact (alive, XDP, pins, mode off, its pidfile)"
else
	fail "cli: after the refused second daemon the first is intact" \
		"alive=$(sg_alive && echo y || echo n) xdp=$(lab_xdp_attached && echo y || echo n) mode=$(sg_stats | jget mode x) pidfile=$(cat "$(lab_pidfile)" 2>/dev/null)"
fi

# stats --json: every key the contract relies on, with the right types
J=$LAB_TMP/stats.json
sg_stats >"$J"; rc=$?
expect "cli: stats --json exits 0" "$rc" -eq 0
res=$($LAB_PY - "$J" "$LAB_SIF" <<-'EOF'
	import json, sys
	try:
	    s = json.load(open(sys.argv[1]))
	except Exception as e:
	    print("not JSON: %s" % e); sys.exit(1)
	bad = []
	isint = lambda v: isinstance(v, int) and not isinstance(v, bool)
	if s.get("iface") != sys.argv[2]: bad.append("iface=%r" % s.get("iface"))
	if s.get("mode") not in ("auto", "on", "off"): bad.append("mode=%r" % s.get("mode"))
	if not isinstance(s.get("cookie_mode_active"), bool): bad.append("cookie_mode_active=%r" % s.get("cookie_mode_active"))
	st = s.get("states", {})
	for k in "SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT CLOSED".split():
	    if not isint(st.get(k)) or st[k] < 0: bad.append("states.%s=%r" % (k, st.get(k)))
	c = s.get("counters", {})
	for k in "syn_cookies_sent cookies_accepted cookies_rejected syn_passed syn_ratelimited".split():
	    if not isint(c.get(k)) or c[k] < 0: bad.append("counters.%s=%r" % (k, c.get(k)))
	print("; ".join(bad) if bad else "%d states, %d counters" % (len(st), len(c)))
	sys.exit(1 if bad else 0)
	EOF
)
if [ $? -eq 0 ]; then ok "cli: stats --json has every contract key ($res)"; else fail "cli: stats --json keys" "$res"; fi
expect "cli: --mode off: cookie_mode_active false" "$(jget cookie_mode_active x <"$J")" = false

lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 120 --ready "$LAB_TMP/ready" >"$LAB_TMP/server.jsonl"
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
N=5
sp0=$(sg_counter syn_passed) ck0=$(sg_counter syn_cookies_sent) ac0=$(sg_counter cookies_accepted)
po0=$(nstat_get "$LAB_SRV" TcpPassiveOpens) ks0=$(srv_cookies_sent)
lcli timeout 60 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n $N -b 20000 -q >"$LAB_TMP/c4" 2>&1
lcli timeout 60 $LAB_PY $T/tcpinfo_client.py "$LAB_S6" "$PORT" -n $N -b 20000 -q >"$LAB_TMP/c6" 2>&1
good=$(( $(tail -n 1 "$LAB_TMP/c4" | jget summary.ok 0) + $(tail -n 1 "$LAB_TMP/c6" | jget summary.ok 0) ))
sp1=$(sg_counter syn_passed) ck1=$(sg_counter syn_cookies_sent) ac1=$(sg_counter cookies_accepted)
po1=$(nstat_get "$LAB_SRV" TcpPassiveOpens) ks1=$(srv_cookies_sent)
expect "cli: --mode off: $((2 * N)) connections (v4+v6) with data" "$good" -eq $((2 * N))
expect "cli: --mode off: syn_passed rose by >= $((2 * N)) (+$((sp1 - sp0)))" $((sp1 - sp0)) -ge $((2 * N))
expect "cli: --mode off: no XDP cookies sent (+$((ck1 - ck0)))" $((ck1 - ck0)) -eq 0
expect "cli: --mode off: no cookies accepted (+$((ac1 - ac0)))" $((ac1 - ac0)) -eq 0
expect "cli: --mode off: the kernel's listener answered (TcpPassiveOpens +$((po1 - po0)))" $((po1 - po0)) -eq $((2 * N))
expect "cli: --mode off: the kernel needed no cookies either (TcpExtSyncookiesSent +$((ks1 - ks0)))" $((ks1 - ks0)) -eq 0

# status answers and says the daemon is alive
st=$(sg_cli status -i "$LAB_SIF" --json 2>/dev/null)
expect "cli: status --json: daemon_running" "$(echo "$st" | jget daemon_running x)" = true

sg_stop; rc=$?
expect "cli: SIGTERM: synguardd exits 0" "$rc" -eq 0
if sg_alive; then fail "cli: daemon gone after SIGTERM"; fi
lab_finish
