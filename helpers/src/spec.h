/* spec.h: an OCI bundle's config.json, read into the few structs the runtime acts on. */
#ifndef SKIFF_SPEC_H
#define SKIFF_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "error.h"
#include "json_parse.h"

/*
 * What skiff's TypeScript side writes (runtime-spec fields plus skiff's annotations for the
 * overlay) and what the helper honours; everything else in config.json is ignored. All
 * strings and arrays live in the spec's arena: spec_free() releases them at once.
 */

/* process.capabilities, as bit sets (bit n = capability n). */
enum spec_cap_set { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_PERMITTED, CAPS_INHERITABLE, CAPS_AMBIENT, CAPS_SETS };

struct spec_rlimit {
	int resource; /* RLIMIT_NOFILE... */
	const char *name;
	struct rlimit limit;
};

/* The process to run, shared with verbs that start processes in a running container. */
struct spec_process {
	bool terminal;
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t additional_gid_count;
	char **args; /* NULL-terminated, at least one */
	char **env;  /* NULL-terminated, maybe empty */
	const char *cwd;
	struct spec_rlimit *rlimits;
	size_t rlimit_count;
	bool no_new_privileges;
	bool has_capabilities; /* false: keep the full set the namespace's root has */
	uint64_t capabilities[CAPS_SETS];
	bool has_oom_score_adj;
	int oom_score_adj;
};

/*
 * One entry of mounts. Options are sorted into what the mount API wants: attributes of the
 * mount (attr_set, MOUNT_ATTR_*), propagation, bind/recursive, and the rest, the
 * filesystem's own ("mode=755", "size=65536k", "newinstance"), kept in order in data.
 */
struct spec_mount {
	const char *destination;
	const char *type;
	const char *source;
	bool bind;
	bool recursive;
	uint64_t attr_set;	   /* MOUNT_ATTR_RDONLY, NOSUID, NODEV, NOEXEC, NODIRATIME, atime */
	bool atime;		   /* an atime option was given: attr_set's MOUNT_ATTR__ATIME bits count */
	unsigned long propagation; /* MS_PRIVATE, MS_SHARED, MS_SLAVE, MS_UNBINDABLE or 0 */
	bool propagation_recursive;
	const char **data; /* NULL-terminated "key" or "key=value" */
};

struct spec_namespace {
	int type;	  /* CLONE_NEWPID... */
	const char *name; /* "pid"... */
	const char *path; /* join this one instead of creating one; NULL to create */
};

struct spec_sysctl {
	const char *key;
	const char *value;
};

#define SPEC_MAX_NAMESPACES 6

struct spec {
	struct arena arena;
	const char *bundle;    /* the bundle directory, absolute */
	const char *root_path; /* absolute (made so against the bundle) */
	bool root_readonly;
	struct spec_process process;
	const char *hostname;
	struct spec_mount *mounts;
	size_t mount_count;
	struct spec_namespace namespaces[SPEC_MAX_NAMESPACES];
	size_t namespace_count;
	const char **masked_paths; /* NULL-terminated */
	const char **readonly_paths;
	unsigned long rootfs_propagation; /* MS_PRIVATE... with MS_REC, or 0 when not given */
	struct spec_sysctl *sysctls;
	size_t sysctl_count;
	/* org.skiff.rootfs.*: an overlay to mount on root_path; lowerdirs NULL for none. */
	const char **lowerdirs; /* NULL-terminated, top layer first */
	const char *upperdir;
	const char *workdir;
	/* org.skiff.rootfs.mount-program: mount the overlay with this FUSE program (fuse-overlayfs)
	 * instead of the kernel's; NULL: the kernel's, falling back to fuse-overlayfs when refused. */
	const char *mount_program;
	/* Not from config.json: the overlay is mounted on root_path already (a FUSE one, by the
	 * monitor), so the container's process binds it rather than mounting one. */
	bool root_premounted;
};

/*
 * Read BUNDLE/config.json. Errors name the field: "config.json: process.args: expected
 * an array, got a string". The bundle is made absolute against the working directory.
 */
int spec_load(const char *bundle, struct spec *spec, struct error *err);
void spec_free(struct spec *spec);

/* Read a runtime-spec "process" object (config.json's, or one given on its own). */
int spec_parse_process(const struct json_value *v, struct arena *arena, struct spec_process *out,
		       struct error *err);

/* The namespace of type (CLONE_NEW*) in spec, or NULL when it has none. */
const struct spec_namespace *spec_namespace(const struct spec *spec, int type);

#endif
