#!/bin/sh
# Prints synguard's version: `git describe` of a release tag (v1.2.3 ->
# 1.2.3) when the tree has one; in a git tree without one, the VERSION
# file plus the commit (0.1.0+git.1a2b3c4d5e6f, ".dirty" with local
# changes); in a tarball, the VERSION file alone.
cd "$(dirname "$0")/.." || exit 1
base=$(cat VERSION)
# .git here, not in a parent: make deb builds a copy inside build/
if [ -e .git ] && git rev-parse --git-dir >/dev/null 2>&1; then
	if tag=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
		echo "${tag#v}"
		exit 0
	fi
	dirty=$(git diff --quiet HEAD -- 2>/dev/null || echo .dirty)
	echo "$base+git.$(git rev-parse --short=12 HEAD)$dirty"
else
	echo "$base"
fi
