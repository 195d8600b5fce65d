#!/usr/bin/env bash
# Replaying a cookie after its daemon died (docs/security.md, "Cookie
# lifetime"). synguardd runs with --keep-attached and a 3 s secret period,
# and is SIGKILLed: the programs stay attached and no one rotates the
# secret any more. A cookie must still expire: its ACK is accepted within
# the bound (2 periods + 2 s of slack after its secret was installed, the
# control that shows the ACK itself is good), refused after it; and once
# the current secret is past a period + slack, SYNs go to the kernel's own
# handshake (syn_secret_stale) rather than get cookies that would be
# refused. A new daemon on the same pins rotates and makes cookies again.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" py:scapy.all
PORT=8080
T=tests/tools
P=3 SLACK=2
SPOOF=198.19.71.2 # the raw client's address: no kernel owns it
lab_up "sg-lt$$" 71 >/dev/null || { fail "cookie_lifetime: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 120 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "cookie_lifetime: echo server listening"; exit 1; }
lab_route_spoof "$SPOOF"
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF")
c() { sg_counter "$1"; }
# hs STEP STATE: one half of a raw handshake (cookie_handshake.py)
hs() { lcli $LAB_PY $T/cookie_handshake.py "$1" "$LAB_CIF" "$SMAC" "$SPOOF" "$LAB_S4" "$PORT" "$2"; }
conn() { lcli timeout 60 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$LAB_C4" -n 5 -T 3 | jget ok 0; }
now() { date +%s.%N; }

sg_start -p "$PORT" --mode on --keep-attached --secret-period "$P" ||
	{ fail "cookie_lifetime: synguardd starts"; sg_log; exit 1; }
hs syn "$LAB_TMP/a" >"$LAB_TMP/a.out" 2>&1 && hs syn "$LAB_TMP/b" >"$LAB_TMP/b.out" 2>&1 ||
	{ fail "cookie_lifetime: two cookie SYN-ACKs" "$(tail -n 1 "$LAB_TMP/b.out")"; exit 1; }
tb=$(now)
kill -KILL "$SG_PID"; wait "$SG_PID" 2>/dev/null; SG_PID=
expect "cookie_lifetime: synguardd SIGKILLed, XDP still attached" "$(lab_xdp_attached && echo yes)" = yes

# the control: within the bound the ACK is good
acc0=$(c cookies_accepted)
if hs ack "$LAB_TMP/a" >"$LAB_TMP/a.ack" 2>&1; then
	ok "cookie_lifetime: no daemon, a cookie ACK within the bound opens its connection (cookies_accepted +$(( $(c cookies_accepted) - acc0 )))"
else
	fail "cookie_lifetime: no daemon, a cookie ACK within the bound" "$(tail -n 1 "$LAB_TMP/a.ack")"
fi

# past the bound: its secret was installed before its SYN-ACK, so 2P + slack
# + 1 s after that SYN-ACK is surely past it
sleep "$(echo "$tb + 2 * $P + $SLACK + 1 - $(now)" | bc)"
rej0=$(c cookies_rejected) acc0=$(c cookies_accepted)
if hs ack "$LAB_TMP/b" >"$LAB_TMP/b.ack" 2>&1; then
	fail "cookie_lifetime: a cookie ACK past 2 periods + slack is refused" "accepted: $(tail -n 1 "$LAB_TMP/b.ack")"
else
	expect "cookie_lifetime: no daemon, a cookie ACK 2 periods + slack + 1 s after its SYN-ACK is refused (cookies_rejected +$(( $(c cookies_rejected) - rej0 )))" \
		"$(( $(c cookies_accepted) - acc0 ))/$(( $(c cookies_rejected) - rej0 >= 1 ))" = "0/1"
fi

# the stale secret makes no cookies: SYNs go to the kernel, connections work
sent0=$(c syn_cookies_sent) st0=$(c syn_secret_stale)
got=$(conn)
expect "cookie_lifetime: no daemon, stale secret: 5/5 connects complete" "$got" -eq 5
expect "cookie_lifetime: ...by the kernel's handshake: syn_secret_stale +$(( $(c syn_secret_stale) - st0 )), syn_cookies_sent +$(( $(c syn_cookies_sent) - sent0 ))" \
	"$(( $(c syn_secret_stale) - st0 ))/$(( $(c syn_cookies_sent) - sent0 ))" = "5/0"

# a new daemon on the same pins rotates: cookies again
sg_start -p "$PORT" --mode on --secret-period "$P" ||
	{ fail "cookie_lifetime: synguardd restarts on the pins"; sg_log; exit 1; }
sent0=$(c syn_cookies_sent) acc0=$(c cookies_accepted)
got=$(conn)
# (a connection's data segment racing its ACK may be checked by cookie too:
# at least one accepted cookie per connection)
acc=$(( $(c cookies_accepted) - acc0 ))
expect "cookie_lifetime: restarted: 5/5 connects complete by cookie (syn_cookies_sent +$(( $(c syn_cookies_sent) - sent0 )), cookies_accepted +$acc)" \
	"$got/$([ "$acc" -ge 5 ] && echo all)" = "5/all"
sg_stop quiet
lab_finish
