#!/usr/bin/env python3
# include-cycles.py DIR: find dependency cycles in a C tree (e.g. host/).
# One node per header. A header's component is the header plus every .c
# that defines a function it declares (and the .c of the same stem), so a
# function declared in one module but defined in another counts as a
# dependency of that other module. Edge A->B when A's header or any of
# its .c files includes B. Prints each cycle with the includes that make
# it, and exits 1 if there is one.
import os, re, sys
root = sys.argv[1]
files = []
for d, _, fs in os.walk(root):
    files += [os.path.join(d, f) for f in fs if f.endswith(('.c', '.h'))]
rel = lambda p: os.path.relpath(p, root)
hdrs = [p for p in files if p.endswith('.h')]
srcs = [p for p in files if p.endswith('.c')]
text = {p: open(p, errors='replace').read() for p in files}
proto = re.compile(r'^(?!static)[a-z][\w \*]*?\b(\w+)\(', re.M)
defined = {}
for c in srcs:
    for m in re.finditer(r'^(?!static)[a-z][\w \*]*?\b(\w+)\([^;{]*\)\s*\{', text[c], re.M | re.S):
        defined.setdefault(m.group(1), set()).add(c)
comp = {}
for h in hdrs:
    s = {h}
    stem = h[:-2] + '.c'
    if stem in text: s.add(stem)
    for m in proto.finditer(text[h]):
        s |= defined.get(m.group(1), set())
    comp[rel(h)] = s
# A module's private header (X_int.h) is part of the module X.h.
for h in list(comp):
    if h.endswith('_int.h') and h[:-6] + '.h' in comp:
        comp[h[:-6] + '.h'] |= comp.pop(h)
alias = lambda t: t[:-6] + '.h' if t.endswith('_int.h') and t[:-6] + '.h' in comp else t
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
edges = {h: set() for h in comp}
for h, fs in comp.items():
    for f in fs:
        for m in inc.finditer(text[f]):
            t = alias(m.group(1))
            if t in comp and t != h: edges[h].add(t)
sys.setrecursionlimit(10000)
idx, low, st, on, out, n = {}, {}, [], set(), [], [0]
def sc(v):
    idx[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
    for w in sorted(edges[v]):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        c = []
        while True:
            w = st.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: out.append(sorted(c))
for v in sorted(edges):
    if v not in idx: sc(v)
for c in out:
    print("cycle:", " <-> ".join(c))
    for a in c:
        for b in sorted(edges[a] & set(c)):
            why = [rel(f) for f in comp[a] if re.search(r'#\s*include\s+"%s"' % re.escape(b), text[f])]
            print("   %s -> %s  (%s)" % (a, b, ", ".join(why)))
print("%d headers, %d cycles" % (len(comp), len(out)))
sys.exit(1 if out else 0)
