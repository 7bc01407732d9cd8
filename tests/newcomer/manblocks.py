#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# manblocks.py - the newcomer's check's two helpers (see newcomer.sh):
#
#   manblocks.py extract PAGE OUTDIR SUBST...
#       Take out of the roff source PAGE every example block marked to be
#       run: a line '.\" newcomer: run' followed, next, by a block between
#       '.EX' and '.EE' (or '.nf' and '.fi').  In such a block a line
#       starting with '# ' is a command typed at a root prompt (a line
#       ending in a backslash continues it, and a here-document's lines up
#       to its delimiter belong to it); the lines after it, up to the next
#       command, are what it prints.  Roff escapes are turned into the
#       characters a reader sees, then every SUBST ('FROM=TO', applied in
#       order) replaces a placeholder path where it stands as a whole path
#       component.  A command that still names a system directory
#       (/etc, /var, /usr, /srv, ...) is refused, so that no example
#       ever writes outside the run's directory.  Writes OUTDIR/NNNN.cmd, NNNN.exp and NNNN.where
#       ("PAGE:LINE").
#
#   manblocks.py match EXPECTED ACTUAL
#       Exit 0 when ACTUAL (what the command printed, stdout and stderr
#       together) is what EXPECTED shows, else print a diff and exit 1.
#       Both go through the same filter first: runs of blanks become one
#       space, trailing blanks go, and the figures that change from run to
#       run become placeholders (UUIDs, object ids, ls dates, durations,
#       rates, pids).  In EXPECTED, '...' inside a line matches any text,
#       and a line that is only '...' matches any number of lines.

import difflib
import os
import re
import sys

ROFF = [
    (r'\-', '-'), (r'\(aq', "'"), (r'\(dq', '"'), (r'\(lq', '"'),
    (r'\(rq', '"'), (r'\(em', '--'), (r'\(mc', 'u'), (r'\~', ' '),
    (r'\&', ''), (r'\e', '\\'), (r'\fB', ''), (r'\fI', ''), (r'\fR', ''),
    (r'\fP', ''),
]


def unroff(line):
    out = []
    i = 0
    while i < len(line):
        for esc, rep in ROFF:
            if line.startswith(esc, i):
                out.append(rep)
                i += len(esc)
                break
        else:
            out.append(line[i])
            i += 1
    return ''.join(out)


def subst(text, pairs):
    for frm, to in pairs:
        # a whole path component: not preceded by a name character or a
        # slash, not followed by a name character
        pat = r'(?<![\w./-])' + re.escape(frm) + r'(?![\w.-])'
        if frm.endswith('/'):
            pat = r'(?<![\w./-])' + re.escape(frm)
        text = re.sub(pat, lambda m: to, text)
    return text


def blocks(path):
    """Yield (line number, [lines]) of each marked block."""
    with open(path, encoding='utf-8') as f:
        src = f.read().split('\n')
    i = 0
    while i < len(src):
        if src[i].strip() == '.\\" newcomer: run':
            j = i + 1
            while j < len(src) and src[j] not in ('.EX', '.nf'):
                if not src[j].startswith('.'):
                    sys.exit('%s:%d: newcomer: run is not followed by '
                             'an example block' % (path, i + 1))
                j += 1
            end = '.EE' if src[j] == '.EX' else '.fi'
            k = j + 1
            body = []
            while k < len(src) and src[k] != end:
                body.append((k + 1, unroff(src[k])))
                k += 1
            yield body
            i = k
        i += 1


def commands(body):
    """Split a block into (line, command, [expected lines])."""
    out = []
    it = iter(body)
    for ln, text in it:
        if text.startswith('# '):
            cmd = [text[2:]]
            heredoc = re.search(r"<<-?\s*'?(\w+)'?", text)
            while cmd[-1].endswith('\\'):
                cmd.append(next(it)[1])
            if heredoc:
                for _, t in it:
                    cmd.append(t)
                    if t == heredoc.group(1):
                        break
            out.append([ln, '\n'.join(cmd), []])
        elif out:
            out[-1][2].append(text)
        else:
            sys.exit('line %d: output before any command' % ln)
    return out


def extract(page, outdir, pairs):
    n = 0
    for body in blocks(page):
        for ln, cmd, exp in commands(body):
            n += 1
            base = os.path.join(outdir, '%04d' % n)
            cmd = subst(cmd, pairs)
            stray = re.search(r'(?<![\w./-])/(etc|var|root|srv|usr|home|'
                              r'opt|lib|boot|data)\b', cmd)
            if stray:
                sys.exit('%s:%d: %s names %s, which is no placeholder: '
                         'not run' % (page, ln, cmd, stray.group(0)))
            with open(base + '.cmd', 'w') as f:
                f.write(cmd + '\n')
            with open(base + '.exp', 'w') as f:
                f.write(''.join(subst(e, pairs) + '\n' for e in exp))
            with open(base + '.where', 'w') as f:
                f.write('%s:%d\n' % (page, ln))
    print(n)


# The figures that change from run to run, in the order applied.
FIGURES = [
    (r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'UUID'),
    (r'\b[0-9a-f]{32}\b', 'OID'),
    (r'\b[A-Z][a-z]{2} +[0-9]{1,2} +([0-9]{2}:[0-9]{2}|[0-9]{4})\b', 'DATE'),
    (r'\b[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+\b', 'DATE'),
    (r'\b[0-9]+(\.[0-9]+)? ?(s|ms|us)\b', 'T s'),
    (r'\b[0-9]+(\.[0-9]+)? ?[KMGT]?i?B/s', 'R/s'),
    (r'\bpid [0-9]+\b', 'pid P'),
]


def normalize(line):
    for pat, rep in FIGURES:
        line = re.sub(pat, rep, line)
    return re.sub(r'\s+', ' ', line).strip()


def to_regex(line):
    return re.compile('^' + '.*'.join(re.escape(p)
                                      for p in line.split('...')) + '$')


def matches(exp, act):
    """Does the list act match the patterns exp (with '...' lines)?"""
    if not exp:
        return not act
    if exp[0] == '...':
        return any(matches(exp[1:], act[i:]) for i in range(len(act) + 1))
    return bool(act) and bool(to_regex(exp[0]).match(act[0])) and \
        matches(exp[1:], act[1:])


def match(expfile, actfile):
    with open(expfile, encoding='utf-8') as f:
        exp = [normalize(x) for x in f.read().split('\n')[:-1]]
    with open(actfile, encoding='utf-8', errors='replace') as f:
        act = [normalize(x) for x in f.read().split('\n')]
    if act and act[-1] == '':
        act.pop()
    if matches(exp, act):
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        [x + '\n' for x in exp], [x + '\n' for x in act],
        'the page shows', 'the command printed', n=2))
    return 1


def main():
    sys.setrecursionlimit(20000)
    if len(sys.argv) >= 4 and sys.argv[1] == 'extract':
        pairs = [tuple(a.split('=', 1)) for a in sys.argv[4:]]
        extract(sys.argv[2], sys.argv[3], pairs)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == 'match':
        return match(sys.argv[2], sys.argv[3])
    sys.exit('usage: manblocks.py extract PAGE OUTDIR FROM=TO... | '
             'match EXPECTED ACTUAL')


if __name__ == '__main__':
    sys.exit(main())
