/* rootfs.h: a container's filesystem: overlay root, spec mounts, /dev, pivot_root. */
#ifndef SKIFF_ROOTFS_H
#define SKIFF_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/*
 * Both run in the container's process, in its own new mount namespace, as root of the
 * user namespace (or real root); they change that process's view of the filesystem only.
 * Mounts use the kernel's mount API (fsopen/fsmount, open_tree, move_mount,
 * mount_setattr: Linux 5.12 or later), attached through O_PATH fds resolved with
 * openat2(RESOLVE_IN_ROOT) against the rootfs, so a symlink in an image cannot send a
 * mount outside it.
 *
 * rootfs_enter: make the namespace's mounts private (slave for a shared or slave
 * rootfsPropagation) so nothing leaks back, mount the overlay on root.path (or bind
 * root.path onto itself), mount spec->mounts in order (creating their destinations), add
 * /dev's symlinks when /dev is a fresh filesystem, and pivot_root into it: afterwards "/"
 * is the container's root and the old root is gone. userxattr: mount the overlay with
 * userxattr (uid 0 of a user namespace other than the initial one).
 */
int rootfs_enter(const struct spec *spec, bool userxattr, struct error *err);

/* True when err is rootfs_enter's failure to mount the kernel's overlay because the kernel
 * refuses it here (no overlay in user namespaces before Linux 5.11, no userxattr, an upper
 * filesystem it will not use): then fuse-overlayfs can do what it would not. */
bool rootfs_overlay_refused(const struct error *err);

/*
 * After rootfs_enter, with the container's /proc in place: write linux.sysctl, make
 * readonlyPaths read-only, hide maskedPaths (/dev/null over files, an empty read-only
 * tmpfs over directories; missing paths are skipped), apply rootfsPropagation and make
 * the root read-only when root.readonly says so.
 */
int rootfs_finish(const struct spec *spec, struct error *err);

#endif
