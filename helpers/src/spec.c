/* spec.c: an OCI bundle's config.json, read into the few structs the runtime acts on. */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "file.h"

/* A config.json is a few KiB; anything near this is not one. */
#define SPEC_MAX_SIZE (4 << 20)

#define ANNOTATION_LOWERDIRS "org.skiff.rootfs.lowerdirs"
#define ANNOTATION_UPPERDIR "org.skiff.rootfs.upperdir"
#define ANNOTATION_WORKDIR "org.skiff.rootfs.workdir"
#define ANNOTATION_MOUNT_PROGRAM "org.skiff.rootfs.mount-program"

static int out_of_memory(struct error *err)
{
	return error_errno(err, ENOMEM, "read config.json");
}

/* A JSON array of strings as a NULL-terminated array in the arena (empty when absent). */
static int string_array(const struct json_value *v, const char *what, struct arena *arena,
			const char ***out, size_t *count, struct error *err)
{
	if (json_expect(v, JSON_ARRAY, what, err) < 0)
		return -1;
	size_t n = (v != NULL && v->type == JSON_ARRAY) ? v->count : 0;
	const char **items = arena_alloc(arena, (n + 1) * sizeof *items);
	if (items == NULL)
		return out_of_memory(err);
	size_t i = 0;
	for (const struct json_value *item = n ? v->first : NULL; item != NULL; item = item->next) {
		if (item->type != JSON_STRING)
			return error_msg(err, "%s[%zu]: expected a string", what, i);
		items[i++] = item->text;
	}
	items[i] = NULL;
	*out = items;
	if (count != NULL)
		*count = i;
	return 0;
}

/* ---- process --------------------------------------------------------------------- */

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimits(const struct json_value *v, struct arena *arena, struct spec_process *out,
			 struct error *err)
{
	if (json_expect(v, JSON_ARRAY, "process.rlimits", err) < 0)
		return -1;
	if (v == NULL || v->type != JSON_ARRAY)
		return 0;
	out->rlimits = arena_alloc(arena, (v->count + 1) * sizeof *out->rlimits);
	if (out->rlimits == NULL)
		return out_of_memory(err);
	size_t i = 0;
	for (const struct json_value *item = v->first; item != NULL; item = item->next, i++) {
		char what[64];
		snprintf(what, sizeof what, "process.rlimits[%zu]", i);
		if (json_expect(item, JSON_OBJECT, what, err) < 0)
			return -1;
		const char *type = NULL;
		uint64_t hard = 0, soft = 0;
		if (json_get_string(json_get(item, "type"), what, &type, err) < 0 ||
		    json_get_u64(json_get(item, "hard"), what, &hard, err) < 0 ||
		    json_get_u64(json_get(item, "soft"), what, &soft, err) < 0)
			return -1;
		if (type == NULL)
			return error_msg(err, "%s: no type", what);
		struct spec_rlimit *r = &out->rlimits[out->rlimit_count];
		r->resource = -1;
		for (size_t k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++) {
			if (strcmp(type, rlimit_names[k].name) == 0)
				r->resource = rlimit_names[k].resource;
		}
		if (r->resource < 0)
			return error_msg(err, "%s: unknown rlimit type \"%s\"", what, type);
		r->name = type;
		r->limit.rlim_cur = (rlim_t)soft;
		r->limit.rlim_max = (rlim_t)hard;
		out->rlimit_count++;
	}
	return 0;
}

static int parse_capabilities(const struct json_value *v, struct spec_process *out, struct error *err)
{
	static const char *const sets[CAPS_SETS] = {
		[CAPS_BOUNDING] = "bounding",	      [CAPS_EFFECTIVE] = "effective",
		[CAPS_PERMITTED] = "permitted",	      [CAPS_INHERITABLE] = "inheritable",
		[CAPS_AMBIENT] = "ambient",
	};
	if (json_expect(v, JSON_OBJECT, "process.capabilities", err) < 0)
		return -1;
	if (v == NULL || v->type != JSON_OBJECT)
		return 0;
	out->has_capabilities = true;
	for (int s = 0; s < CAPS_SETS; s++) {
		char what[64];
		snprintf(what, sizeof what, "process.capabilities.%s", sets[s]);
		const struct json_value *list = json_get(v, sets[s]);
		if (json_expect(list, JSON_ARRAY, what, err) < 0)
			return -1;
		if (list == NULL || list->type != JSON_ARRAY)
			continue;
		for (const struct json_value *item = list->first; item != NULL; item = item->next) {
			if (item->type != JSON_STRING)
				return error_msg(err, "%s: expected capability names", what);
			/* Names this kernel's headers do not know are skipped, as runc does. */
			int cap = cap_from_name(item->text);
			if (cap >= 0 && cap < 64)
				out->capabilities[s] |= (uint64_t)1 << cap;
		}
	}
	return 0;
}

int spec_parse_process(const struct json_value *v, struct arena *arena, struct spec_process *out,
		       struct error *err)
{
	memset(out, 0, sizeof *out);
	if (v == NULL || v->type != JSON_OBJECT)
		return error_msg(err, "process: expected an object");

	if (json_get_bool(json_get(v, "terminal"), "process.terminal", &out->terminal, err) < 0 ||
	    json_get_bool(json_get(v, "noNewPrivileges"), "process.noNewPrivileges",
			  &out->no_new_privileges, err) < 0 ||
	    json_get_string(json_get(v, "cwd"), "process.cwd", &out->cwd, err) < 0)
		return -1;

	const struct json_value *user = json_get(v, "user");
	if (json_expect(user, JSON_OBJECT, "process.user", err) < 0)
		return -1;
	uint64_t uid = 0, gid = 0;
	if (json_get_u64(json_get(user, "uid"), "process.user.uid", &uid, err) < 0 ||
	    json_get_u64(json_get(user, "gid"), "process.user.gid", &gid, err) < 0)
		return -1;
	if (uid >= UINT32_MAX || gid >= UINT32_MAX)
		return error_msg(err, "process.user: uid and gid must be below 4294967295");
	out->uid = (uid_t)uid;
	out->gid = (gid_t)gid;
	const struct json_value *groups = json_get(user, "additionalGids");
	if (json_expect(groups, JSON_ARRAY, "process.user.additionalGids", err) < 0)
		return -1;
	if (groups != NULL && groups->type == JSON_ARRAY) {
		out->additional_gids = arena_alloc(arena, (groups->count + 1) * sizeof(gid_t));
		if (out->additional_gids == NULL)
			return out_of_memory(err);
		for (const struct json_value *g = groups->first; g != NULL; g = g->next) {
			uint64_t n = 0;
			if (json_get_u64(g, "process.user.additionalGids", &n, err) < 0)
				return -1;
			if (n >= UINT32_MAX)
				return error_msg(err, "process.user.additionalGids: %s out of range", g->text);
			out->additional_gids[out->additional_gid_count++] = (gid_t)n;
		}
	}

	size_t argc = 0;
	if (string_array(json_get(v, "args"), "process.args", arena, (const char ***)&out->args, &argc,
			 err) < 0 ||
	    string_array(json_get(v, "env"), "process.env", arena, (const char ***)&out->env, NULL,
			 err) < 0)
		return -1;
	if (argc == 0 || out->args[0][0] == '\0')
		return error_msg(err, "process.args: no command given");
	if (out->cwd == NULL)
		out->cwd = "/";
	if (out->cwd[0] != '/')
		return error_msg(err, "process.cwd: \"%s\" is not an absolute path", out->cwd);

	if (parse_rlimits(json_get(v, "rlimits"), arena, out, err) < 0 ||
	    parse_capabilities(json_get(v, "capabilities"), out, err) < 0)
		return -1;

	int64_t adj = 0;
	int got = json_get_i64(json_get(v, "oomScoreAdj"), "process.oomScoreAdj", &adj, err);
	if (got < 0)
		return -1;
	if (got > 0) {
		if (adj < -1000 || adj > 1000)
			return error_msg(err, "process.oomScoreAdj: %lld is outside -1000..1000",
					 (long long)adj);
		out->has_oom_score_adj = true;
		out->oom_score_adj = (int)adj;
	}
	return 0;
}

/* ---- mounts ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint64_t attr;
} mount_attrs[] = {
	{ "ro", MOUNT_ATTR_RDONLY },	    { "nosuid", MOUNT_ATTR_NOSUID },
	{ "nodev", MOUNT_ATTR_NODEV },	    { "noexec", MOUNT_ATTR_NOEXEC },
	{ "nodiratime", MOUNT_ATTR_NODIRATIME },
};

static const struct {
	const char *name;
	uint64_t atime;
} atime_options[] = {
	{ "relatime", MOUNT_ATTR_RELATIME },
	{ "noatime", MOUNT_ATTR_NOATIME },
	{ "strictatime", MOUNT_ATTR_STRICTATIME },
};

static const struct {
	const char *name;
	unsigned long flag;
	bool recursive;
} propagations[] = {
	{ "private", MS_PRIVATE, false },	{ "rprivate", MS_PRIVATE, true },
	{ "shared", MS_SHARED, false },		{ "rshared", MS_SHARED, true },
	{ "slave", MS_SLAVE, false },		{ "rslave", MS_SLAVE, true },
	{ "unbindable", MS_UNBINDABLE, false }, { "runbindable", MS_UNBINDABLE, true },
};

/*
 * Defaults a mount already has, so asking for them changes nothing. "remount" means
 * nothing for a new mount either.
 */
static const char *const no_op_options[] = {
	"rw", "suid", "dev", "exec", "atime", "diratime", "norelatime", "nostrictatime",
	"remount", "defaults",
};

static int parse_mount_options(const struct json_value *options, const char *what,
			       struct arena *arena, struct spec_mount *m, struct error *err)
{
	const char **list;
	size_t n;
	if (string_array(options, what, arena, &list, &n, err) < 0)
		return -1;
	m->data = arena_alloc(arena, (n + 1) * sizeof *m->data);
	if (m->data == NULL)
		return out_of_memory(err);
	size_t data = 0;
	for (size_t i = 0; i < n; i++) {
		const char *o = list[i];
		bool known = false;
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			m->bind = true;
			m->recursive = o[0] == 'r';
			continue;
		}
		for (size_t k = 0; k < sizeof mount_attrs / sizeof mount_attrs[0]; k++) {
			if (strcmp(o, mount_attrs[k].name) == 0) {
				m->attr_set |= mount_attrs[k].attr;
				known = true;
			}
		}
		for (size_t k = 0; k < sizeof atime_options / sizeof atime_options[0]; k++) {
			if (strcmp(o, atime_options[k].name) == 0) {
				m->attr_set = (m->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) |
					      atime_options[k].atime;
				m->atime = true;
				known = true;
			}
		}
		for (size_t k = 0; k < sizeof propagations / sizeof propagations[0]; k++) {
			if (strcmp(o, propagations[k].name) == 0) {
				m->propagation = propagations[k].flag;
				m->propagation_recursive = propagations[k].recursive;
				known = true;
			}
		}
		for (size_t k = 0; k < sizeof no_op_options / sizeof no_op_options[0]; k++) {
			if (strcmp(o, no_op_options[k]) == 0)
				known = true;
		}
		if (!known)
			m->data[data++] = o;
	}
	m->data[data] = NULL;
	return 0;
}

static int parse_mounts(const struct json_value *v, struct spec *spec, struct error *err)
{
	if (json_expect(v, JSON_ARRAY, "mounts", err) < 0)
		return -1;
	if (v == NULL || v->type != JSON_ARRAY)
		return 0;
	spec->mounts = arena_alloc(&spec->arena, (v->count + 1) * sizeof *spec->mounts);
	if (spec->mounts == NULL)
		return out_of_memory(err);
	size_t i = 0;
	for (const struct json_value *item = v->first; item != NULL; item = item->next, i++) {
		char what[64];
		snprintf(what, sizeof what, "mounts[%zu]", i);
		if (json_expect(item, JSON_OBJECT, what, err) < 0)
			return -1;
		struct spec_mount *m = &spec->mounts[spec->mount_count];
		if (json_get_string(json_get(item, "destination"), what, &m->destination, err) < 0 ||
		    json_get_string(json_get(item, "type"), what, &m->type, err) < 0 ||
		    json_get_string(json_get(item, "source"), what, &m->source, err) < 0 ||
		    parse_mount_options(json_get(item, "options"), what, &spec->arena, m, err) < 0)
			return -1;
		if (m->destination == NULL || m->destination[0] != '/')
			return error_msg(err, "%s: destination must be an absolute path", what);
		if (m->type != NULL && strcmp(m->type, "bind") == 0)
			m->bind = true;
		if (m->type == NULL && !m->bind)
			return error_msg(err, "%s (%s): no type", what, m->destination);
		if (m->source == NULL)
			m->source = m->bind ? "" : m->type;
		if (m->bind && m->source[0] == '\0')
			return error_msg(err, "%s (%s): a bind mount needs a source", what, m->destination);
		spec->mount_count++;
	}
	return 0;
}

/* ---- linux ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	int type;
} namespace_names[] = {
	{ "pid", CLONE_NEWPID },  { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC },  { "uts", CLONE_NEWUTS },     { "cgroup", CLONE_NEWCGROUP },
};

static int parse_namespaces(const struct json_value *v, struct spec *spec, struct error *err)
{
	if (json_expect(v, JSON_ARRAY, "linux.namespaces", err) < 0)
		return -1;
	if (v == NULL || v->type != JSON_ARRAY)
		return 0;
	size_t i = 0;
	for (const struct json_value *item = v->first; item != NULL; item = item->next, i++) {
		char what[64];
		snprintf(what, sizeof what, "linux.namespaces[%zu]", i);
		if (json_expect(item, JSON_OBJECT, what, err) < 0)
			return -1;
		const char *type = NULL, *path = NULL;
		if (json_get_string(json_get(item, "type"), what, &type, err) < 0 ||
		    json_get_string(json_get(item, "path"), what, &path, err) < 0)
			return -1;
		if (type == NULL)
			return error_msg(err, "%s: no type", what);
		if (strcmp(type, "user") == 0)
			return error_msg(err, "%s: a user namespace is not supported: skiff-helper "
					      "already runs in the user's own (drop it and its id maps)",
					 what);
		int flag = 0;
		for (size_t k = 0; k < sizeof namespace_names / sizeof namespace_names[0]; k++) {
			if (strcmp(type, namespace_names[k].name) == 0)
				flag = namespace_names[k].type;
		}
		if (flag == 0)
			return error_msg(err, "%s: unsupported namespace type \"%s\"", what, type);
		if (spec_namespace(spec, flag) != NULL)
			return error_msg(err, "%s: namespace \"%s\" listed twice", what, type);
		if (path != NULL && path[0] == '\0')
			path = NULL;
		spec->namespaces[spec->namespace_count++] =
			(struct spec_namespace){ .type = flag, .name = type, .path = path };
	}
	return 0;
}

static int parse_sysctl(const struct json_value *v, struct spec *spec, struct error *err)
{
	if (json_expect(v, JSON_OBJECT, "linux.sysctl", err) < 0)
		return -1;
	if (v == NULL || v->type != JSON_OBJECT)
		return 0;
	spec->sysctls = arena_alloc(&spec->arena, (v->count + 1) * sizeof *spec->sysctls);
	if (spec->sysctls == NULL)
		return out_of_memory(err);
	for (const struct json_value *item = v->first; item != NULL; item = item->next) {
		if (item->type != JSON_STRING)
			return error_msg(err, "linux.sysctl.%s: expected a string", item->key);
		if (item->key[0] == '\0' || strstr(item->key, "..") != NULL || item->key[0] == '/' ||
		    item->key[0] == '.')
			return error_msg(err, "linux.sysctl: bad key \"%s\"", item->key);
		spec->sysctls[spec->sysctl_count++] =
			(struct spec_sysctl){ .key = item->key, .value = item->text };
	}
	return 0;
}

static int parse_propagation(const char *text, unsigned long *out, struct error *err)
{
	for (size_t k = 0; k < sizeof propagations / sizeof propagations[0]; k++) {
		if (strcmp(text, propagations[k].name) == 0) {
			*out = propagations[k].flag | (propagations[k].recursive ? MS_REC : 0);
			return 0;
		}
	}
	return error_msg(err, "linux.rootfsPropagation: unknown value \"%s\"", text);
}

static int parse_linux(const struct json_value *v, struct spec *spec, struct error *err)
{
	if (json_expect(v, JSON_OBJECT, "linux", err) < 0)
		return -1;
	const char *propagation = NULL;
	if (parse_namespaces(json_get(v, "namespaces"), spec, err) < 0 ||
	    parse_sysctl(json_get(v, "sysctl"), spec, err) < 0 ||
	    string_array(json_get(v, "maskedPaths"), "linux.maskedPaths", &spec->arena,
			 &spec->masked_paths, NULL, err) < 0 ||
	    string_array(json_get(v, "readonlyPaths"), "linux.readonlyPaths", &spec->arena,
			 &spec->readonly_paths, NULL, err) < 0 ||
	    json_get_string(json_get(v, "rootfsPropagation"), "linux.rootfsPropagation",
			    &propagation, err) < 0)
		return -1;
	if (propagation != NULL && propagation[0] != '\0' &&
	    parse_propagation(propagation, &spec->rootfs_propagation, err) < 0)
		return -1;
	return 0;
}

/* ---- skiff's annotations ----------------------------------------------------------- */

static int parse_overlay(const struct json_value *annotations, struct spec *spec, struct error *err)
{
	if (json_expect(annotations, JSON_OBJECT, "annotations", err) < 0)
		return -1;
	const char *lowers = NULL;
	if (json_get_string(json_get(annotations, ANNOTATION_LOWERDIRS), ANNOTATION_LOWERDIRS, &lowers,
			    err) < 0 ||
	    json_get_string(json_get(annotations, ANNOTATION_UPPERDIR), ANNOTATION_UPPERDIR,
			    &spec->upperdir, err) < 0 ||
	    json_get_string(json_get(annotations, ANNOTATION_WORKDIR), ANNOTATION_WORKDIR,
			    &spec->workdir, err) < 0 ||
	    json_get_string(json_get(annotations, ANNOTATION_MOUNT_PROGRAM), ANNOTATION_MOUNT_PROGRAM,
			    &spec->mount_program, err) < 0)
		return -1;
	if (spec->mount_program != NULL && spec->mount_program[0] != '/')
		return error_msg(err, "%s: \"%s\" is not an absolute path", ANNOTATION_MOUNT_PROGRAM,
				 spec->mount_program);
	if (lowers == NULL || lowers[0] == '\0') {
		if (spec->upperdir != NULL || spec->workdir != NULL)
			return error_msg(err, "annotations: %s given without %s", ANNOTATION_UPPERDIR,
					 ANNOTATION_LOWERDIRS);
		return 0;
	}
	if ((spec->upperdir == NULL) != (spec->workdir == NULL))
		return error_msg(err, "annotations: %s and %s go together", ANNOTATION_UPPERDIR,
				 ANNOTATION_WORKDIR);

	size_t n = 1;
	for (const char *c = lowers; *c != '\0'; c++)
		n += *c == ':';
	char *copy = arena_strdup(&spec->arena, lowers);
	spec->lowerdirs = arena_alloc(&spec->arena, (n + 1) * sizeof *spec->lowerdirs);
	if (copy == NULL || spec->lowerdirs == NULL)
		return out_of_memory(err);
	size_t i = 0;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir != NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			return error_msg(err, "%s: \"%s\" is not an absolute path", ANNOTATION_LOWERDIRS, dir);
		spec->lowerdirs[i++] = dir;
	}
	spec->lowerdirs[i] = NULL;
	if ((spec->upperdir != NULL && spec->upperdir[0] != '/') ||
	    (spec->workdir != NULL && spec->workdir[0] != '/'))
		return error_msg(err, "annotations: %s and %s must be absolute paths", ANNOTATION_UPPERDIR,
				 ANNOTATION_WORKDIR);
	return 0;
}

/* ---- the whole file ---------------------------------------------------------------- */

static int read_config(const char *path, struct arena *arena, char **text, size_t *len,
		       struct error *err)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_sys(err, "stat %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size > SPEC_MAX_SIZE)
		return error_msg(err, "%s: not a regular file of at most %d bytes", path, SPEC_MAX_SIZE);
	char *buf = arena_alloc(arena, (size_t)st.st_size + 1);
	if (buf == NULL)
		return out_of_memory(err);
	ssize_t used = file_read_fd(fd, path, buf, (size_t)st.st_size + 1, err);
	if (used < 0)
		return -1;
	*text = buf;
	*len = (size_t)used;
	return 0;
}

static int parse_config(const char *text, size_t len, struct spec *spec, struct error *err);

static int load(const char *bundle, struct spec *spec, struct error *err)
{
	char *real = realpath(bundle, NULL);
	if (real == NULL)
		return error_sys(err, "bundle %s", bundle);
	spec->bundle = arena_strdup(&spec->arena, real);
	free(real);
	if (spec->bundle == NULL)
		return out_of_memory(err);

	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/config.json", spec->bundle) >= (int)sizeof path)
		return error_errno(err, ENAMETOOLONG, "bundle %s", spec->bundle);
	char *text = NULL;
	size_t len = 0;
	if (read_config(path, &spec->arena, &text, &len, err) < 0)
		return -1;
	if (parse_config(text, len, spec, err) < 0)
		return error_wrap(err, "%s", path);
	return 0;
}

static int parse_config(const char *text, size_t len, struct spec *spec, struct error *err)
{
	struct json_value *root = NULL;
	if (json_parse(text, len, &spec->arena, &root, err) < 0)
		return -1;
	if (root->type != JSON_OBJECT)
		return error_msg(err, "expected an object at the top");

	const struct json_value *rootfs = json_get(root, "root");
	const char *root_path = NULL;
	if (json_expect(rootfs, JSON_OBJECT, "root", err) < 0 ||
	    json_get_string(json_get(rootfs, "path"), "root.path", &root_path, err) < 0 ||
	    json_get_bool(json_get(rootfs, "readonly"), "root.readonly", &spec->root_readonly, err) < 0)
		return -1;
	if (root_path == NULL || root_path[0] == '\0')
		return error_msg(err, "root.path: missing");
	if (root_path[0] == '/') {
		spec->root_path = root_path;
	} else {
		char *abs = arena_alloc(&spec->arena, strlen(spec->bundle) + strlen(root_path) + 2);
		if (abs == NULL)
			return out_of_memory(err);
		sprintf(abs, "%s/%s", spec->bundle, root_path);
		spec->root_path = abs;
	}

	if (spec_parse_process(json_get(root, "process"), &spec->arena, &spec->process, err) < 0 ||
	    json_get_string(json_get(root, "hostname"), "hostname", &spec->hostname, err) < 0 ||
	    parse_mounts(json_get(root, "mounts"), spec, err) < 0 ||
	    parse_linux(json_get(root, "linux"), spec, err) < 0 ||
	    parse_overlay(json_get(root, "annotations"), spec, err) < 0)
		return -1;
	return 0;
}

int spec_load(const char *bundle, struct spec *spec, struct error *err)
{
	memset(spec, 0, sizeof *spec);
	if (load(bundle, spec, err) < 0) {
		spec_free(spec);
		return -1;
	}
	return 0;
}

void spec_free(struct spec *spec)
{
	arena_free(&spec->arena);
	memset(spec, 0, sizeof *spec);
}

const struct spec_namespace *spec_namespace(const struct spec *spec, int type)
{
	for (size_t i = 0; i < spec->namespace_count; i++) {
		if (spec->namespaces[i].type == type)
			return &spec->namespaces[i];
	}
	return NULL;
}
