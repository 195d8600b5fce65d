#!/usr/bin/env bash
# Connection tracker vs the kernel: real Linux sockets (and a raw scapy peer
# for segments Linux will not send on demand) across a veth; at every step
# the tracked local state (synguard conns --json) must equal the state `ss`
# shows for the same tuple in the server namespace. IPv4 and IPv6.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. "$ROOT/tests/tools/ct_lab.sh"

ct_require || exit 0
ct_lab_up || { echo "not ok - conntrack: lab setup failed"; exit 1; }
ct_daemon_up "" || { echo "not ok - conntrack: daemon did not start"; ct_daemon_log; exit 1; }

timeout 300 /usr/bin/python3 "$ROOT/tests/tools/ct_scenarios.py" "$@"
rc=$?
[ $rc -eq 124 ] && echo "not ok - conntrack: scenarios timed out"
ct_daemon_alive || { echo "not ok - conntrack: daemon died during the run"; ct_daemon_log; rc=1; }
exit $rc
