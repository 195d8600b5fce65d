#!/usr/bin/python3
"""Connections that end in TIME_WAIT on a chosen side.

serve PORT N [--first]   accept N connections; with --first close each at
                         once (this side then holds TIME_WAIT), else wait
                         for the peer's close, then close
connect HOST PORT N [--first]  the same from the connecting side
Prints {"done": N}; exit 1 on an error.
"""
import json
import socket
import sys


def finish(s, first):
    if not first:
        s.settimeout(5)
        while s.recv(4096):
            pass
    s.close()


def main():
    role, first = sys.argv[1], "--first" in sys.argv
    done = 0
    try:
        if role == "serve":
            port, n = int(sys.argv[2]), int(sys.argv[3])
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("0.0.0.0", port))
            ls.listen(64)
            ls.settimeout(30)
            print(json.dumps({"listening": port}), flush=True)
            for _ in range(n):
                c, _ = ls.accept()
                finish(c, first)
                done += 1
        else:
            host, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
            for _ in range(n):
                c = socket.create_connection((host, port), timeout=5)
                finish(c, first)
                done += 1
    except OSError as e:
        print(json.dumps({"done": done, "error": str(e)}), flush=True)
        return 1
    print(json.dumps({"done": done}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
