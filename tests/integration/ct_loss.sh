#!/usr/bin/env bash
# The tracker against the kernel through 2% loss and 1% duplication (both
# directions, seeded: tests/tools/loss.sh) on the client's veth: connections held
# open, closed by either side first, closed by both at once, and reset;
# once each settled, the tracked states equal ss on both ends
# (tests/tools/ct_lossy.py). CT_LOSS_CONNS sets connections per kind.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. "$ROOT/tests/tools/ct_lab.sh"
. "$ROOT/tests/tools/loss.sh"

ct_require || exit 0
command -v bpftool >/dev/null || { echo "skip - ct_loss (bpftool missing)"; exit 0; }
ct_lab_up || { echo "not ok - ct_loss: lab setup failed"; exit 1; }
ct_daemon_up "" || { echo "not ok - ct_loss: daemon did not start"; ct_daemon_log; exit 1; }
# closed connections stay listed through the run: their remote state is
# checked against the client's TIME_WAIT
ct_sns $CT_CLI set -i "$CT_SRV_IF" --bpffs "$CT_BPFFS" ports=8083 timeout.CLOSED=300 >/dev/null
loss_on "$CT_CLI_NS" "$CT_CLI_IF" 20 10 "${CT_LOSS_SEED:-1}" ||
	{ echo "not ok - ct_loss: the injector loads"; exit 1; }

timeout 600 /usr/bin/python3 "$ROOT/tests/tools/ct_lossy.py" "$@"
rc=$?
[ $rc -eq 124 ] && echo "not ok - ct_loss: timed out"
set -- $(loss_counts "$CT_CLI_NS" "$CT_CLI_IF")
echo "# injected (seed ${CT_LOSS_SEED:-1}): ${1:-?} dropped towards the client," \
	"${2:-?} dropped from it, ${3:-?} duplicated towards it, ${4:-?} from it"
if [ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] && [ "${3:-0}" -gt 0 ] && [ "${4:-0}" -gt 0 ]; then
	echo "ok - ct_loss: the injector dropped and duplicated segments"
else
	echo "not ok - ct_loss: the injector did nothing"; rc=1
fi
ct_daemon_alive || { echo "not ok - ct_loss: daemon died during the run"; ct_daemon_log; rc=1; }
exit $rc
