#!/usr/bin/env bash
# Builds pigeon-bridge as one executable with Node inside (Node's single executable applications),
# for a Tauri app's sidecar: docs/tauri.md. Usage: scripts/build-bridge-exe.sh [OUTPUT]
# (default build/pigeon-bridge). Build on each platform you ship, with the Node you want inside.
# macOS and Windows need their signing steps around postject; see docs/tauri.md. ws's optional
# native helpers are defined away: an executable's require() loads only Node's own modules.
# node-datachannel's binary is copied beside the executable: ship the two together.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/pigeon-bridge}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf 'build-bridge-exe: %s\n' "$*" >&2; }

version=$(node -p 'require("./bridge/package.json").version')
say "bundling bridge/src/sea-entry.ts (pigeon-bridge $version) into one CommonJS file"
npx --no-install esbuild bridge/src/sea-entry.ts --bundle --platform=node --format=cjs --target=node18 \
  --log-level=error --define:PIGEON_BRIDGE_VERSION="\"$version\"" \
  --define:process.env.WS_NO_BUFFER_UTIL='"1"' --define:process.env.WS_NO_UTF_8_VALIDATE='"1"' \
  --outfile="$work/pigeon-bridge.cjs"
cat > "$work/sea-config.json" <<JSON
{ "main": "$work/pigeon-bridge.cjs", "output": "$work/pigeon-bridge.blob", "disableExperimentalSEAWarning": true }
JSON
node --experimental-sea-config "$work/sea-config.json" >/dev/null
mkdir -p "$(dirname "$out")"
cp "$(command -v node)" "$out"
chmod u+w "$out"
say "injecting it into a copy of $(command -v node) ($(node -p process.version))"
# postject warns about ELF note sections it does not name; the result runs (tests check it).
npx --no-install postject "$out" NODE_SEA_BLOB "$work/pigeon-bridge.blob" \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 2>&1 | grep -v "Can't find string offset" >&2 || true
# The WebRTC library's binary cannot be inside the executable (Node loads native code from files
# only): it goes beside it, where engine/src/native.ts looks for it in a single executable.
binaries=(node_modules/@node-datachannel/*/node_datachannel.node)
if [ ! -f "${binaries[0]}" ] || [ ${#binaries[@]} -ne 1 ]; then
  say "expected exactly one node-datachannel binary under node_modules/@node-datachannel (npm ci installs this platform's): found ${binaries[*]}"
  exit 1
fi
cp "${binaries[0]}" "$(dirname "$out")/node_datachannel.node"
say "built $out ($(du -h "$out" | cut -f1)) and, beside it, node_datachannel.node from ${binaries[0]%/*} ($(du -h "${binaries[0]}" | cut -f1))"
echo "$out"
