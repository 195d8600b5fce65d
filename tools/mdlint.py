#!/usr/bin/python3
"""Checks that Markdown files render as meant in any CommonMark viewer.

usage: mdlint.py FILE.md...

Each file is parsed with markdown-it-py (Debian's python3-markdown-it, the
CommonMark preset, with GFM tables) and fails on:
  - a code fence that is never closed (it swallows the rest of the file);
  - a line inside a code block that looks like a fence with text after it
    (``` Text): CommonMark does not close a fence there, so the fences after
    it pair up wrongly and the headings after it render as code;
  - a line inside a code block that looks like a Markdown heading (## Title);
  - a relative link or image whose file does not exist, or whose #anchor
    names no heading of the target file.
One line per file: "ok - lint: FILE (...)" or "not ok - lint: FILE:LINE: why".
Exit status 1 if any file failed.
"""
import os
import re
import sys

from markdown_it import MarkdownIt

FENCE_LIKE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING_LIKE = re.compile(r"^ {0,3}#{2,6} \S")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def parse(path):
    """The token stream and the source lines of one file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return MarkdownIt("commonmark").enable("table").parse(text), text.split("\n")


def slug(title):
    """The anchor a heading gets on GitHub and in most viewers."""
    s = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return s.replace(" ", "-")


def anchors(tokens):
    """The anchors of a file's headings (repeated titles get -1, -2, ...)."""
    seen, out = {}, set()
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open":
            continue
        base = slug(tokens[i + 1].content)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else "%s-%d" % (base, n))
    return out


def fence_problems(tokens, lines):
    """Unclosed fences and fence or heading lines inside code blocks."""
    problems = []
    for tok in tokens:
        if tok.type not in ("fence", "code_block") or tok.map is None:
            continue
        first, end = tok.map
        if tok.type == "fence":
            closing = lines[end - 1].strip() if end - 1 > first else ""
            marker = tok.markup
            if not (closing.startswith(marker) and set(closing) == {marker[0]}):
                problems.append((first + 1, "code fence opened here is never closed"))
            body = range(first + 1, end - 1)
        else:
            body = range(first, end)
        for n in body:
            if FENCE_LIKE.match(lines[n]):
                problems.append((n + 1, "fence with text after it inside a code block "
                                 "(a closing fence must stand alone on its line)"))
            elif HEADING_LIKE.match(lines[n]):
                problems.append((n + 1, "heading inside a code block (an unbalanced fence above?)"))
    return problems


def links(tokens):
    """(line, target) of every link and image, from the inline tokens."""
    out = []
    for tok in tokens:
        if tok.type != "inline" or not tok.children:
            continue
        line = tok.map[0] + 1 if tok.map else 0
        for child in tok.children:
            if child.type == "link_open":
                out.append((line, child.attrs.get("href", "")))
            elif child.type == "image":
                out.append((line, child.attrs.get("src", "")))
    return out


def link_problems(path, tokens, cache):
    """Relative links to missing files or to anchors no heading has."""
    problems = []
    here = os.path.dirname(path)
    for line, target in links(tokens):
        if not target or SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(here, file_part)) if file_part else path
        if not os.path.exists(dest):
            problems.append((line, "link to a missing file: %s" % target))
            continue
        if anchor and dest.endswith(".md"):
            if dest not in cache:
                cache[dest] = anchors(parse(dest)[0])
            if anchor not in cache[dest]:
                problems.append((line, "link to a missing heading: %s" % target))
    return problems


def main(paths):
    failed = 0
    cache = {}
    for path in paths:
        tokens, lines = parse(path)
        cache[os.path.normpath(path)] = anchors(tokens)
        problems = fence_problems(tokens, lines) + link_problems(path, tokens, cache)
        for line, why in sorted(problems):
            print("not ok - lint: %s:%d: %s" % (path, line, why))
        if problems:
            failed += 1
            continue
        fences = sum(1 for t in tokens if t.type == "fence")
        print("ok - lint: %s (%d headings, %d code blocks, %d links)"
              % (path, sum(1 for t in tokens if t.type == "heading_open"), fences,
                 len(links(tokens))))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip())
    sys.exit(main(sys.argv[1:]))
