#!/usr/bin/python3
"""Connection churn for tests/integration/ct_tw.sh.

tw_churn.py serve PORT            accept forever; a connection whose first
                                  byte is b"S" is closed by the server at
                                  once, one with b"C" once the client closed
tw_churn.py churn ADDR PORT N SECS  N short connections over a few threads,
                                  alternating who closes first, as fast as
                                  they go, for at most SECS; prints
                                  "done N_OK N_FAILED SECONDS"
"""
import socket, sys, threading, time


def serve(port):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", port))
    ls.listen(4096)

    def one(c):
        try:
            b = c.recv(1)
            if b == b"C":
                while c.recv(64):
                    pass
        except OSError:
            pass
        c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def churn(addr, port, n, secs):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    lock = threading.Lock()
    left = [n]
    res = [0, 0]
    end = time.time() + secs

    def worker():
        while time.time() < end:
            with lock:
                if not left[0]:
                    return
                left[0] -= 1
                i = left[0]
            try:
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect((addr, port))
                if i % 2:
                    s.sendall(b"S")           # the server closes first
                    while s.recv(64):
                        pass
                else:
                    s.sendall(b"C")           # the client closes first
                s.close()
                ok = 0
            except OSError:
                ok = 1
            with lock:
                res[ok] += 1

    t0 = time.time()
    ts = [threading.Thread(target=worker) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("done %d %d %.1f" % (res[0], res[1], time.time() - t0), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        churn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
