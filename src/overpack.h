/*
 * overpack.h - what the overpack command's parts share.
 *
 * Return convention in src/: -1 with errno set (so err(3) can say why),
 * unless a function's comment says otherwise.  Subcommands return the
 * process exit status.
 *
 * Exit statuses of overpack itself (documented in overpack(1)):
 *   0	success
 *   1	a subcommand found a problem it reports (a per-file error in pack,
 *	changes present in diff --exit-code)
 *   2	usage error
 *   125	overpack run failed before or around the command (setup, mount,
 *	the overlay dying), or pack after a successful run
 *   126	the command was found but could not be executed
 *   127	the command was not found
 *   128+N	the command was killed by signal N
 */
#ifndef OVERPACK_H
#define OVERPACK_H

#include <stddef.h>
#include <stdio.h>

#define EXIT_USAGE	2
#define EXIT_RUNFAIL	125
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127

int	cmd_run(int, char **);
int	cmd_pack(int, char **);
int	cmd_diff(int, char **);
int	cmd_plist(int, char **);
int	cmd_deps(int, char **);

/* util.c */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Make an absolute, lexically clean path of p relative to the cwd. */
char	*abspath(const char *p);
/* Write a name for humans: C-style escapes for control and non-UTF-8. */
void	 fputname(const char *name, FILE *);
/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
int	 utf8len(const unsigned char *s);
/* Write all of buf, across short writes; 0 or -1. */
int	 writeall(int fd, const void *buf, size_t len);
/* Did the machine lose the session writing upper?  1 (and the mark), 0. */
char	*upper_workdir(const char *upper);
int	 upper_lost(const char *upper, char **mark);

#endif
