#!/usr/bin/env bash
# Builds pigeon-bridge as one executable with Node inside (Node's single executable applications),
# for a Tauri app's sidecar: docs/tauri.md. Usage: scripts/build-bridge-exe.sh [OUTPUT]
# (default build/pigeon-bridge). Build on each platform you ship, with the Node you want inside.
# macOS and Windows need their signing steps around postject; see docs/tauri.md. ws's optional
# native helpers are defined away: an executable's require() loads only Node's own modules.
# The WebRTC library is a native addon (node-datachannel, a .node file per platform), which no
# executable can hold: it goes beside it, as OUTPUT's folder/node_modules (node-datachannel, its
# one dependency detect-libc, and this platform's @node-datachannel/* binary), and the engine
# loads it from there (engine/src/native.ts). Ship that folder with the executable.
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
# The library and what it requires at run time, as npm installed them for this platform.
lib=$(dirname "$out")/node_modules
binding=$(cd node_modules && ls -d @node-datachannel/*/ | head -n 1)
rm -rf "$lib/node-datachannel" "$lib/detect-libc" "$lib/@node-datachannel"
mkdir -p "$lib/@node-datachannel"
cp -R node_modules/node-datachannel node_modules/detect-libc "$lib/"
cp -R "node_modules/${binding%/}" "$lib/@node-datachannel/"
say "built $out ($(du -h "$out" | cut -f1)), and beside it $lib with node-datachannel and ${binding%/} ($(du -sh "$lib" | cut -f1))"
echo "$out"
