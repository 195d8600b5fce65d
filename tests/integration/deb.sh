#!/usr/bin/env bash
# The Debian package: make deb builds it (dpkg-buildpackage from a copy of
# the tree) and lintian reports no error; its Depends are the runtime
# libraries only (the Makefile's RUNTIME_PKGS and libc6: no compiler, no
# lab tool); dpkg -i installs it into this system, where both binaries
# answer --version with the package's version, the template unit passes
# systemd-analyze verify, the sample config is a conffile and the bash
# completion is in place; dpkg --purge removes every file it installed and
# /etc/synguard. A host that already has synguard installed is left alone
# (skip).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require dpkg-buildpackage lintian systemd-analyze
if dpkg-query -W -f='${Status}' synguard 2>/dev/null | grep -q installed ||
	[ -e /usr/sbin/synguardd ] || [ -e /usr/sbin/synguard ]; then
	skip "deb" "synguard is installed on this host already: not touched"
	exit 0
fi
# dpkg does not wait for its lock: other jobs may hold it for a moment
dpkg_retry() {
	local i out
	for i in $(seq 60); do
		out=$(dpkg "$@" 2>&1) && return 0
		echo "$out" | grep -q 'lock' || { echo "$out"; return 1; }
		sleep 2
	done
	echo "$out"; return 1
}
purged=1
cleanup_pkg() { [ "$purged" -eq 1 ] || dpkg_retry --purge synguard >/dev/null; }
trap 'cleanup_pkg; lab_cleanup' EXIT

if ! out=$(make -s deb 2>&1); then
	fail "deb: make deb builds the package and lintian finds no error" "$(echo "$out" | grep -E '^E:|error' | head -n 3 | tr '\n' '|')"
	lab_finish
fi
deb=$(ls build/deb/synguard_*.deb | grep -v dbgsym)
ok "deb: make deb builds $(basename "$deb"), lintian: $(grep -c '^E:' build/deb/lintian.txt) errors, $(grep -c '^W:' build/deb/lintian.txt) warnings"
version=$(dpkg-deb -f "$deb" Version)
expect "deb: the package's version is the VERSION file's" "$version" = "$(cat VERSION)"
runtime=$(sed -n 's/^RUNTIME_PKGS := //p' Makefile)
extra=
for p in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g'); do
	case " $runtime libc6 " in *" $p "*) ;; *) extra="$extra $p" ;; esac
done
expect "deb: Depends are the runtime libraries only ($(dpkg-deb -f "$deb" Depends | sed 's/ ([^)]*)//g'))" "${extra:-none}" = none

out=$(dpkg_retry -i "$deb") && purged=0
check "deb: dpkg -i installs it" test "$purged" -eq 0
[ "$purged" -eq 0 ] || { note "$out"; lab_finish; }
files=$(dpkg -L synguard | while read -r f; do [ -d "$f" ] || echo "$f"; done)
expect "deb: synguardd --version says $version" "$(/usr/sbin/synguardd --version | cut -d' ' -f1-2)" = "synguardd $version"
expect "deb: synguard --version says the same" "$(/usr/sbin/synguard --version | cut -d' ' -f2-)" = \
	"$(/usr/sbin/synguardd --version | cut -d' ' -f2-)"
unit=/lib/systemd/system/synguardd@.service
out=$(systemd-analyze verify "$unit" 2>&1); rc=$?
expect "deb: systemd-analyze verify $unit${out:+ ($(echo "$out" | head -n 2 | tr '\n' '|'))}" "$rc" -eq 0
expect "deb: the unit runs the packaged synguardd" "$(sed -n 's/^ExecStart=//p' "$unit" | cut -d' ' -f1)" = /usr/sbin/synguardd
expect "deb: the sample config is a conffile" \
	"$(dpkg-query -W -f='${Conffiles}' synguard | awk '{print $1}' | tr -d '\n')" = /etc/synguard/synguard.conf.example
check "deb: the sample config parses" /usr/sbin/synguardd -c /etc/synguard/synguard.conf.example --check
check "deb: man synguardd is installed" test -s /usr/share/man/man8/synguardd.8.gz
check "deb: bash completion for both binaries" test -s /usr/share/bash-completion/completions/synguard \
	-a -L /usr/share/bash-completion/completions/synguardd

out=$(dpkg_retry --purge synguard) && purged=1
check "deb: dpkg --purge removes it" test "$purged" -eq 1
left=
for f in $files /etc/synguard; do [ -e "$f" ] || [ -L "$f" ] && left="$left $f"; done
expect "deb: no file of the package is left ($(echo "$files" | wc -l) files)" "${left:-none}" = none
expect "deb: dpkg knows it no more" "$(dpkg-query -W -f='${Status}' synguard 2>/dev/null)" != "install ok installed"
lab_finish
