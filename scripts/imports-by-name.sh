#!/usr/bin/env bash
# pi-agent, the bridge and the engine import the shared code by package name, never by a path
# into src/ (issue 25). Rewrites any such path left in FILES (default: every .ts under them).
set -euo pipefail
cd "$(dirname "$0")/.."
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files 'pi-agent/src/*.ts' 'bridge/src/*.ts' 'engine/src/*.ts')
sed -i -E \
  -e "s#'(\.\./)+src/signal/[a-z0-9-]+\.ts'#'@pigeon/signal'#" \
  -e "s#'(\.\./)+src/bridge-wire/[a-z0-9-]+\.ts'#'@pigeon/bridge-wire'#" \
  -e "s#'(\.\./)+src/qr/(matrix|terminal|svg|link-segments|errors|index)\.ts'#'@pigeon/qr'#" \
  "${files[@]}"
