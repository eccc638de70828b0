/* lookpath.h: finding a container's command as runc does (Go's exec.LookPath), in Go's words. */
#ifndef SKIFF_LOOKPATH_H
#define SKIFF_LOOKPATH_H

#include <stddef.h>

#include "error.h"

/*
 * Find name as Go's exec.LookPath does, which is how runc finds a container's command, so
 * that failures read as Docker's: a name with a '/' is taken as it is, any other is looked
 * for in each directory of path (an empty entry is "."; NULL or "" finds nothing) as a file
 * with an execute bit. Returns 0 with the path to exec in found, or -1 with *err set and
 * err->errnum saying which failure it is:
 *
 *     EACCES        exec: "/etc/passwd": permission denied         (Docker's 126)
 *     ENOENT        exec: "nosuch": executable file not found in $PATH  (127)
 *     stat's errno  exec: "/nosuch": stat /nosuch: no such file or directory  (127)
 */
int lookpath(const char *name, const char *path, char *found, size_t len, struct error *err);

/* Go's text for an errno, which runc's messages (and so Docker's) carry: strerror in lower
 * case, "no such file or directory". */
const char *go_strerror(int errnum, char *buf, size_t len);

#endif
