#!/usr/bin/python3
"""metrics-check.py SCRAPE OUT.json: check a /metrics body line by line
against the Prometheus text exposition grammar (format 0.0.4) and write
its samples as {"name{k=v,...}": value} (labels sorted) to OUT.json.
Exit 1 with every problem listed (line number and why) if it does not
parse. Also checks what a scraper relies on: one TYPE per family before
its samples, families contiguous, no duplicate series, histograms with an
le label, cumulative buckets ending in +Inf equal to _count."""
import json
import math
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LNAME = r'[a-zA-Z_][a-zA-Z0-9_]*'
LVAL = r'"(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r'(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)'
SAMPLE = re.compile(r'^(' + NAME + r')(?:\{((?:' + LNAME + r'=' + LVAL +
                    r')(?:,' + LNAME + r'=' + LVAL + r')*,?)?\})? (' +
                    VALUE + r')(?: -?\d+)?$')
LABEL = re.compile(r'(' + LNAME + r')=(' + LVAL + r')')
HELP = re.compile(r'^# HELP (' + NAME + r') (.*)$')
TYPE = re.compile(r'^# TYPE (' + NAME + r') (counter|gauge|histogram|summary|untyped)$')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v[1:-1])


def fval(s):
    return float(s.replace('Inf', 'inf'))


def main():
    text = open(sys.argv[1], encoding='utf-8').read()
    errs, types, samples, done, hist = [], {}, {}, set(), {}
    current = None
    if not text.endswith('\n'):
        errs.append('the body does not end with a newline')
    for no, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('#'):
            m = HELP.match(line)
            t = TYPE.match(line)
            if t:
                fam = t.group(1)
                if fam in types:
                    errs.append(f'{no}: second TYPE for {fam}')
                if fam in done:
                    errs.append(f'{no}: TYPE for {fam} after its samples')
                types[fam] = t.group(2)
            elif not m and line.startswith(('# HELP', '# TYPE')):
                errs.append(f'{no}: malformed {line[:6]} line: {line!r}')
            continue
        m = SAMPLE.match(line)
        if not m:
            errs.append(f'{no}: not a sample line: {line!r}')
            continue
        name, lab, val = m.group(1), m.group(2) or '', m.group(3)
        labels = {k: unescape(v) for k, v in LABEL.findall(lab)}
        if len(labels) != len(LABEL.findall(lab)):
            errs.append(f'{no}: a label repeats: {line!r}')
        fam = name
        for suf in ('_bucket', '_sum', '_count'):
            if name.endswith(suf) and types.get(name[:-len(suf)]) == 'histogram':
                fam = name[:-len(suf)]
        if fam not in types:
            errs.append(f'{no}: sample of {fam} without a TYPE line before it')
        if fam != current:
            if fam in done:
                errs.append(f'{no}: family {fam} is not contiguous')
            if current:
                done.add(current)
            current = fam
        if types.get(fam) == 'counter' and not name.endswith('_total'):
            errs.append(f'{no}: counter {name} does not end in _total')
        key = name + '{' + ','.join(f'{k}={labels[k]}' for k in sorted(labels)) + '}'
        if key in samples:
            errs.append(f'{no}: duplicate series {key}')
        v = fval(val)
        if types.get(fam) == 'counter' and (v < 0 or math.isnan(v)):
            errs.append(f'{no}: counter {key} is {val}')
        samples[key] = v
        if types.get(fam) == 'histogram':
            rest = {k: x for k, x in labels.items() if k != 'le'}
            h = hist.setdefault((fam, tuple(sorted(rest.items()))), {'b': [], 'count': None})
            if name.endswith('_bucket'):
                if 'le' not in labels:
                    errs.append(f'{no}: bucket without le')
                else:
                    h['b'].append((fval(labels['le']), v, no))
            elif name.endswith('_count'):
                h['count'] = v
    for (fam, rest), h in hist.items():
        b = h['b']
        if not b or b[-1][0] != math.inf:
            errs.append(f'{fam}{dict(rest)}: no +Inf bucket last')
            continue
        for (l1, v1, _), (l2, v2, no) in zip(b, b[1:]):
            if l2 <= l1 or v2 < v1:
                errs.append(f'{no}: {fam} buckets not increasing/cumulative')
        if h['count'] != b[-1][1]:
            errs.append(f'{fam}{dict(rest)}: +Inf bucket {b[-1][1]} != _count {h["count"]}')
    if errs:
        print('\n'.join(errs))
        return 1
    json.dump(samples, open(sys.argv[2], 'w'), indent=1, sort_keys=True)
    print(f'{len(samples)} samples in {len(types)} families parse')
    return 0


sys.exit(main())
