#!/usr/bin/env bash
# An operator locks themself out: `synguard deny add` of 0.0.0.0/0, ::/0,
# or of a prefix that holds the client of the host's own management
# session (SSH_CONNECTION of the CLI's session, or an established TCP
# session to the sshd port) drops that session's segments at XDP once its
# port is protected. Without --force the CLI refuses, in one line naming
# the flag, and the deny list stays as it was. The attack itself is shown
# with --force: the management port stops answering its own client.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
SSHD=22
lab_up "sg-dl$$" 102 >/dev/null || { fail "deny_lockout: lab setup"; exit 1; }
# a stand-in sshd: its accept queue holds the session, ESTABLISHED
lab_bg lsrv $LAB_PY -c 'import socket, time
s = socket.create_server(("", 22), family=socket.AF_INET6, dualstack_ipv6=True, backlog=64)
time.sleep(300)'
if ! sg_start -p "$SSHD,8080" --mode off; then
	fail "deny_lockout: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
# the management session: the client's own stack, kept open
lab_bg lcli $LAB_PY -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], 22), timeout=5)
time.sleep(300)' "$LAB_S4"
wait_for 1 10 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htn state established '( sport = :22 )' | wc -l"
# deny ARGS...: prints the exit status, then the CLI's output
deny() { sg_cli deny -i "$LAB_SIF" "$@" 2>&1; echo "rc=$?"; }
denied() { sg_cli deny -i "$LAB_SIF" list --json 2>/dev/null; }
# refused NAME ARGS...: exit status 2, one line naming --force, list unchanged
refused() {
	local name=$1 out before; shift
	before=$(denied)
	out=$(deny "$@")
	expect "deny_lockout: $name: refused (exit 2)" "$(echo "$out" | tail -n 1)" = rc=2
	expect "deny_lockout: $name: one line naming --force" \
		"$(echo "$out" | grep -v '^rc=' | grep -c -- '--force')/$(echo "$out" | grep -vc '^rc=')" = 1/1
	expect "deny_lockout: $name: the deny list unchanged" "$(denied)" = "$before"
	note "$(echo "$out" | head -n 1)"
}

refused "0.0.0.0/0" add 0.0.0.0/0
refused "::/0" add ::/0
refused "a prefix holding the sshd session's client ($LAB_C4)" add 198.18.102.0/24
refused "the session's client address itself" add "$LAB_C4/32"
out=$(SSH_CONNECTION="198.19.102.9 50022 $LAB_S4 $SSHD" deny add 198.19.102.0/24)
expect "deny_lockout: SSH_CONNECTION's client covered: refused (exit 2)" "$(echo "$out" | tail -n 1)" = rc=2
check "deny_lockout: ...naming the session and --force" grep -q 'SSH_CONNECTION.*--force' <<<"$out"
# the same lists through `synguard set deny.prefixes=...` (the list as a
# setting): the same check, the same refusal
setdeny() { sg_cli set -i "$LAB_SIF" "$@" 2>&1; echo "rc=$?"; }
for p in 0.0.0.0/0 198.18.102.0/24 "198.19.9.0/24,$LAB_C4/32"; do
	before=$(denied)
	out=$(setdeny "deny.prefixes=$p")
	expect "deny_lockout: set deny.prefixes=$p: refused (exit 2)" "$(echo "$out" | tail -n 1)" = rc=2
	expect "deny_lockout: ...one line naming --force" \
		"$(echo "$out" | grep -v '^rc=' | grep -c -- '--force')/$(echo "$out" | grep -vc '^rc=')" = 1/1
	expect "deny_lockout: ...the deny list unchanged" "$(denied)" = "$before"
	note "$(echo "$out" | head -n 1)"
done
out=$(deny add 198.19.200.0/24)
expect "deny_lockout: a prefix covering no session is added" "$(echo "$out" | tail -n 1)" = rc=0

# the attack, with --force: the management port stops answering
conn22() { lcli timeout 10 $LAB_PY -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], 22), timeout=3).close(); print("ok")
except OSError as e: print("failed")' "$LAB_S4"; }
expect "deny_lockout: before: port 22 answers the client" "$(conn22)" = ok
out=$(deny add --force 198.18.102.0/24)
expect "deny_lockout: --force adds it" "$(echo "$out" | tail -n 1)" = rc=0
expect "deny_lockout: then port 22 no longer answers its own client (the lockout)" "$(conn22)" = failed
out=$(deny del 198.18.102.0/24)
expect "deny_lockout: deny del needs no --force" "$(echo "$out" | tail -n 1)" = rc=0
expect "deny_lockout: ...and port 22 answers again" "$(conn22)" = ok
lab_finish
