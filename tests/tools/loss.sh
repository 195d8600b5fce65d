# A loss and duplication injector for the lab (sourced): this kernel has no
# sch_netem, so nftables rules on the client's veth drop a random share of
# the TCP segments in both directions and send a random share of the
# client's twice (numgen random: not seeded; the per-mille counts of what
# was done are read back by loss_counts).
#
# loss_on NS DEV DROP_PERMILLE DUP_PERMILLE
loss_on() {
	nsenter --net=/run/netns/"$1" nft -f - <<-EOT
	table netdev sg_loss {
		chain in {
			type filter hook ingress device "$2" priority 0;
			meta l4proto tcp numgen random mod 1000 < $3 counter drop
		}
		chain out {
			type filter hook egress device "$2" priority 0;
			meta l4proto tcp numgen random mod 1000 < $3 counter drop
			meta l4proto tcp numgen random mod 1000 < $4 counter dup to "$2"
		}
	}
	EOT
}
loss_off() { nsenter --net=/run/netns/"$1" nft delete table netdev sg_loss 2>/dev/null; }
# loss_counts NS: "dropped-in dropped-out duplicated" packets so far
loss_counts() {
	nsenter --net=/run/netns/"$1" nft list table netdev sg_loss 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | tr '\n' ' '
}
