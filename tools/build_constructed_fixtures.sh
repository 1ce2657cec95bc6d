#!/usr/bin/env bash
# Rebuild pica's CONSTRUCTED test APKs (tests/fixtures/constructed/*.apk) from the Java
# sources and manifests kept beside them.
#
# CI never runs this: the built APKs are committed. Run it by hand (as root, on Debian
# bookworm) only after changing a fixture's sources, then update the sha256 table and the
# dexdump listing in tests/fixtures/constructed/README.md and, if facts changed,
# tests/fixtures/constructed/expected.json.
#
# Tools (all Debian packages, nothing else is downloaded):
#   javac 17 (bookworm openjdk-17-jdk-headless), compiling with -source 8 -target 8
#   aapt 1:10.0.0+r36-10 (bookworm)          binary AndroidManifest.xml + APK container
#   dexdump 11.0.0+r48-5 (bookworm)          verification of the dex
#   dalvik-exchange 10.0.0+r36-1 (bullseye)  dx 10, .class -> classes.dex (bookworm has no dx/d8)
#   libandroid-23-java 6.0.1+r72-6 (bullseye) android.jar, API 23: compile classpath and aapt -I
# The bullseye packages are fetched by tools/fetch_dx_tools.sh with `apt-get download` through a
# private apt state directory under $TOOLS, so the machine's own apt configuration is not changed.
#
# Idempotent: re-running with the same tools gives byte-identical APKs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIX="$ROOT/tests/fixtures/constructed"
TOOLS="${PICA_FIXTURE_TOOLS:-/tmp/pica-fixture-tools}"
APPS=(preconsent gated clean)

log() { printf '== %s\n' "$*" >&2; }

# --- 1. bookworm tools --------------------------------------------------------------------
if ! command -v aapt >/dev/null || ! command -v dexdump >/dev/null; then
    log "installing aapt and dexdump from bookworm"
    apt-get update
    apt-get install -y --no-install-recommends aapt dexdump
fi
command -v javac >/dev/null || { echo "javac (openjdk-17-jdk-headless) is required" >&2; exit 1; }

# --- 2. bullseye tools: dx 10 and android.jar (API 23) ------------------------------------
"$ROOT/tools/fetch_dx_tools.sh" "$TOOLS"
DX_JAR="$TOOLS/root/usr/share/java/com.android.dx-10.0.0.jar"
ANDROID_JAR="$TOOLS/root/usr/share/java/com.android.android-23.jar"

# dexdump output -> class/method listing: a class line, then one line per method.
LISTING_AWK='
/^  Class descriptor/ { split($0, a, "\047"); cls = a[2]; sec = ""; next }
/^  Superclass/       { split($0, a, "\047"); printf "%s extends %s\n", cls, a[2]; next }
/^  Interfaces/       { sec = "interfaces"; next }
/^  Static fields/    { sec = "fields"; next }
/^  Instance fields/  { sec = "fields"; next }
/^  Direct methods/   { sec = "direct"; next }
/^  Virtual methods/  { sec = "virtual"; next }
/^  source_file_idx/  { sec = ""; next }
sec == "interfaces" && /^    #[0-9]+ +: \047/ { split($0, a, "\047"); printf "  implements %s\n", a[2]; next }
(sec == "direct" || sec == "virtual") && /^      name +:/ { split($0, a, "\047"); name = a[2]; next }
(sec == "direct" || sec == "virtual") && /^      type +:/ { split($0, a, "\047"); printf "  %-7s %s%s\n", sec, name, a[2]; next }
'

# --- 3. build each fixture ----------------------------------------------------------------
WORK=$(mktemp -d /tmp/pica-fixture-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for app in "${APPS[@]}"; do
    log "building $app.apk"
    src="$FIX/$app"
    out="$WORK/$app"
    mkdir -p "$out/classes"

    # 3a. compile the app's classes against android.jar (bootclasspath: the framework's
    #     java.* and android.*). android.jar is NOT dexed: only the app's classes are.
    find "$src/src" -name '*.java' | LC_ALL=C sort > "$out/sources.txt"
    javac -source 8 -target 8 -Xlint:-options -encoding UTF-8 -g:source,lines \
        -bootclasspath "$ANDROID_JAR" -d "$out/classes" @"$out/sources.txt"

    # 3b. classes -> classes.dex with dx 10
    java -jar "$DX_JAR" --dex --min-sdk-version=21 --output="$out/classes.dex" "$out/classes"

    # 3c. binary manifest + APK container with aapt, then add classes.dex (stored at a
    #     fixed time so the zip is reproducible). Unsigned: pica does not need signatures.
    aapt package -f -M "$src/AndroidManifest.xml" -I "$ANDROID_JAR" -F "$out/$app.apk"
    touch -d '1980-01-01 00:00:00 UTC' "$out/classes.dex"
    (cd "$out" && TZ=UTC aapt add "$app.apk" classes.dex >/dev/null)

    # 3d. verify with dexdump: the checksum holds, the dex parses, only the app's classes
    #     are in it (no framework stub or android.jar class), and record its class/method
    #     listing beside the sources (<app>/dexdump.txt, committed).
    dexdump -c "$out/classes.dex" >/dev/null
    dexdump "$out/classes.dex" | awk "$LISTING_AWK" > "$out/dexdump.txt"
    if grep -E '^L(android|java|javax|dalvik)/' "$out/dexdump.txt"; then
        echo "framework classes leaked into $app's classes.dex" >&2; exit 1
    fi
    cp "$out/dexdump.txt" "$src/dexdump.txt"
    sed "s/^/    [$app] /" "$out/dexdump.txt" >&2

    cp "$out/$app.apk" "$FIX/$app.apk"
done

log "sha256 of outputs"
(cd "$FIX" && sha256sum "${APPS[@]/%/.apk}")
