#!/usr/bin/env bash
# Installs skiff for the current user: system packages it needs (when it may), the build,
# and skiff, completions and man pages under ~/.local. Then checks the host with skiff doctor.
set -euo pipefail
cd "$(dirname "$0")"
prefix=${PREFIX:-$HOME/.local}

say() { printf '==> %s\n' "$*"; }

# What rootless containers need at run time, and what the build needs. Node, npm, make and a
# C compiler count as present when their commands are (they may come from elsewhere than apt).
debian_pkgs=(uidmap slirp4netns fuse-overlayfs busybox-static libc6-dev)
fedora_pkgs=(shadow-utils slirp4netns fuse-overlayfs busybox glibc-static)
for tool in node:nodejs npm:npm make:make gcc:gcc; do
  command -v "${tool%%:*}" >/dev/null || { debian_pkgs+=("${tool#*:}"); fedora_pkgs+=("${tool#*:}"); }
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

missing=()
if command -v apt-get >/dev/null; then
  for p in "${debian_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }; }; then
      echo "Could not install the packages skiff needs. Run this, then ./install.sh again:" >&2
      echo "  sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
elif command -v dnf >/dev/null; then
  for p in "${fedora_pkgs[@]}"; do rpm -q "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root dnf install -y "${missing[@]}" || { echo "Run: sudo dnf install ${missing[*]}" >&2; exit 1; }
  fi
else
  echo "Unknown package manager: make sure newuidmap/newgidmap, slirp4netns, fuse-overlayfs, node >= 18, npm, make and gcc are installed." >&2
fi

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error
say "build"
npm run -s build

say "installing into $prefix"
install -D -m 0755 dist/skiff "$prefix/bin/skiff"
install -D -m 0644 completions/skiff.bash "$prefix/share/bash-completion/completions/skiff"
install -D -m 0644 completions/_skiff "$prefix/share/zsh/site-functions/_skiff"
for page in man/*.1; do install -D -m 0644 "$page" "$prefix/share/man/man1/$(basename "$page")"; done
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "Add $prefix/bin to your PATH: export PATH=\"$prefix/bin:\$PATH\"" ;; esac

say "skiff doctor"
"$prefix/bin/skiff" doctor || true

# A first container, offline: a busybox rootfs from the host's static busybox, imported as an image.
busybox=$(command -v busybox || true)
if [ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1; then
  say "running a first container (offline)"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in sh echo ls cat id hostname uname; do ln -s busybox "$rootfs/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | "$prefix/bin/skiff" import -c 'CMD ["sh"]' - skiff-local/busybox:latest >/dev/null
  "$prefix/bin/skiff" run --rm skiff-local/busybox:latest sh -c 'echo "hello from a skiff container on $(uname -n)"'
else
  echo "busybox-static is not installed: skipping the first container (sudo apt-get install busybox-static)"
fi
