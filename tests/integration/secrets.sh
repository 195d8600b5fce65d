#!/usr/bin/env bash
# Cookie secrets. (1) Rotation every 2 s during a steady stream of new
# connections in cookie mode: none is lost. (2) A cookie made just before a
# rotation is still accepted one period later, and refused two periods
# later (scapy handshakes in two halves). (3) Two hosts sharing a master
# key file (an anycast address on both) accept each other's cookies: the
# SYN goes to host A, the ACK to host B, which makes the socket; with
# different key files B refuses it. (4) The key file's checks.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat py:scapy.all
PORT=8080
T=tests/tools
VIP=198.18.17.1        # the anycast address both hosts own
SPOOF=198.19.17.2      # the raw client's address: no kernel owns it

key() { (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$1"); }
KEY=$LAB_TMP/key KEY2=$LAB_TMP/key2
key "$KEY"; key "$KEY2"

lab_up "sg-sa$$" 15 >/dev/null || { fail "secrets: lab A setup"; exit 1; }
A=$LAB_CUR
lab_up "sg-sb$$" 16 >/dev/null || { fail "secrets: lab B setup"; exit 1; }
B=$LAB_CUR

status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
serve() { # an echo server in the current lab's server namespace
	lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready.$LAB_CUR" >/dev/null
	for _ in $(seq 50); do [ -e "$LAB_TMP/ready.$LAB_CUR" ] && break; sleep 0.1; done
}

# ---- 1. rotation under a steady stream of new connections ------------------------------
lab_use "$A"
if ! sg_start -p "$PORT" --mode on -s secret.period=2 -v; then
	fail "secrets: synguardd --secret-period 2 starts" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
serve
acc0=$(sg_counter cookies_accepted) rej0=$(sg_counter cookies_rejected)
( for _ in $(seq 80); do status | jget secret.id; sleep 0.1; done >"$LAB_TMP/ids" ) &
IDS=$!
N=60
lcli timeout 90 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n $N -b 2000 -T 3 --interval 0.1 -q \
	>"$LAB_TMP/rot" 2>&1
wait $IDS
good=$(tail -n 1 "$LAB_TMP/rot" | jget summary.ok 0)
rot=$(grep -c 'rotated the cookie secret' "$SG_LOG")
ids=$(sort -u "$LAB_TMP/ids" | grep -c .)
expect "secrets: $N new connections in cookie mode while the secret rotates every 2 s: all made" "$good" -eq $N
expect "secrets: the secret rotated meanwhile ($rot rotations logged)" "$rot" -ge 3
expect "secrets: status showed the secret id change ($ids ids)" "$ids" -ge 3
expect "secrets: every connection's ACK carried a valid cookie (cookies_accepted +$(( $(sg_counter cookies_accepted) - acc0 )))" \
	$(( $(sg_counter cookies_accepted) - acc0 )) -eq $N
expect "secrets: no cookie refused across the rotations" $(( $(sg_counter cookies_rejected) - rej0 )) -eq 0

# ---- 2. the previous secret is accepted, the one before is not ------------------------
# hs STEP DSTMAC STATE DST: one half of a handshake (cookie_handshake.py)
# from the current lab's client namespace
hs() {
	local step=$1 mac=$2 st=$3; shift 3
	lcli $LAB_PY $T/cookie_handshake.py "$step" "$LAB_CIF" "$mac" "$SPOOF" "$@" "$PORT" "$st"
}
lab_route_spoof "$SPOOF"
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF")
sg_cli set -i "$LAB_SIF" secret.period=5 >/dev/null
# rotations N: wait until the secret id has changed N times (bounded)
rotations() {
	local n=$1 id last i=0
	last=$(status | jget secret.id)
	for _ in $(seq 200); do
		[ "$i" -ge "$n" ] && return 0
		sleep 0.1
		id=$(status | jget secret.id)
		[ "$id" != "$last" ] && { i=$((i + 1)); last=$id; }
	done
	return 1
}
# late_ack NAME K WANT: the SYN right after a rotation, its ACK once K + 1
# more rotations happened; WANT 0: accepted, 1: refused
late_ack() {
	local name=$1 k=$2 want=$3 out rc id0 id1 rej0 try made=
	# the SYN-ACK must come from one known secret: a rotation during the
	# raw client's start (seconds under load) makes that unknown, so again
	for try in 1 2 3; do
		rotations 1
		id0=$(status | jget secret.id)
		hs syn "$SMAC" "$LAB_TMP/late.$k" "$LAB_S4" >"$LAB_TMP/late.$k.out" 2>&1 || break
		[ "$(status | jget secret.id)" = "$id0" ] && { made=1; break; }
		note "secrets: $name: the secret rotated while the SYN was sent (try $try)"
	done
	if [ -z "$made" ]; then
		fail "secrets: $name: SYN-ACK from secret $id0" "$(tail -n 1 "$LAB_TMP/late.$k.out")"; return
	fi
	rotations $((k + 1))
	id1=$(status | jget secret.id)
	rej0=$(sg_counter cookies_rejected)
	out=$(hs ack "$SMAC" "$LAB_TMP/late.$k" "$LAB_S4" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "secrets: $name (cookie of secret $id0; at the ACK current $id1, other $(status | jget secret.other_id))"
	else
		fail "secrets: $name" "ack rc $rc: $out (cookies_rejected +$(( $(sg_counter cookies_rejected) - rej0 )))"
	fi
}
late_ack "a cookie of the previous secret is accepted (one rotation later)" 0 0
late_ack "a cookie two rotations old is refused" 1 1
sg_stop

# ---- 3. two hosts, one key file ---------------------------------------------------------
# both hosts own VIP; each host's config names the key file
declare -A ID MAC HOST=([$A]=A [$B]=B)
for lab in "$A" "$B"; do
	lab_use "$lab"
	lsrv ip addr add "$VIP/32" dev "$LAB_SIF"
	lab_route_spoof "$SPOOF"
	printf '[secret]\nfile = %s\n' "$KEY" >"$LAB_TMP/$lab.conf"
	if ! sg_start -c "$LAB_TMP/$lab.conf" -p "$PORT" --mode on; then
		fail "secrets: synguardd with a key file starts on host ${HOST[$lab]}" "$(tail -n 1 "$SG_LOG")"; lab_finish
	fi
	[ "$lab" = "$A" ] || serve
	ID[$lab]=$(status | jget secret.id)
	MAC[$lab]=$(lab_mac "$LAB_SRV" "$LAB_SIF")
done
lab_use "$A"
src=$(status | jget secret.source)
if [ "${ID[$A]}" = "${ID[$B]}" ] && [ "$src" = file ]; then
	ok "secrets: both hosts derive the same secret from the key file (id ${ID[$A]})"
else
	fail "secrets: both hosts derive the same secret" "A ${ID[$A]}, B ${ID[$B]}, source $src"
fi

# cross FROM TO: SYN to host FROM, ACK to host TO; prints the ACK's result
cross() {
	local from=$1 to=$2 st=$LAB_TMP/cross.$1.$2
	lab_use "$from"
	hs syn "${MAC[$from]}" "$st" "$VIP" >"$st.syn" 2>&1 || { echo "no SYN-ACK: $(tail -n 1 "$st.syn")"; return 2; }
	lab_use "$to"
	hs ack "${MAC[$to]}" "$st" "$VIP" 2>&1
}
for dir in "$A $B" "$B $A"; do
	set -- $dir
	lab_use "$2"; acc0=$(sg_counter cookies_accepted) tc0=$(sg_counter tc_assigned)
	lab_use "$1"; sent0=$(sg_counter syn_cookies_sent)
	out=$(cross "$1" "$2"); rc=$?
	lab_use "$1"; sent=$(( $(sg_counter syn_cookies_sent) - sent0 ))
	lab_use "$2"; acc=$(( $(sg_counter cookies_accepted) - acc0 )) tc=$(( $(sg_counter tc_assigned) - tc0 ))
	if [ "$rc" -eq 0 ] && [ "$sent" -eq 1 ] && [ "$acc" -eq 1 ] && [ "$tc" -eq 1 ]; then
		ok "secrets: SYN-ACK from host ${HOST[$1]}, its ACK to host ${HOST[$2]}: cookie accepted, socket made, data acknowledged"
	else
		fail "secrets: cookie from host ${HOST[$1]} accepted by host ${HOST[$2]}" \
			"rc $rc ($out), syn_cookies_sent +$sent on ${HOST[$1]}, cookies_accepted +$acc tc_assigned +$tc on ${HOST[$2]}"
	fi
done

# control: B started on another key refuses A's cookies
lab_use "$B"
sg_stop
printf '[secret]\nfile = %s\n' "$KEY2" >"$LAB_TMP/$B.conf"
if ! sg_start -c "$LAB_TMP/$B.conf" -p "$PORT" --mode on; then
	fail "secrets: synguardd restarts on host B with another key" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
id2=$(status | jget secret.id)
rej0=$(sg_counter cookies_rejected)
out=$(cross "$A" "$B"); rc=$?
lab_use "$B"
expect "secrets: control: B on another key file refuses A's cookie ($(echo "$out" | tail -n 1))" "$rc" -eq 1
expect "secrets: control: ...counted as cookies_rejected on B" $(( $(sg_counter cookies_rejected) - rej0 )) -eq 1
# reloaded onto the shared key, B accepts A's cookies at once and keeps
# the key it had as the other secret until its next rotation (hosts that
# reload a little later lose nothing)
printf '[secret]\nfile = %s\n' "$KEY" >"$LAB_TMP/$B.conf"
# (in the last quarter of a 60 s period the other slot already holds the
# next period's secret: reload in the first three)
pos=$(( $(date +%s) % 60 ))
[ "$pos" -lt 40 ] || sleep $(( 61 - pos ))
id2=$(status | jget secret.id)
kill -HUP "$SG_PID"
for _ in $(seq 50); do grep -q 'cookie secrets now derived from' "$SG_LOG" && break; sleep 0.1; done
check "secrets: B logs the key change on reload" grep -q "cookie secrets now derived from $KEY\$" "$SG_LOG"
J=$(status)
expect "secrets: ...the key it had stays the other secret ($id2)" "$(echo "$J" | jget secret.other_id)" = "$id2"
out=$(cross "$A" "$B"); rc=$?
expect "secrets: ...and A's cookie is accepted again" "$rc" -eq 0

# ---- 4. the key file's checks: one line, exit 1 or 2, nothing attached -------------------
chmod 644 "$KEY2"
out=$(lsrv "$LAB_DAEMON" -i "$LAB_SIF" --bpffs "$LAB_BPFFS" --secret-file "$KEY2" --check 2>&1); rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q 'chmod 600'; then ok "secrets: a key file others can read is refused: $out"
else fail "secrets: a key file others can read is refused" "rc $rc: $out"; fi
printf 'nothex' >"$KEY2"; chmod 600 "$KEY2"
out=$(lsrv "$LAB_DAEMON" -i "$LAB_SIF" --bpffs "$LAB_BPFFS" --secret-file "$KEY2" --check 2>&1); rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q '32 hex digits'; then ok "secrets: a malformed key file is refused: $out"
else fail "secrets: a malformed key file is refused" "rc $rc: $out"; fi
lab_finish
