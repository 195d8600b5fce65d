#!/usr/bin/env bash
# Path traversal through the interface name. Pins live in BPFFS/synguard/IFACE,
# so "-i .." names BPFFS itself: `synguard detach -i ..` once unlinked every
# pin at the root of the bpffs (on a real host, other tools' maps and links).
# Every command and the daemon must refuse a name the kernel could not give
# an interface (exit 2, one line), and pin removal must never leave
# synguard's own directory, not even through a symlink planted there.
# The attack runs against a private bpffs holding a decoy pin, never
# against the host's /sys/fs/bpf.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" bpftool
lab_up "sg-it$$" 90 >/dev/null || { fail "ifname: lab setup"; exit 1; }
B=$LAB_TMP/bpffs
mkdir -p "$B" && mount -t bpf bpffs "$B" || { fail "ifname: private bpffs"; exit 1; }
trap 'umount "$B" 2>/dev/null; lab_cleanup' EXIT
LAB_BPFFS=$B

decoy() { bpftool map create "$B/$1" type array key 4 value 4 entries 1 name sg_decoy; }
decoy other_tool_map || { fail "ifname: decoy pin"; exit 1; }
mkdir -p "$B/synguard"
decoy synguard/other_in_our_dir

# run NAME CMD...: exit status and line count of CMD in the server namespace
run() { local out rc; out=$(lsrv timeout 10 "$@" 2>&1 </dev/null); rc=$?
	echo "$rc $(printf '%s' "$out" | grep -c .) $(echo "$out" | head -n 1)"; }
# refused NAME CMD...: exit 2 with one line that says what is wrong
refused() {
	local name=$1 rc n line; shift
	read -r rc n line <<<"$(run "$@")"
	if [ "$rc" = 2 ] && [ "$n" = 1 ] && [[ $line == *"interface name"* ]]; then ok "ifname: $name refused: exit 2, '$line'"
	else fail "ifname: $name refused with exit 2 and one line" "exit $rc, $n lines: $line"; fi
}

C=$LAB_CLI_BIN
for bad in .. . "a/b" "../x" "a:b" "a b" "$(printf 'a\tb')" "$(printf 'a\nb')" "" 0123456789abcdef; do
	label=$(printf '%q' "$bad")
	refused "synguard detach -i $label" "$C" detach -i "$bad" --bpffs "$B"
done
for cmd in status stats conns events top tune "set mode=on" "allow list" "deny add 198.18.0.0/15"; do
	# shellcheck disable=SC2086
	refused "synguard $cmd -i .." "$C" $cmd -i .. --bpffs "$B"
done
refused "synguardd -i .." "$LAB_DAEMON" -i .. -p 8080 --bpffs "$B"
refused "synguardd -i ." "$LAB_DAEMON" -i . -p 8080 --bpffs "$B"
# a name the kernel allows is accepted (it is only not here: exit 1, not 2)
read -r rc _ line <<<"$(run "$C" detach -i "x-y_z.1@2" --bpffs "$B")"
expect "ifname: a valid name that is not ours is not a usage error ($line)" "$rc" -eq 1

# the kernel is the oracle: a name synguard refuses is one it refuses too
# (ip link add in the lab namespace), and one it takes synguard takes
agree=0 names=0
for name in "x-y_z.1@2" . .. "a/b" "a:b" "a b" "$(printf 'a\tb')" "$(printf 'a\xa0b')" \
	"$(printf 'a\x01b')" "a,b" 0123456789abcde 0123456789abcdef "é"; do
	names=$((names + 1))
	if lsrv ip link add "$name" type veth peer name "sg-itp$$" 2>/dev/null; then
		kernel=ok; lsrv ip link del "$name" 2>/dev/null
	else kernel=refused; fi
	# (a valid name with no pins exits 2 as well, "no synguard on ...")
	lsrv "$C" status -i "$name" --bpffs "$B" 2>&1 | grep -q "bad interface name" &&
		ours=refused || ours=ok
	if [ "$kernel" = "$ours" ]; then agree=$((agree + 1))
	else note "$(printf '%q' "$name"): kernel $kernel, synguard $ours"; fi
done
expect "ifname: synguard accepts exactly the names the kernel accepts ($agree of $names agree)" "$agree" -eq "$names"

check "ifname: ...the decoy pin at the bpffs root survives" test -e "$B/other_tool_map"
check "ifname: ...the decoy in synguard/ survives" test -e "$B/synguard/other_in_our_dir"

# a symlink planted where an interface's pins would be, pointing at the root
[ -e "$B/other_tool_map" ] || decoy other_tool_map
mkdir -p "$B/synguard"
ln -s "$B" "$B/synguard/sg-evil0" || fail "ifname: bpffs takes a symlink"
read -r rc _ line <<<"$(run "$C" detach -i sg-evil0 --bpffs "$B")"
expect "ifname: detach through a symlink to the bpffs root fails ($line)" "$rc" -eq 1
check "ifname: ...and leaves the root's pins alone" test -e "$B/other_tool_map"
lab_finish
