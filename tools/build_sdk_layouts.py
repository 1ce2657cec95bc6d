"""Rebuild the class-layout fixtures of tests/fixtures/sdk_layouts from real vendor SDK builds.

usage: python tools/build_sdk_layouts.py [--cache DIR] [--dx PATH/TO/dx.jar]

Each layout comes from one npm tarball fetched at an exact ``name@version`` (``npm pack``), its
sha256 checked against the pin below; the vendor's ``.jar`` (or the ``classes.jar`` of its
``.aar``) is turned into DEX by dx 10 (how dx is obtained without changing apt's
configuration: tools/build_constructed_fixtures.sh; default path below) and read with pica's
own DEX reader (``extract.apk.classrefs``); native libraries are scanned with
``extract.apk.native``. Vendor binaries are proprietary, so only derived facts are written: class
names, which defined classes each class reaches, native flags, library names loaded, the JNI
classes of each ``.so``. No code, no strings, no binaries. (The shared real APKs need no
layout: they are committed whole in tests/fixtures/apks and read directly.)

CI never runs this: the layouts are committed. Re-running with the same pins gives the same
JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from pica.extract.apk.classrefs import ClassRefs
from pica.extract.apk.dex import DexFile
from pica.extract.apk.native import jni_classes

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "sdk_layouts"
DX = Path("/tmp/pica-fixture-tools/root/usr/share/java/com.android.dx-10.0.0.jar")
ABI = "arm64-v8a"

# name, version, tarball sha256, archive members (jar/aar), native library members, output
PINS = [
    (
        "cordova-plugin-baidumaplocation", "4.0.2",
        "3bb710ee2af4b00bb07ac09d1aa5d9614e322bde18472cf83a2b36423a434ab5",
        ["package/libs/android/BaiduLBS_Android.jar"],
        [f"package/libs/android/{ABI}/liblocSDK7b.so", f"package/libs/android/{ABI}/libindoor.so"],
        "baidu_location.json",
    ),
    (
        "cordova-plugin-alipay-v2", "2.0.0",
        "1422cc9031740f30e58117e9e8a5ab3d873533b15cdd1d553a42e4333c1da17e",
        ["package/src/android/lib/alipaySdk-15.6.5-20190718211148.aar"],
        [],
        "alipay.json",
    ),
    (
        "jpush-react-native", "2.9.9",
        "7c6e3f227f4293768283126073a7a81dfc35c0411c9494d02a4156e8824eb703",
        ["package/android/libs/jpush-android-5.0.4.jar"],
        [],
        "jpush.json",
    ),
    (
        "jcore-react-native", "1.9.9",
        "73af0041165ad1a363e4fb65c65466694a16d6242ee53ff984890c4878575fbd",
        ["package/android/libs/jcore-android-3.2.2.jar"],
        [f"package/android/libs/{ABI}/libjcore322.so"],
        "jcore.json",
    ),
]  # fmt: skip


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(name: str, version: str, digest: str, cache: Path) -> bytes:
    path = cache / f"{name}-{version}.tgz"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "pack", "-q", f"{name}@{version}", "--pack-destination", str(cache)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    data = path.read_bytes()
    if sha256(data) != digest:
        sys.exit(f"{path}: sha256 {sha256(data)} is not the pinned {digest}")
    return data


def to_dex(jar: bytes, dx: Path, work: Path, tag: str) -> DexFile:
    src, out = work / f"{tag}.jar", work / f"{tag}.dex"
    src.write_bytes(jar)
    subprocess.run(
        ["java", "-jar", str(dx), "--dex", f"--output={out}", str(src)],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return DexFile(out.read_bytes(), out.name)


def layout(dexes: list[DexFile], libs: dict[str, bytes]) -> dict:
    """The JSON layout of the classes of some DEX files and the JNI classes of their .so."""
    refs = ClassRefs(dexes)
    keep = sorted(refs.names())
    kept = set(keep)
    loads = refs.library_loads()
    classes: dict[str, dict] = {}
    for name in keep:
        item: dict = {"calls": sorted(refs.callees(name) & kept)}
        if refs.native(name):
            item["native"] = True
        if name in loads:
            item["loads"] = list(loads[name])
        classes[name] = item
    native = {lib: sorted(jni_classes(data) & kept) for lib, data in sorted(libs.items())}
    return {"classes": classes, "native_libs": native}


def build_pin(pin: tuple, cache: Path, dx: Path) -> None:
    name, version, digest, members, so_members, out_name = pin
    data = fetch(name, version, digest, cache)
    dexes: list[DexFile] = []
    libs: dict[str, bytes] = {}
    sources = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar, tempfile.TemporaryDirectory() as tmp:
        for i, member in enumerate(members):
            raw = tar.extractfile(member).read()  # type: ignore[union-attr]
            sources.append({"member": member, "sha256": sha256(raw)})
            jars = [raw]
            if member.endswith(".aar"):
                with zipfile.ZipFile(io.BytesIO(raw)) as aar:
                    jars = [aar.read(n) for n in aar.namelist() if n.endswith(".jar")]
            for j, jar in enumerate(jars):
                dexes.append(to_dex(jar, dx, Path(tmp), f"m{i}_{j}"))
        for member in so_members:
            raw = tar.extractfile(member).read()  # type: ignore[union-attr]
            sources.append({"member": member, "sha256": sha256(raw)})
            libs[member.rsplit("/", 1)[-1]] = raw
    result = layout(dexes, libs)
    result = {
        "provenance": {
            "source": f"npm {name}@{version}",
            "tarball_sha256": digest,
            "members": sources,
            "made_by": "tools/build_sdk_layouts.py (dx 10.0.0 to DEX, pica's DEX reader)",
            "content": "derived facts only: class names, reach edges between defined classes, "
            "native flags, loaded library names, JNI classes of each .so; no code",
        },
        **result,
    }
    write(OUT / out_name, result)


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{path.relative_to(ROOT)}: {len(data['classes'])} classes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "pica-npm-cache")
    ap.add_argument("--dx", type=Path, default=DX)
    args = ap.parse_args()
    for pin in PINS:
        build_pin(pin, args.cache, args.dx)


if __name__ == "__main__":
    main()
