"""struct tcp_info (linux/tcp.h) as the tests need it; shared by the
tcpinfo server and client. Run with Debian's /usr/bin/python3."""
import socket
import struct

# u8 state, ca_state, retransmits, probes, backoff, options,
#    snd_wscale:4 | rcv_wscale:4, delivery_rate_app_limited:1|fastopen_client_fail:2
# u32 rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans, fackets,
#     last_data_sent, last_ack_sent, last_data_recv, last_ack_recv,
#     pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering
_FMT = "<8B21I"
_U32 = ("rto ato snd_mss rcv_mss unacked sacked lost retrans fackets "
        "last_data_sent last_ack_sent last_data_recv last_ack_recv pmtu "
        "rcv_ssthresh rtt rttvar snd_ssthresh snd_cwnd advmss reordering").split()

OPT_TS, OPT_SACK, OPT_WSCALE, OPT_ECN = 1, 2, 4, 8


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    v = struct.unpack_from(_FMT, raw)
    d = dict(zip(_U32, v[8:]))
    opts = v[5]
    d.update(
        state=v[0], retransmits=v[2], options=opts,
        ts=bool(opts & OPT_TS), sack=bool(opts & OPT_SACK),
        wscale=bool(opts & OPT_WSCALE), ecn=bool(opts & OPT_ECN),
        # little-endian bitfield: the first member is the low nibble
        snd_wscale=v[6] & 0x0F, rcv_wscale=(v[6] >> 4) & 0x0F,
    )
    # bytes_acked etc. follow; total_retrans sits after reordering:
    # u32 rcv_rtt, rcv_space, total_retrans
    if len(raw) >= struct.calcsize(_FMT) + 12:
        d["total_retrans"] = struct.unpack_from("<3I", raw, struct.calcsize(_FMT))[2]
    return d


def summary(d):
    keys = ("options ts sack wscale ecn snd_wscale rcv_wscale snd_mss rcv_mss "
            "advmss total_retrans state").split()
    return {k: d[k] for k in keys if k in d}
