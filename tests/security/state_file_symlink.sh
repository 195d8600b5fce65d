#!/usr/bin/env bash
# Writing the state file through a planted name: synguard set writes
# /var/lib/synguard/IFACE.state.new and renames it over IFACE.state. A
# symlink planted at the .new name (the directory is there before the
# first save, and any tool may have made it) must not make the CLI, as
# root, write the settings into the file it points at and then rename the
# symlink into place as the state file. And the state file, which the
# daemon applies at start and SIGHUP (the deny list among it), is written
# 0644 whatever the caller's umask: under umask 000 it was world-writable,
# so any local user could have rewritten what the daemon applies; such a
# file, or a state file that is a symlink, is refused, not applied.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
lab_up "sg-sf$$" 210 >/dev/null || { fail "state_file: lab setup"; exit 1; }
STATE=$(lab_state_file "$LAB_SIF")
cleanup() { rm -f "$STATE.new"; lab_cleanup; }
trap cleanup EXIT
if ! sg_start -p 8080 --mode off --metrics off; then
	fail "state_file: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
mkdir -p "$(dirname "$STATE")"
VICTIM=$LAB_TMP/victim
echo precious >"$VICTIM"
ln -sfn "$VICTIM" "$STATE.new"
out=$(sg_cli set -i "$LAB_SIF" top.threshold=7 2>&1)
note "$(echo "$out" | tail -n 1)"
expect "state_file: the file a planted .new symlink points at is not written" \
	"$(cat "$VICTIM")" = precious
check "state_file: ...the state file is a regular file, not the symlink renamed" \
	test -f "$STATE" -a ! -L "$STATE"
check "state_file: ...and holds the saved setting" grep -q '^top.threshold = 7$' "$STATE"

rm -f "$STATE" "$STATE.new"
out=$( (umask 000; sg_cli set -i "$LAB_SIF" top.threshold=8) 2>&1)
note "$(echo "$out" | tail -n 1)"
expect "state_file: saved under umask 000, the state file is 644" \
	"$(stat -c %a "$STATE" 2>&1)" = 644

# The other way round: a state file another user could have written (an
# older synguard's, saved under umask 000) or one that is a symlink is not
# applied: the daemon refuses to start (and a reload), naming the file;
# so is a malformed one, naming its line, with nothing of it applied.
chmod 666 "$STATE"
sg_stop quiet
LAB_KEEP_STATE=1 sg_start -p 8080 --mode off --metrics off
rc=$?
expect "state_file: synguardd refuses a world-writable state file" "$rc" -ne 0
check "state_file: ...in a line naming it" grep -q "$STATE: owned by uid 0, mode 666" "$SG_LOG"
note "$(tail -n 1 "$SG_LOG")"
rm -f "$STATE"
ln -s "$VICTIM" "$STATE"
LAB_KEEP_STATE=1 sg_start -p 8080 --mode off --metrics off
expect "state_file: synguardd refuses a state file that is a symlink" "$?" -ne 0
check "state_file: ...in a line naming it" grep -q "$STATE: not a regular file" "$SG_LOG"
# a malformed one: refused in a line naming FILE:LINE, never half applied
rm -f "$STATE"
printf 'deny.prefixes = 198.19.7.0/24\nmode = bogus\n' >"$STATE"
chmod 644 "$STATE"
LAB_KEEP_STATE=1 sg_start -p 8080 --mode off --metrics off
expect "state_file: synguardd refuses a malformed state file" "$?" -ne 0
check "state_file: ...in a line naming its line" grep -q "$STATE:2:" "$SG_LOG"
note "$(tail -n 1 "$SG_LOG")"
rm -f "$STATE"
LAB_KEEP_STATE=1 sg_start -p 8080 --mode off --metrics off
expect "state_file: and starts once it is gone" "$?" -eq 0
lab_finish
