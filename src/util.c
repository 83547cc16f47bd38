/*
 * util.c - small helpers for the command side: allocation that cannot
 * fail quietly, path cleaning and printing names safely.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer.h"
#include "overpack.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		err(EXIT_RUNFAIL, "out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p;

	if ((p = calloc(n ? n : 1, m ? m : 1)) == NULL)
		err(EXIT_RUNFAIL, "out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		err(EXIT_RUNFAIL, "out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		err(EXIT_RUNFAIL, "out of memory");
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		err(EXIT_RUNFAIL, "out of memory");
	return n;
}

/*
 * Lexically clean an absolute version of p: no "." or ".." components,
 * no doubled or trailing slashes.  Symlinks are not resolved.
 */
char *
abspath(const char *p)
{
	char *buf, *out, *s, *tok, *save;
	char *cwd = NULL;
	size_t len;

	if (*p != '/') {
		if ((cwd = getcwd(NULL, 0)) == NULL)
			return NULL;
		xasprintf(&buf, "%s/%s", cwd, p);
		free(cwd);
	} else
		buf = xstrdup(p);
	len = strlen(buf);
	out = xmalloc(len + 2);
	out[0] = '\0';
	for (s = buf; (tok = strtok_r(s, "/", &save)) != NULL; s = NULL) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			char *slash = strrchr(out, '/');
			if (slash != NULL)
				*slash = '\0';
			continue;
		}
		strcat(out, "/");
		strcat(out, tok);
	}
	if (out[0] == '\0')
		strcpy(out, "/");
	free(buf);
	return out;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
int
utf8len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;	/* overlong, surrogate or beyond U+10FFFF */
	return n;
}

/* Write all of buf to fd, across short writes and EINTR. */
int
writeall(int fd, const void *buf, size_t len)
{
	const char *s = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= n;
	}
	return 0;
}

/* Print a file name so that newlines, control bytes and invalid UTF-8
 * cannot forge output lines: such bytes come out as \n, \t, \\ or \ooo. */
void
fputname(const char *name, FILE *fp)
{
	const unsigned char *s = (const unsigned char *)name;
	int n;

	while (*s) {
		if (*s == '\\') {
			fputs("\\\\", fp);
			s++;
		} else if (*s == '\n') {
			fputs("\\n", fp);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", fp);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(fp, "\\%03o", *s++);
		} else if ((n = utf8len(s)) > 0) {
			fwrite(s, 1, n, fp);
			s += n;
		} else
			fprintf(fp, "\\%03o", *s++);
	}
}

/*
 * The work directory overpack run -u keeps for the upper layer upper:
 * .NAME.work beside it.  Allocated.
 */
char *
upper_workdir(const char *upper)
{
	char *copy, *slash, *p;
	size_t len;

	copy = xstrdup(upper);
	for (len = strlen(copy); len > 1 && copy[len - 1] == '/'; len--)
		copy[len - 1] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL)
		xasprintf(&p, "./.%s.work", copy);
	else {
		*slash = '\0';		/* "" for a directory in / */
		xasprintf(&p, "%s/.%s.work", copy, slash + 1);
	}
	free(copy);
	return p;
}

/*
 * Was upper last written by a volatile session (overpack run's) that the
 * machine lost?  Its work directory is looked for where overpack run keeps
 * it: upper_workdir's, or work/ beside a session's upper/.  1 (the mark's
 * path in *mark, to free), or 0.
 */
int
upper_lost(const char *upper, char **mark)
{
	static const char session[] = "/.upper.work";
	char *work[2] = { NULL, NULL };
	size_t len;
	int i, fd, lost = 0;

	*mark = NULL;
	work[0] = upper_workdir(upper);
	len = strlen(work[0]);
	if (len >= sizeof(session) - 1 &&
	    strcmp(work[0] + len - (sizeof(session) - 1), session) == 0)
		xasprintf(&work[1], "%.*s/work",
		    (int)(len - (sizeof(session) - 1)), work[0]);
	for (i = 0; i < 2 && !lost; i++) {
		if (work[i] == NULL || (fd = open(work[i], O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) == -1)
			continue;
		if (layer_volatile(fd) == LAYER_LOST) {
			lost = 1;
			xasprintf(mark, "%s/%s", work[i], LAYER_VOLATILE_MARK);
		}
		close(fd);
	}
	free(work[0]);
	free(work[1]);
	return lost;
}
