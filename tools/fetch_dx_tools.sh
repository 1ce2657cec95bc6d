#!/usr/bin/env bash
# Fetch dx 10 and android.jar (API 23) from Debian bullseye into a tools folder, without touching
# the machine's apt configuration (a private apt state directory under it). Used by
# tools/build_constructed_fixtures.sh and benchmarks/vendor_sdks/score.py --fetch-tools.
#
# usage: tools/fetch_dx_tools.sh [TOOLS]   (default $PICA_FIXTURE_TOOLS or /tmp/pica-fixture-tools)
# Gives: TOOLS/root/usr/share/java/com.android.dx-10.0.0.jar and .../com.android.android-23.jar
#   dalvik-exchange 10.0.0+r36-1 (bullseye)  dx 10, .class -> classes.dex (bookworm has no dx/d8)
#   libandroid-23-java 6.0.1+r72-6 (bullseye) android.jar, API 23
# The .deb files are checked against the sha256 below. Idempotent.
set -euo pipefail

TOOLS="${1:-${PICA_FIXTURE_TOOLS:-/tmp/pica-fixture-tools}}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DX_DEB=dalvik-exchange_10.0.0+r36-1_all.deb
DX_SHA=8fc128db7c27253d963eb9b33de79b197162a4749d2ba69019b2fd0664cbd7fe
AJ_DEB=libandroid-23-java_6.0.1+r72-6_all.deb
AJ_SHA=8af1b6df556971dda0a6da3536ea526a838e0c363afcdd454213d8bce94793e3

DX_JAR="$TOOLS/root/usr/share/java/com.android.dx-10.0.0.jar"
ANDROID_JAR="$TOOLS/root/usr/share/java/com.android.android-23.jar"
if [ -f "$DX_JAR" ] && [ -f "$ANDROID_JAR" ]; then
    exit 0
fi
printf '== fetching dalvik-exchange and libandroid-23-java from bullseye into %s\n' "$TOOLS" >&2
mkdir -p "$TOOLS"/apt/{lists/partial,cache/archives/partial} "$TOOLS/debs" "$TOOLS/root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bullseye main" \
    > "$TOOLS/apt/sources.list"
APT_OPTS=(-o "Dir::Etc::SourceList=$TOOLS/apt/sources.list"
          -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$TOOLS/apt/lists"
          -o "Dir::Cache=$TOOLS/apt/cache")
apt-get "${APT_OPTS[@]}" update
chown _apt "$TOOLS/debs" 2>/dev/null || true  # lets apt download sandboxed
(cd "$TOOLS/debs" && apt-get "${APT_OPTS[@]}" download \
    dalvik-exchange=10.0.0+r36-1 libandroid-23-java=6.0.1+r72-6)
(cd "$TOOLS/debs" && printf '%s  %s\n%s  %s\n' "$DX_SHA" "$DX_DEB" "$AJ_SHA" "$AJ_DEB" | sha256sum -c -)
dpkg -x "$TOOLS/debs/$DX_DEB" "$TOOLS/root"
dpkg -x "$TOOLS/debs/$AJ_DEB" "$TOOLS/root"
