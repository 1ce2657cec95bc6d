"""pica.cache: round trip, keys, damaged files, unwritable directories, atomic writes; and the
reports, which must not depend on the state of the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from pica import cache

POLICY = Path(__file__).parent / "fixtures" / "policies" / "viodroid" / "C107228073-1.0.0.html"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


def _arrays() -> dict[str, np.ndarray]:
    return {
        "edges": np.arange(1000, dtype=np.uint64) * 3,
        "freq": np.arange(-5, 995, dtype=np.int32),
    }


def test_round_trip(cache_dir: Path) -> None:
    key = cache.key("t", "1")
    assert cache.save("t", key, _arrays(), {"total": 60101967, "name": "词"})
    arrays, meta = cache.load("t", key)
    assert meta == {"total": 60101967, "name": "词"}
    for name, array in _arrays().items():
        assert arrays[name].dtype == array.dtype
        assert np.array_equal(arrays[name], array)
    assert [p.name for p in cache_dir.iterdir()] == ["t.npz"]  # no temporary file left


def test_directory_is_the_override_else_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.setenv(cache.ENV, "/somewhere/else")
    assert cache.directory() == Path("/somewhere/else")
    monkeypatch.delenv(cache.ENV)
    assert cache.directory() == Path(platformdirs.user_cache_dir("pica", appauthor=False))


def test_a_file_built_for_another_key_is_a_miss(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = cache.key("t", "jieba 0.42.1", "data abc")
    cache.save("t", key, _arrays())
    assert cache.load("t", key) is not None
    # another version of what the table derives from, other data, another pica, another format
    assert cache.load("t", cache.key("t", "jieba 0.42.2", "data abc")) is None
    assert cache.load("t", cache.key("t", "jieba 0.42.1", "data abd")) is None
    monkeypatch.setattr(cache, "__version__", "9.9.9")
    assert cache.load("t", cache.key("t", "jieba 0.42.1", "data abc")) is None
    monkeypatch.undo()
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + 1)
    assert cache.load("t", cache.key("t", "jieba 0.42.1", "data abc")) is None


def test_digests_follow_the_content(tmp_path: Path) -> None:
    data = resources.files("pica.knowledge").joinpath("data", "pi_taxonomy.yaml")
    copy = tmp_path / "pi_taxonomy.yaml"
    copy.write_bytes(data.read_bytes())
    # the same content under the same name: the same digest, wherever the file is
    assert cache.file_digest(copy) == cache.data_digest(("pi_taxonomy.yaml",))
    copy.write_bytes(data.read_bytes().replace(b"IMEI", b"IMEl", 1))
    assert cache.file_digest(copy) != cache.data_digest(("pi_taxonomy.yaml",))
    assert cache.data_digest(("pi_taxonomy.yaml",)) != cache.data_digest(
        ("pi_taxonomy.yaml", "policy_lexicon.yaml")
    )


@pytest.mark.parametrize(
    "damage",
    ["truncated", "flipped byte", "empty", "not a zip", "directory"],
)
def test_a_damaged_file_is_a_miss(cache_dir: Path, damage: str) -> None:
    key = cache.key("t")
    cache.save("t", key, _arrays())
    path = cache_dir / "t.npz"
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":  # inside the "freq" array's data: the zip CRC catches it
        i = data.index(np.arange(-5, 995, dtype=np.int32).tobytes()[400:420]) + 10
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1 :])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not a zip":
        path.write_bytes(b"\x93NUMPY" + os.urandom(64))
    else:
        path.unlink()
        path.mkdir()
    assert cache.load("t", key) is None
    if damage != "directory":  # rebuilt: the next save replaces it
        assert cache.save("t", key, _arrays())
        assert cache.load("t", key) is not None


def test_an_unwritable_directory_costs_nothing_but_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))  # cannot be created, even by root
    assert cache.save("t", cache.key("t"), _arrays()) is False
    assert cache.load("t", cache.key("t")) is None


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = cache.key("t")
    cache.save("t", key, _arrays(), "old")

    def refuse(_src: object, _dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cache.os, "replace", refuse)
    assert cache.save("t", key, _arrays(), "new") is False
    assert cache.load("t", key)[1] == "old"
    assert [p.name for p in cache_dir.iterdir()] == ["t.npz"]


def _report(cache_dir: Path, out: Path) -> dict:
    subprocess.run(
        [sys.executable, "-m", "pica", "policy", str(POLICY), "-o", str(out), "-q"],
        env={**os.environ, cache.ENV: str(cache_dir)},
        capture_output=True,
        check=False,
        timeout=300,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    report.pop("generated_at", None)
    return report


def test_reports_do_not_depend_on_the_cache(tmp_path: Path) -> None:
    """The same report from a process that builds the cache, one that loads it, and one that
    cannot write a cache at all (a damaged file is a miss, so it is the first case)."""
    folder = tmp_path / "cache"
    built = _report(folder, tmp_path / "built.json")
    # jieba's own dictionary cache lands here too, not in the system temp directory (issue 20)
    assert sorted(p.name for p in folder.iterdir()) == ["jieba.cache", "lexicon.npz", "words.npz"]
    loaded = _report(folder, tmp_path / "loaded.json")
    (tmp_path / "a-file").write_text("")
    unwritable = _report(tmp_path / "a-file" / "cache", tmp_path / "unwritable.json")
    assert built["findings"]  # a real report
    assert loaded == built
    assert unwritable == built
