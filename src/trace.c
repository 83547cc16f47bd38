/*
 * trace.c - trace files: creating one for overpack run --trace (the
 * filesystem in fuse/trace.c writes the records) and reading one back for
 * overpack deps and pack --depends-from.
 *
 * A trace is text: header lines starting with '#', then one record per
 * line, six fields separated by tabs, with backslash escapes (\\, \t, \n,
 * \r, \ooo) inside fields.  The format is documented in overpack(1).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deps.h"
#include "overpack.h"

int
trace_create(const char *file, const char *root, int strict,
    const char *only)
{
	char *hdr;
	int fd;

	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	xasprintf(&hdr, "# overpack trace 1\n# root %s\n# strict %d\n"
	    "# only %s\n# TIME\tPID\tOP\tTYPE\tEXE\tPATH\n", root, strict,
	    only ? only : "-");
	if (writeall(fd, hdr, strlen(hdr)) == -1) {
		free(hdr);
		close(fd);
		return -1;
	}
	free(hdr);
	return fd;
}

/* Undo the escapes of a field in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 't':
			*o++ = '\t';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case '0': case '1': case '2': case '3':
			if (s[1] >= '0' && s[1] <= '7' && s[2] >= '0' &&
			    s[2] <= '7') {
				*o++ = (char)((s[0] - '0') * 64 +
				    (s[1] - '0') * 8 + (s[2] - '0'));
				s += 2;
				break;
			}
			/* FALLTHROUGH */
		default:
			*o++ = *s;
			break;
		}
	}
	*o = '\0';
}

int
trace_read(const char *file, char **root,
    int (*fn)(void *, const struct trace_rec *), void *arg)
{
	struct trace_rec r;
	char *line = NULL, *f[6], *p;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *fp;
	int i, ret = 0;

	*root = NULL;
	if ((fp = fopen(file, "re")) == NULL) {
		warn("cannot open the trace '%s'", file);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#') {
			if (strncmp(line, "# root ", 7) == 0 && *root == NULL)
				*root = xstrdup(line + 7);
			continue;
		}
		if (line[0] == '\0')
			continue;
		if (fn == NULL)
			break;		/* the header was all that was wanted */
		for (i = 0, p = line; i < 6; i++) {
			f[i] = p;
			if (i < 5) {
				if ((p = strchr(p, '\t')) == NULL)
					break;
				*p++ = '\0';
			}
		}
		if (i < 6 || strlen(f[3]) != 1) {
			warnx("'%s', line %zu: not a trace record", file,
			    lineno);
			ret = -1;
			break;
		}
		unescape(f[4]);
		unescape(f[5]);
		r.time = strtod(f[0], NULL);
		r.pid = (pid_t)strtol(f[1], NULL, 10);
		r.op = f[2];
		r.type = f[3][0];
		r.exe = f[4];
		r.path = f[5];
		if ((ret = fn(arg, &r)) != 0)
			break;
	}
	if (ret == 0 && ferror(fp)) {
		warn("cannot read the trace '%s'", file);
		ret = -1;
	}
	free(line);
	fclose(fp);
	return ret;
}
