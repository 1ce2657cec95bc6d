"""pcap reading: memory stays bounded whatever the capture's size.

usage: python benchmarks/bench_pcap.py [--gb 2] [--bulk 40] [--dir DIR] [--keep]

Writes a constructed pcap of about ``--gb`` GiB to a temporary file, streamed session by
session (nothing but one session's packets is ever in memory): each session is a DNS lookup and
answer, a TLS connection (SYN, ClientHello with SNI, ``--bulk`` server records of 1,448 bytes, FIN) and
an HTTP connection (a POST with a JSON body carrying a seeded IMEI, 10 server segments, FIN), on
a new client port to one of 256 servers. Then reads it with ``read_capture`` in a fresh process
and prints the file size, the requests found, the read time and rate (MB/s, 10^6 bytes), and the
child's peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), next to the peak RSS of the
same fresh process that only imports the reader. The requests returned (3 per session, about
1 KB each) are the only memory that grows with the file; ``--bulk 4000`` makes sessions rare
(mostly server data, as a video download would) to show the reader's own flat footprint.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from collections import Counter
from pica.extract.network import read_capture
if sys.argv[1] == "-":
    print(json.dumps({"rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    raise SystemExit
start = time.perf_counter()
requests, warnings = read_capture(sys.argv[1], max_requests=10_000_000)
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "methods": Counter(r.method for r in requests),
    "warnings": list(warnings),
}))
"""


def write_capture(path: Path, target: int, bulk: int = 40) -> tuple[int, int]:
    """Write sessions until the file reaches ``target`` bytes; return (bytes, packets)."""
    import dpkt

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from netpackets import client_hello, dns_answer, dns_query, frame, http_request, tcp, udp

    client, resolver = "10.0.2.15", "10.0.2.3"
    syn, fin = dpkt.tcp.TH_SYN, dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK
    record = b"\x17\x03\x03" + (1448 - 5).to_bytes(2, "big") + b"\xa5" * (1448 - 5)
    body = json.dumps({"imei": "861234567890123", "seq": 0}).encode()
    packets = written = 0
    t = 1_767_000_000.0
    with path.open("wb") as f:
        writer = dpkt.pcap.Writer(f, snaplen=262144)
        session = 0
        while written < target:
            session += 1
            server = f"198.51.100.{session % 256}"
            name = f"s{session % 256}.example.cn"
            port = 1024 + (2 * session) % 64000
            frames = [
                udp(client, 40000, resolver, 53, dns_query(name)),
                udp(resolver, 53, client, 40000, dns_answer(name, [server])),
                tcp(client, port, server, 443, 1, flags=syn),
                tcp(client, port, server, 443, 2, client_hello(name)),
            ]
            down = frame(tcp(server, 443, client, port, 1, record))
            post = http_request(
                "POST", f"/c?s={session}",
                {"Host": name, "Content-Type": "application/json", "Content-Length": str(len(body))},
                body,
            )  # fmt: skip
            tail = [
                tcp(client, port, server, 443, 2 + 600, flags=fin),
                tcp(client, port + 1, server, 80, 1, flags=syn),
                tcp(client, port + 1, server, 80, 2, post),
            ]
            down_http = frame(tcp(server, 80, client, port + 1, 1, record))
            fin_http = tcp(client, port + 1, server, 80, 2 + len(post), flags=fin)
            out = [frame(p) for p in frames] + [down] * bulk + [frame(p) for p in tail]
            out += [down_http] * 10 + [frame(fin_http)]
            for data in out:
                t += 0.0001
                writer.writepkt(data, ts=t)
                written += 16 + len(data)
                packets += 1
    return path.stat().st_size, packets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=2.0, help="capture size in GiB (default 2)")
    parser.add_argument("--bulk", type=int, default=40, help="server records per TLS session")
    parser.add_argument("--dir", default=None, help="where to write it (default: the temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the capture file")
    args = parser.parse_args()
    fd, name = tempfile.mkstemp(suffix=".pcap", dir=args.dir)
    os.close(fd)
    path = Path(name)
    try:
        start = time.perf_counter()
        size, packets = write_capture(path, int(args.gb * 2**30), args.bulk)
        print(
            f"wrote {path} : {size:,} bytes, {packets:,} packets in {time.perf_counter() - start:.0f} s"
        )
        base = json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD, "-"], capture_output=True, check=True
            ).stdout
        )
        res = json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD, str(path)], capture_output=True, check=True
            ).stdout
        )
        print(f"requests: {res['methods']}  warnings: {res['warnings'] or 'none'}")
        print(
            f"read {size / 1e6:,.0f} MB in {res['seconds']:.1f} s = {size / 1e6 / res['seconds']:.1f} MB/s; "
            f"peak RSS {res['rss_kib'] / 1024:.1f} MiB "
            f"(the same process only importing the reader: {base['rss_kib'] / 1024:.1f} MiB)"
        )
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
