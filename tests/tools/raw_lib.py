"""What the raw-packet clients share: an IPv4 segment reader on a veth
(AF_PACKET: it sees what the namespace's own stack does not take), for an
address the namespace does not own."""
import socket
import struct
import time


def rx_open(iface):
    """An AF_PACKET socket that reads IPv4 frames off iface."""
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    rx.bind((iface, 0))
    rx.settimeout(0.2)
    return rx


def replies(rx, addr, port, secs):
    """(flags, seq, ack) of the TCP segments to addr:port within secs."""
    t0 = time.monotonic()
    while time.monotonic() < t0 + secs:
        try:
            fr = rx.recv(65535)
        except socket.timeout:
            continue
        l4 = 14 + (fr[14] & 0xf) * 4
        if fr[23] != 6 or socket.inet_ntoa(fr[30:34]) != addr:
            continue
        _, dp, seq, ack = struct.unpack("!HHII", fr[l4:l4 + 12])
        if dp == port:
            yield fr[l4 + 13], seq, ack


def synack(rx, addr, port, isn):
    """The ISN of the SYN-ACK to our SYN (from addr:port, with isn) within
    5 s, or None."""
    for flags, seq, ack in replies(rx, addr, port, 5):
        if flags & 0x12 == 0x12 and ack == (isn + 1) & 0xffffffff:
            return seq
    return None
