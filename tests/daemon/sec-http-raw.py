#!/usr/bin/python3
"""Send raw bytes to an HTTP server and report what came back.

usage: sec-http-raw.py PORT REQUEST [SECONDS]

REQUEST is a Python bytes literal body (escapes like \\r\\n allowed).
Prints one line per response status found ("status 400"), then
"closed" if the server closed the connection, or "open" if it was still
open when SECONDS (default 5) ran out, then "elapsed_ms N", then the
raw reply (for the test's log).
"""
import ast
import re
import socket
import sys
import time


def main():
    port = int(sys.argv[1])
    req = ast.literal_eval("b'''" + sys.argv[2].replace("'", "\\'") + "'''")
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    try:
        s.sendall(req)
    except OSError:
        pass
    got = b""
    state = "open"
    deadline = t0 + limit
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            state = "closed"
            break
        if not chunk:
            state = "closed"
            break
        got += chunk
    elapsed = int((time.monotonic() - t0) * 1000)
    for m in re.finditer(rb"HTTP/1\.[01] (\d{3})", got):
        print("status", m.group(1).decode())
    print(state)
    print("elapsed_ms", elapsed)
    sys.stdout.write(got.decode("utf-8", "replace"))
    print()


main()
