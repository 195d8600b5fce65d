#!/usr/bin/env bash
# make install into a scratch DESTDIR, with PREFIX=/usr and the default
# /usr/local: binaries, man pages that render without warnings, the
# systemd unit pointing at the installed paths, a sample config that
# lists every setting and parses, the bash completion of both binaries;
# make uninstall removes every file again and keeps an operator's config.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
ok() { echo "ok - $1"; }
fail() { echo "not ok - $1${2:+: $2}"; FAILS=$((FAILS + 1)); }
FAILS=0
D=$(mktemp -d /tmp/sg-install.XXXXXX)
trap 'rm -rf "$D"' EXIT

for prefix in /usr /usr/local; do
	dest=$D/${prefix//\//_}
	if ! out=$(make -s -C "$ROOT" install DESTDIR="$dest" PREFIX="$prefix" 2>&1); then
		fail "install: make install PREFIX=$prefix" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"
		continue
	fi
	missing=
	for f in "$prefix/sbin/synguardd" "$prefix/sbin/synguard" "$prefix/share/man/man8/synguardd.8" \
		"$prefix/share/man/man8/synguard.8" /etc/synguard/synguard.conf.example \
		"$prefix/lib/systemd/system/synguardd@.service" \
		"$prefix/share/bash-completion/completions/synguard"; do
		[ -s "$dest$f" ] || missing="$missing $f"
	done
	[ -x "$dest$prefix/sbin/synguardd" ] && [ -x "$dest$prefix/sbin/synguard" ] || missing="$missing (executables)"
	[ "$(readlink "$dest$prefix/share/bash-completion/completions/synguardd")" = synguard ] ||
		missing="$missing (completion link synguardd)"
	if [ -z "$missing" ]; then ok "install: PREFIX=$prefix DESTDIR=...: binaries, man pages, unit, sample config, completion"
	else fail "install: PREFIX=$prefix: files" "missing:$missing"; fi
	unit=$dest$prefix/lib/systemd/system/synguardd@.service
	exec=$(sed -n 's/^ExecStart=//p' "$unit")
	if [ "$exec" = "$prefix/sbin/synguardd -i %i -c /etc/synguard/%i.conf" ] && ! grep -q '@[A-Z]*@' "$unit" &&
		grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$unit"; then
		ok "install: PREFIX=$prefix: the unit runs the installed synguardd ($exec), reload is SIGHUP"
	else
		fail "install: PREFIX=$prefix: the unit's paths" "ExecStart=$exec"
	fi
done

# uninstall with the same PREFIX: no file left but an operator's config
dest=$D/uninstalled
echo 'mode = on' >"$D/eth9.conf"
if make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1 &&
	cp "$D/eth9.conf" "$dest/etc/synguard/" &&
	make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1; then
	left=$(cd "$dest" && find . ! -type d | sort | tr '\n' ' ')
	if [ "$left" = "./etc/synguard/eth9.conf " ]; then
		ok "install: make uninstall removes every installed file, keeps etc/synguard/eth9.conf"
	else
		fail "install: make uninstall removes every installed file" "left: $left"
	fi
else
	fail "install: make install, then make uninstall, PREFIX=/usr"
fi

dest=$D/_usr_local
sample=$dest/etc/synguard/synguard.conf.example
if out=$("$dest/usr/local/sbin/synguardd" -c "$sample" --check 2>&1); then
	ok "install: the sample config parses (synguardd -c ... --check)"
else
	fail "install: the sample config parses" "$out"
fi
n=$(grep -c '^#[A-Za-z0-9_]* =' "$sample")
keys=$("$dest/usr/local/sbin/synguard" help set | grep -c '^ [a-zA-Z0-9_.]\+  \+.*; default .*(\(live\|reload\|start\))$')
if [ "$n" -gt 20 ] && [ "$n" -eq "$keys" ]; then ok "install: the sample config shows every setting at its default ($n)"
else fail "install: the sample config shows every setting" "$n in the sample, $keys in help set"; fi
for m in synguardd synguard; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 groff -man -Tutf8 -ww -z "$dest/usr/local/share/man/man8/$m.8" 2>&1)
	if [ -z "$w" ]; then ok "install: man $m renders without warnings"
	else fail "install: man $m renders without warnings" "$(echo "$w" | head -n 2 | tr '\n' ' ')"; fi
done
# every setting is documented (timeout.STATE once for the ten states)
text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -rHY=0 -rLL=250n "$dest/usr/local/share/man/man8/synguardd.8" 2>/dev/null | col -b)
undoc=
for k in $("$dest/usr/local/sbin/synguard" help set | sed -n 's/^ \([a-zA-Z0-9_.]\+\)  \+.*; default .*/\1/p'); do
	case $k in timeout.*) k=timeout. ;; esac
	echo "$text" | grep -qF -- "$k" || undoc="$undoc $k"
done
if [ -z "$undoc" ]; then ok "install: man synguardd documents every setting"
else fail "install: man synguardd documents every setting" "missing:$undoc"; fi
# every DESTDIR lives under $D, which the trap removes: nothing left in /tmp
stray=$(ls -d "$D"?* 2>/dev/null | tr '\n' ' ')
if [ -z "$stray" ] && [ -d "$D/_usr" ] && [ -d "$D/_usr_local" ] && [ -d "$D/uninstalled" ]; then ok "install: every DESTDIR under one scratch directory"
else fail "install: every DESTDIR under one scratch directory" "outside it: $stray"; fi
[ "$FAILS" -eq 0 ]
