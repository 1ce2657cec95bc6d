"""mitmproxy flow files: real ones written by mitmdump 9.0.1, 10.4.2 and 11.0.2 (flow format 18,
20, 21; tests/fixtures/network/make_mitm_flows.py), constructed ones, and hostile ones."""

from __future__ import annotations

import hashlib
import io
import json
import os

import pytest
from conftest import FIXTURES

from pica.errors import InputError
from pica.extract.network import read_capture
from pica.extract.network.tnetstring import MAX_DEPTH, Reader, TnetError

NET = FIXTURES / "network"
IMEI = "861234567890123"
MD5 = hashlib.md5(b"9774d56d682e549c").hexdigest()
OAID = "0b5c2f9e-3f1a-4c53-9d0e-1f2a3b4c5d6e"

# What mitmproxy's own FlowReader (of the version that wrote it) reads from each fixture: the HTTP
# server's port, the HTTPS server's port, and flow 4's request.timestamp_start minus flow 1's, in ms.
REAL = {
    "mitmproxy-9.0.1.flows": (46061, 35657, 37.7),
    "mitmproxy-10.4.2.flows": (42269, 41073, 44.9),
    "mitmproxy-11.0.2.flows": (37367, 33147, 45.5),
}


def dumps(value) -> bytes:
    """A tnetstring writer for constructing flows (the tags of mitmproxy's io/tnetstring.py)."""
    if value is None:
        return b"0:~"
    if value is True or value is False:
        data, tag = (b"true" if value else b"false"), b"!"
    elif isinstance(value, int):
        data, tag = str(value).encode(), b"#"
    elif isinstance(value, float):
        data, tag = repr(value).encode(), b"^"
    elif isinstance(value, bytes):
        data, tag = value, b","
    elif isinstance(value, str):
        data, tag = value.encode(), b";"
    elif isinstance(value, list | tuple):
        data, tag = b"".join(dumps(v) for v in value), b"]"
    else:
        data, tag = b"".join(dumps(k) + dumps(v) for k, v in value.items()), b"}"
    return str(len(data)).encode() + b":" + data + tag


def flow(
    path=b"/collect", host="api.example.cn", method=b"POST", content=b"", ts=1000.0, **extra
) -> dict:
    state = {
        "version": 21,
        "type": "http",
        "id": "f",
        "request": {
            "host": host, "port": 443, "method": method, "scheme": b"https", "authority": b"",
            "path": path, "http_version": b"HTTP/1.1", "headers": [[b"Host", host.encode()]],
            "content": content, "trailers": None, "timestamp_start": ts, "timestamp_end": ts + 0.1,
        },
        "response": None,
        "server_conn": {"peername": ["198.51.100.9", 443], "sni": host, "address": [host, 443]},
        "client_conn": {"peername": ["10.0.2.15", 40000]},
    }  # fmt: skip
    state.update(extra)
    return state


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_flow_files(name):
    path = NET / name
    port, tls_port, t4 = REAL[name]
    requests, warnings = read_capture(path)
    assert warnings == ()
    get, post, form, secure = requests
    assert get.port == post.port == form.port == port
    assert abs(secure.t - t4) <= 1
    assert (get.method, get.host, get.ip, get.index, get.t) == (
        "GET",
        "127.0.0.1",
        "127.0.0.1",
        1,
        0,
    )
    assert get.url == f"http://127.0.0.1:{port}/collect?imei={IMEI}"
    assert ("X-Device-Id", IMEI) in get.headers
    assert (post.method, post.url) == ("POST", f"http://127.0.0.1:{port}/upload")
    assert post.body == json.dumps({"android_id_md5": MD5}).encode()
    assert ("Content-Type", "application/json") in post.headers
    assert (form.host, form.ip, form.url) == (
        "localhost",
        "127.0.0.1",
        f"http://localhost:{port}/form",
    )
    assert form.body == f"oaid={OAID}&mac=02:00:00:00:00:00".encode()
    assert (secure.host, secure.sni, secure.port, secure.method) == (
        "localhost",
        "localhost",
        tls_port,
        "GET",
    )
    assert secure.url == f"https://localhost:{tls_port}/secure?oaid={OAID}"
    assert 0 < post.t < form.t < secure.t < 2000
    assert secure.source == f"{name} flow 4" and not secure.aligned


def test_constructed_flows_times_excerpt_and_skipped_parts(tmp_path):
    """Constructed: times from the earliest flow, content cut to the excerpt, a TCP flow counted,
    a 300,000-element response skipped unparsed, a bytes-keyed old-style host."""
    big_response = {"headers": [[b"a", b"b"]] * 300_000, "content": b"x" * 1_000_000}
    flows = [
        flow(
            ts=1000.5,
            content=b'{"imei": "%s"}' % IMEI.encode() + b" " * 10_000,
            response=big_response,
        ),
        {"version": 21, "type": "tcp", "id": "t", "messages": []},
        flow(path=b"/b", ts=1000.0, method=b"GET"),
    ]
    path = tmp_path / "c.flows"
    path.write_bytes(b"".join(dumps(f) for f in flows))
    requests, warnings = read_capture(path, body_excerpt=30)
    a, b = requests
    assert (a.index, a.t, a.body) == (1, 500, b'{"imei": "861234567890123"}   ')
    assert (a.url, a.ip, a.sni, a.port) == (
        "https://api.example.cn/collect",
        "198.51.100.9",
        "api.example.cn",
        443,
    )
    assert (b.index, b.t, b.method, b.source) == (3, 0, "GET", "c.flows flow 3")
    assert warnings == ("c.flows: flow 2 is a tcp flow, not HTTP; skipped",)


def test_unknown_version_and_old_ip_address_key(tmp_path):
    old = flow(version=17)
    old["server_conn"] = {"ip_address": ["192.0.2.1", 443], "sni": None}
    path = tmp_path / "old.flows"
    path.write_bytes(dumps(old) + dumps(flow(version=99)))
    requests, warnings = read_capture(path)
    assert [r.ip for r in requests] == ["192.0.2.1", "198.51.100.9"]
    assert warnings == (
        "old.flows: flow 2 has flow format version 99; pica was checked against 15-21 (mitmproxy 8.0-12.3) and read it as those",
    )


def test_max_requests(tmp_path):
    path = tmp_path / "m.flows"
    path.write_bytes(b"".join(dumps(flow(path=f"/{i}".encode())) for i in range(5)))
    requests, warnings = read_capture(path, max_requests=2)
    assert len(requests) == 2
    assert warnings == ("m.flows: stopped after 2 requests (max_requests) at flow 3",)


# ---- hostile and broken files -------------------------------------------------------------------


def test_truncated_flow_file_keeps_earlier_flows(tmp_path):
    data = (NET / "mitmproxy-11.0.2.flows").read_bytes()
    path = tmp_path / "cut.flows"
    path.write_bytes(data[: len(data) - 100])
    requests, warnings = read_capture(path)
    assert len(requests) == 3
    assert len(warnings) == 1
    assert warnings[0].startswith("cut.flows: flow 4 at byte ")
    assert " claims " in warnings[0] and warnings[0].endswith("; kept the 3 flows before it")


def test_two_gigabyte_length_claim(tmp_path):
    path = tmp_path / "huge.flows"
    path.write_bytes(b"2147483648:" + dumps("version") + dumps(21))
    with pytest.raises(InputError) as err:
        read_capture(path)
    assert str(err.value) == (
        "huge.flows is not a readable mitmproxy flow file: flow 1 claims 2,147,483,648 bytes "
        "but only 14 remain"
    )
    # after a good flow, the same claim is a warning and the good flow is kept
    path.write_bytes(dumps(flow()) + b"2147483648:" + dumps("version") + dumps(21))
    requests, warnings = read_capture(path)
    assert len(requests) == 1 and "flow 2 at byte" in warnings[0] and "2,147,483,648" in warnings[0]


def test_nesting_ten_thousand_deep(tmp_path):
    deep = b"0:]"
    for _ in range(10_000):
        deep = str(len(deep)).encode() + b":" + deep + b"]"
    state = dumps(flow())[:-1]  # reopen the flow dict to add one more key
    body = state[state.index(b":") + 1 :] + dumps("request") + deep
    path = tmp_path / "deep.flows"
    path.write_bytes(str(len(body)).encode() + b":" + body + b"}")
    with pytest.raises(InputError) as err:
        read_capture(path)
    assert str(err.value) == (
        f"deep.flows is not a readable mitmproxy flow file: flow 1 nests containers more than "
        f"{MAX_DEPTH} deep"
    )
    # in a part of the flow that is never parsed, the same nesting costs nothing
    body = state[state.index(b":") + 1 :] + dumps("metadata") + deep
    path.write_bytes(str(len(body)).encode() + b":" + body + b"}")
    requests, warnings = read_capture(path)
    assert len(requests) == 1 and warnings == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"12:", "flow 1 claims 12 bytes but only 0 remain"),
        (b"5:hello,", "flow 1 is not a dict"),
        (b"1234567890123:", "flow 1 has a length prefix of more than 12 digits"),
        (b"3:0:~}", "flow 1 has a dict key that is not a short string"),
        (b"4:1:a;}", "flow 1 has a dict key without a value"),
        (b"14:7:version;1:x@}", "flow 1 has an unknown type tag or literal ('@')"),
        (b"14:7:version;1:x#}", "flow 1 has a malformed number b'x'"),
        (b"18:7:version;5:0:~0:~}", "flow 1 has an unknown type tag or literal ('~')"),
        (b"21:7:request;8:1:5#1:b,}}", "flow 1 has a dict key that is not a short string"),
    ],
    ids=[
        "empty-claim",
        "not-dict",
        "long-prefix",
        "null-key",
        "odd-dict",
        "tag",
        "number",
        "null",
        "key",
    ],
)
def test_malformed_flow_is_one_line_input_error(tmp_path, data, message):
    path = tmp_path / "bad.flows"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_capture(path)
    assert str(err.value) == f"bad.flows is not a readable mitmproxy flow file: {message}"


def test_element_budget_bounds_a_flood_of_tiny_elements(tmp_path):
    state = flow()
    state["request"]["headers"] = [[b"a", b"b"]] * 50_000
    path = tmp_path / "flood.flows"
    path.write_bytes(dumps(state))
    with pytest.raises(InputError, match="has more than 20,000 elements$"):
        read_capture(path)


def test_random_corruption_never_raises_anything_but_input_error(tmp_path):
    import random

    good = (NET / "mitmproxy-10.4.2.flows").read_bytes()
    rng = random.Random(14)
    path = tmp_path / "fuzz.flows"
    for i in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.choice(b"0123456789:,;#^!~]}x")
        if i % 4 == 0:
            data = data[: rng.randrange(1, len(data))]
        path.write_bytes(bytes(data))
        try:
            read_capture(path)
        except InputError as exc:
            assert "\n" not in str(exc)


def test_tnetstring_reader_round_trip():
    value = {"a": [1, -2, 3.5, True, False, None, b"\x00\xff", "é", []], "b": {"c": {}}}
    data = dumps(value)
    parsed, taken = Reader(io.BytesIO(data)).read(len(data))
    assert parsed == value and taken == len(data)
    reader = Reader(io.BytesIO(dumps({"big": b"y" * 100})), keep=10)
    assert reader.read(200)[0] == {"big": b"y" * 10}
    with pytest.raises(TnetError, match="ends inside a length prefix"):
        Reader(io.BytesIO(b"12")).read(2)


def test_fixtures_are_what_the_readme_says():
    names = sorted(p.name for p in NET.glob("*.flows"))
    assert names == sorted(REAL)
    readme = (NET / "README.md").read_text()
    for name in names:
        assert name in readme
    assert os.path.exists(NET / "make_mitm_flows.py")
