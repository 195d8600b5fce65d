#!/usr/bin/env bash
# The metrics docs list every counter: docs/metrics.md's generated table
# equals what the daemon exports (build/sg_metrics_list, made from the
# counter X-macro and its comments), and the man page synguardd(8) has an
# entry for each counter's series. The check is shown to catch a table
# with a counter taken out. Build first: make all.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

LIST=build/sg_metrics_list
if [ ! -x "$LIST" ] || [ ! -s build/man/synguardd.8 ]; then
	fail "metrics docs: $LIST and build/man/synguardd.8 exist" "run make all"
	lab_finish
fi
"$LIST" >"$LAB_TMP/list"
n=$(wc -l <"$LAB_TMP/list")
nc=$(sed -n '/^#define SG_COUNTERS(X)/,/^$/p' include/synguard.h | grep -c '^[[:space:]]*X(')
expect "metrics docs: the list has every counter of the X-macro ($nc) and the kernel's" "$n" -gt "$nc"
out=$(tools/metrics-doc.py check docs/metrics.md "$LAB_TMP/list" 2>&1); rc=$?
expect "metrics docs: docs/metrics.md lists all $n series, as exported${out:+ ($out)}" "$rc" -eq 0

text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -rHY=0 -rLL=250n build/man/synguardd.8 2>/dev/null | col -b)
missing=
# each line's series: METRIC{iface} or METRIC{iface,LABEL="VALUE"}
for series in $(awk -F'\t' '{ print $1 "{iface" ($2 == "" ? "" : "," $2) "}" }' "$LAB_TMP/list"); do
	grep -qxF "       $series" <<<"$text" || missing="$missing $series"
done
expect "metrics docs: synguardd(8) has an entry per series${missing:+ (missing:$missing)}" "${missing:-none}" = none

# the check catches a counter missing from the docs
grep -v 'ack_unchecked' docs/metrics.md >"$LAB_TMP/metrics.md"
out=$(tools/metrics-doc.py check "$LAB_TMP/metrics.md" "$LAB_TMP/list" 2>&1); rc=$?
expect "metrics docs: ...and the check fails on a table without ack_unchecked" "$rc" -eq 1
lab_finish
