#!/usr/bin/env bash
# make lint: README.md and docs/*.md render as meant in a CommonMark viewer
# (no unclosed fence, no heading swallowed into a code block) and their
# relative links resolve. One "ok - lint: FILE" or "not ok - lint: ..." line
# per file (tools/mdlint.py); then the check itself is shown to catch what
# it is for, on a small broken file. Then the library's modules are checked
# to only look down (tools/layers.py), and that check is shown to catch an
# upward call and a circle, on a copy of user/ with both added. Last, the
# C sources are as .clang-format says (tools/format-check.sh; make format
# rewrites them), and that check is shown to catch a line past 100 columns.
set -u
cd "$(dirname "$0")/../.."
/usr/bin/python3 tools/mdlint.py README.md docs/*.md
rc=$?

bad=$(mktemp -d /tmp/sg-lint.XXXXXX)
trap 'rm -rf "$bad"' EXIT
cat >"$bad/broken.md" <<'MD'
# Title

```
log line
``` Text after a closing fence does not close it

## Swallowed

```

[gone](missing.md)

```
never closed
MD
out=$(/usr/bin/python3 tools/mdlint.py "$bad/broken.md")
for want in "fence with text after it" "heading inside a code block" "never closed" \
	"link to a missing file"; do
	if echo "$out" | grep -q "$want"; then
		echo "ok - lint: catches '$want' in a broken file"
	else
		echo "not ok - lint: catches '$want' in a broken file: $out"
		rc=1
	fi
done

if out=$(/usr/bin/python3 tools/layers.py .); then
	echo "ok - lint: user/ modules only look down ($out)"
else
	echo "not ok - lint: user/ modules look up or in a circle:"
	echo "$out" | sed 's/^/# /'
	rc=1
fi
mkdir -p "$bad/user"
cp user/*.c user/*.h "$bad/user/"
# util (the bottom) calls the daemon; config and maps call each other
printf 'void sg_lint_up(void) { sg_daemon_run(0); }\n' >>"$bad/user/libsg_util.c"
printf 'void sg_lint_a(void) { sg_pins_close(0); }\n' >>"$bad/user/libsg_config.c"
printf 'void sg_lint_b(void) { sg_sysctl_int(0, 0); }\n' >>"$bad/user/libsg_maps.c"
out=$(/usr/bin/python3 tools/layers.py "$bad")
for want in "uses sg_daemon_run: util (layer 0) looks up at daemon" \
	"circle within layer 1: config -> maps -> config"; do
	if echo "$out" | grep -q "$want"; then
		echo "ok - lint: layers catches '$want'"
	else
		echo "not ok - lint: layers catches '$want': $out"
		rc=1
	fi
done
if out=$(tools/format-check.sh 2>&1); then
	echo "ok - lint: C sources as .clang-format says"
else
	echo "not ok - lint: C sources not as .clang-format says (make format rewrites them):"
	echo "$out" | head -20 | sed 's/^/# /'
	rc=1
fi
long="int sg_lint_long(int aaaaaaaaaaaaaaaaaaaa, int bbbbbbbbbbbbbbbbbbbbbbbbb, int cccccccccccccccc, int d);"
printf '%s\n' "$long" >"$bad/long.c"
if ! clang-format-19 --style=file:.clang-format --dry-run --Werror "$bad/long.c" \
	>/dev/null 2>&1; then
	echo "ok - lint: clang-format catches a line past 100 columns"
else
	echo "not ok - lint: clang-format catches a line past 100 columns"
	rc=1
fi
exit $rc
