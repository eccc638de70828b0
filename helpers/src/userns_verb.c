/* userns_verb.c: the `userns` verb: run a command as root in the user's own user namespace.
 *
 *     skiff-helper userns --state-dir DIR
 *         [--uid-map START:COUNT --gid-map START:COUNT --newuidmap PATH --newgidmap PATH]
 *         [--single-id] -- CMD [ARG...]
 *     skiff-helper userns --state-dir DIR --status
 *     skiff-helper userns --state-dir DIR --stop
 *
 * Joins the user and mount namespace held by the pause process named in DIR/pause.pid
 * (see pause.h), creating it first if it is missing, becomes uid and gid 0 there and
 * execs CMD (searched in $PATH). skiff (Node, multithreaded, so it cannot setns itself)
 * re-executes itself this way to unpack layers with subordinate-id ownership and to make
 * mounts every later call sees. The maps are those of a new pause process: 0 -> the
 * caller's uid and 1..COUNT -> START.. through newuidmap/newgidmap, or with --single-id
 * 0 -> the caller's uid only (no /etc/subuid entry). As root (uid 0) no namespace is
 * needed: CMD is exec'd directly.
 *
 * Exit status: CMD's own once it runs; 125 with one line on stderr when the helper fails
 * ("skiff-helper: newuidmap 1234 0 1000 1 1 100000 65536: exited 1: newuidmap: ..."),
 * including usage errors; 126 when CMD cannot be executed, 127 when it is not found.
 * --status prints one line, {"running":B,"pid":N,"uid_map":"..","gid_map":".."}, the maps
 * as "INNER OUTER COUNT" lines joined by "\n" (pid 0 and "" when not running); --stop
 * ends the pause process. Both exit 0 or 125.
 *
 * By hand (build first with `make -C helpers`), as a user with /etc/subuid entries:
 *
 *     helpers/skiff-helper userns --state-dir /tmp/ns-test \
 *         --uid-map 100000:65536 --gid-map 100000:65536 \
 *         --newuidmap /usr/bin/newuidmap --newgidmap /usr/bin/newgidmap -- id
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "pause.h"
#include "process.h"
#include "userns.h"
#include "verbs.h"

struct userns_options {
	const char *state_dir;
	struct pause_idmap idmap;
	bool has_uid_map;
	bool has_gid_map;
	bool status;
	bool stop;
	char **command;
};

static void usage(FILE *out)
{
	fputs("usage: skiff-helper userns --state-dir DIR [--uid-map START:COUNT --gid-map START:COUNT\n"
	      "                           --newuidmap PATH --newgidmap PATH] [--single-id] -- CMD [ARG...]\n"
	      "       skiff-helper userns --state-dir DIR --status | --stop\n"
	      "\n"
	      "Runs CMD as uid 0 in this user's user and mount namespace, held by a pause process\n"
	      "recorded in DIR/pause.pid and created on demand with the given maps (--single-id:\n"
	      "only the caller's own uid and gid). As root, runs CMD directly. --status prints\n"
	      "{\"running\":BOOL,\"pid\":N,\"uid_map\":\"...\",\"gid_map\":\"...\"}; --stop ends the pause\n"
	      "process. Exit status: CMD's, or 125 (helper error), 126 (cannot run CMD), 127 (not found).\n",
	      out);
}

/* Returns -1 when the options are good, otherwise the exit status. */
static int parse_options(int argc, char **argv, struct userns_options *o)
{
	static const struct option long_options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "uid-map", required_argument, NULL, 'u' },
		{ "gid-map", required_argument, NULL, 'g' },
		{ "newuidmap", required_argument, NULL, 'U' },
		{ "newgidmap", required_argument, NULL, 'G' },
		{ "single-id", no_argument, NULL, 's' },
		{ "status", no_argument, NULL, 'S' },
		{ "stop", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pause_idmap *m = &o->idmap;

	opterr = 0;
	optind = 1;
	for (;;) {
		/* "+": options end at CMD, whose own options are not ours. */
		int c = getopt_long(argc, argv, "+h", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'd':
			o->state_dir = optarg;
			break;
		case 'u':
			if (!userns_parse_range(optarg, &m->uid_start, &m->uid_count))
				return error_usage("userns", EXIT_ENGINE_ERROR,
						   "--uid-map wants START:COUNT, got \"%s\"", optarg);
			o->has_uid_map = true;
			break;
		case 'g':
			if (!userns_parse_range(optarg, &m->gid_start, &m->gid_count))
				return error_usage("userns", EXIT_ENGINE_ERROR,
						   "--gid-map wants START:COUNT, got \"%s\"", optarg);
			o->has_gid_map = true;
			break;
		case 'U':
			m->newuidmap = optarg;
			break;
		case 'G':
			m->newgidmap = optarg;
			break;
		case 's':
			m->single_id = true;
			break;
		case 'S':
			o->status = true;
			break;
		case 'K':
			o->stop = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return error_usage("userns", EXIT_ENGINE_ERROR,
					   "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (o->state_dir == NULL)
		return error_usage("userns", EXIT_ENGINE_ERROR, "--state-dir DIR is required");
	if (o->status && o->stop)
		return error_usage("userns", EXIT_ENGINE_ERROR, "--status and --stop: choose one");
	if (o->status || o->stop) {
		if (optind < argc)
			return error_usage("userns", EXIT_ENGINE_ERROR,
					   "unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	if (optind == argc)
		return error_usage("userns", EXIT_ENGINE_ERROR, "no command given (CMD after --)");
	o->command = argv + optind;

	bool has_map = o->has_uid_map || o->has_gid_map;
	if (m->single_id && has_map)
		return error_usage("userns", EXIT_ENGINE_ERROR,
				   "--single-id maps only the caller's ids: no --uid-map/--gid-map");
	if (has_map && !(o->has_uid_map && o->has_gid_map))
		return error_usage("userns", EXIT_ENGINE_ERROR,
				   "--uid-map and --gid-map go together (or --single-id)");
	if (o->has_uid_map && (m->newuidmap == NULL || m->newgidmap == NULL))
		return error_usage("userns", EXIT_ENGINE_ERROR,
				   "--uid-map/--gid-map need --newuidmap PATH and --newgidmap PATH");
	/* Root needs no map, so skiff may pass none. */
	if (!has_map && !m->single_id && geteuid() != 0)
		return error_usage("userns", EXIT_ENGINE_ERROR,
				   "give --uid-map/--gid-map with the tools, or --single-id");
	return -1;
}

static int exec_command(char **command)
{
	int errnum = proc_execvp(command);
	struct error err;
	error_errno(&err, errnum, "exec %s", command[0]);
	return error_print(&err, errnum == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
}

/* A map as "INNER OUTER COUNT" lines joined by "\n" (the kernel pads its columns). */
static int format_map(pid_t pid, const char *which, char *buf, size_t len, struct error *err)
{
	struct id_range map[ID_MAP_MAX_RANGES];
	size_t n;
	if (userns_read_map(pid, which, map, ID_MAP_MAX_RANGES, &n, err) < 0)
		return -1;
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%lu %lu %lu", i ? "\n" : "", map[i].inner,
				 map[i].outer, map[i].count);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return 0;
}

static int print_status(const struct userns_options *o)
{
	struct error err;
	struct pause_dir dir = { .path = o->state_dir, .fd = -1 };
	struct pause p = PAUSE_INIT;
	char uid_map[4096] = "";
	char gid_map[4096] = "";

	/* Status creates nothing: no directory means no pause process. */
	int running = 0;
	if (pause_open_state_dir(o->state_dir, false, &dir, &err) < 0) {
		if (err.errnum != ENOENT)
			return error_print(&err, EXIT_ENGINE_ERROR);
	} else {
		running = pause_find(&dir, &p, &err);
		close(dir.fd);
		pause_close(&p);
	}
	if (running < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	if (running > 0 && (format_map(p.pid, "uid_map", uid_map, sizeof uid_map, &err) < 0 ||
			    format_map(p.pid, "gid_map", gid_map, sizeof gid_map, &err) < 0))
		return error_print(&err, EXIT_ENGINE_ERROR);

	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j);
	json_key(&j, "running");
	json_bool(&j, running > 0);
	json_key(&j, "pid");
	json_int(&j, running > 0 ? p.pid : 0);
	json_key(&j, "uid_map");
	json_string(&j, uid_map);
	json_key(&j, "gid_map");
	json_string(&j, gid_map);
	json_object_end(&j);
	fputc('\n', stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error_sys(&err, "write stdout");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	return EXIT_SUCCESS;
}

static int stop(const struct userns_options *o)
{
	struct error err;
	struct pause_dir dir;
	if (pause_open_state_dir(o->state_dir, false, &dir, &err) < 0)
		return err.errnum == ENOENT ? EXIT_SUCCESS : error_print(&err, EXIT_ENGINE_ERROR);
	int rc = pause_stop(&dir, &err);
	close(dir.fd);
	return rc < 0 ? error_print(&err, EXIT_ENGINE_ERROR) : EXIT_SUCCESS;
}

int userns_main(int argc, char **argv)
{
	struct userns_options o = { 0 };
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	if (o.status)
		return print_status(&o);
	if (o.stop)
		return stop(&o);
	if (geteuid() == 0)
		return exec_command(o.command);

	struct error err;
	struct pause_dir dir;
	struct pause p = PAUSE_INIT;
	if (pause_open_state_dir(o.state_dir, true, &dir, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	int rc = pause_ensure(&dir, &o.idmap, &p, &err);
	close(dir.fd);
	if (rc == 0)
		rc = pause_join(&p, &err);
	pause_close(&p);
	if (rc < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	return exec_command(o.command);
}
