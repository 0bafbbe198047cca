#!/usr/bin/env python3
"""A fake LDAP responder for one case slapd and Samba cannot produce: AD's
ranged `member` retrieval. Above MaxValRange, AD answers a group's plain
`member` with no values plus `member;range=0-<N-1>`, and each follow-up
`member;range=<lo>-*` with the next slice, the last one ending in `*`.

Plain LDAPv3 over TCP (no TLS), BER by hand; it answers a simple bind
(any password for the configured DN), the rootDSE, subtree searches
(users, groups, org units; filters are not evaluated) and base searches
of a group's DN with a `member;range=` attribute. Nothing else.

  server.py --port-file F [--port P] --users N --range R [--broken]
      N users; group "big" has all N as members, sent R values at a time;
      group "small" has 3. --broken: follow-up ranges come back empty
      (the plugin must fail the job, never empty the group).
"""
import argparse, os, socketserver, uuid

BASE = "dc=fake,dc=example"


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + content


def octet(s):
    return tlv(0x04, s if isinstance(s, bytes) else s.encode())


def integer(v, tag=0x02):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(tag, b)


def parse(buf, i=0):
    """One TLV at i: (tag, content, next index)."""
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


def children(content):
    out, i = [], 0
    while i < len(content):
        t, c, i = parse(content, i)
        out.append((t, c))
    return out


def guid_bytes(name):
    return uuid.uuid5(uuid.NAMESPACE_DNS, name).bytes_le


def attrs_seq(attrs):
    return tlv(0x30, b"".join(
        tlv(0x30, octet(k) + tlv(0x31, b"".join(octet(v) for v in vs)))
        for k, vs in attrs))


def result(mid, app, code=0, diag=""):
    return tlv(0x30, integer(mid) + tlv(app, tlv(0x0A, bytes([code])) + octet("") + octet(diag)))


def entry(mid, dn, attrs):
    return tlv(0x30, integer(mid) + tlv(0x64, octet(dn) + attrs_seq(attrs)))


class Dir:
    def __init__(self, n, r, broken):
        self.users = ["cn=u%05d,ou=People,%s" % (i, BASE) for i in range(n)]
        self.r = r
        self.broken = broken
        self.big = "cn=big,ou=Groups,%s" % BASE
        self.small = "cn=small,ou=Groups,%s" % BASE

    def user_attrs(self, dn):
        cn = dn.split(",")[0][3:]
        return [("objectGUID", [guid_bytes(dn)]), ("sAMAccountName", [cn]),
                ("userPrincipalName", [cn + "@fake.example"]),
                ("userAccountControl", ["512"]), ("uSNChanged", ["5"])]

    def members(self, dn):
        return self.users if dn == self.big else self.users[:3]

    def group_attrs(self, dn, lo):
        m = self.members(dn)
        a = [("objectGUID", [guid_bytes(dn)]), ("cn", [dn.split(",")[0][3:]]),
             ("uSNChanged", ["5"])]
        if lo == 0 and len(m) <= self.r:
            return a + [("member", m)]
        if lo > 0 and self.broken:
            return a
        hi = lo + self.r - 1
        if hi >= len(m) - 1:
            return a + [("member;range=%d-*" % lo, m[lo:])]
        if lo == 0:
            a.append(("member", []))
        return a + [("member;range=%d-%d" % (lo, hi), m[lo:hi + 1])]


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        d = self.server.dir
        buf = b""
        while True:
            try:
                chunk = self.request.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 2:
                try:
                    _, msg, nxt = parse(buf)
                except IndexError:
                    break
                if nxt > len(buf):
                    break
                buf = buf[nxt:]
                parts = children(msg)
                _, mid_b = parts[0]
                mid = int.from_bytes(mid_b, "big")
                op, body = parts[1]
                if op == 0x60:      # bind
                    self.request.sendall(result(mid, 0x61))
                elif op == 0x42:    # unbind
                    return
                elif op == 0x63:    # search
                    self.search(d, mid, children(body))
                else:
                    self.request.sendall(result(mid, 0x78 if op == 0x77 else 0x65, 2,
                                                "not supported by the fake"))

    def search(self, d, mid, f):
        base = f[0][1].decode()
        scope = f[1][1][0]
        attrs = [c.decode() for _, c in children(f[7][1])]
        out = []
        if scope == 0 and base == "":
            out.append(entry(mid, "", [("defaultNamingContext", [BASE]),
                                       ("highestCommittedUSN", ["10"]),
                                       ("supportedControl", ["1.2.840.113556.1.4.319"])]))
        elif scope == 0:
            lo = 0
            for a in attrs:
                if a.lower().startswith("member;range="):
                    lo = int(a.split("=")[1].split("-")[0])
            if base in (d.big, d.small):
                out.append(entry(mid, base, d.group_attrs(base, lo)))
            elif base in d.users:
                out.append(entry(mid, base, d.user_attrs(base)))
            else:
                self.request.sendall(result(mid, 0x65, 32))
                return
        elif b"organizationalUnit" in f[6][1]:
            pass
        elif b"group" in f[6][1]:
            out += [entry(mid, g, d.group_attrs(g, 0)) for g in (d.big, d.small)]
        else:
            out += [entry(mid, u, d.user_attrs(u)) for u in d.users]
        self.request.sendall(b"".join(out) + result(mid, 0x65))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--users", type=int, default=2500)
    p.add_argument("--range", type=int, default=1000)
    p.add_argument("--broken", action="store_true")
    a = p.parse_args()
    s = Server(("127.0.0.1", a.port), Handler)
    s.dir = Dir(a.users, a.range, a.broken)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(s.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    s.serve_forever()


main()
