#!/usr/bin/env bash
# The bounded differential fuzzing run of `make test`: a fixed seed, the
# committed corpus, at least FUZZ_FRAMES (100,000) frames through both the
# kernel's programs and the reference model, then the same run with the
# model one secret bit off, which must be caught (the comparison is live).
set -u
cd "$(dirname "$0")/../.."
bin=build/fuzz/sg_fuzz
want=${FUZZ_FRAMES:-100000}
if [ ! -x "$bin" ]; then echo "not ok - fuzz: $bin missing (make test builds it)"; exit 0; fi
work=$(mktemp -d /tmp/sg-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# about 4-5 frames per input with the captured seeds
"$bin" -seed=1 -max_len=20000 -runs=$((want / 3)) -artifact_prefix="$work/" "$work" tests/fuzz/corpus >"$work/out" 2>&1
rc=$?
line=$(grep '^# sg_fuzz:' "$work/out" | tail -1)
frames=$(echo "$line" | sed -n 's/^# sg_fuzz: \([0-9]*\) frames.*/\1/p')
echo "$line"
grep '^# decisions taken:' "$work/out"
if [ $rc -ne 0 ]; then
	echo "not ok - fuzz: kernel and model agree on every frame: $(grep -m1 'MISMATCH\|ERROR\|sg_fuzz:' "$work/out")"
	grep -A6 -m1 'MISMATCH' "$work/out" | sed 's/^/# /'
elif [ "${frames:-0}" -lt "$want" ]; then
	echo "not ok - fuzz: kernel and model agree on every frame: only ${frames:-0} frames ran (want >= $want)"
else
	echo "ok - fuzz: kernel and model agree on $frames frames (verdicts, bytes, counters, tables, gauges)"
fi
mb=$(echo "$line" | sed -n 's/.* \([0-9]*\) of them multi-buffer.*/\1/p')
if [ "${mb:-0}" -gt 0 ]; then echo "ok - fuzz: multi-buffer (jumbo) frames among them ($mb)"
else echo "not ok - fuzz: multi-buffer (jumbo) frames among them: none"; fi
for c in syn_cookies_sent cookies_accepted cookies_rejected ct_created ct_rst_closed parse_tcp_options pass_ip_fragment \
	syn_ratelimited budget_tracked syn_allowed drop_denied learned_added syn_learned drop_synack_dest \
	drop_synack_global drop_syn_shed pass_shadow events_sampled syn_retrans_kernel; do
	n=$(grep '^# decisions taken:' "$work/out" | grep -o " $c=[0-9]*" | cut -d= -f2)
	if [ "${n:-0}" -gt 0 ]; then echo "ok - fuzz: reached $c ($n times)"
	else echo "not ok - fuzz: reached $c: never"; fi
done

SG_FUZZ_SABOTAGE=1 "$bin" -seed=1 -max_len=20000 -runs=2000 -artifact_prefix="$work/" "$work" tests/fuzz/corpus >"$work/sab" 2>&1
if grep -q 'MISMATCH' "$work/sab"; then
	echo "ok - fuzz: a model one secret bit off is caught ($(grep -m1 -o 'MISMATCH: .*' "$work/sab"))"
else
	echo "not ok - fuzz: a model one secret bit off is caught: it was not"
fi
