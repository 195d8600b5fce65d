#!/usr/bin/env bash
# Runs every test of synguard and ends with "N passed, N failed, N skipped".
# Each test program prints one line per check: "ok - NAME", "not ok - NAME"
# or "skip - NAME (reason)"; anything else is shown as it comes.
set -u
cd "$(dirname "$0")/.."
export SG_ROOT=$PWD
log=$(mktemp /tmp/synguard-test.XXXXXX)
trap 'rm -f "$log"' EXIT

# A program that fails without saying which check failed counts as one.
run() {
	local before after rc
	echo "# $*"
	before=$(grep -c '^not ok ' "$log")
	"$@" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	after=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$after" -eq "$before" ]; then
		echo "not ok - $* exited with status $rc" | tee -a "$log"
	fi
}

for t in build/unit/test_*; do
	[ -x "$t" ] && run "$t"
done
for t in tests/fuzz/bounded.sh; do
	[ -e "$t" ] && run bash "$t"
done
for t in tests/integration/*.sh; do
	[ -e "$t" ] || continue
	run bash "$t"
done
# The attacks of docs/security.md, each against synguard's defaults.
for t in tests/security/*.sh; do
	[ -e "$t" ] || continue
	run bash "$t"
done
for t in tests/bench/smoke.sh; do
	[ -e "$t" ] && run bash "$t"
done

pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
skip=$(grep -c '^skip ' "$log")
echo
grep '^not ok ' "$log" | sed 's/^/FAILED: /'
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
