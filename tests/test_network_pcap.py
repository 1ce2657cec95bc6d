"""pcap/pcapng reader: constructed captures (netpackets.py, labelled constructed), one recorded by
tcpdump on loopback, and broken or hostile files."""

from __future__ import annotations

import hashlib
import http.server
import json
import random
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.request

import dpkt
import pytest
from netpackets import (
    CLIENT4,
    CLIENT6,
    RESOLVER4,
    RESOLVER6,
    SERVER4,
    SERVER6,
    client_hello,
    dns_answer,
    dns_query,
    frame,
    http_request,
    openssl_client_hello,
    tcp,
    udp,
    write_pcap,
    write_pcap_be_nano,
    write_pcapng,
    write_pcapng_be,
)

from pica.errors import InputError
from pica.extract.network import read_capture

IMEI = "861234567890123"
MD5 = hashlib.md5(b"9774d56d682e549c").hexdigest()
T0 = 1_767_000_000.0
SYN = dpkt.tcp.TH_SYN
FIN = dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK


def conversation(v6: bool = False, linktype: int = 1):
    """DNS lookup, two ClientHellos (hand-built with SNI, OpenSSL's), an HTTP POST, a GET
    without Host: (timestamp, frame bytes) pairs, constructed."""
    c, s, r = (CLIENT6, SERVER6, RESOLVER6) if v6 else (CLIENT4, SERVER4, RESOLVER4)
    body = json.dumps({"imei": IMEI, "android_id_md5": MD5}).encode()
    post = http_request(
        "POST", "/collect?v=1",
        {"Host": "log.example.cn", "Content-Type": "application/json", "Content-Length": str(len(body))},
        body,
    )  # fmt: skip
    steps = [
        udp(c, 40000, r, 53, dns_query("tracker.example.cn")),
        udp(r, 53, c, 40000, dns_answer("tracker.example.cn", [s], cname="edge.example.net")),
        tcp(c, 50000, s, 443, 1000, flags=SYN),
        tcp(c, 50000, s, 443, 1001, client_hello("tracker.example.cn")),
        tcp(c, 50001, s, 443, 5001, openssl_client_hello("sdk.example.com")),
        tcp(c, 50002, s, 80, 7001, post),
        tcp(c, 50003, s, 80, 9001, http_request("GET", "/ping", {})),
    ]
    return [(T0 + i * 0.25, frame(p, linktype)) for i, p in enumerate(steps)]


def check_conversation(requests, name: str, v6: bool = False) -> None:
    s = SERVER6 if v6 else SERVER4
    dns, hello, hello2, post, get = requests
    assert (dns.method, dns.host, dns.ip, dns.index, dns.t) == (
        "DNS",
        "tracker.example.cn",
        s,
        2,
        250,
    )
    assert dns.headers == (("CNAME", "edge.example.net"), ("AAAA" if v6 else "A", s))
    assert (hello.method, hello.sni, hello.host, hello.ip, hello.port) == (
        "TLS", "tracker.example.cn", "tracker.example.cn", s, 443,
    )  # fmt: skip
    assert (hello.index, hello.t, hello.source) == (4, 750, f"{name} frame 4")
    assert (hello2.sni, hello2.host, hello2.t) == ("sdk.example.com", "sdk.example.com", 1000)
    assert (post.method, post.host, post.ip, post.port) == ("POST", "log.example.cn", s, 80)
    assert post.url == "http://log.example.cn/collect?v=1"
    assert ("Content-Type", "application/json") in post.headers
    assert IMEI.encode() in post.body and MD5.encode() in post.body
    # no Host header: the name comes from the DNS answer, the URL keeps the address
    assert (get.method, get.host) == ("GET", "tracker.example.cn")
    assert get.url == (f"http://[{s}]/ping" if v6 else f"http://{s}/ping")
    assert all(r.aligned is False for r in requests)


@pytest.mark.parametrize("linktype", [1, 113, 276, 101, 0])
@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_constructed_pcap_each_link_type(tmp_path, linktype, v6):
    path = tmp_path / f"conv-{linktype}.pcap"
    write_pcap(path, conversation(v6, linktype), linktype=linktype)
    requests, warnings = read_capture(path)
    assert warnings == ()
    check_conversation(requests, path.name, v6)


def test_constructed_pcapng_and_big_endian_nanosecond_pcap(tmp_path):
    ng = tmp_path / "conv.pcapng"
    write_pcapng(ng, conversation())
    requests, warnings = read_capture(ng)
    assert warnings == ()
    check_conversation(requests, ng.name)
    be = tmp_path / "conv-be.pcap"
    write_pcap_be_nano(be, conversation(v6=True))
    requests, warnings = read_capture(be)
    assert warnings == ()
    check_conversation(requests, be.name, v6=True)


def test_big_endian_pcapng_two_interfaces_nanoseconds_and_simple_blocks(tmp_path):
    """Constructed: interface 0 Ethernet with nanosecond stamps, interface 1 raw IP in
    microseconds, an unknown block, and a Simple Packet Block (no time) on interface 0."""
    steps = conversation()
    raw = [data[14:] for _, data in steps]  # the same IP packets without Ethernet
    packets = [
        (0, T0, steps[0][1]),
        (1, T0 + 0.000250, raw[1]),  # the DNS answer, 250 µs later, on the raw interface
        (0, T0 + 0.000500123, steps[3][1]),  # ClientHello, 500.123 µs
        (None, 0, steps[5][1]),  # POST in a Simple Packet Block: no time
    ]
    path = tmp_path / "be.pcapng"
    write_pcapng_be(path, packets)
    requests, warnings = read_capture(path)
    assert warnings == ()
    dns, hello, post = requests
    assert (dns.method, dns.index, dns.t) == ("DNS", 2, 0)
    assert (hello.sni, hello.index, hello.t) == ("tracker.example.cn", 3, 1)
    assert (post.method, post.index, post.host) == ("POST", 4, "log.example.cn")


def test_too_many_open_connections_drops_the_oldest(tmp_path, monkeypatch):
    from pica.extract.network import pcap

    monkeypatch.setattr(pcap, "MAX_STREAMS", 2)
    head = http_request("POST", "/u", {"Host": "h.cn", "Content-Length": "10"}, b"abc")
    packets = [(T0 + i, frame(tcp(CLIENT4, 55000 + i, SERVER4, 80, 1, head))) for i in range(3)]
    path = tmp_path / "open.pcap"
    write_pcap(path, packets)
    requests, warnings = read_capture(path)
    assert [r.index for r in requests] == [1, 2, 3] and requests[0].body == b"abc"
    assert warnings[0] == (
        f"open.pcap: more than 2 open connections or 32 MiB held; the least recently active "
        f"was dropped (to {SERVER4} port 80)"
    )


def test_ip_fragments_are_skipped_with_a_warning(tmp_path):
    pkt = bytearray(udp(RESOLVER4, 53, CLIENT4, 40000, dns_answer("a.cn", ["192.0.2.1"])))
    pkt[6] |= 0x20  # more fragments
    path = tmp_path / "frag.pcap"
    write_pcap(path, [(T0, frame(bytes(pkt)))])
    requests, warnings = read_capture(path)
    assert requests == ()
    assert warnings == ("frag.pcap: frame 1 is an IP fragment; fragments are not reassembled",)


def test_format_is_sniffed_not_taken_from_the_suffix(tmp_path):
    path = tmp_path / "capture.har"
    write_pcapng(path, conversation())
    requests, _ = read_capture(path)
    assert len(requests) == 5


def test_tcp_reassembly_out_of_order_retransmitted_keepalive_and_chunked(tmp_path):
    """One connection: a POST whose head and body span segments delivered out of order and
    once twice, then a chunked POST on the same connection; a big ClientHello whose SNI lies in
    its second segment. Constructed."""
    c, s = CLIENT4, SERVER4
    body = json.dumps({"android_id_md5": MD5}).encode()
    first = http_request(
        "POST", "/a", {"Host": "a.example.cn", "Content-Length": str(len(body))}, body
    )
    chunked = http_request("POST", "/b", {"Host": "a.example.cn", "Transfer-Encoding": "chunked"})
    chunked += b"5\r\nimei=\r\nf;ext=1\r\n" + IMEI.encode() + b"\r\n0\r\nX-Trailer: 1\r\n\r\n"
    stream = first + chunked
    cuts = [0, 7, 30, len(first) - 5, len(first) + 12, len(stream)]
    segs = [(cuts[i], stream[cuts[i] : cuts[i + 1]]) for i in range(len(cuts) - 1)]
    order = [segs[0], segs[2], segs[1], segs[1], segs[3], segs[4]]  # 3rd early, 2nd twice
    packets = [tcp(c, 51000, s, 80, 100, flags=SYN)]
    packets += [tcp(c, 51000, s, 80, 101 + off, data) for off, data in order]
    hello = client_hello("late.example.cn", padding=1800)
    assert hello.index(b"late.example.cn") > 1460
    packets += [
        tcp(c, 51001, s, 443, 1, hello[:1460]),
        tcp(c, 51001, s, 443, 1 + 1460, hello[1460:]),
        tcp(c, 51000, s, 80, 101 + len(stream), flags=FIN),
    ]
    path = tmp_path / "segments.pcap"
    write_pcap(path, [(T0 + i / 100, frame(p)) for i, p in enumerate(packets)])
    requests, warnings = read_capture(path)
    assert warnings == ()
    a, b, hello_req = requests
    assert (a.method, a.url, a.body, a.index) == ("POST", "http://a.example.cn/a", body, 2)
    assert (b.url, b.body) == ("http://a.example.cn/b", b"imei=" + IMEI.encode())
    assert (hello_req.method, hello_req.sni, hello_req.index) == ("TLS", "late.example.cn", 8)


def test_body_excerpt_and_partial_body(tmp_path):
    c, s = CLIENT4, SERVER4
    big = b"x" * 10_000
    post = http_request("POST", "/up", {"Host": "up.example.cn", "Content-Length": "20000"}, big)
    path = tmp_path / "partial.pcap"
    write_pcap(path, [(T0, frame(tcp(c, 52000, s, 80, 1, post)))])
    requests, warnings = read_capture(path, body_excerpt=100)
    assert requests[0].body == b"x" * 100
    assert (
        len(warnings) == 1
        and "ended (or a segment was missing) before the request body" in warnings[0]
    )


def test_streamed_read_of_a_file_larger_than_max_bytes(tmp_path):
    """max_bytes bounds what is read whole (a HAR); a pcap is streamed whatever its size."""
    c, s = CLIENT4, SERVER4
    filler = tcp(s, 443, c, 53000, 1, b"\x17\x03\x03" + b"\x00" * 1400)  # server data, ignored
    packets = [(T0, frame(tcp(c, 53000, s, 443, 1, client_hello("big.example.cn"))))]
    packets += [(T0 + i / 1000, frame(filler)) for i in range(1, 2200)]
    packets.append(
        (T0 + 3, frame(tcp(c, 53001, s, 80, 1, http_request("GET", "/end", {"Host": "e.cn"}))))
    )
    path = tmp_path / "big.pcap"
    write_pcap(path, packets)
    assert path.stat().st_size > 3 * 1024 * 1024
    requests, warnings = read_capture(path, max_bytes=1024 * 1024)
    assert [r.host for r in requests] == ["big.example.cn", "e.cn"]
    assert requests[-1].t == 3000 and warnings == ()


def test_max_requests_stops_with_a_warning(tmp_path):
    packets = [
        (
            T0 + i,
            frame(
                tcp(
                    CLIENT4,
                    54000 + i,
                    SERVER4,
                    80,
                    1,
                    http_request("GET", f"/{i}", {"Host": "h.cn"}),
                )
            ),
        )
        for i in range(10)
    ]
    path = tmp_path / "many.pcap"
    write_pcap(path, packets)
    requests, warnings = read_capture(path, max_requests=3)
    assert [r.url for r in requests] == ["http://h.cn/0", "http://h.cn/1", "http://h.cn/2"]
    assert warnings == ("many.pcap: stopped at frame 3 after 3 requests (max_requests)",)


# ---- bad and hostile input ----------------------------------------------------------------------


def test_truncated_pcap_keeps_what_was_read(tmp_path):
    path = tmp_path / "cut.pcap"
    write_pcap(path, conversation())
    data = path.read_bytes()
    path.write_bytes(data[:-30])  # cut inside the last frame
    requests, warnings = read_capture(path)
    assert [r.method for r in requests] == ["DNS", "TLS", "TLS", "POST"]
    assert len(warnings) == 1
    assert warnings[0].startswith("cut.pcap: ends inside frame 7 at byte ")
    assert warnings[0].endswith("; kept what the 6 frames before it hold")


def test_truncated_pcapng_keeps_what_was_read(tmp_path):
    path = tmp_path / "cut.pcapng"
    write_pcapng(path, conversation())
    path.write_bytes(path.read_bytes()[:-3])
    requests, warnings = read_capture(path)
    assert [r.method for r in requests] == ["DNS", "TLS", "TLS", "POST"]
    assert warnings[0].startswith("cut.pcapng: ends inside frame 7")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd4\xc3\xb2\xa1\x02\x00", "capture x.pcap is not a readable pcap: it ends inside the pcap file header (6 of 24 bytes)"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x00\x00\x00\x00", "capture x.pcap is not a readable pcap: it has a section header without a byte-order magic at byte 0"),
        (b"GIF89a\x01\x00", "capture x.pcap is not a HAR, pcap, pcapng or mitmproxy flow file (it starts with 47 49 46 38 39 61 01 00)"),
        (b"", "capture x.pcap is empty"),
        (b"\x1f\x8b\x08\x00", "capture x.pcap is gzip-compressed: decompress it first"),
    ],
    ids=["short-header", "pcapng-no-bom", "not-a-capture", "empty", "gzip"],
)  # fmt: skip
def test_not_a_capture_is_one_line_input_error(tmp_path, data, message):
    path = tmp_path / "x.pcap"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_capture(path)
    assert str(err.value) == message


def test_record_claiming_gigabytes(tmp_path):
    """A record header claiming 3 GB: an InputError if it is the first, else a warning; the
    claimed size is never allocated."""
    path = tmp_path / "huge.pcap"
    write_pcap(path, conversation()[:2])
    good = path.read_bytes()
    path.write_bytes(good + struct.pack("=IIII", 1, 0, 3 * 2**30, 3 * 2**30) + b"\x00" * 64)
    requests, warnings = read_capture(path)
    assert [r.method for r in requests] == ["DNS"]
    assert warnings == (
        f"huge.pcap: frame 3 at byte {len(good):,} claims 3,221,225,472 bytes (limit 262,144): "
        "the file is corrupt from there; kept what the 2 frames before it hold",
    )
    path.write_bytes(good[:24] + struct.pack("=IIII", 1, 0, 3 * 2**30, 3 * 2**30))
    with pytest.raises(
        InputError, match=r"^capture huge.pcap is not a readable pcap: it frame 1 at byte 24 claims"
    ):
        read_capture(path)


def test_unknown_link_type_and_garbage_frames_are_warnings(tmp_path):
    path = tmp_path / "odd.pcap"
    write_pcap(path, [(T0, b"\x00" * 40)], linktype=147)
    requests, warnings = read_capture(path)
    assert requests == ()
    assert warnings == (
        "odd.pcap: link type 147 is not read (Ethernet, Linux cooked, raw IP and BSD loopback are); its packets were skipped",
    )
    garbage = frame(udp(RESOLVER4, 53, CLIENT4, 40000, b"\x12\x34\x81\x80\x00\x01\x00\x01\xff\xff"))
    path = tmp_path / "garbage.pcap"
    write_pcap(path, [(T0, garbage), (T0 + 1, b"\x01" * 9)] + conversation())
    requests, warnings = read_capture(path)
    assert len(requests) == 5
    assert len(warnings) == 1 and warnings[0].startswith(
        "garbage.pcap: frame 1 could not be decoded"
    )


def test_random_corruption_never_raises_anything_but_input_error(tmp_path):
    path = tmp_path / "fuzz.pcap"
    write_pcap(path, conversation())
    good = bytearray(path.read_bytes())
    rng = random.Random(14)
    for i in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if i % 3 == 0:
            data = data[: rng.randrange(len(data))]
        path.write_bytes(bytes(data))
        try:
            read_capture(path)
        except InputError as exc:
            assert "\n" not in str(exc)


# ---- a real capture, recorded by tcpdump on loopback -------------------------------------------


class _Collect(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _tcpdump_or_skip():
    tcpdump = shutil.which("tcpdump")
    if tcpdump is None:
        pytest.skip("tcpdump is not installed (Debian: apt-get install tcpdump)")
    return tcpdump


def test_tcpdump_loopback_capture(tmp_path):
    """tcpdump records, on lo, an HTTP POST from urllib carrying the seeded IMEI, a real OpenSSL
    ClientHello for tracker.example.cn, and a DNS answer from a resolver on 127.53.0.1:53."""
    tcpdump = _tcpdump_or_skip()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hport = server.server_address[1]
    listener = socket.create_server(("127.0.0.1", 0))
    tport = listener.getsockname()[1]
    resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        resolver.bind(("127.53.0.1", 53))
    except OSError as exc:
        server.shutdown()
        pytest.skip(f"cannot bind a resolver to 127.53.0.1:53 here ({exc.strerror})")
    out = tmp_path / "lo.pcap"
    proc = subprocess.Popen(
        [tcpdump, "-i", "lo", "-n", "--immediate-mode", "-U", "-w", str(out),
         f"tcp port {hport} or tcp port {tport} or (udp port 53 and host 127.53.0.1)"],
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        line = proc.stderr.readline().decode(errors="replace")
        if "listening on" not in line:
            proc.kill()
            pytest.skip(f"tcpdump cannot capture on lo here: {line.strip() or 'no output'}")
        time.sleep(0.3)
        body = json.dumps({"imei": IMEI, "android_id_md5": MD5}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{hport}/collect?imei={IMEI}", data=body,
            headers={"Content-Type": "application/json", "X-Device": IMEI}, method="POST",
        )  # fmt: skip
        urllib.request.urlopen(req, timeout=10).read()

        def swallow():
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.close()

        threading.Thread(target=swallow, daemon=True).start()
        with socket.create_connection(("127.0.0.1", tport), timeout=10) as raw:
            try:
                ssl.create_default_context().wrap_socket(raw, server_hostname="tracker.example.cn")
            except (ssl.SSLError, OSError):
                pass  # the listener hangs up: only the ClientHello matters
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.settimeout(10)
        client.sendto(dns_query("tracker.example.cn"), ("127.53.0.1", 53))
        query, addr = resolver.recvfrom(512)
        resolver.sendto(dns_answer("tracker.example.cn", ["127.0.0.1"]), addr)
        client.recvfrom(512)
        client.close()
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        server.shutdown()
        listener.close()
        resolver.close()
    requests, warnings = read_capture(out)
    assert warnings == ()
    post, hello, dns = requests
    assert (post.method, post.host, post.ip, post.port) == ("POST", "127.0.0.1", "127.0.0.1", hport)
    assert post.url == f"http://127.0.0.1:{hport}/collect?imei={IMEI}"
    assert ("X-Device", IMEI) in post.headers and post.body == body
    assert (hello.method, hello.sni, hello.host, hello.port) == (
        "TLS",
        "tracker.example.cn",
        "tracker.example.cn",
        tport,
    )
    assert (dns.method, dns.host, dns.ip) == ("DNS", "tracker.example.cn", "127.0.0.1")
    assert 0 <= post.t <= hello.t <= dns.t < 60_000  # ms from the first packet (a SYN)
    assert post.source.startswith("lo.pcap frame ")
