#!/usr/bin/env bash
# The agent on arm64 by emulation, as on a Pi: an arm64 Debian 12 root with the README's Pi packages
# (Debian's nodejs 18 and GStreamer), this checkout's tree at the same path inside it with arm64 npm
# packages (`npm ci --omit=dev`, as the README says), and a `node` wrapper that runs inside it, so
#   PIGEON_AGENT_NODE=$(scripts/arm64-root.sh) node --import tsx --test test/agent/stream.test.ts
# runs the agent on arm64 with the tests' Chromium on this machine. Root only (chroot, mounts).
# Not part of `./pigeon test`: building the root took 37 min on a busy 2-core machine.
# Measured once: first offer 21 s after spawn; Chromium's first frame 3.9-4.3 s after the answer.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${PIGEON_ARM64_ROOT:-$PWD/.cache/arm64-root}
say() { printf 'arm64-root: %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (chroot and mounts)"; exit 1; }

missing=()
for pkg in qemu-user-static binfmt-support mmdebstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true

if [ ! -x "$ROOT/usr/bin/node" ]; then
  # The packages of the README's "On the Raspberry Pi" section.
  packages=$(sed -n '/^sudo apt install -y nodejs/,/libcamera$/p' README.md | tr -d '\\' | tr -s ' \n' ' ' \
    | sed 's/sudo apt install -y //' | xargs | tr ' ' ',')
  mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  say "building $ROOT with: $packages (from ${mirror:-deb.debian.org})"
  mmdebstrap --arch=arm64 --variant=apt --include="ca-certificates,$packages" bookworm "$ROOT" "${mirror:-http://deb.debian.org/debian}" >&2
fi

mkdir -p "$ROOT$PWD" "$ROOT/tmp"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
mountpoint -q "$ROOT/tmp" || mount --bind /tmp "$ROOT/tmp"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# A proxy's CA, where this machine trusts one, so npm inside reaches the registry.
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && cp "$NODE_EXTRA_CA_CERTS" "$ROOT/etc/ssl/certs/extra-ca.pem"
rm -rf "${ROOT:?}$PWD" && mkdir -p "$ROOT$PWD"
git archive HEAD | tar -x -C "$ROOT$PWD"
say "npm ci --omit=dev inside the root"
chroot "$ROOT" env ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.pem} \
  sh -c "cd '$PWD' && npm ci --omit=dev --loglevel=error --no-audit --no-fund" >&2
cat > "$ROOT.node" <<WRAP
#!/bin/sh
# Node inside the arm64 root (qemu-user via binfmt), made by scripts/arm64-root.sh.
exec chroot "$ROOT" /usr/bin/node "\$@"
WRAP
chmod +x "$ROOT.node"
echo "$ROOT.node"
