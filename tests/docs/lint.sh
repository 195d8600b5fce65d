#!/usr/bin/env bash
# make lint: README.md and docs/*.md render as meant in a CommonMark viewer
# (no unclosed fence, no heading swallowed into a code block) and their
# relative links resolve. One "ok - lint: FILE" or "not ok - lint: ..." line
# per file (tools/mdlint.py).
set -u
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tools/mdlint.py README.md docs/*.md
