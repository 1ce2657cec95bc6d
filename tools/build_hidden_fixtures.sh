#!/usr/bin/env bash
# Rebuild pica's CONSTRUCTED hidden-code APKs (tests/fixtures/constructed/hidden/*.apk, issue 16)
# from the sources kept beside them. Each is the hidden variant of a plain constructed APK.
#
# CI never runs this: the built APKs are committed. Tools as in tools/build_constructed_fixtures.sh
# (javac, aapt, dx 10 and android.jar fetched by tools/fetch_dx_tools.sh) plus gcc (x86_64) for
# the native libraries, which are real ELF shared objects. Python 3 writes the encrypted asset.
#
#   packed.apk  the manifest of preconsent.apk, application com.stub.StubApp (a packer-like stub,
#               the only class of its classes.dex), lib/x86_64/libjiagu.so (gcc) and
#               assets/libjiagu.so: preconsent.apk's classes.dex XOR-encrypted with a 16-byte key,
#               as a packer ships the real code. The plain variant is ../preconsent.apk; its
#               classes.dex is the "unpacked DEX" a --dex-dir test gives.
#   reflect_plain.apk / reflect.apk  a fictional SDK (cn.fakeads.sdk) reading seven identifiers
#               before any UI, directly (plain) and by reflection (hidden: constant names,
#               StringBuilder, concat, valueOf, getClass(), a field, a name decoded at run time)
#   dynload_plain.apk / dynload.apk / dynload_enc.apk  an Umeng-named SDK whose two plug-ins
#               read four identifiers: in classes.dex (plain), loaded by DexClassLoader from
#               assets/um_plugin.dex and from classes.dex inside assets/um_plugin2.jar, or from
#               the same two payloads encrypted (assets/um_plugin*.bin)
#   jni_plain.apk / jni.apk  a fictional SDK reading the IMEI, the serial and the Wi-Fi MAC
#               in Java (plain) or in lib/x86_64/libfakenative.so (JNI lookup of getDeviceId,
#               the ro.serialno property, /sys/class/net/wlan0/address)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIX="$ROOT/tests/fixtures/constructed"
HID="$FIX/hidden"
TOOLS="${PICA_FIXTURE_TOOLS:-/tmp/pica-fixture-tools}"
"$ROOT/tools/fetch_dx_tools.sh" "$TOOLS"
DX_JAR="$TOOLS/root/usr/share/java/com.android.dx-10.0.0.jar"
ANDROID_JAR="$TOOLS/root/usr/share/java/com.android.android-23.jar"
WORK=$(mktemp -d /tmp/pica-hidden-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export SOURCE_DATE_EPOCH=315532800

# dex APP: compile APP's Java sources (plus EXTRA source dirs) and dex them into $WORK/APP/classes.dex
dex() {
    local app=$1; shift
    local out="$WORK/$app"
    mkdir -p "$out/classes"
    find "$HID/$app/src" "$@" -name '*.java' | LC_ALL=C sort > "$out/sources.txt"
    javac -source 8 -target 8 -Xlint:-options -encoding UTF-8 -g:source,lines \
        -bootclasspath "$ANDROID_JAR" -d "$out/classes" @"$out/sources.txt"
    java -jar "$DX_JAR" --dex --min-sdk-version=21 --output="$out/classes.dex" "$out/classes"
    dexdump -c "$out/classes.dex" >/dev/null
}

# so NAME SRC: a real x86_64 ELF shared object, reproducible (no build id)
so() {
    gcc -shared -fPIC -O1 -Wl,--build-id=none -o "$2" "$1"
    strip --strip-unneeded "$2"
}

# package APP: manifest + classes.dex + everything under $WORK/APP/tree (lib/, assets/)
package() {
    local app=$1 out="$WORK/$1"
    aapt package -f -M "$HID/$app/AndroidManifest.xml" -I "$ANDROID_JAR" -F "$out/$app.apk"
    mkdir -p "$out/tree"
    cp "$out/classes.dex" "$out/tree/classes.dex"
    find "$out/tree" -exec touch -d '1980-01-01 00:00:00 UTC' {} +
    (cd "$out/tree" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | TZ=UTC xargs aapt add "../$app.apk" >/dev/null)
    cp "$out/$app.apk" "$HID/$app.apk"
}

# --- packed --------------------------------------------------------------------------------
dex packed
mkdir -p "$WORK/packed/tree/lib/x86_64" "$WORK/packed/tree/assets"
so "$HID/packed/native/libjiagu.c" "$WORK/packed/tree/lib/x86_64/libjiagu.so"
unzip -p "$FIX/preconsent.apk" classes.dex | python3 -c '
import sys
key = b"pica-constructed"
data = sys.stdin.buffer.read()
sys.stdout.buffer.write(bytes(b ^ key[i % len(key)] for i, b in enumerate(data)))
' > "$WORK/packed/tree/assets/libjiagu.so"
package packed

# --- reflection: plain and hidden variants of the same collection ------------------------
for app in reflect_plain reflect; do
    dex "$app"
    package "$app"
done

# --- dynamically loaded code: plain, plain payloads, encrypted payloads ----------------------
dex dynload_plain "$HID/dynload/plugin/src" "$HID/dynload/plugin2/src"
package dynload_plain
dex dynload
for plugin in plugin plugin2; do  # each plug-in dexed on its own
    mkdir -p "$WORK/$plugin/classes"
    find "$HID/dynload/$plugin/src" -name '*.java' | LC_ALL=C sort > "$WORK/$plugin/sources.txt"
    javac -source 8 -target 8 -Xlint:-options -encoding UTF-8 -g:source,lines \
        -bootclasspath "$ANDROID_JAR" -d "$WORK/$plugin/classes" @"$WORK/$plugin/sources.txt"
    java -jar "$DX_JAR" --dex --min-sdk-version=21 --output="$WORK/$plugin/classes.dex" "$WORK/$plugin/classes"
    dexdump -c "$WORK/$plugin/classes.dex" >/dev/null
    touch -d '1980-01-01 00:00:00 UTC' "$WORK/$plugin/classes.dex"
done
mkdir -p "$WORK/dynload/tree/assets"
cp "$WORK/plugin/classes.dex" "$WORK/dynload/tree/assets/um_plugin.dex"
(cd "$WORK/plugin2" && rm -f plugin2.jar && TZ=UTC zip -X -q plugin2.jar classes.dex)
cp "$WORK/plugin2/plugin2.jar" "$WORK/dynload/tree/assets/um_plugin2.jar"
package dynload
dex dynload_enc
mkdir -p "$WORK/dynload_enc/tree/assets"
# encrypted: XOR with a SHA-256 counter keystream (looks random; a real SDK would use AES)
for pair in "plugin/classes.dex:um_plugin.bin" "plugin2/plugin2.jar:um_plugin2.bin"; do
    python3 -c '
import hashlib, sys
data = open(sys.argv[1], "rb").read()
stream = b"".join(hashlib.sha256(b"pica-constructed-%d" % i).digest() for i in range(len(data) // 32 + 1))
open(sys.argv[2], "wb").write(bytes(a ^ b for a, b in zip(data, stream)))
' "$WORK/${pair%%:*}" "$WORK/dynload_enc/tree/assets/${pair##*:}"
done
package dynload_enc

# --- native code: plain (Java) and hidden (a JNI library) ---------------------------------
dex jni_plain
package jni_plain
dex jni
mkdir -p "$WORK/jni/tree/lib/x86_64"
so "$HID/jni/native/fakenative.c" "$WORK/jni/tree/lib/x86_64/libfakenative.so"
package jni

(cd "$HID" && sha256sum ./*.apk)
