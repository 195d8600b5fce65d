# Sampling the tracker's gauges against the kernel's sockets (sourced after
# tests/lab.sh). gauge_sample STATE SS_STATE prints "gauge kernel source
# age": the gauge as `synguard stats --json` gives it, the count of
# `ss -Htan state SS_STATE` in the server namespace (taken just before and
# just after it: the gauge itself if it lies between the two, else the
# nearer one), and where the gauge came from.
gauge_sample() {
	local g k k0
	# the kernel's count before and after the gauge's read: a kernel that
	# drops a batch of sockets in between is compared with the nearer one
	k0=$(lsrv ss -Htan state "$2" | wc -l)
	g=$(sg_stats 2>/dev/null | $LAB_PY -c '
import json, sys
j = json.load(sys.stdin)
print(j["states"][sys.argv[1]], j.get("states_source", "?"), j.get("states_age_s", 0))' "$1")
	k=$(lsrv ss -Htan state "$2" | wc -l)
	set -- $g
	# a gauge between the two counts agrees with the kernel at some moment
	# of its read; else it is compared with the nearer count
	if [ $(( ($1 - k0) * ($1 - k) )) -le 0 ]; then
		k=$1
	elif [ $(( k0 > $1 ? k0 - $1 : $1 - k0 )) -lt $(( k > $1 ? k - $1 : $1 - k )) ]; then
		k=$k0
	fi
	echo "$1 $k $2 $3"
}

# gauge_close GAUGE KERNEL PCT FLOOR: is |GAUGE - KERNEL| within PCT % of
# KERNEL or FLOOR sockets, whichever is larger?
gauge_close() {
	local d=$(( $1 > $2 ? $1 - $2 : $2 - $1 )) tol=$(( $2 * $3 / 100 ))
	[ "$tol" -ge "$4" ] || tol=$4
	[ "$d" -le "$tol" ]
}

# gauge_track STATE SS_STATE SECS PCT FLOOR NAME: a sample a second for
# SECS, each within PCT % (or FLOOR); one "ok"/"not ok" line, the worst
# sample and the series in a note. Sets GAUGE_SERIES.
gauge_track() {
	local st=$1 ss=$2 secs=$3 pct=$4 floor=$5 name=$6 bad=0 worst=0 s g k d i
	GAUGE_SERIES=
	for i in $(seq "$secs"); do
		s=$(gauge_sample "$st" "$ss")
		set -- $s
		g=$1 k=$2
		d=$(( g > k ? g - k : k - g ))
		[ "$d" -gt "$worst" ] && worst=$d
		gauge_close "$g" "$k" "$pct" "$floor" || bad=$((bad + 1))
		GAUGE_SERIES+=" $g/$k"
		sleep 1
	done
	note "$name: gauge/kernel each second:$GAUGE_SERIES"
	expect "$name: $st within ${pct}% (or $floor) of ss at each of $secs samples (worst off by $worst)" \
		"$bad" -eq 0
}
