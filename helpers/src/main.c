/* main.c: skiff-helper's entry point: finds the verb named by argv[1] and runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verbs.h"
#include "version.h"

struct verb {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static int version_main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fputs("usage: skiff-helper version\n", stderr);
		return EXIT_USAGE;
	}
	printf("skiff-helper version %s\n", SKIFF_HELPER_VERSION);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const struct verb verbs[] = {
	{ "version", version_main, "print the helper's version" },
	{ "probe", probe_main, "check what the kernel allows this user; one line of JSON" },
	{ "userns", userns_main, "run a command as root in this user's user and mount namespace" },
	{ "unpack", unpack_main, "extract one image layer (a tar on stdin) safely into a directory" },
	{ "run", run_main, "run a container from an OCI bundle in the foreground" },
	{ "monitor", monitor_main, "start a container and stay as its parent: logs, attach, restarts" },
	{ "exec", exec_main, "run a process in a running container's namespaces (docker exec)" },
	{ "init", init_main, "a minimal pid 1 for a container: reap, forward signals (docker run --init)" },
};

static void usage(FILE *out)
{
	fputs("usage: skiff-helper VERB [ARGS...]\n"
	      "\n"
	      "The low-level half of skiff, run by skiff itself. Verbs:\n",
	      out);
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(name, "--version") == 0)
		name = "version";

	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(name, verbs[i].name) == 0)
			return verbs[i].main(argc - 1, argv + 1);
	}
	fprintf(stderr, "skiff-helper: unknown verb \"%s\"\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
