#!/usr/bin/env bash
# make lint: README.md and docs/*.md render as meant in a CommonMark viewer
# (no unclosed fence, no heading swallowed into a code block) and their
# relative links resolve. One "ok - lint: FILE" or "not ok - lint: ..." line
# per file (tools/mdlint.py); then the check itself is shown to catch what
# it is for, on a small broken file.
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
exit $rc
