/*
 * deps.h - what overpack run --trace writes and overpack deps, overpack
 * pack --depends-from and overpack run --only read: trace files, the
 * package report, and the filter of a restricted view.
 *
 * Return convention: src/'s, -1 (or NULL) with errno set, or with a
 * message already printed where a comment says so.
 */
#ifndef OVERPACK_DEPS_H
#define OVERPACK_DEPS_H

#include <sys/types.h>

struct opfs_filter;

/* trace.c: one line of a trace file (strings point into a buffer). */
struct trace_rec {
	double		 time;
	pid_t		 pid;
	const char	*op;		/* lookup, miss, hidden, open, ... */
	char		 type;		/* f d l c b p s, or - */
	const char	*exe;
	const char	*path;
};

/* Create file for a trace of a run over root and write its header. */
int	 trace_create(const char *file, const char *root, int strict,
	    const char *only);
/*
 * Call fn for each record of file; *root gets the base root
 * its header names (the caller frees it), or NULL.  With fn NULL, only
 * the header is read.  -1 with a message printed.
 */
int	 trace_read(const char *file, char **root,
	    int (*fn)(void *, const struct trace_rec *), void *arg);

/* only.c: the default core of a --only view, documented in overpack(1). */
extern const char only_default_core[];
/*
 * The filter of overpack run --only: the files of pkgs (comma-separated)
 * and of what they depend on, the paths listed in listfile, and the core
 * (NULL: the default; "+SPEC": the default and SPEC).  Either pkgs or
 * listfile may be NULL.  NULL with a message printed.
 */
struct opfs_filter *only_filter(const char *root, const char *pkgs,
	    const char *listfile, const char *core);

/* deps.c: "NAME-[0-9]*,..." for the packages a trace used; NULL with a
   message printed. */
char	*deps_pkgdeps(const char *trace, const char *root);

#endif
