#!/usr/bin/python3
"""Compare one tcpinfo_client.py connection with the server's view of the
same connection (tcpinfo_server.py output, matched by the client's port).

usage: cookie_check.py CLIENT_OUT SERVER_OUT TS SACK WSCALE ECN
TS..ECN: 1 if the client offered the option (and the server allows it).
Prints "ok" or one line listing every mismatch; exit 0 / 1.
"""
import json
import sys
import time


def lines(path):
    out = []
    try:
        with open(path) as f:
            for ln in f:
                try:
                    out.append(json.loads(ln))
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def main():
    cpath, spath = sys.argv[1], sys.argv[2]
    want = dict(zip(("ts", "sack", "wscale", "ecn"), (a == "1" for a in sys.argv[3:7])))
    cl = [r for r in lines(cpath) if "summary" not in r]
    if not cl:
        print("no client record")
        return 1
    c = cl[0]
    if not c.get("ok"):
        print("client: %s" % c.get("error", "failed"))
        return 1
    s = None
    for _ in range(30):  # the server prints after the close handshake
        for r in lines(spath):
            if r.get("pport") == c.get("lport"):
                s = r
        if s:
            break
        time.sleep(0.1)
    if not s:
        print("no server record for client port %s" % c.get("lport"))
        return 1
    si, ci = s["info"], c["info"]
    bad = []
    if s.get("error"):
        bad.append("server: " + s["error"])
    if s.get("bytes") != c.get("bytes_back"):
        bad.append("server got %s bytes, client got %s back" % (s.get("bytes"), c.get("bytes_back")))
    for k, v in want.items():
        if si[k] != v:
            bad.append("server %s=%s want %s" % (k, si[k], v))
        if ci[k] != v:
            bad.append("client %s=%s want %s" % (k, ci[k], v))
    # the client's shift is what the server scales its sends by, and back
    if si["snd_wscale"] != ci["rcv_wscale"]:
        bad.append("server snd_wscale %d != client rcv_wscale %d" % (si["snd_wscale"], ci["rcv_wscale"]))
    if si["rcv_wscale"] != ci["snd_wscale"]:
        bad.append("server rcv_wscale %d != client snd_wscale %d" % (si["rcv_wscale"], ci["snd_wscale"]))
    if not want["wscale"] and (si["snd_wscale"] or si["rcv_wscale"]):
        bad.append("wscale off but server shifts %d/%d" % (si["snd_wscale"], si["rcv_wscale"]))
    # the client's MSS (its advmss, net of TS) must survive the cookie
    if si["snd_mss"] != ci["advmss"]:
        bad.append("server snd_mss %d != client advmss %d" % (si["snd_mss"], ci["advmss"]))
    if not 500 <= si["snd_mss"] <= 1460:
        bad.append("server snd_mss %d insane" % si["snd_mss"])
    if bad:
        print("; ".join(bad))
        return 1
    print("ok opts=%d wscale=%d/%d mss=%d" % (si["options"], si["snd_wscale"], si["rcv_wscale"], si["snd_mss"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
