#!/usr/bin/env python3
"""tcx_query.py IFACE: the tcx links on IFACE in this network namespace,
one line per direction: "ingress LINK_ID... " / "egress LINK_ID...".
BPF_PROG_QUERY by ifindex, which the kernel resolves in the caller's
namespace (Debian's bpftool 7.1 shows tcx links without their device)."""
import ctypes
import os
import socket
import struct
import sys

BPF_PROG_QUERY = 16
TCX = {"ingress": 46, "egress": 47}
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = 321 if os.uname().machine == "x86_64" else 280


def query(ifindex, attach_type):
    prog_ids = (ctypes.c_uint32 * 64)()
    link_ids = (ctypes.c_uint32 * 64)()
    attr = ctypes.create_string_buffer(struct.pack(
        "<IIIIQII QQQQ", ifindex, attach_type, 0, 0, ctypes.addressof(prog_ids), 64, 0,
        0, ctypes.addressof(link_ids), 0, 0), 128)
    if libc.syscall(NR_BPF, BPF_PROG_QUERY, attr, 64) < 0:
        err = ctypes.get_errno()
        if err in (2, 22):    # nothing attached / no such device
            return []
        raise OSError(err, os.strerror(err))
    count = struct.unpack_from("<I", attr, 24)[0]
    return [link_ids[i] for i in range(min(count, 64))]


def main():
    try:
        ifindex = socket.if_nametoindex(sys.argv[1])
    except OSError:
        print("ingress\negress")
        return
    for name, at in TCX.items():
        print(" ".join([name] + [str(i) for i in query(ifindex, at)]))


main()
