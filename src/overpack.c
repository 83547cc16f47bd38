/*
 * overpack.c - the overpack command: option-less entry point and the table
 * of subcommands.  Each subcommand parses its own options (see run.c,
 * pack.c, diff.c) and returns the process exit status.
 */
#include "config.h"

#include <err.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overpack.h"
#include "userns.h"

static const struct cmd {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*synopsis;
} cmds[] = {
	{ "run",  cmd_run,
	  "run [-o FILE] [-f FORMAT] [-u DIR] [--root DIR] [--bind SRC[:DST]]\n"
	  "\t\t[--network] [--keep] [--trace FILE] [--trace-strict]\n"
	  "\t\t[--only PKG,...] [--only-list FILE] [--only-core SPEC]\n"
	  "\t\t-- COMMAND [ARG ...]" },
	{ "pack", cmd_pack,
	  "pack -o FILE [-f FORMAT] [--root DIR] [--exclude PATTERN]\n"
	  "\t\t[--include PATTERN] [--no-default-excludes] [--meta FILE]\n"
	  "\t\t[--name NAME] [--version VERSION] [--arch ARCH]\n"
	  "\t\t[--maintainer WHO] [--description TEXT] [--depends DEPS]\n"
	  "\t\t[--prefix DIR] [--level N] [--threads N]\n"
	  "\t\t[--depends-from TRACE] UPPER\n"
	  "       overpack pack --list-excludes" },
	{ "diff", cmd_diff,
	  "diff [--json] [--exit-code] [-p] [--summary] [--color=WHEN]\n"
	  "\t\t[--root DIR | --base DIR] UPPER" },
	{ "plist", cmd_plist, "plist [--prefix DIR] [--root DIR] UPPER" },
	{ "deps", cmd_deps,
	  "deps [-q] [--misses] [--root DIR] [--declared PKG,...] TRACE" },
	{ "doctor", cmd_doctor, "doctor" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage:");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(fp, "%s overpack %s\n", i ? "      " : " ",
		    cmds[i].synopsis);
	fprintf(fp, "       overpack --help | --version\n");
}

int
main(int argc, char *argv[])
{
	size_t i;

	/*
	 * Names are bytes; libarchive stores them in pax headers as UTF-8
	 * only if the locale's charset is UTF-8, and otherwise marks every
	 * entry hdrcharset=BINARY, which GNU tar warns about.  C.UTF-8 keeps
	 * the output the same whatever the caller's locale.
	 */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "C");

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("overpack %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	warnx("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
