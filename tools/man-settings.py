#!/usr/bin/python3
"""Fills the settings lists of the man pages from the settings table.

usage: synguard help set | man-settings.py TEMPLATE.8.in > PAGE.8

`synguard help set` prints every setting of user/libsg_settings.c: a line
" KEY   VALUES; default DEFAULT (WHEN)" and its help on the indented lines
after it. In TEMPLATE, a line "@SETTINGS@" becomes one .TP entry per
setting with its help (synguardd.8), and "@SETTINGS_SUMMARY@" one short
entry per setting without it (synguard.8). So the pages list exactly the
settings the binaries accept, with their ranges and defaults.
"""
import re
import sys

ENTRY = re.compile(r"^ (\S+)\s+(.*); default (.*) \((live|reload|start)\)$")
HELP = re.compile(r"^ {10,}(\S.*)$")


def settings(text):
    """[(key, values, default, when, help)] in the table's order."""
    out = []
    body = text.split("\nSettings (", 1)
    if len(body) != 2:
        sys.exit("man-settings.py: no settings list in the input (synguard help set?)")
    for line in body[1].splitlines()[1:]:
        m = ENTRY.match(line)
        if m:
            out.append(list(m.groups()) + [""])
            continue
        h = HELP.match(line)
        if h and out:
            out[-1][4] = (out[-1][4] + " " + h.group(1)).strip()
    if not out:
        sys.exit("man-settings.py: no setting parsed from the input")
    return out


def roff(text):
    """Text safe on a roff line: backslashes escaped, no leading control dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def entry(key, values, default, when):
    """The .TP tag line of one setting."""
    return ('.TP\n.BR "%s" " = \\fI%s\\fR; default \\fB%s\\fR (%s)"'
            % (roff(key), roff(values), roff(default), when))


def sentence(text):
    """The help text as a sentence: capital first, one full stop last."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def long_list(rows):
    return "\n".join("%s\n%s" % (entry(*r[:4]), roff(sentence(r[4])))
                     for r in rows)


def short_list(rows):
    return ".PD 0\n%s\n.PD" % "\n".join(entry(*r[:4]) for r in rows)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    rows = settings(sys.stdin.read())
    with open(sys.argv[1], encoding="utf-8") as f:
        template = f.read()
    fills = {"@SETTINGS@": long_list(rows), "@SETTINGS_SUMMARY@": short_list(rows)}
    out = []
    for line in template.split("\n"):
        out.append(fills.get(line.strip(), line))
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
