/* caps.h: capability names and the file capabilities stored in security.capability. */
#ifndef SKIFF_CAPS_H
#define SKIFF_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The libcap-style name of capability number cap ("cap_setuid"), or NULL if unknown. */
const char *cap_name(int cap);

/* The number of a capability named "cap_setuid" or "CAP_SETUID", or -1. */
int cap_from_name(const char *name);

/* File capabilities of an executable, as the kernel applies them on exec. */
struct file_caps {
	bool present;	  /* the file has a security.capability xattr */
	uint64_t permitted;   /* bit n set: capability n is granted */
	uint64_t inheritable;
	bool effective;	  /* granted capabilities are effective at once (the "e" in =ep) */
	uint32_t rootid;      /* revision 3 only: they apply in the user namespace of this root */
};

/* Read path's security.capability; a file without one gives present == false. */
int file_caps_read(const char *path, struct file_caps *caps, struct error *err);

/* Describe them as getcap does: "cap_setgid,cap_setuid=ep". */
void file_caps_format(const struct file_caps *caps, char *buf, size_t len);

#endif
