#!/usr/bin/env bash
# The agent on arm64 by emulation, as on a Pi: an arm64 Debian 12 root holding the packages of the
# README's "On the Raspberry Pi" section (Debian's nodejs 18 and GStreamer, resolved by apt from
# this machine's own Debian sources), this checkout's tree at /opt/pigeon inside it with arm64 npm
# packages (`npm ci --omit=dev`, as the README says), and a `node` wrapper that runs inside it, so
#   PIGEON_AGENT_NODE=$(scripts/arm64-root.sh) node --import tsx --test test/arm64/agent-on-arm64.ts
# runs the agent on arm64 with the tests' Chromium on this machine (`npm run test:arm64`). Root only
# (chroot, mounts). Prints the wrapper's path on stdout; progress on stderr.
#
# The packages are unpacked, not configured: running their maintainer scripts under qemu took
# 37 min (mmdebstrap) against ~4 min for this, and nothing the agent uses needs them (ld.so finds
# the libraries on its default paths, GStreamer builds its registry on first use; the CA bundle
# ca-certificates would generate is this machine's, from the same Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$PWD
ROOT=${PIGEON_ARM64_ROOT:-$PWD/.cache/arm64-root}
APT_DIR=$ROOT.apt
say() { printf 'arm64-root: %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (chroot and mounts)"; exit 1; }

missing=()
for pkg in qemu-user-static binfmt-support; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { say "qemu-aarch64 is not registered with binfmt_misc: cannot run arm64 programs here"; exit 1; }

# The packages of the README's "On the Raspberry Pi" section, read from the README so that list is what gets tested.
packages=$(sed -n '/^sudo apt install -y nodejs/,/libcamera$/p' README.md | tr -d '\\' | tr -s ' \n' ' ' | sed 's/sudo apt install -y //' | xargs)
[ -n "$packages" ] || { say "could not read the Pi's package list from README.md"; exit 1; }
# Plus what every Debian system has (Essential: yes — sh, coreutils, util-linux's setpriv), and the CA list.
packages="?essential ca-certificates $packages"

if [ ! -f "$ROOT/.pigeon-unpacked" ] || [ "$(cat "$ROOT/.pigeon-unpacked")" != "$packages" ]; then
  started=$(date +%s)
  # An older root may still have this machine's /tmp or /dev mounted in it: never delete through those.
  if grep -q " $ROOT/" /proc/mounts; then say "something is mounted under $ROOT: unmount it first"; exit 1; fi
  # apt with a private state (nothing installed, arm64 only), this machine's sources and keys.
  rm -rf "$APT_DIR" "$ROOT"
  mkdir -p "$APT_DIR"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,lists/partial,archives/partial}
  : > "$APT_DIR/status"
  cp /etc/apt/sources.list.d/*.sources "$APT_DIR/etc/sources.list.d/" 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$APT_DIR/etc/"
  cat > "$APT_DIR/apt.conf" <<CONF
Dir::Etc "$APT_DIR/etc";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d";
Dir::State::Lists "$APT_DIR/lists";
Dir::State::status "$APT_DIR/status";
Dir::Cache "$APT_DIR/cache";
Dir::Cache::Archives "$APT_DIR/archives";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
Debug::NoLocking "true";
CONF
  say "downloading arm64 packages: $packages (and what they depend on)"
  # shellcheck disable=SC2086
  APT_CONFIG=$APT_DIR/apt.conf apt-get update -qq
  # shellcheck disable=SC2086
  APT_CONFIG=$APT_DIR/apt.conf apt-get install --download-only -y -qq $packages >/dev/null
  debs=("$APT_DIR"/archives/*.deb)
  say "unpacking ${#debs[@]} packages into $ROOT"
  # Merged /usr, as Debian 12 lays it out.
  mkdir -p "$ROOT"/usr/{bin,sbin,lib} "$ROOT"/{proc,dev,tmp,opt,etc/ssl/certs}
  for dir in bin sbin lib; do ln -s "usr/$dir" "$ROOT/$dir"; done
  printf '%s\0' "${debs[@]}" | xargs -0 -P "$(nproc)" -n 16 sh -c \
    'for deb; do dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$0" || exit 1; done' "$ROOT"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
  printf '%s' "$packages" > "$ROOT/.pigeon-unpacked"
  rm -rf "$APT_DIR"
  say "root ready in $(($(date +%s) - started)) s"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
chroot "$ROOT" /usr/bin/node -e 'if (process.arch !== "arm64") process.exit(1)' ||
  { say "the root's node does not run as arm64"; exit 1; }

# The tree as the README's `git clone … /opt/pigeon` leaves it, then its npm packages for arm64.
rm -rf "$ROOT/opt/pigeon" && mkdir -p "$ROOT/opt/pigeon"
git archive HEAD | tar -x -C "$ROOT/opt/pigeon"
# A proxy's CA, where this machine trusts one, so npm inside reaches the registry.
extra=
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$ROOT/etc/ssl/certs/extra-ca.pem"
  extra=NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.pem
fi
say "npm ci --omit=dev inside the root (arm64 npm, by emulation)"
# (Node itself runs npm: the root has no shell or coreutils, which the packages above do not pull in.)
env $extra HOME=/root unshare --mount --propagation private sh -c \
  'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' "$ROOT" \
  /usr/bin/node /usr/share/nodejs/npm/bin/npm-cli.js ci --prefix /opt/pigeon --omit=dev --loglevel=error --no-audit --no-fund >&2

# The wrapper: node inside the root, in a mount namespace of its own (its /proc, /dev and this
# machine's /tmp are mounted there only, and vanish with it). Paths into this checkout become
# the same paths under /opt/pigeon.
cat > "$ROOT.node" <<WRAP
#!/bin/sh
# Node inside the arm64 root (qemu-user via binfmt), made by scripts/arm64-root.sh.
set -e
root='$ROOT'
for arg do
  shift
  case "\$arg" in '$CHECKOUT'/*) arg="/opt/pigeon/\${arg#'$CHECKOUT'/}" ;; esac
  set -- "\$@" "\$arg"
done
exec unshare --mount --propagation private sh -c '
  mount -t proc proc "\$0/proc" && mount --rbind /dev "\$0/dev" && mount --bind /tmp "\$0/tmp" &&
  exec chroot "\$0" /usr/bin/node "\$@"' "\$root" "\$@"
WRAP
chmod +x "$ROOT.node"
echo "$ROOT.node"
