#!/usr/bin/env bash
# Prints the path of a `node` that is Debian 12's own Node 18 (what Raspberry Pi OS bookworm's
# `apt install nodejs` gives a Pi), so the agent's tests can run on it beside the Node 20 that
# runs the suite. Debian's packages only: nodejs + libnode108 unpacked under .cache/ (installing
# them would replace the Node 20 package), and the JavaScript parts Debian's Node loads from
# /usr/share/nodejs installed as usual. Already Node 18 on PATH (a Pi): that one is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'debian-node18: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = 18 ]; then
  command -v node
  exit 0
fi

dir=.cache/debian-node18
wrapper=$PWD/$dir/node
if [ -x "$wrapper" ] && "$wrapper" -e 'process.exit(process.versions.node.startsWith("18.") ? 0 : 1)' 2>/dev/null; then
  echo "$wrapper"
  exit 0
fi

# The newest 18.x that Debian's archive (or its security archive) offers for this machine.
version=$(apt-cache madison nodejs | awk '$3 ~ /^18\./ { print $3; exit }')
if [ -z "$version" ]; then
  say "Debian's archive offers no nodejs 18.x here (is this Debian 12 with its sources in apt?)"
  exit 1
fi
say "unpacking Debian's nodejs $version into $dir (the Node 20 package stays)"
# Shared libraries and the JavaScript Debian's Node loads from /usr/share/nodejs: plain packages.
missing=()
for pkg in libc-ares2 libuv1 libicu72 libbrotli1 libnghttp2-14 node-acorn node-cjs-module-lexer node-undici; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
rm -rf "$dir" && mkdir -p "$dir/debs"
# apt-get download runs as _apt where it can; a world-writable folder keeps it from complaining.
chmod 777 "$dir/debs"
(cd "$dir/debs" && apt-get download -qq "nodejs=$version" "libnode108=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
arch_lib=$(ls -d "$PWD/$dir"/root/usr/lib/*-linux-gnu | head -n 1)
cat > "$wrapper" <<WRAP
#!/bin/sh
# Debian's Node $version, unpacked by scripts/debian-node18.sh.
LD_LIBRARY_PATH="$arch_lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$PWD/$dir/root/usr/bin/node" "\$@"
WRAP
chmod +x "$wrapper"
"$wrapper" -e 'if (!process.versions.node.startsWith("18.")) process.exit(1)' || { say "the unpacked node does not run"; exit 1; }
echo "$wrapper"
