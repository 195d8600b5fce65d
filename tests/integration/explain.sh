#!/usr/bin/env bash
# synguard explain ADDR:PORT against what really happens to that client:
# three clients of one server (a denied one, one whose SYN budget a
# bounded stream of connects keeps spent, one within its budget); for each, what
# explain says a SYN would get (dropped, a cookie, the kernel's handshake,
# and which counter moves) is then checked against a real connect from it:
# whether it connects, the counter that moved, and whether the tracker
# holds the connection as a cookie handshake.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
PORT=8080
T=tests/tools
X=150
trap lab_cleanup EXIT
lab_up "sg-ex$$" $X >/dev/null || { fail "explain: lab setup"; exit 1; }
A=$LAB_C4 B=198.18.$X.9 C=198.18.$X.4 D=198.18.$X.5
for a in $B $C $D; do lcli ip addr add "$a/24" dev "$LAB_CIF"; done
for a in $B $C $D; do lcli ping -c1 -W2 -I "$a" "$LAB_S4" >/dev/null 2>&1; done
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "explain: echo server listening"; exit 1; }
if ! sg_start -p "$PORT" --mode off --metrics off -s syn_budget.rate=1 -s syn_budget.burst=2; then
	fail "explain: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi

conn() { lcli timeout 30 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$@"; }
# the same on CPU 0: the budget's gate is a per-CPU sketch, so a client
# judged against another's stream must send from the stream's CPU
conn0() { lcli taskset -c 0 timeout 30 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$@"; }
c() { sg_counter "$1"; }
explain() { sg_cli explain -i "$LAB_SIF" "$1:$PORT" --json; }
# was the last tracked connection from $1 a cookie handshake? true/false
cookie_of() {
	sg_cli conns -i "$LAB_SIF" --dst "$1" --json | $LAB_PY -c '
import json, sys
c = json.load(sys.stdin)
print(str(c[-1]["cookie"]).lower() if c else "none")'
}
# judge NAME EXPLAIN_JSON SRC: a real connect from SRC, checked against it
judge() {
	local name=$1 ex=$2 src=$3 want also w0 a0 out okn moved alsomoved
	want=$(echo "$ex" | jget syn.counter x) also=$(echo "$ex" | jget syn.also none)
	w0=$(c "$want"); [ "$also" = none ] || a0=$(c "$also")
	out=$(conn "$src" -T 0.9 --hold 1)
	okn=$(echo "$out" | jget ok x)
	moved=$(( $(c "$want") - w0 ))
	alsomoved=0; [ "$also" = none ] || alsomoved=$(( $(c "$also") - a0 ))
	note "$name: explain said '$(echo "$ex" | jget syn.does x)' [$want$([ "$also" = none ] || echo ", $also")]; connect: $out; $want +$moved" >&2
	echo "$okn $moved $alsomoved"
}

# ---- denied ----------------------------------------------------------------------
sg_cli deny add "198.18.$X.8/30" -i "$LAB_SIF" >/dev/null
ex=$(explain "$B")
expect "explain: $B is denied by 198.18.$X.8/30" "$(echo "$ex" | jget policy.action x) $(echo "$ex" | jget policy.prefix x)" = "deny 198.18.$X.8/30"
expect "explain: a SYN from $B would be dropped (drop_denied)" "$(echo "$ex" | jget syn.counter x)" = drop_denied
read -r okn moved _ <<<"$(judge denied "$ex" "$B")"
expect "explain: denied: the real connect from $B fails ($okn connected)" "$okn" = 0
expect "explain: denied: drop_denied moved as explained (+$moved)" "$moved" -ge 1
txt=$(sg_cli explain -i "$LAB_SIF" "$B:$PORT")
[[ $txt == *"denied by 198.18.$X.8/30"* ]] && ok "explain: the text names the denying prefix" ||
	fail "explain: the text names the denying prefix" "$(echo "$txt" | head -n 3 | tr '\n' '|')"

# ---- within budget ----------------------------------------------------------------
ex=$(explain "$A")
expect "explain: $A is in no list" "$(echo "$ex" | jget policy.action x)" = none
expect "explain: a SYN from $A goes to the kernel's handshake (syn_passed)" "$(echo "$ex" | jget syn.counter x)" = syn_passed
read -r okn moved _ <<<"$(judge "within budget" "$ex" "$A")"
expect "explain: within budget: $A connects" "$okn" = 1
expect "explain: within budget: syn_passed moved as explained (+$moved)" "$moved" -ge 1
expect "explain: within budget: the tracker holds it as the kernel's handshake, no cookie" "$(cookie_of "$A")" = false

# ---- over budget: source prefixes are /30s here; a bounded stream of connects
# from D keeps the budget of D's /30, which C shares, spent while C is judged,
# so that no token comes back between the explanation and C's connects. The
# proof is C's own connections: the tracker marks cookie handshakes. Three
# of them, most by cookie: a token that comes back each second can, on a
# loaded machine, reach one of C's SYNs before D's next one takes it.
sg_cli set -i "$LAB_SIF" syn_budget.prefix4=30 >/dev/null
lab_bg conn0 "$D" -n 5000 -T 0.9 >/dev/null
STREAM=${LAB_PIDS[-1]}
sleep 1
ex=$(explain "$C")
lab_bg conn0 "$C" -n 3 -T 0.9 --hold 3 >/dev/null
sleep 1.5
expect "explain: while D streams, $C's source 198.18.$X.4/30 has an exact bucket with 0 tokens" \
	"$(echo "$ex" | jget syn_budget.source x) $(echo "$ex" | jget syn_budget.bucket x) $(echo "$ex" | jget syn_budget.tokens x)" = "198.18.$X.4/30 true 0"
expect "explain: a SYN from $C would get a cookie (syn_cookies_sent, syn_ratelimited)" \
	"$(echo "$ex" | jget syn.counter x) $(echo "$ex" | jget syn.also x)" = "syn_cookies_sent syn_ratelimited"
held=$(sg_cli conns -i "$LAB_SIF" --dst "$C" --state established --json)
note "$D meanwhile: $(sg_cli conns -i "$LAB_SIF" --dst "$D" --json | $LAB_PY -c 'import json,sys; c=json.load(sys.stdin); print(len(c), "tracked,", sum(e["cookie"] for e in c), "by cookie")')"
note "over budget: explain said '$(echo "$ex" | jget syn.does x)'; $C's connection: $held"
read -r nheld ncookie <<<"$(echo "$held" | $LAB_PY -c '
import json, sys
c = json.load(sys.stdin)
print(len(c), sum(bool(e["cookie"]) for e in c))')"
expect "explain: over budget: $C still connects (3 times)" "$nheld" = 3
expect "explain: over budget: the tracker holds most of them as cookie handshakes ($ncookie of 3)" \
	"$ncookie" -ge 2
wait "$STREAM" 2>/dev/null
rl=$(c syn_ratelimited)
expect "explain: over budget: syn_ratelimited moved meanwhile ($rl)" "$rl" -ge 1
n=$(sg_cli explain -i "$LAB_SIF" "$C" --json | jget tracked x | $LAB_PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
ntr=$(sg_cli conns -i "$LAB_SIF" --dst "$C" --json | $LAB_PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect "explain: lists $C's tracker entries (explain $n, conns --dst $ntr)" "$n" -eq "$ntr"

# ---- bad input ----------------------------------------------------------------------
for bad in 198.18.$X.0/24 "$A:0" "[2001:db8::1" nonsense; do
	sg_cli explain -i "$LAB_SIF" "$bad" >/dev/null 2>&1
	expect "explain: '$bad' is a usage error" $? -eq 2
done
sg_stop
lab_finish
