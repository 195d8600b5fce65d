#!/usr/bin/env bash
# Differential fuzzing for as long as asked:  tests/fuzz/fuzz.sh [SECONDS]
# (make fuzz FUZZ_SECONDS=N). Seeds: tests/fuzz/corpus; what libFuzzer finds
# new goes to build/fuzz/corpus; a mismatch stops the run and leaves its
# input in build/fuzz/ (replay: build/fuzz/sg_fuzz FILE).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-600}
mkdir -p build/fuzz/corpus
exec build/fuzz/sg_fuzz -max_total_time="$secs" -max_len=20000 -print_final_stats=1 \
	-artifact_prefix=build/fuzz/ build/fuzz/corpus tests/fuzz/corpus
