/* verbs.h: the verbs skiff-helper understands; each is a main() of its own. */
#ifndef SKIFF_VERBS_H
#define SKIFF_VERBS_H

/* Exit statuses every verb shares: 0 done, 1 failed (message on stderr), 2 usage. */
#define EXIT_USAGE 2

/*
 * Verbs that exec a command (userns) pass its exit status through, so their own failures
 * use Docker's engine statuses instead, which a command rarely returns: 125 the helper
 * failed (usage errors included), 126 the command cannot be executed, 127 not found.
 */
#define EXIT_ENGINE_ERROR 125
#define EXIT_CANNOT_INVOKE 126
#define EXIT_NOT_FOUND 127

/*
 * A verb gets argv from its own name on (argv[0] is "probe"), parses its options with
 * getopt_long, and returns the process exit status. To add one: write src/VERB.c with
 * `int VERB_main(int argc, char **argv)`, declare it here and list it in main.c's verbs[].
 */
int probe_main(int argc, char **argv);
int userns_main(int argc, char **argv);
int unpack_main(int argc, char **argv);
int run_main(int argc, char **argv);
int monitor_main(int argc, char **argv);
int exec_main(int argc, char **argv);
int init_main(int argc, char **argv);

#endif
