#!/usr/bin/env bash
# Prepares the integration-test environment: packages, test user, local registries and fixture images.
#
# Idempotent: every step checks first and does nothing when its result is already there, so a
# re-run takes a few seconds. Run as root (CI: creates the unprivileged user `skiff-test`) or as
# a normal user (workstation: the tests run as that user; root-only steps are skipped).
# Writes test/.cache/env.json for test/lib/env.ts. Detailed output goes to $STATE/setup.log.
#
# Environment knobs: SKIFF_TEST_FORCE=1 rebuilds every fixture; SKIFF_TEST_STATE / SKIFF_TEST_CACHE
# move the state dir (registry storage) and the cache dir (debootstrap tarball).
#
# Fixture images (pushed to 127.0.0.1:5000 unless said otherwise). All tar entries have mtime
# 1700000000 (2023-11-14T22:13:20Z), GNU tar format, names without a leading "./", and are
# owned 0:0 unless said otherwise. Directories are 0755 and files 0644 unless said otherwise.
#
#   skiff-test/busybox:latest        OCI manifest, 1 gzip layer ("busybox layer"):
#       dirs bin dev etc home proc sbin sys usr usr/bin usr/sbin var; root 0700; tmp 1777;
#       bin/busybox (0755, Debian's busybox-static binary); one absolute symlink -> /bin/busybox
#       per applet at the path `busybox --list-full` gives (bin/sh, bin/ls, usr/bin/env, ...);
#       etc/passwd: "root:x:0:0:root:/root:/bin/sh" and "nobody:x:65534:65534:nobody:/nonexistent:/bin/false";
#       etc/group: "root:x:0:" and "nobody:x:65534:".
#       Config: Cmd ["sh"], Env ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
#       linux/amd64.
#   skiff-test/busybox:v2s2          the same image as a Docker schema2 manifest (skopeo --format v2s2)
#   skiff-test/busybox:zstd          the same image, layer zstd-compressed (application/vnd.oci.image.layer.v1.tar+zstd)
#   skiff-test/busybox:uncompressed  the same image, layer uncompressed (application/vnd.oci.image.layer.v1.tar),
#                                    pushed with curl through the distribution API (skopeo always compresses)
#   127.0.0.1:5001/skiff-test/busybox:latest   the :latest image on the auth registry (skiff / skiff-pass)
#
#   skiff-test/layers:latest         OCI manifest, 4 gzip layers; Cmd ["sh"], Env PATH as busybox.
#     layer 1: the busybox layer above (same blob).
#     layer 2:
#       data/keep.txt                       "keep\n"
#       data/deleted.txt                    "deleted in layer 3\n"             (whited out by layer 3)
#       data/replaced.txt                   "v1\n"                             (replaced by layer 4)
#       data/opaque/old-a.txt               "old a\n"                          (hidden: opaque in layer 3)
#       data/opaque/sub/old-b.txt           "old b\n"                          (hidden: opaque in layer 3)
#       data/gone-dir/file.txt              "gone\n"                           (dir whited out by layer 3)
#       data/hardlink/a-original            "hardlink content\n"  (regular entry)
#       data/hardlink/b-link                hard link to data/hardlink/a-original (tar link entry)
#       data/links/rel -> ../keep.txt       relative symlink
#       data/links/abs -> /data/keep.txt    absolute symlink
#       data/links/dangling -> /nonexistent dangling symlink
#       data/links/dir -> ../hardlink       symlink to a directory
#       data/owned/                         dir 0:0
#       data/owned/user1000                 "owned by 1000\n"   1000:1000 0644
#       data/owned/dir1000/                 dir                 1000:1000 0750
#       data/owned/dir1000/file             "in dir1000\n"      1000:1000 0600
#       data/owned/nobody                   "owned by 65534\n"  65534:65534 0640
#       data/modes/setuid                   "#!/bin/sh\necho setuid\n"  4755
#       data/modes/secret                   "secret\n"          0600
#       data/modes/exec.sh                  "#!/bin/sh\necho exec\n"    0755
#       data/modes/empty-dir/               empty dir 0755
#       data/modes/sticky/                  empty dir 1777
#       "data/with space/file name.txt"     "spaces\n"
#     layer 3:
#       data/.wh.deleted.txt                whiteout (empty regular file)
#       data/.wh.gone-dir                   whiteout of a directory
#       data/opaque/.wh..wh..opq            opaque marker (empty regular file)
#       data/opaque/new.txt                 "new\n"
#       data/added-in-3.txt                 "layer 3\n"
#     layer 4:
#       data/replaced.txt                   "v2\n"
#       data/owned/user1000-again           "layer 4\n"  1000:1000 0644
#     Merged view of data/: keep.txt, replaced.txt ("v2\n"), added-in-3.txt, opaque/new.txt only,
#     hardlink/{a-original,b-link} (same inode), links/{rel,abs,dangling,dir}, owned/...,
#     modes/..., "with space/file name.txt"; no deleted.txt, no gone-dir, no opaque/old-a.txt or opaque/sub.
#
#   skiff-test/multiarch:latest      OCI image index with two manifests:
#       linux/amd64: busybox layer + layer "arch" = "amd64\n"; config architecture amd64
#       linux/arm64: busybox layer + layer "arch" = "arm64\n"; config architecture arm64
#                    (the busybox binary is still the amd64 one: it is for pull tests, not to run)
#       Cmd ["sh"], Env PATH as busybox.
#
#   skiff-test/evil:ATTACK           one image per unpack attack: the busybox layer + ONE malicious layer
#       (written with Python's tarfile, GNU format, 0:0; GNU tar will not create these). Cmd ["sh"].
#     (UP below is "../" 16 times: enough to reach / from any layer dir, had it not been confined)
#     dotdot            UP/tmp/skiff-evil-dotdot           "dotdot\n"    confined: tmp/skiff-evil-dotdot in the layer
#     absolute          /tmp/skiff-evil-absolute           "absolute\n"  confined: tmp/skiff-evil-absolute in the layer
#     symlink-parent    escape -> /tmp; escape/skiff-evil-symlink          refused (parent symlink points outside)
#     symlink-relative  up -> UP/tmp; up/skiff-evil-rel                    refused (relative symlink climbs out)
#     hardlink          passwd-link: hard link to /etc/passwd              refused (target outside the layer)
#     hardlink-dotdot   passwd-link: hard link to UP/etc/passwd            refused
#     dir-to-symlink    d/ (dir); d -> /tmp (replaces it); d/skiff-evil-swap  refused (write through the swap)
#     device            dev/; dev/evil-null char 1,3 0666; dev/evil-sda block 8,0 0660
#                                                  rootless: both skipped with one warning, the pull succeeds
#
#   skiff-test/debian:bookworm       Debian 12 minbase (debootstrap --variant=minbase), one gzip layer,
#       /dev /proc /sys empty, apt lists and .debs removed, no /etc/resolv.conf or /etc/hostname,
#       /etc/apt/sources.list = "deb MIRROR bookworm main". Cmd ["bash"], Env PATH.
#       Only when debootstrap could run (root) or its cached tarball exists.
set -euo pipefail
umask 022
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT_DIR=$REPO/test/.cache
START=$(date +%s)

PACKAGES=(uidmap slirp4netns passt fuse-overlayfs docker-registry skopeo umoci busybox-static
  debootstrap apache2-utils jq tmux curl ca-certificates python3 procps util-linux make gcc libc6-dev)

REGISTRY=127.0.0.1:5000
AUTH_REGISTRY=127.0.0.1:5001
AUTH_USER=skiff
AUTH_PASSWORD=skiff-pass
FIXTURE_MTIME=1700000000
FIXTURE_CREATED=2023-11-14T22:13:20Z
IMAGE_PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$(id -u)" = 0 ]; then
  ROOT=true
  TEST_USER=skiff-test
  STATE=${SKIFF_TEST_STATE:-/var/lib/skiff-test}
  CACHE=${SKIFF_TEST_CACHE:-/var/cache/skiff-test}
else
  ROOT=false
  TEST_USER=$(id -un)
  STATE=${SKIFF_TEST_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/skiff-test}
  CACHE=${SKIFF_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skiff-test}
fi
mkdir -p "$STATE" "$CACHE" "$OUT_DIR"
# Two test runs on one machine must not build fixtures or start registries at the same time.
exec 9>"$STATE/setup.lock"
if ! flock -n 9; then
  echo "[setup] waiting for another setup.sh run to finish"
  flock -w 900 9 || { echo "[setup] ERROR: another setup.sh run still holds $STATE/setup.lock" >&2; exit 1; }
fi
LOG=$STATE/setup.log
: >"$LOG"

step() { printf '[setup] %s\n' "$*"; echo "=== $*" >>"$LOG"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; echo "WARNING: $*" >>"$LOG"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
# Runs a command with its output in the log; on failure shows the end of the log and stops.
quiet() {
  echo "+ $*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    printf '[setup] ERROR: command failed: %s\n' "$*" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

# Other installs may be running (e.g. a provisioning job in the background): wait instead of failing.
wait_for_apt() {
  local i=0
  while pgrep -x 'apt|apt-get|aptitude|dpkg' >/dev/null || pgrep -x 'unattended-upgr' >/dev/null; do
    [ $i = 0 ] && step "waiting for another apt/dpkg run to finish"
    i=$((i + 1))
    [ $i -gt 900 ] && die "apt/dpkg still busy after 30 minutes"
    sleep 2
  done
}

ensure_packages() {
  local missing
  missing=$(missing_packages | xargs)
  if [ -z "$missing" ]; then
    step "packages: all present"
    return
  fi
  if [ $ROOT = false ]; then
    die "missing Debian packages: $missing (run this script as root once, or: sudo apt-get install --no-install-recommends $missing)"
  fi
  wait_for_apt
  # Re-check: the run we waited for may have installed them.
  missing=$(missing_packages | xargs)
  [ -z "$missing" ] && { step "packages: all present"; return; }
  step "packages: installing $missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  quiet apt-get -o DPkg::Lock::Timeout=900 -q update
  # shellcheck disable=SC2086
  quiet apt-get -o DPkg::Lock::Timeout=900 -q install -y --no-install-recommends $missing
}

# Debian's docker-registry package runs a registry on :5000 from its own config; ours owns that port.
disable_packaged_registry() {
  [ $ROOT = true ] || return 0
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    if [ "$(systemctl is-enabled docker-registry.service 2>/dev/null)" != masked ]; then
      step "disabling the packaged docker-registry service"
      quiet systemctl disable --now docker-registry.service
      quiet systemctl mask docker-registry.service
    fi
  elif [ -x /etc/init.d/docker-registry ]; then
    if /etc/init.d/docker-registry status >/dev/null 2>&1; then
      step "stopping the packaged docker-registry service"
      quiet /etc/init.d/docker-registry stop
    fi
    if ls /etc/rc[2345].d/S*docker-registry >/dev/null 2>&1; then
      quiet update-rc.d docker-registry disable
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# Devices and the test user
# ---------------------------------------------------------------------------------------------

ensure_devices() {
  if [ $ROOT = false ]; then
    local d
    for d in /dev/fuse /dev/net/tun; do
      [ -r "$d" ] && [ -w "$d" ] || warn "$d is not read-write for $TEST_USER (run this script as root once to chmod 0666 it)"
    done
    step "devices: checked /dev/fuse and /dev/net/tun"
    return
  fi
  [ -e /dev/fuse ] || { modprobe fuse 2>/dev/null || true; [ -e /dev/fuse ] || mknod -m 0666 /dev/fuse c 10 229; }
  [ -e /dev/net/tun ] || { mkdir -p /dev/net; modprobe tun 2>/dev/null || true; [ -e /dev/net/tun ] || mknod -m 0666 /dev/net/tun c 10 200; }
  # Stock distributions ship both 0666; some VM images make them 0600, which blocks rootless use.
  chmod 0666 /dev/fuse /dev/net/tun
  step "devices: /dev/fuse and /dev/net/tun are 0666"
}

# Prints the first start id >= 100000 after every range already in FILE.
next_free_subid() {
  awk -F: 'BEGIN { m = 100000 } NF >= 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { e = $2 + $3; if (e > m) m = e } END { print m }' "$1"
}

ensure_subids() { # FILE FLAG
  local file=$1 flag=$2 uid start
  uid=$(id -u "$TEST_USER")
  touch "$file"
  if ! grep -qE "^($TEST_USER|$uid):[0-9]+:[0-9]+$" "$file"; then
    start=$(next_free_subid "$file")
    quiet usermod "$flag" "$start-$((start + 65535))" "$TEST_USER"
  fi
}

ensure_user() {
  if [ $ROOT = true ]; then
    if ! id "$TEST_USER" >/dev/null 2>&1; then
      quiet useradd --create-home --shell /bin/bash --user-group "$TEST_USER"
    fi
    ensure_subids /etc/subuid --add-subuids
    ensure_subids /etc/subgid --add-subgids
    local uid
    uid=$(id -u "$TEST_USER")
    # No logind here to make the runtime dir; the harness uses it as XDG_RUNTIME_DIR.
    install -d -m 0700 -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "/run/user/$uid"
  else
    grep -qE "^($TEST_USER|$(id -u)):" /etc/subuid 2>/dev/null || warn "no /etc/subuid entry for $TEST_USER: rootless tests will fail"
    grep -qE "^($TEST_USER|$(id -u)):" /etc/subgid 2>/dev/null || warn "no /etc/subgid entry for $TEST_USER: rootless tests will fail"
  fi
  step "user: $TEST_USER uid $(id -u "$TEST_USER"), subuid $(subid_range /etc/subuid), subgid $(subid_range /etc/subgid)"
}

# A second user with no subordinate ids, so tests can show what skiff doctor says to such a user.
NOSUBID_USER=skiff-nosubid
ensure_nosubid_user() {
  [ $ROOT = true ] || return 0
  id "$NOSUBID_USER" >/dev/null 2>&1 || quiet useradd --create-home --shell /bin/bash --user-group -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$NOSUBID_USER"
  local uid
  uid=$(id -u "$NOSUBID_USER")
  sed -i -E "/^($NOSUBID_USER|$uid):/d" /etc/subuid /etc/subgid
  install -d -m 0700 -o "$NOSUBID_USER" -g "$(id -g "$NOSUBID_USER")" "/run/user/$uid"
  step "user: $NOSUBID_USER uid $uid, no subuid/subgid entries"
}

subid_range() { # FILE -> "start:count" (first entry of the test user)
  awk -F: -v u="$TEST_USER" -v i="$(id -u "$TEST_USER")" '($1 == u || $1 == i) { print $2 ":" $3; exit }' "$1" 2>/dev/null
}

as_test_user() {
  if [ $ROOT = true ]; then
    setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups \
      env -i HOME="$(getent passwd "$TEST_USER" | cut -d: -f6)" USER="$TEST_USER" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"
  else
    "$@"
  fi
}

# The harness copies dist/skiff into a fresh 0755 dir under TMP_BASE and runs it as the test user:
# prove that works here (not noexec, traversable), or fall back to a dir under the state dir.
choose_tmp_base() {
  local base d
  for base in "${TMPDIR:-/tmp}" "$STATE/tmp"; do
    mkdir -p "$base"
    [ "$base" = "$STATE/tmp" ] && chmod 1777 "$base"
    d=$(mktemp -d "$base/skiff-check.XXXXXX")
    chmod 0755 "$d"
    cp /bin/true "$d/true"
    if as_test_user "$d/true" 2>/dev/null; then
      rm -rf "$d"
      TMP_BASE=$base
      step "temp dir: $TMP_BASE (test user can execute copies there)"
      return
    fi
    rm -rf "$d"
  done
  die "the test user cannot execute files copied under ${TMPDIR:-/tmp} or $STATE/tmp"
}

# ---------------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------------

# Every response of our registries carries this header, naming the state dir they serve, so a
# registry that someone else started on the same port is never mistaken for ours.
registry_marker() { # NAME
  curl -s -m 5 -o /dev/null -D - "http://$(registry_addr "$1")/v2/" 2>/dev/null |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-skiff-test-registry" { print $2 }' || true
}
registry_addr() { [ "$1" = open ] && echo "$REGISTRY" || echo "$AUTH_REGISTRY"; }

write_registry_config() { # NAME
  local name=$1 dir=$STATE/registry
  mkdir -p "$dir/$name"
  {
    cat <<EOF
# skiff test registry "$name", written by test/setup/setup.sh (based on /etc/docker/registry/config.yml)
version: 0.1
log:
  level: info
  fields:
    service: skiff-test-registry-$name
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $dir/$name
  delete:
    enabled: true
http:
  addr: $(registry_addr "$name")
  secret: skiff-test-$name-not-secret
  headers:
    X-Content-Type-Options: [nosniff]
    X-Skiff-Test-Registry: ["$name $STATE"]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
    if [ "$name" = auth ]; then
      cat <<EOF
auth:
  htpasswd:
    realm: skiff-test
    path: $dir/htpasswd
EOF
    fi
  } >"$dir/$name.yml.new"
  if cmp -s "$dir/$name.yml.new" "$dir/$name.yml"; then rm "$dir/$name.yml.new"; else mv "$dir/$name.yml.new" "$dir/$name.yml"; fi
}

stop_our_registry() { # NAME
  local pidfile=$STATE/registry/$1.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && grep -qa "docker-registry" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

ensure_registry() { # NAME
  local name=$1 addr marker dir=$STATE/registry
  addr=$(registry_addr "$name")
  write_registry_config "$name"
  marker=$(registry_marker "$name")
  if [ -n "$marker" ] && [ "$marker" != "$name $STATE" ]; then
    die "$addr is served by the skiff test registry of another state dir (${marker#* }); stop it first: kill \$(cat ${marker#* }/registry/$name.pid)"
  fi
  if [ -z "$marker" ] && curl -s -m 5 -o /dev/null "http://$addr/v2/"; then
    die "$addr is taken by something else: $(ss -ltnpH "sport = :${addr##*:}" 2>/dev/null | head -1)"
  fi
  # A registry started before its config (or password file) changed must be restarted to use it.
  if [ -n "$marker" ] && [ -f "$dir/$name.started" ] && { [ "$dir/$name.yml" -nt "$dir/$name.started" ] ||
    { [ "$name" = auth ] && [ "$dir/htpasswd" -nt "$dir/$name.started" ]; }; }; then
    stop_our_registry "$name"
    marker=
  fi
  if [ -z "$marker" ]; then
    stop_our_registry "$name"
    touch "$dir/$name.started"
    # The registry outlives this script: it must not keep the setup lock or a caller's pipe open
    # (someone waiting for EOF on it would hang), so it gets only stdin/stdout/stderr.
    (
      for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
      done
      exec setsid nohup docker-registry serve "$dir/$name.yml" >>"$dir/$name.log" 2>&1 </dev/null
    ) &
    echo $! >"$dir/$name.pid"
    local i
    for i in $(seq 100); do
      [ "$(registry_marker "$name")" = "$name $STATE" ] && break
      kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || { tail -n 20 "$dir/$name.log" >&2; die "registry $name exited"; }
      [ "$i" = 100 ] && { tail -n 20 "$dir/$name.log" >&2; die "registry $name does not answer on $addr"; }
      sleep 0.1
    done
    step "registry $name: started on $addr (pid $(cat "$dir/$name.pid"), log $dir/$name.log)"
  else
    step "registry $name: already answering on $addr"
  fi
}

ensure_registries() {
  local dir=$STATE/registry
  mkdir -p "$dir"
  # bcrypt, as the registry's htpasswd support requires; kept when the password still matches.
  if ! { [ -f "$dir/htpasswd" ] && htpasswd -vb "$dir/htpasswd" "$AUTH_USER" "$AUTH_PASSWORD" >/dev/null 2>&1; }; then
    htpasswd -Bbn "$AUTH_USER" "$AUTH_PASSWORD" >"$dir/htpasswd.new" 2>>"$LOG"
    mv "$dir/htpasswd.new" "$dir/htpasswd"
  fi
  ensure_registry open
  ensure_registry auth
  local code
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")
  [ "$code" = 200 ] || die "open registry answers $code on /v2/"
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$AUTH_REGISTRY/v2/")
  [ "$code" = 401 ] || die "auth registry answers $code to anonymous /v2/ (expected 401)"
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -u "$AUTH_USER:$AUTH_PASSWORD" "http://$AUTH_REGISTRY/v2/")
  [ "$code" = 200 ] || die "auth registry answers $code to $AUTH_USER's /v2/ (expected 200)"
}

# ---------------------------------------------------------------------------------------------
# Fixture helpers
# ---------------------------------------------------------------------------------------------

# Writes a layer tar from STAGE: all entries sorted by name, without "./", fixed mtime, owned
# 0:0 except the "UID:GID:PATH" arguments. Ownership is set in the archive, not on disk, so the
# same tar comes out whether or not this runs as root.
make_layer_tar() { # STAGE OUT [UID:GID:PATH]...
  local stage=$1 out=$2 spec path key
  shift 2
  local -A owner=()
  for spec in "$@"; do
    owner["${spec#*:*:}"]=${spec%:"${spec#*:*:}"}
  done
  local lists
  lists=$(mktemp -d)
  while IFS= read -r -d '' path; do
    key=${owner[$path]:-0:0}
    printf '%s\0' "$path" >>"$lists/$key"
  done < <(cd "$stage" && find . -mindepth 1 -printf '%P\0' | sort -z)
  rm -f "$out"
  local first=true op
  for key in 0:0 $(cd "$lists" && ls | grep -vx '0:0' || true); do
    [ -f "$lists/$key" ] || continue
    op=-r
    $first && op=-c
    first=false
    tar "$op" -f "$out" -C "$stage" --format=gnu --numeric-owner --owner="${key%:*}" --group="${key#*:}" \
      --mtime=@$FIXTURE_MTIME --no-recursion --null -T "$lists/$key"
  done
  $first && tar -cf "$out" -T /dev/null
  rm -rf "$lists"
}

oci_new() { # LAYOUT TAG
  [ -d "$1" ] || quiet umoci init --layout "$1"
  quiet umoci new --image "$1:$2"
}

oci_add_layer() { # LAYOUT TAG TAR COMMENT
  quiet umoci raw add-layer --image "$1:$2" --history.created "$FIXTURE_CREATED" \
    --history.created_by "skiff-test fixture" --history.comment "$4" "$3"
}

oci_config() { # LAYOUT TAG [umoci config flags]...
  local layout=$1 tag=$2
  shift 2
  quiet umoci config --image "$layout:$tag" --created "$FIXTURE_CREATED" --no-history "$@"
}

# Digest of the manifest tagged TAG in an OCI layout.
oci_manifest_digest() { # LAYOUT TAG
  jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}

oci_blob() { # LAYOUT DIGEST -> path
  echo "$1/blobs/${2%%:*}/${2#*:}"
}

push() { # SRC(oci:...) DEST(host/name:tag) [skopeo copy flags]...
  local src=$1 dest=$2
  shift 2
  # Our own (empty) auth file: a user's may be unreadable (no XDG_RUNTIME_DIR) or hold stale logins.
  [ -f "$STATE/auth.json" ] || echo '{}' >"$STATE/auth.json"
  quiet skopeo --insecure-policy copy --retry-times 2 --authfile "$STATE/auth.json" --dest-tls-verify=false "$@" "$src" "docker://$dest"
}

# Uploads one file as a blob with the plain distribution API (monolithic POST + PUT).
curl_push_blob() { # HOST/REPO FILE DIGEST
  local host=${1%%/*} repo=${1#*/} loc
  if [ "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$host/v2/$repo/blobs/$3")" = 200 ]; then return; fi
  loc=$(curl -sf -X POST -D - -o /dev/null "http://$host/v2/$repo/blobs/uploads/" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "location" { print $2 }')
  [ -n "$loc" ] || die "blob upload to $host/$repo was refused"
  case $loc in http*) ;; *) loc="http://$host$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$3" ;; *) loc="$loc?digest=$3" ;; esac
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" -o /dev/null "$loc" ||
    die "blob PUT of $3 to $host/$repo failed"
}

# Pushes one image of an OCI layout byte for byte (config, layers, manifest) with curl.
curl_push_oci() { # LAYOUT TAG HOST/REPO:TAG
  local layout=$1 tag=$2 dest=$3 m d type
  m=$(oci_blob "$layout" "$(oci_manifest_digest "$layout" "$tag")")
  for d in $(jq -r '.config.digest, .layers[].digest' "$m"); do
    curl_push_blob "${dest%:*}" "$(oci_blob "$layout" "$d")" "$d"
  done
  type=$(jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"' "$m")
  curl -sf -X PUT -H "Content-Type: $type" --data-binary "@$m" -o /dev/null \
    "http://${dest%%/*}/v2/$(r=${dest#*/}; echo "${r%:*}")/manifests/${dest##*:}" || die "manifest PUT of $dest failed"
}

# True when every HOST/REPO:TAG argument has a manifest in its registry.
refs_present() {
  local ref host rest repo tag creds=()
  for ref in "$@"; do
    host=${ref%%/*}; rest=${ref#*/}; repo=${rest%:*}; tag=${rest##*:}
    creds=()
    [ "$host" = "$AUTH_REGISTRY" ] && creds=(-u "$AUTH_USER:$AUTH_PASSWORD")
    [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -I "${creds[@]}" \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' \
      "http://$host/v2/$repo/manifests/$tag")" = 200 ] || return 1
  done
}

# Builds fixture group NAME (function fixture_NAME) unless the registry already has its refs and
# the stamp matches the current definition of the group (its functions' text plus INPUTS).
ensure_fixture() { # NAME INPUTS REFS...
  local name=$1 inputs=$2
  shift 2
  local stamp_file=$STATE/stamps/$name stamp
  stamp=$( { declare -f "fixture_$name" make_layer_tar busybox_stage oci_new oci_add_layer oci_config push curl_push_blob curl_push_oci; echo "$inputs"; } | sha256sum | cut -d' ' -f1)
  mkdir -p "$STATE/stamps"
  if [ "${SKIFF_TEST_FORCE:-}" != 1 ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ] && refs_present "$@"; then
    step "fixture $name: up to date"
    return
  fi
  local t0=$SECONDS
  rm -f "$stamp_file"
  BUILD=$STATE/build/$name
  rm -rf "$BUILD"
  mkdir -p "$BUILD"
  "fixture_$name"
  refs_present "$@" || die "fixture $name: pushed, but the registry does not serve all of: $*"
  echo "$stamp" >"$stamp_file"
  rm -rf "$BUILD"
  step "fixture $name: built and pushed in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------------------------------------
# Fixtures (see the top of this file for what each contains)
# ---------------------------------------------------------------------------------------------

busybox_stage() { # DIR
  local d=$1 a
  mkdir -p "$d"/{bin,dev,etc,home,proc,root,sbin,sys,tmp,usr/bin,usr/sbin,var}
  chmod 0700 "$d/root"
  chmod 1777 "$d/tmp"
  cp /bin/busybox "$d/bin/busybox"
  chmod 0755 "$d/bin/busybox"
  # The links `busybox --install -s` would make, at the locations busybox itself lists.
  for a in $(/bin/busybox --list-full); do
    [ "$a" = bin/busybox ] && continue
    ln -sfn /bin/busybox "$d/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$d/etc/group"
}

fixture_busybox() {
  local L=$BUILD/oci
  busybox_stage "$BUILD/rootfs"
  make_layer_tar "$BUILD/rootfs" "$BUILD/busybox.tar"
  oci_new "$L" busybox
  oci_add_layer "$L" busybox "$BUILD/busybox.tar" "busybox layer"
  oci_config "$L" busybox --config.cmd sh --config.env "$IMAGE_PATH_ENV"
  push "oci:$L:busybox" "$REGISTRY/skiff-test/busybox:latest"
  push "oci:$L:busybox" "$REGISTRY/skiff-test/busybox:v2s2" --format v2s2
  # skopeo 1.9 pushing to a registry would reuse the gzip blob it just pushed instead of
  # recompressing (blob-info cache), so recompress into a new layout and push that with curl.
  quiet skopeo --insecure-policy copy --dest-compress-format zstd "oci:$L:busybox" "oci:$BUILD/zstd:busybox"
  curl_push_oci "$BUILD/zstd" busybox "$REGISTRY/skiff-test/busybox:zstd"
  push "oci:$L:busybox" "$AUTH_REGISTRY/skiff-test/busybox:latest" --dest-creds "$AUTH_USER:$AUTH_PASSWORD"

  # Uncompressed: the same config, the raw tar as the layer, pushed by hand.
  local m config cdigest csize ldigest lsize manifest
  m=$(oci_blob "$L" "$(oci_manifest_digest "$L" busybox)")
  cdigest=$(jq -r .config.digest "$m")
  config=$(oci_blob "$L" "$cdigest")
  csize=$(stat -c %s "$config")
  ldigest=sha256:$(sha256sum "$BUILD/busybox.tar" | cut -d' ' -f1)
  lsize=$(stat -c %s "$BUILD/busybox.tar")
  curl_push_blob "$REGISTRY/skiff-test/busybox" "$config" "$cdigest"
  curl_push_blob "$REGISTRY/skiff-test/busybox" "$BUILD/busybox.tar" "$ldigest"
  manifest=$BUILD/uncompressed-manifest.json
  jq -cj -n --arg cd "$cdigest" --argjson cs "$csize" --arg ld "$ldigest" --argjson ls "$lsize" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs },
    layers: [ { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls } ] }' >"$manifest"
  curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$manifest" \
    -o /dev/null "http://$REGISTRY/v2/skiff-test/busybox/manifests/uncompressed" ||
    die "manifest PUT of skiff-test/busybox:uncompressed failed"
}

fixture_layers() {
  local L=$BUILD/oci s
  busybox_stage "$BUILD/rootfs"
  make_layer_tar "$BUILD/rootfs" "$BUILD/l1.tar"

  s=$BUILD/l2/data
  mkdir -p "$s"/{opaque/sub,gone-dir,hardlink,links,owned/dir1000,modes/empty-dir,modes/sticky,"with space"}
  echo keep >"$s/keep.txt"
  echo "deleted in layer 3" >"$s/deleted.txt"
  echo v1 >"$s/replaced.txt"
  echo "old a" >"$s/opaque/old-a.txt"
  echo "old b" >"$s/opaque/sub/old-b.txt"
  echo gone >"$s/gone-dir/file.txt"
  echo "hardlink content" >"$s/hardlink/a-original"
  ln "$s/hardlink/a-original" "$s/hardlink/b-link"
  ln -s ../keep.txt "$s/links/rel"
  ln -s /data/keep.txt "$s/links/abs"
  ln -s /nonexistent "$s/links/dangling"
  ln -s ../hardlink "$s/links/dir"
  echo "owned by 1000" >"$s/owned/user1000"
  chmod 0750 "$s/owned/dir1000"
  echo "in dir1000" >"$s/owned/dir1000/file"
  chmod 0600 "$s/owned/dir1000/file"
  echo "owned by 65534" >"$s/owned/nobody"
  chmod 0640 "$s/owned/nobody"
  printf '#!/bin/sh\necho setuid\n' >"$s/modes/setuid"
  chmod 4755 "$s/modes/setuid"
  echo secret >"$s/modes/secret"
  chmod 0600 "$s/modes/secret"
  printf '#!/bin/sh\necho exec\n' >"$s/modes/exec.sh"
  chmod 0755 "$s/modes/exec.sh"
  chmod 1777 "$s/modes/sticky"
  echo spaces >"$s/with space/file name.txt"
  make_layer_tar "$BUILD/l2" "$BUILD/l2.tar" \
    1000:1000:data/owned/user1000 1000:1000:data/owned/dir1000 1000:1000:data/owned/dir1000/file \
    65534:65534:data/owned/nobody

  s=$BUILD/l3/data
  mkdir -p "$s/opaque"
  : >"$s/.wh.deleted.txt"
  : >"$s/.wh.gone-dir"
  : >"$s/opaque/.wh..wh..opq"
  echo new >"$s/opaque/new.txt"
  echo "layer 3" >"$s/added-in-3.txt"
  make_layer_tar "$BUILD/l3" "$BUILD/l3.tar"

  s=$BUILD/l4/data
  mkdir -p "$s/owned"
  echo v2 >"$s/replaced.txt"
  echo "layer 4" >"$s/owned/user1000-again"
  make_layer_tar "$BUILD/l4" "$BUILD/l4.tar" 1000:1000:data/owned/user1000-again

  oci_new "$L" layers
  oci_add_layer "$L" layers "$BUILD/l1.tar" "busybox layer"
  oci_add_layer "$L" layers "$BUILD/l2.tar" "layer 2: files, links, owners, modes"
  oci_add_layer "$L" layers "$BUILD/l3.tar" "layer 3: whiteouts and an opaque dir"
  oci_add_layer "$L" layers "$BUILD/l4.tar" "layer 4: replaced file"
  oci_config "$L" layers --config.cmd sh --config.env "$IMAGE_PATH_ENV"

  # Check that what went into the image is what the tests rely on (listing the gzip blobs).
  local m listing
  m=$(oci_blob "$L" "$(oci_manifest_digest "$L" layers)")
  [ "$(jq '.layers | length' "$m")" = 4 ] || die "fixture layers: expected 4 layers"
  listing=$(tar -tvzf "$(oci_blob "$L" "$(jq -r '.layers[1].digest' "$m")")")
  grep -q '^hrw-r--r-- 0/0 .* data/hardlink/b-link link to data/hardlink/a-original$' <<<"$listing" || die "fixture layers: layer 2 lacks the hard link"
  grep -q '^-rw-r--r-- 1000/1000 .* data/owned/user1000$' <<<"$listing" || die "fixture layers: layer 2 lacks the 1000:1000 file"
  grep -q '^-rw-r----- 65534/65534 .* data/owned/nobody$' <<<"$listing" || die "fixture layers: layer 2 lacks the 65534 file"
  grep -q '^-rwsr-xr-x 0/0 .* data/modes/setuid$' <<<"$listing" || die "fixture layers: layer 2 lacks the setuid file"
  grep -q '^lrwxrwxrwx 0/0 .* data/links/rel -> ../keep.txt$' <<<"$listing" || die "fixture layers: layer 2 lacks the relative symlink"
  grep -q 'data/with space/file name.txt$' <<<"$listing" || die "fixture layers: layer 2 lacks the file with spaces"
  listing=$(tar -tzf "$(oci_blob "$L" "$(jq -r '.layers[2].digest' "$m")")")
  grep -qx 'data/.wh.deleted.txt' <<<"$listing" || die "fixture layers: layer 3 lacks the whiteout"
  grep -qx 'data/opaque/.wh..wh..opq' <<<"$listing" || die "fixture layers: layer 3 lacks the opaque marker"

  push "oci:$L:layers" "$REGISTRY/skiff-test/layers:latest"
}

fixture_multiarch() {
  local L=$BUILD/oci arch
  busybox_stage "$BUILD/rootfs"
  make_layer_tar "$BUILD/rootfs" "$BUILD/busybox.tar"
  for arch in amd64 arm64; do
    mkdir -p "$BUILD/$arch"
    echo "$arch" >"$BUILD/$arch/arch"
    make_layer_tar "$BUILD/$arch" "$BUILD/$arch.tar"
    oci_new "$L" "$arch"
    oci_add_layer "$L" "$arch" "$BUILD/busybox.tar" "busybox layer"
    oci_add_layer "$L" "$arch" "$BUILD/$arch.tar" "/arch = $arch"
    oci_config "$L" "$arch" --config.cmd sh --config.env "$IMAGE_PATH_ENV" --architecture "$arch" --os linux
  done
  # The index, written by hand: umoci has no command for one.
  local entries index digest
  entries=$(for arch in amd64 arm64; do
    jq -c --arg t "$arch" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)
      | { mediaType, digest, size, platform: { architecture: $t, os: "linux" } }' "$L/index.json"
  done | jq -cs .)
  index=$BUILD/index.json
  jq -cj -n --argjson m "$entries" '{ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: $m }' >"$index"
  digest=sha256:$(sha256sum "$index" | cut -d' ' -f1)
  cp "$index" "$(oci_blob "$L" "$digest")"
  jq --arg d "$digest" --argjson s "$(stat -c %s "$index")" \
    '.manifests += [ { mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
       annotations: { "org.opencontainers.image.ref.name": "multiarch" } } ]' "$L/index.json" >"$L/index.json.new"
  mv "$L/index.json.new" "$L/index.json"
  push "oci:$L:multiarch" "$REGISTRY/skiff-test/multiarch:latest" --all
}

# The attacks of the evil fixture group: one image each (busybox layer + one malicious layer).
EVIL_ATTACKS=(dotdot absolute symlink-parent symlink-relative hardlink hardlink-dotdot dir-to-symlink device)

# Writes the malicious layer tar of one attack with Python's tarfile: GNU tar refuses to create
# most of these entries. Same conventions as make_layer_tar (GNU format, mtime, 0:0).
evil_layer_tar() { # ATTACK OUT
  python3 - "$1" "$2" "$FIXTURE_MTIME" <<'PY'
import io, sys, tarfile

attack, out, mtime = sys.argv[1], sys.argv[2], int(sys.argv[3])

def info(name, kind, **kw):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mtime = mtime
    t.uid = t.gid = 0
    t.uname = t.gname = ''
    t.mode = kw.pop('mode', 0o755 if kind in (tarfile.DIRTYPE, tarfile.SYMTYPE) else 0o644)
    for k, v in kw.items():
        setattr(t, k, v)
    return t

def file(name, text):
    data = text.encode()
    t = info(name, tarfile.REGTYPE, size=len(data))
    return (t, io.BytesIO(data))

def sym(name, target):
    return (info(name, tarfile.SYMTYPE, linkname=target, mode=0o777), None)

def link(name, target):
    return (info(name, tarfile.LNKTYPE, linkname=target), None)

def directory(name):
    return (info(name, tarfile.DIRTYPE), None)

def dev(name, kind, major, minor, mode):
    return (info(name, kind, devmajor=major, devminor=minor, mode=mode), None)

# Enough ".." to reach / from wherever the layer is unpacked (a data dir deep in a test session).
UP = '../' * 16

entries = {
    # Confined as Docker does: lands at tmp/skiff-evil-dotdot inside the layer.
    'dotdot': [file(UP + 'tmp/skiff-evil-dotdot', 'dotdot\n')],
    # Confined likewise: lands at tmp/skiff-evil-absolute inside the layer.
    'absolute': [file('/tmp/skiff-evil-absolute', 'absolute\n')],
    # Refused: the parent of the file is a symlink that points outside.
    'symlink-parent': [sym('escape', '/tmp'), file('escape/skiff-evil-symlink', 'symlink\n')],
    # Refused: the same with a relative symlink that climbs out.
    'symlink-relative': [sym('up', UP + 'tmp'), file('up/skiff-evil-rel', 'relative\n')],
    # Refused: hard links to a file outside the layer.
    'hardlink': [link('passwd-link', '/etc/passwd')],
    'hardlink-dotdot': [link('passwd-link', UP + 'etc/passwd')],
    # Refused: a directory replaced by a symlink to outside, then a file written through it.
    'dir-to-symlink': [directory('d'), sym('d', '/tmp'), file('d/skiff-evil-swap', 'swap\n')],
    # Rootless: skipped with one warning (a rootless user cannot mknod).
    'device': [directory('dev'), dev('dev/evil-null', tarfile.CHRTYPE, 1, 3, 0o666),
               dev('dev/evil-sda', tarfile.BLKTYPE, 8, 0, 0o660)],
}[attack]

with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as tar:
    for t, data in entries:
        tar.addfile(t, data)

# Check that the archive holds the names exactly as written (no "/" or ".." stripped).
with tarfile.open(out) as tar:
    got = [(m.name, m.type, m.linkname) for m in tar.getmembers()]
want = [(t.name, t.type, t.linkname) for t, _ in entries]
if got != want:
    sys.exit(f'evil layer {attack}: wrote {want} but the archive holds {got}')
PY
}

fixture_evil() {
  local L=$BUILD/oci attack
  busybox_stage "$BUILD/rootfs"
  make_layer_tar "$BUILD/rootfs" "$BUILD/busybox.tar"
  for attack in "${EVIL_ATTACKS[@]}"; do
    evil_layer_tar "$attack" "$BUILD/$attack.tar" || die "fixture evil: cannot write the $attack layer"
    oci_new "$L" "$attack"
    oci_add_layer "$L" "$attack" "$BUILD/busybox.tar" "busybox layer"
    oci_add_layer "$L" "$attack" "$BUILD/$attack.tar" "malicious layer: $attack"
    oci_config "$L" "$attack" --config.cmd sh --config.env "$IMAGE_PATH_ENV"
    push "oci:$L:$attack" "$REGISTRY/skiff-test/evil:$attack"
  done
}

evil_refs() {
  local attack
  for attack in "${EVIL_ATTACKS[@]}"; do echo "$REGISTRY/skiff-test/evil:$attack"; done
}

# { "ATTACK": "REF", ... } for env.json's images.evil.
evil_images_json() {
  local attack
  for attack in "${EVIL_ATTACKS[@]}"; do
    jq -n --arg k "$attack" --arg v "$REGISTRY/skiff-test/evil:$attack" '{ ($k): $v }'
  done | jq -cs add
}

# The Debian mirror apt uses (deb822 .sources or one-line .list), for debootstrap.
debian_mirror() {
  local f uri=
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; s = ""; t = ""; on = 1
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { v = $i; sub(/^URIs:[ \t]*/, "", v); split(v, a, /[ \t]+/); u = a[1] }
          if ($i ~ /^Suites:/) s = " " $i " "
          if ($i ~ /^Types:/) t = " " $i " "
          if ($i ~ /^Enabled:[ \t]*no/) on = 0
        }
        if (on && u != "" && s ~ /[ \t]bookworm[ \t]/ && t ~ /[ \t]deb[ \t]/) { print u; exit } }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      uri=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == "bookworm") { print $i; exit } }' "$f")
      [ -n "$uri" ] && break
    done
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

DEBIAN_TARBALL=$CACHE/debian-bookworm-minbase.tar
ROOT_DEBIAN_TARBALL=/var/cache/skiff-test/debian-bookworm-minbase.tar

# The debootstrap result is cached as a tarball: debootstrap takes minutes, tarring seconds.
ensure_debian_tarball() {
  [ -f "$DEBIAN_TARBALL" ] && return 0
  # A non-root user may reuse the tarball root made on this machine.
  if [ $ROOT = false ]; then
    cp "$ROOT_DEBIAN_TARBALL" "$DEBIAN_TARBALL.tmp"
    mv "$DEBIAN_TARBALL.tmp" "$DEBIAN_TARBALL"
    return 0
  fi
  local mirror rootfs=$CACHE/debian-rootfs t0=$SECONDS
  mirror=$(debian_mirror)
  step "debian: debootstrap --variant=minbase bookworm from $mirror (a few minutes, cached afterwards)"
  rm -rf "$rootfs"
  quiet debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
  # Like the Docker Hub image: no device nodes, no package lists or downloaded debs, no host files.
  rm -rf "$rootfs"/dev/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname "$rootfs"/var/log/bootstrap.log
  mkdir -p "$rootfs/var/lib/apt/lists/partial"
  echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
  quiet tar -C "$rootfs" --one-file-system --numeric-owner --sort=name --format=gnu -cf "$DEBIAN_TARBALL.tmp" .
  mv "$DEBIAN_TARBALL.tmp" "$DEBIAN_TARBALL"
  rm -rf "$rootfs"
  step "debian: cached $DEBIAN_TARBALL ($(du -m "$DEBIAN_TARBALL" | cut -f1) MB) in $((SECONDS - t0))s"
}

fixture_debian() {
  local L=$BUILD/oci
  oci_new "$L" debian
  oci_add_layer "$L" debian "$DEBIAN_TARBALL" "debootstrap --variant=minbase bookworm"
  oci_config "$L" debian --config.cmd bash --config.env "$IMAGE_PATH_ENV"
  push "oci:$L:debian" "$REGISTRY/skiff-test/debian:bookworm"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

ensure_packages
disable_packaged_registry
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || die "/bin/busybox is not the static busybox (package busybox-static)"
ensure_devices
ensure_user
ensure_nosubid_user
choose_tmp_base
ensure_registries

BUSYBOX_ID="busybox $(sha256sum /bin/busybox | cut -d' ' -f1)"
ensure_fixture busybox "$BUSYBOX_ID" \
  "$REGISTRY/skiff-test/busybox:latest" "$REGISTRY/skiff-test/busybox:v2s2" "$REGISTRY/skiff-test/busybox:zstd" \
  "$REGISTRY/skiff-test/busybox:uncompressed" "$AUTH_REGISTRY/skiff-test/busybox:latest"
ensure_fixture layers "$BUSYBOX_ID" "$REGISTRY/skiff-test/layers:latest"
ensure_fixture multiarch "$BUSYBOX_ID" "$REGISTRY/skiff-test/multiarch:latest"
# The evil group's inputs include its layer writer, which ensure_fixture's stamp does not cover.
mapfile -t EVIL_REFS < <(evil_refs)
ensure_fixture evil "$BUSYBOX_ID $(declare -f evil_layer_tar evil_refs | sha256sum | cut -d' ' -f1) ${EVIL_ATTACKS[*]}" "${EVIL_REFS[@]}"

DEBIAN=false
if [ $ROOT = true ] || [ -f "$DEBIAN_TARBALL" ] || [ -r "$ROOT_DEBIAN_TARBALL" ]; then
  ensure_debian_tarball
  ensure_fixture debian "debian $(stat -c '%s %Y' "$DEBIAN_TARBALL")" "$REGISTRY/skiff-test/debian:bookworm"
  DEBIAN=true
else
  step "fixture debian: SKIPPED (debootstrap needs root; run this script as root once, or put a tarball at $DEBIAN_TARBALL)"
fi

UID_=$(id -u "$TEST_USER")
jq -n \
  --arg user "$TEST_USER" --argjson uid "$UID_" --argjson gid "$(id -g "$TEST_USER")" \
  --arg home "$(getent passwd "$TEST_USER" | cut -d: -f6)" \
  --arg subuid "$(subid_range /etc/subuid)" --arg subgid "$(subid_range /etc/subgid)" \
  --arg registry "$REGISTRY" --arg authRegistry "$AUTH_REGISTRY" \
  --arg authUser "$AUTH_USER" --arg authPassword "$AUTH_PASSWORD" \
  --argjson debian "$DEBIAN" --argjson root "$ROOT" \
  --arg noSubidUser "$([ $ROOT = true ] && echo "$NOSUBID_USER")" \
  --arg stateDir "$STATE" --arg cacheDir "$CACHE" --arg tmpDir "$TMP_BASE" \
  --argjson evil "$(evil_images_json)" '
  def range(s): if s == "" then null else (s | split(":") | { start: (.[0] | tonumber), count: (.[1] | tonumber) }) end;
  {
    user: $user, uid: $uid, gid: $gid, home: $home,
    subuid: range($subuid), subgid: range($subgid),
    registry: $registry, authRegistry: $authRegistry, authUser: $authUser, authPassword: $authPassword,
    images: ({
      busybox: "\($registry)/skiff-test/busybox:latest",
      busyboxV2s2: "\($registry)/skiff-test/busybox:v2s2",
      busyboxZstd: "\($registry)/skiff-test/busybox:zstd",
      busyboxUncompressed: "\($registry)/skiff-test/busybox:uncompressed",
      authBusybox: "\($authRegistry)/skiff-test/busybox:latest",
      layers: "\($registry)/skiff-test/layers:latest",
      multiarch: "\($registry)/skiff-test/multiarch:latest"
    } + (if $debian then { debian: "\($registry)/skiff-test/debian:bookworm" } else {} end)
      + { evil: $evil }),
    debian: $debian, root: $root,
    noSubidUser: (if $noSubidUser == "" then null else $noSubidUser end),
    stateDir: $stateDir, cacheDir: $cacheDir, tmpDir: $tmpDir
  }' >"$OUT_DIR/env.json.new"
mv "$OUT_DIR/env.json.new" "$OUT_DIR/env.json"
step "wrote $OUT_DIR/env.json ($(($(date +%s) - START))s)"
