"""Listen queues through the kernel's sock_diag netlink interface.

/proc/net/tcp has the same numbers, but reading it walks the whole connection
hash table (milliseconds each time); pacing thousands of connections needs
the length of the accept queue before each one, and asking sock_diag for
listening sockets only is cheap."""

import socket
import struct
from dataclasses import dataclass

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10
INET_DIAG_SKV6ONLY = 11     # an attribute the kernel adds for IPv6 listeners

_NLMSGHDR = struct.Struct("=IHHII")
_REQUEST = struct.Struct("=BBBBI48x")           # inet_diag_req_v2, socket id zeroed
_MESSAGE = struct.Struct("=BBBB2s46xIIIII")     # inet_diag_msg
_ATTRIBUTE = struct.Struct("=HH")                 # rtattr: length, type


@dataclass(frozen=True)
class Listener:
    port: int
    queued: int     # connections waiting for accept()
    backlog: int    # the most that may wait
    inode: int
    v6only: bool    # an IPv6 socket with IPV6_V6ONLY: IPv4 clients cannot reach it


def listeners():
    """Every listening TCP socket (IPv4 and IPv6) of this network namespace."""
    found = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as nl:
        for family in (socket.AF_INET, socket.AF_INET6):
            body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN)
            nl.send(_NLMSGHDR.pack(_NLMSGHDR.size + len(body), SOCK_DIAG_BY_FAMILY,
                                   NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
            found += _read_dump(nl)
    return found


def _read_dump(nl):
    found = []
    while True:
        data = nl.recv(65536)
        offset = 0
        while offset < len(data):
            length, kind, _, _, _ = _NLMSGHDR.unpack_from(data, offset)
            if kind == NLMSG_DONE:
                return found
            if kind == NLMSG_ERROR:
                raise OSError("sock_diag refused the request")
            _, _, _, _, sport, _, queued, backlog, _, inode = _MESSAGE.unpack_from(
                data, offset + _NLMSGHDR.size)
            attributes = _attributes(data[offset + _NLMSGHDR.size + _MESSAGE.size:
                                          offset + length])
            v6only = attributes.get(INET_DIAG_SKV6ONLY, b"\0")[:1] != b"\0"
            found.append(Listener(int.from_bytes(sport, "big"), queued, backlog, inode, v6only))
            offset += (length + 3) & ~3


def _attributes(data):
    """The netlink attributes after a message, by type."""
    found, offset = {}, 0
    while offset + _ATTRIBUTE.size <= len(data):
        length, kind = _ATTRIBUTE.unpack_from(data, offset)
        if length < _ATTRIBUTE.size:
            break
        found[kind] = data[offset + _ATTRIBUTE.size:offset + length]
        offset += (length + 3) & ~3
    return found
