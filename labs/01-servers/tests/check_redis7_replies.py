#!/usr/bin/env python3
"""check_redis7_replies.py -- replays tests/redis7_replies.txt against a live server and checks
every reply: the proof that the table holds for redis-server 7.0, and how it is regenerated.

  tests/check_redis7_replies.py                 start redis-server (PATH) on a free loopback
                                                port in a temporary directory, check, stop it
  tests/check_redis7_replies.py --record        the same, and rewrite each '<' line with the
                                                reply redis-server gave ('~' patterns are kept,
                                                and must match)
  tests/check_redis7_replies.py --port N        check a server already listening on N (for
                                                example keel-server: the test does the same)

The redis-server it starts runs with --databases 1 --save "" --appendonly no, the settings
keel-server has. Exit status 0 when every reply matched, 1 otherwise, 2 when no redis-server.
Standard library only."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "redis7_replies.txt")


def split_args(line):
    """Redis's sdssplitargs, as resp_inline_next_arg (resp_given.c) implements it."""
    args, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in b" \t\r\n\v\f":
            i += 1
        if i >= n:
            return args
        cur, state = bytearray(), None
        while True:
            if i >= n:
                if state:
                    raise ValueError("unbalanced quotes: %r" % line)
                break
            c = line[i:i + 1]
            if state == '"':
                hexd = b"0123456789abcdefABCDEF"
                if c == b"\\" and line[i + 1:i + 2] == b"x" and i + 3 < n and \
                        line[i + 2:i + 3] in hexd and line[i + 3:i + 4] in hexd:
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 4
                    continue
                if c == b"\\" and i + 1 < n:
                    e = line[i + 1:i + 2]
                    cur += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"a": b"\a"}.get(e, e)
                    i += 2
                    continue
                if c == b'"':
                    i += 1
                    break
                cur += c
            elif state == "'":
                if c == b"\\" and line[i + 1:i + 2] == b"'":
                    cur += b"'"
                    i += 2
                    continue
                if c == b"'":
                    i += 1
                    break
                cur += c
            elif c in b" \t\r\n":
                break
            elif c in b"\"'":
                state = c.decode()
            else:
                cur += c
            i += 1
        args.append(bytes(cur))
        i += 1


def escape(data):
    out = []
    for b in data:
        ch = bytes([b])
        if ch == b"\r":
            out.append("\\r")
        elif ch == b"\n":
            out.append("\\n")
        elif ch == b"\\":
            out.append("\\\\")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def unescape(text):
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            e = text[i + 1]
            if e == "x":
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            out += {"r": b"\r", "n": b"\n", "\\": b"\\"}[e]
            i += 2
            continue
        out += text[i].encode()
        i += 1
    return bytes(out)


def pattern_regex(pattern):
    parts = re.split(r"(\{int\}|\{any\})", pattern)
    rx = b""
    for p in parts:
        if p == "{int}":
            rx += rb"-?[0-9]+"
        elif p == "{any}":
            rx += rb".*?"
        else:
            rx += re.escape(unescape(p))
    return re.compile(rx, re.DOTALL)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def _need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data

    def _line_end(self, start):
        while True:
            at = self.buf.find(b"\r\n", start)
            if at >= 0:
                return at
            self._need(len(self.buf) + 1)

    def _reply_end(self, start):
        end = self._line_end(start)
        kind, head = self.buf[start:start + 1], self.buf[start + 1:end]
        if kind == b"$":
            n = int(head)
            if n < 0:
                return end + 2
            self._need(end + 2 + n + 2)
            return end + 2 + n + 2
        if kind == b"*":
            at = end + 2
            for _ in range(max(int(head), 0)):
                at = self._reply_end(at)
            return at
        return end + 2

    def reply(self):
        end = self._reply_end(0)
        data, self.buf = self.buf[:end], self.buf[end:]
        return data

    def send(self, data):
        self.sock.sendall(data)

    def is_closed(self):
        self.sock.settimeout(2)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False


def encode(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def run(port, record):
    lines = open(TABLE, encoding="utf-8").read().split("\n")
    conn, failures, checked, request = Conn(port), 0, 0, None
    for n, line in enumerate(lines):
        if line.startswith("> "):
            request = line[2:]
            if request.startswith("raw: "):
                conn.send(request[5:].encode() + b"\r\n")
            else:
                conn.send(encode(split_args(request.encode())))
            got = conn.reply()
            checked += 1
            if n + 1 >= len(lines):
                continue
            want = lines[n + 1]
            if want.startswith("< ") and record:
                lines[n + 1] = "< " + escape(got)
            elif want.startswith("< ") and unescape(want[2:]) != got:
                failures += 1
                print("line %d: %s\n  want %s\n  got  %s" % (n + 2, request, want[2:], escape(got)))
            elif want.startswith("~ ") and not pattern_regex(want[2:]).fullmatch(got):
                failures += 1
                print("line %d: %s\n  want (pattern) %s\n  got  %s" % (n + 2, request, want[2:], escape(got)))
        elif line == "! closed":
            if not conn.is_closed():
                failures += 1
                print("line %d: the server did not close the connection after %s" % (n + 1, request))
            conn = Conn(port)
    if record:
        open(TABLE, "w", encoding="utf-8").write("\n".join(lines))
    print("%d requests, %d replies differ" % (checked, failures))
    return 1 if failures else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--port", type=int)
    opts = ap.parse_args()
    if opts.port:
        return run(opts.port, opts.record)
    server = shutil.which("redis-server")
    if server is None:
        print("no redis-server on PATH (make peers installs it)")
        return 2
    port, tmp = free_port(), tempfile.mkdtemp(prefix="redis7-replies-")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                             "--databases", "1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        return run(port, opts.record)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
