# A loss and duplication injector for the lab (sourced): this kernel has no
# sch_netem, so build/loss.bpf.o (tests/tools/loss.bpf.c) on the tc ingress
# and egress of the client's veth drops a share of the TCP segments in both
# directions and sends a share of them twice, both directions too, drawn
# from a seeded generator. No reordering: with neither netem nor sch_fq
# (for a departure time) this kernel has nothing that holds a segment back.
LOSS_OBJ=${LOSS_OBJ:-build/loss.bpf.o}

# loss_on NS DEV DROP_PERMILLE DUP_PERMILLE [SEED]: the programs are pinned
# in a bpffs of their own only while they are attached and seeded; the
# filters then hold them, and they go with the namespace.
loss_on() {
	local ns=$1 dev=$2 fs pin seed=${5:-1} rc=0
	# no dot in the name: libbpf would pin under it with a _ instead
	fs=$(mktemp -d /run/sg-loss-XXXXXX) || return 1
	pin=$fs/p
	mount -t bpf bpf "$fs" && bpftool prog loadall "$LOSS_OBJ" "$pin" pinmaps "$pin/maps" ||
		rc=1
	bpftool map update pinned "$pin/maps/sg_loss" key hex 00 00 00 00 value hex \
		$(python3 -c 'import struct, sys
v = struct.pack("<QII32x", int(sys.argv[1]) or 1, int(sys.argv[2]), int(sys.argv[3]))
print(" ".join("%02x" % b for b in v))' "$seed" "$3" "$4") || rc=1
	nsenter --net=/run/netns/"$ns" sh -c '
		tc qdisc replace dev "$1" clsact &&
		tc filter replace dev "$1" ingress pref 1 bpf da object-pinned "$2/sg_loss_in" &&
		tc filter replace dev "$1" egress pref 1 bpf da object-pinned "$2/sg_loss_out"' \
		loss "$dev" "$pin" || rc=1
	umount "$fs" 2>/dev/null
	rmdir "$fs"
	return $rc
}
loss_off() { nsenter --net=/run/netns/"$1" tc qdisc del dev "$2" clsact 2>/dev/null; }
# loss_counts NS DEV: "dropped-in dropped-out duplicated-in duplicated-out"
# segments so far (in: towards the client), from the map of the attached
# ingress program
loss_counts() {
	local prog map
	prog=$(nsenter --net=/run/netns/"$1" tc filter show dev "$2" ingress |
		sed -n 's/.* id \([0-9]*\) .*/\1/p' | head -n 1)
	map=$(bpftool prog show id "$prog" 2>/dev/null | sed -n 's/.*map_ids \([0-9]*\).*/\1/p')
	bpftool -j map dump id "$map" 2>/dev/null | python3 -c 'import json, struct, sys
v = bytes(int(b, 16) for b in json.load(sys.stdin)[0]["value"])
print(*struct.unpack_from("<4Q", v, 16))'
}
