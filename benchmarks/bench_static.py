"""Static-analysis speed and memory: pica against androguard and against merely inflating.

usage: python benchmarks/bench_static.py DIR_OR_APK [...] [--repeat N]

For each APK, in this one process: the time to inflate every classes*.dex (the floor), pica's
full static extraction (manifest, resources, every DEX, sensitive call sites, strings, policy
search), pica's SDK detection and pre-consent call graph + reachability, and androguard 4.1.4's
AnalyzeAPK (logging silenced). Ratios are printed against the inflate time and against
androguard. Peak RSS is measured in a fresh child process per tool, since a process's peak
never comes down. Machines are noisy: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
import zipfile
from pathlib import Path


def inflate(apk: Path) -> int:
    with zipfile.ZipFile(apk) as z:
        return sum(
            len(z.read(n)) for n in z.namelist() if n.startswith("classes") and n.endswith(".dex")
        )


def pica_extract(apk: Path):
    from pica.extract.apk import extract

    return extract(apk)


def pica_reach(facts) -> int:
    from pica.analysis.apk import analyse_apk

    return len(analyse_apk(facts).reachable or ())


def pica_full(apk: Path) -> None:
    pica_reach(pica_extract(apk))


def androguard(apk: Path) -> None:
    from loguru import logger

    logger.disable("androguard")
    from androguard.misc import AnalyzeAPK

    AnalyzeAPK(str(apk))


def best_of(repeat: int, func, *args) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def child_rss(tool: str, apk: Path) -> float:
    """Peak RSS in MB of a fresh process that runs one tool once on one APK."""
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", tool, str(apk)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rss-child", nargs=2, metavar=("TOOL", "APK"), help=argparse.SUPPRESS)
    parser.add_argument("--no-androguard", action="store_true")
    args = parser.parse_args()
    if args.rss_child:
        tool, apk = args.rss_child[0], Path(args.rss_child[1])
        {"inflate": inflate, "pica": pica_full, "androguard": androguard}[tool](apk)
        # VmHWM belongs to this process image (ru_maxrss would carry the parent's peak over exec).
        status = Path("/proc/self/status").read_text()
        print(int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) / 1024)
        return 0

    apks = [
        p for path in args.paths for p in (sorted(path.glob("*.apk")) if path.is_dir() else [path])
    ]
    pica_extract(apks[0])  # warm the knowledge caches once, as a long-running service would
    header = (f"{'apk':<42}{'MB':>6}{'inflate s':>10}{'pica s':>9}{'reach s':>9}{'andro s':>9}"
              f"{'pica/infl':>10}{'andro/pica':>11}{'andro/(p+r)':>12}"
              f"{'RSS infl':>9}{'RSS pica':>9}{'RSS andro':>10}")  # fmt: skip
    print(header)
    for apk in apks:
        t_inflate = best_of(args.repeat, inflate, apk)
        t_pica = best_of(args.repeat, pica_extract, apk)
        facts = pica_extract(apk)
        t_reach = best_of(args.repeat, pica_reach, facts)
        t_andro = float("nan") if args.no_androguard else best_of(1, androguard, apk)
        rss = [child_rss(tool, apk) for tool in ("inflate", "pica")]
        rss.append(float("nan") if args.no_androguard else child_rss("androguard", apk))
        print(
            f"{apk.name[:41]:<42}{apk.stat().st_size / 1e6:>6.1f}{t_inflate:>10.3f}{t_pica:>9.3f}"
            f"{t_reach:>9.3f}{t_andro:>9.2f}{t_pica / t_inflate:>10.2f}{t_andro / t_pica:>11.1f}"
            f"{t_andro / (t_pica + t_reach):>12.1f}{rss[0]:>9.0f}{rss[1]:>9.0f}{rss[2]:>10.0f}"
        )
    print("pica s: full static extraction; reach s: SDK detection + call graph + reachability;")
    print("ratios: pica/infl = extraction time over inflate-only time; andro/pica = speed-up.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
