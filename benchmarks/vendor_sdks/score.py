"""Score pica's SDK naming and call-site attribution on real vendor SDK builds (issue 19, pt 5).

usage: python benchmarks/vendor_sdks/score.py [--cache DIR] [--tools DIR] [--fetch-tools]
                                             [--shared DIR] [--only HOST] [--json OUT.json]
                                             [--md OUT.md]

For each host of recipe.yaml: fetch the npm tarballs (`npm pack NAME@VERSION`) into the cache
(default: $XDG_CACHE_HOME/pica-vendor-sdks, never the repository), check their sha256, take out
the vendor .jar/.aar/.so files, convert each jar (an aar's classes.jar) to a DEX with dx 10,
build a host APK with aapt (package org.pica.host, its own MainActivity, the SDK components the
plugin's plugin.xml declares whose classes the jars define, the .so files under lib/armeabi-v7a)
and run pica's own extraction and analysis (pica.extract.apk.extract, pica.analysis.apk.
analyse_apk) on it. With --shared, the real APKs of shared/data/apks are scored too (their
ground truth: no third-party SDK at all; apk_facts.json lists no tracker for any of them).

Scores, per SDK of the ground truth:
- naming: the SDK is named (a strong or medium detection; weak ones and open-source libraries
  do not count) — recall over the SDKs present, precision over the SDKs named;
- call sites: every sensitive call site pica finds in a class of that SDK's files must carry
  that SDK's id (the host's own call site: no SDK). Wrong ones are listed with their class.

Tools: dx 10 and android.jar from Debian bullseye (dalvik-exchange, libandroid-23-java) under
--tools (default /tmp/pica-fixture-tools), fetched by tools/fetch_dx_tools.sh (also with
--fetch-tools), the same the constructed fixtures are built with; aapt and javac from bookworm.
Bad input (a tarball whose sha256 differs, a file missing from it, a tool missing) is a
one-line error and exit 2.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RECIPE = HERE / "recipe.yaml"
REAL = HERE / "real_apks.yaml"
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"
COMPONENT_TAGS = ("activity", "service", "receiver", "provider")
ABI = "armeabi-v7a"
LIBRARY = "library"  # a `parts` label: open-source code inside a vendor jar, acts for the app


FIRST = ("app", LIBRARY)  # expected parties that are not a third party


class Bad(Exception):
    """Bad input: one line on stderr, exit 2."""


@dataclass
class Truth:
    """Ground truth of one host: class -> SDK id, and the SDK ids present."""

    classes: dict[str, str] = field(default_factory=dict)
    sdks: set[str] = field(default_factory=set)
    doubts: dict[str, str] = field(default_factory=dict)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(spec: dict, cache: Path) -> Path:
    """The plugin's tarball in the cache, fetched with `npm pack` when absent, sha256 checked."""
    name, _, version = spec["npm"].rpartition("@")
    tgz = cache / "npm" / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tgz.exists():
        tgz.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "pack", spec["npm"], "--silent", "--pack-destination", str(tgz.parent)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    got = sha256(tgz)
    if got != spec["sha256"]:
        raise Bad(f"{tgz.name}: sha256 {got} is not the recipe's {spec['sha256']}")
    return tgz


def owner(name: str, default: str, parts: dict[str, str]) -> str:
    """The SDK a class belongs to: the longest `parts` key it lies under, else the file's SDK."""
    best, sdk = -1, default
    for key, part_sdk in parts.items():
        hit = name == key.rstrip(".") if not key.endswith(".") else name.startswith(key)
        if hit and len(key) > best:
            best, sdk = len(key), part_sdk
    return sdk


def jar_classes(jar: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(jar)) as z:
        return [
            n[:-6].replace("/", ".")
            for n in z.namelist()
            if n.endswith(".class") and not n.startswith("META-INF/")
        ]


def plugin_components(tar: tarfile.TarFile) -> dict[str, str]:
    """Android components (class -> tag) the plugin adds to the app's manifest: a Cordova
    plugin's plugin.xml (android platform), a React Native library's own AndroidManifest.xml."""
    out: dict[str, str] = {}
    for path in ("package/plugin.xml", "package/android/src/main/AndroidManifest.xml"):
        try:
            raw = tar.extractfile(path)
        except KeyError:
            continue
        if raw is None:
            continue
        text = re.sub(r'\sxmlns="[^"]+"', "", raw.read().decode("utf-8"), count=1)
        root = ET.fromstring(text)
        scopes = [p for p in root.iter("platform") if p.get("name") == "android"]
        for scope in scopes if path.endswith("plugin.xml") else [root]:
            for tag in COMPONENT_TAGS:
                for el in scope.iter(tag):
                    name = el.get(f"{ANDROID_NS}name")
                    if name and not name.startswith("."):
                        out[name] = tag
    return out


def dx(jar: Path, out: Path, dx_jar: Path) -> None:
    if out.exists():
        return
    subprocess.run(
        ["java", "-jar", str(dx_jar), "--dex", "--min-sdk-version=26", f"--output={out}", str(jar)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def host_dex(work: Path, android_jar: Path, dx_jar: Path) -> Path:
    """The host app's own classes.dex (org.pica.host.MainActivity), built once."""
    out = work / "host.dex"
    if out.exists():
        return out
    classes = work / "host-classes"
    shutil.rmtree(classes, ignore_errors=True)
    classes.mkdir(parents=True)
    srcs = sorted(str(p) for p in (HERE / "host" / "src").rglob("*.java"))
    subprocess.run(
        ["javac", "-source", "8", "-target", "8", "-Xlint:-options", "-bootclasspath",
         str(android_jar), "-d", str(classes), *srcs],
        check=True,
    )  # fmt: skip
    subprocess.run(
        ["java", "-jar", str(dx_jar), "--dex", "--min-sdk-version=21", f"--output={out}",
         str(classes)],
        check=True,
    )  # fmt: skip
    return out


def manifest(package: str, components: dict[str, str]) -> str:
    rows = [f'    <activity android:name="{package}.MainActivity" />']
    for name, tag in sorted(components.items()):
        rows.append(f'    <{tag} android:name="{name}"' + (
            f' android:authorities="{package}.{name}"' if tag == "provider" else ""
        ) + " />")  # fmt: skip
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"\n'
        f'    package="{package}" android:versionCode="1" android:versionName="1.0">\n'
        '  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="28" />\n'
        "  <application>\n" + "\n".join(rows) + "\n  </application>\n</manifest>\n"
    )


def build_host(host: dict, package: str, cache: Path, tools: Path) -> tuple[Path, Truth]:
    """Build one host APK from the recipe; return it with its ground truth."""
    dx_jar = tools / "root/usr/share/java/com.android.dx-10.0.0.jar"
    android_jar = tools / "root/usr/share/java/com.android.android-23.jar"
    for tool in (dx_jar, android_jar):
        if not tool.exists():
            raise Bad(f"{tool} missing: run tools/fetch_dx_tools.sh {tools} (or --fetch-tools)")
    for exe in ("aapt", "javac", "java"):
        if shutil.which(exe) is None:
            raise Bad(f"{exe} not found (Debian bookworm: apt-get install aapt default-jdk)")
    work = cache / "work" / host["id"]
    work.mkdir(parents=True, exist_ok=True)
    truth = Truth()
    dexes: list[Path] = [host_dex(cache / "work", android_jar, dx_jar)]
    libs: dict[str, bytes] = {}
    wanted_components: dict[str, str] = {}
    for spec in host["plugins"]:
        tgz = fetch(spec, cache)
        with tarfile.open(tgz) as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            wanted_components.update(plugin_components(tar))
            for f in spec["files"]:
                names = fnmatch.filter(members, f["path"])
                if not names:
                    raise Bad(f"{spec['npm']}: no file {f['path']} in the tarball")
                sdk, parts = f["sdk"], f.get("parts") or {}
                truth.sdks.add(sdk)
                truth.sdks.update(v for v in parts.values() if v != LIBRARY)
                if f.get("doubt"):
                    truth.doubts[Path(f["path"]).name] = " ".join(f["doubt"].split())
                for name in names:
                    data = tar.extractfile(members[name]).read()  # type: ignore[union-attr]
                    base = Path(name).name
                    if base.endswith(".so"):
                        libs[base] = data
                        continue
                    if base.endswith(".aar"):
                        with zipfile.ZipFile(io.BytesIO(data)) as aar:
                            for n in aar.namelist():  # the aar's own native libraries
                                if n.startswith("jni/") and n.endswith(".so"):
                                    libs.setdefault(Path(n).name, aar.read(n))
                            data = aar.read("classes.jar")
                    for cls in jar_classes(data):
                        truth.classes[cls] = owner(cls, sdk, parts)
                    jar = work / (hashlib.sha256(data).hexdigest()[:16] + ".jar")
                    jar.write_bytes(data)
                    dex = jar.with_suffix(".dex")
                    dx(jar, dex, dx_jar)
                    dexes.append(dex)
    components = {c: t for c, t in wanted_components.items() if c.split("$", 1)[0] in truth.classes}
    apk = work / f"{host['id']}.apk"
    with tempfile.TemporaryDirectory() as tmp:
        man = Path(tmp) / "AndroidManifest.xml"
        man.write_text(manifest(package, components), "utf-8")
        base_apk = Path(tmp) / "base.apk"
        subprocess.run(
            ["aapt", "package", "-f", "-M", str(man), "-I", str(android_jar), "-F", str(base_apk)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.copy(base_apk, apk)
    with zipfile.ZipFile(apk, "a", zipfile.ZIP_DEFLATED) as z:
        for i, dex in enumerate(dexes):
            z.write(dex, "classes.dex" if i == 0 else f"classes{i + 1}.dex")
        for base, data in sorted(libs.items()):
            z.writestr(f"lib/{ABI}/{base}", data)
    return apk, truth


@dataclass
class Score:
    """Figures of one APK."""

    name: str
    expected: list[str]
    named: list[str]
    weak: list[str]
    libraries: list[str]
    sites: dict[str, list[int]]  # expected party -> [right, total]
    wrong: list[dict[str, str]]


def analyse(apk: Path):
    from pica.analysis.apk import analyse_apk
    from pica.extract.apk import extract

    facts = extract(apk)
    return analyse_apk(facts, reachability=False), facts.class_names


def got_party(use) -> str:
    if use.sdk:
        return use.sdk
    if use.library:
        return f"library:{use.library}"
    return "app" if use.attributed_by != "unattributed" else "unattributed"


def real_truth(name: str, trees: dict[str, str], class_names) -> Truth:
    """Ground truth of a real APK from real_apks.yaml: its SDKs' trees, matched on its classes."""
    truth = Truth()
    for cls in class_names:
        sdk = owner(cls.split("$", 1)[0], "", trees)
        if sdk:
            truth.classes[cls.split("$", 1)[0]] = sdk
            truth.sdks.add(sdk)
    return truth


def score_apk(name: str, apk: Path, truth: Truth | None, trees: dict[str, str] | None = None):
    """Compare pica's SDKs and call-site parties on ``apk`` with the ground truth.

    ``truth`` None: a real APK; ``trees`` (real_apks.yaml) give its SDKs' code, the rest is the
    app's own. A call site expected to be the app's is right when pica gives it the first party
    (the app, an open-source library acting for it, or "unattributed", which stays first-party);
    one in an SDK's class is right only with that SDK's id."""
    derived, classes = analyse(apk)
    if truth is None:
        truth = real_truth(name, trees or {}, classes)
    expected = sorted(truth.sdks)
    sites: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong = []
    for use in derived.api_uses:
        want = truth.classes.get(use.caller_class.split("$", 1)[0], "app")
        got = got_party(use)
        ok = got == want or (want in ("app", LIBRARY) and not use.sdk)
        sites[want][1] += 1
        if ok:
            sites[want][0] += 1
        else:
            wrong.append({
                "class": use.caller_class, "method": use.caller_method.split("(", 1)[0],
                "api": use.api.rsplit(".", 1)[-1], "expected": want, "got": got,
                "rule": use.attributed_by,
            })  # fmt: skip
    return Score(
        name=name,
        expected=expected,
        named=sorted(s.sdk_id for s in derived.sdks),
        weak=sorted(s.sdk_id for s in derived.weak_sdks),
        libraries=sorted(s.sdk_id for s in derived.libraries),
        sites=dict(sites),
        wrong=wrong,
    )


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def totals(scores: list[Score]) -> dict:
    tp = sum(len(set(s.named) & set(s.expected)) for s in scores)
    named = sum(len(s.named) for s in scores)
    present = sum(len(s.expected) for s in scores)
    right = sum(v[0] for s in scores for v in s.sites.values())
    total = sum(v[1] for s in scores for v in s.sites.values())
    vendor_right = sum(v[0] for s in scores for k, v in s.sites.items() if k not in FIRST)
    vendor_total = sum(v[1] for s in scores for k, v in s.sites.items() if k not in FIRST)
    return {
        "sdks_present": present,
        "sdks_named": named,
        "named_right": tp,
        "naming_recall": ratio(tp, present),
        "naming_precision": ratio(tp, named),
        "call_sites": total,
        "call_sites_right": right,
        "call_site_attribution": ratio(right, total),
        "vendor_call_sites": vendor_total,
        "vendor_call_sites_right": vendor_right,
        "vendor_call_site_attribution": ratio(vendor_right, vendor_total),
    }


def per_sdk(scores: list[Score]) -> dict[str, dict]:
    """Per SDK of the ground truth: APKs holding it, APKs naming it, call sites right / found;
    and every SDK id named where the ground truth has no such SDK."""
    rows: dict[str, dict] = {}
    for s in scores:
        for sdk in s.expected:
            r = rows.setdefault(sdk, {"present": 0, "named": 0, "sites_right": 0, "sites": 0})
            r["present"] += 1
            r["named"] += sdk in s.named
        for sdk, (right, total) in s.sites.items():
            if sdk in FIRST:
                continue
            r = rows.setdefault(sdk, {"present": 0, "named": 0, "sites_right": 0, "sites": 0})
            r["sites_right"] += right
            r["sites"] += total
        for sdk in set(s.named) - set(s.expected):
            r = rows.setdefault(sdk, {"present": 0, "named": 0, "sites_right": 0, "sites": 0})
            r.setdefault("named_wrongly_in", []).append(s.name)
    return dict(sorted(rows.items()))


def markdown(scores: list[Score], figures: dict) -> str:
    out = [
        "| APK | SDKs present (ground truth) | named by pica | missed | named wrongly | "
        "call sites right / found | wrong call sites |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in scores:
        missed = sorted(set(s.expected) - set(s.named))
        extra = sorted(set(s.named) - set(s.expected))
        right = sum(v[0] for v in s.sites.values())
        total = sum(v[1] for v in s.sites.values())
        per = ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(s.sites.items()))
        out.append(
            f"| {s.name} | {', '.join(s.expected) or '—'} | {', '.join(s.named) or '—'} | "
            f"{', '.join(missed) or '—'} | {', '.join(extra) or '—'} | {right}/{total} ({per}) | "
            f"{len(s.wrong)} |"
        )
    out += [
        "",
        "| SDK | in APKs | named in | call sites right / found | named where absent |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sdk, r in figures["per_sdk"].items():
        out.append(
            f"| {sdk} | {r['present']} | {r['named']} | {r['sites_right']}/{r['sites']} | "
            f"{', '.join(r.get('named_wrongly_in', [])) or '—'} |"
        )
    t = figures["totals"]
    out += [
        "",
        f"Naming: recall {t['naming_recall']} ({t['named_right']}/{t['sdks_present']}), "
        f"precision {t['naming_precision']} ({t['named_right']}/{t['sdks_named']}). "
        f"Call sites: {t['call_site_attribution']} ({t['call_sites_right']}/{t['call_sites']}); "
        f"in vendor classes {t['vendor_call_site_attribution']} "
        f"({t['vendor_call_sites_right']}/{t['vendor_call_sites']}).",
    ]
    wrong = [(s.name, w) for s in scores for w in s.wrong]
    if wrong:
        out += ["", "Wrongly attributed call sites:", ""]
        out += [
            f"- {n}: `{w['class']}.{w['method']}` ({w['api']}): expected {w['expected']}, "
            f"got {w['got']} ({w['rule']})"
            for n, w in wrong
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    ap.add_argument("--cache", type=Path, default=default_cache / "pica-vendor-sdks")
    ap.add_argument("--tools", type=Path, default=Path("/tmp/pica-fixture-tools"))
    ap.add_argument("--fetch-tools", action="store_true", help="run tools/fetch_dx_tools.sh first")
    ap.add_argument("--shared", type=Path, help="shared/data/apks: score its real APKs too")
    ap.add_argument("--only", action="append", help="score only these host ids")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--md", type=Path)
    args = ap.parse_args(argv)
    try:
        if args.fetch_tools:
            subprocess.run([str(ROOT / "tools" / "fetch_dx_tools.sh"), str(args.tools)], check=True)
        recipe = yaml.safe_load(RECIPE.read_text("utf-8"))
        cache = args.cache.resolve()
        if cache == ROOT or ROOT in cache.parents:
            raise Bad(f"--cache {cache} is inside the repository: vendor binaries stay out")
        scores = []
        for host in recipe["hosts"]:
            if args.only and host["id"] not in args.only:
                continue
            apk, truth = build_host(host, recipe["host_package"], cache, args.tools.resolve())
            scores.append(score_apk(host["id"], apk, truth))
        if args.shared:
            apks = sorted(args.shared.rglob("*.apk"))
            if not apks:
                raise Bad(f"--shared {args.shared}: no APK there")
            real = (yaml.safe_load(REAL.read_text("utf-8")) or {}).get("apks") or {}
            for apk in apks:
                name = str(apk.relative_to(args.shared))
                scores.append(score_apk(name, apk, None, real.get(name) or {}))
    except Bad as e:
        print(f"score.py: {e}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        print(f"score.py: {e.cmd[0]} failed (exit {e.returncode})", file=sys.stderr)
        return 2
    hosts = {h["id"] for h in recipe["hosts"]}
    figures = {
        "totals": totals(scores),
        "vendor_builds": totals([s for s in scores if s.name in hosts]),
        "real_apks": totals([s for s in scores if s.name not in hosts]),
        "per_sdk": per_sdk(scores),
        "apks": [s.__dict__ for s in scores],
        "doubts": {},
    }
    for host in recipe["hosts"]:
        for spec in host["plugins"]:
            for f in spec["files"]:
                if f.get("doubt"):
                    figures["doubts"][Path(f["path"]).name] = " ".join(f["doubt"].split())
    text = markdown(scores, figures)
    if args.md:
        args.md.write_text(text, "utf-8")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", "utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
