/* fuse_overlay.h: a container's overlay root through fuse-overlayfs, where the kernel's is
 * refused (Linux before 5.11 in a user namespace) or when the bundle asks for it. */
#ifndef SKIFF_FUSE_OVERLAY_H
#define SKIFF_FUSE_OVERLAY_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/*
 * The program to mount spec's overlay with: its org.skiff.rootfs.mount-program, else
 * fuse-overlayfs found in $PATH, /usr/bin or /usr/local/bin. Returns 0 with the path in
 * found, or -1 with *err saying none is installed.
 */
int fuse_overlay_program(const struct spec *spec, char *found, size_t len, struct error *err);

/*
 * Mounts spec's layers (lowerdirs, upperdir, workdir) on root_path with program, in the
 * calling process's mount namespace, as Podman's mount_program does: the FUSE daemon runs
 * on in a session of its own, outside the container's pid namespace, until the mount is
 * gone. Containers cloned afterwards see the mount and bind it as their root
 * (spec->root_premounted). The daemon keeps none of the caller's descriptors.
 */
int fuse_overlay_mount(const struct spec *spec, const char *program, struct error *err);

/* Detaches the mount on root_path (the daemon then exits); errors are ignored. */
void fuse_overlay_unmount(const struct spec *spec);

#endif
