#!/usr/bin/env bash
# Runs every test of synguard and ends with "N passed, N failed, N skipped".
# Each test program prints one line per check: "ok - NAME", "not ok - NAME"
# or "skip - NAME (reason)"; anything else is shown as it comes.
#
#   tests/run.sh                 every test
#   tests/run.sh PATTERN...      only the tests whose path contains one of the
#                                PATTERNs: cookies, test_settings, unit,
#                                integration, security, fuzz, bench, docs, lint, man
set -u
cd "$(dirname "$0")/.."
export SG_ROOT=$PWD
log=$(mktemp /tmp/synguard-test.XXXXXX)
trap 'rm -f "$log"' EXIT
patterns=("$@")
selected=0

# wanted PATH: true when no PATTERN was given or one is a substring of PATH.
wanted() {
	local p
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		case $1 in *"$p"*) return 0 ;; esac
	done
	return 1
}

# A program that fails without saying which check failed counts as one.
run() {
	local before after rc
	selected=$((selected + 1))
	echo "# $*"
	before=$(grep -c '^not ok ' "$log")
	"$@" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	after=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$after" -eq "$before" ]; then
		echo "not ok - $* exited with status $rc" | tee -a "$log"
	fi
}

# The docs: Markdown that renders as meant (make lint), man pages that
# list every setting.
for t in tests/docs/*.sh; do
	[ -e "$t" ] && wanted "$t" && run bash "$t"
done
for t in build/unit/test_*; do
	[ -x "$t" ] && wanted "$t" && run "$t"
done
for t in tests/fuzz/bounded.sh; do
	[ -e "$t" ] && wanted "$t" && run bash "$t"
done
for t in tests/integration/*.sh; do
	[ -e "$t" ] && wanted "$t" && run bash "$t"
done
# The attacks of docs/security.md, each against synguard's defaults.
for t in tests/security/*.sh; do
	[ -e "$t" ] && wanted "$t" && run bash "$t"
done
for t in tests/bench/smoke.sh; do
	[ -e "$t" ] && wanted "$t" && run bash "$t"
done
if [ "$selected" -eq 0 ]; then
	echo "tests/run.sh: no test matches ${patterns[*]} (try unit, integration, security, fuzz, bench, docs)" >&2
	exit 2
fi

pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
skip=$(grep -c '^skip ' "$log")
echo
grep '^not ok ' "$log" | sed 's/^/FAILED: /'
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
