# A $NOTIFY_SOCKET peer independent of mcpgw's code: binds an AF_UNIX datagram socket the way systemd does
# (a path, or "@name" for the abstract namespace), asks the kernel for each sender's credentials
# (SO_PASSCRED, as systemd does to enforce NotifyAccess=main), and prints one JSON line per datagram:
# the sender's pid, the KEY=value fields and CLOCK_MONOTONIC in µs at receipt. Stops on SIGTERM.
import json, os, socket, struct, sys, time

address = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind("\0" + address[1:] if address.startswith("@") else address)
print(json.dumps({"listening": address, "monotonic_usec": time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}), flush=True)
while True:
    data, ancillary, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, _uid, _gid = struct.unpack("iII", payload[:12])
    fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
    print(json.dumps({"pid": pid, "fields": fields, "monotonic_usec": time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}), flush=True)
