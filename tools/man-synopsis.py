#!/usr/bin/python3
"""Fills the SYNOPSIS of synguard.8 from the CLI's command table.

usage: man-synopsis.py BINARY < PAGE.8 > PAGE.8

`BINARY help` lists the commands; `BINARY help COMMAND` prints its usage
line and its options, both from the one table in user/synguard.c. In
PAGE, a line "@SYNOPSIS@" becomes one synopsis line per command with its
options and arguments, so the page names exactly the commands and options
the binary takes. A page without that line passes through unchanged.
"""
import re
import subprocess
import sys

USAGE = re.compile(r"^Usage: (\S+) (\S+) \[options\]\s*(.*)$")
OPTION = re.compile(r"^ (?:-(\w), )?\s*--([a-z-]+)(?: ([A-Z][A-Z=_\[\]:.]*))?\s{2,}")


def run(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True,
                          text=True).stdout


def commands(binary):
    text = run(binary, "help").split("\nCommands:\n", 1)
    if len(text) != 2:
        sys.exit("man-synopsis.py: no command list in '%s help'" % binary)
    names = []
    for line in text[1].splitlines():
        if not line.strip():
            break
        names.append(line.split()[0])
    return names


def roff(text):
    return text.replace("\\", "\\e").replace("-", "\\-")


def synopsis(binary, name):
    """The roff lines of one command: name, options, arguments."""
    lines = run(binary, "help", name).splitlines()
    m = USAGE.match(lines[0])
    if not m:
        sys.exit("man-synopsis.py: no usage line in '%s help %s'" % (binary, name))
    out = [".B %s %s" % (m.group(1), roff(name))]
    for line in lines[1:]:
        o = OPTION.match(line)
        if not o or o.group(2) == "help":
            continue
        flag = "\\-" + o.group(1) if o.group(1) else "\\-\\-" + o.group(2)
        if o.group(3):
            out += [".RB [ %s" % flag, ".IR %s ]" % roff(o.group(3))]
        else:
            out.append(".RB [ %s ]" % flag)
    if m.group(3):
        out.append('.I "%s"' % roff(m.group(3)))
    return out + [".br"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    fill = []
    for name in commands(sys.argv[1]):
        fill += synopsis(sys.argv[1], name)
    fill.append(".B synguard \\-\\-version")
    page = sys.stdin.read().split("\n")
    sys.stdout.write("\n".join("\n".join(fill) if l.strip() == "@SYNOPSIS@" else l
                               for l in page))


if __name__ == "__main__":
    main()
