/*
 * fmt.c - what the package formats of fmt.h share: their metadata, from
 * options and from a metadata file, and reading a payload back.
 *
 * The metadata file holds "key: value" lines.  Keys are those of the
 * options (name, version, arch, maintainer, description, depends,
 * prefix; "package" and "architecture" are accepted as their Debian
 * spellings), in any case.  A line starting with a space or a tab
 * continues the previous value on a new line (the long description).
 * Blank lines and lines starting with '#' are ignored.  A value given
 * by an option wins over the file.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>

#include "overpack.h"
#include "digest.h"
#include "fmt.h"

static char **
field(struct fmt_meta *m, const char *key)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} keys[] = {
		{ "name",		offsetof(struct fmt_meta, name) },
		{ "package",		offsetof(struct fmt_meta, name) },
		{ "version",		offsetof(struct fmt_meta, version) },
		{ "arch",		offsetof(struct fmt_meta, arch) },
		{ "architecture",	offsetof(struct fmt_meta, arch) },
		{ "maintainer",		offsetof(struct fmt_meta, maintainer) },
		{ "description",	offsetof(struct fmt_meta, description) },
		{ "depends",		offsetof(struct fmt_meta, depends) },
		{ "prefix",		offsetof(struct fmt_meta, prefix) },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcasecmp(key, keys[i].key) == 0)
			return (char **)((char *)m + keys[i].off);
	return NULL;
}

int
meta_set(struct fmt_meta *m, const char *key, const char *value)
{
	char **f;

	if ((f = field(m, key)) == NULL)
		return -1;
	free(*f);
	*f = xstrdup(value);
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
meta_load(struct fmt_meta *m, const char *file)
{
	struct fmt_meta fm;
	FILE *fp;
	char *line = NULL, *colon, *val, **f, **last = NULL, *s;
	size_t cap = 0, i;
	unsigned long lineno = 0;
	int r = -1;

	if ((fp = fopen(file, "r")) == NULL) {
		warn("cannot read metadata file '%s'", file);
		return -1;
	}
	memset(&fm, 0, sizeof(fm));
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (*line == '#' || *trim(line) == '\0')
			continue;
		if (*line == ' ' || *line == '\t') {
			if (last == NULL)
				goto bad;
			xasprintf(&s, "%s\n%s", *last, trim(line));
			free(*last);
			*last = s;
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			goto bad;
		*colon = '\0';
		val = trim(colon + 1);
		if ((f = field(&fm, trim(line))) == NULL) {
			warnx("%s:%lu: unknown key '%s' (name, version, arch, "
			    "maintainer, description, depends, prefix)", file,
			    lineno, trim(line));
			goto out;
		}
		free(*f);
		*f = xstrdup(val);
		last = f;
	}
	if (ferror(fp)) {
		warn("cannot read metadata file '%s'", file);
		goto out;
	}
	/* What the options did not set comes from the file (every field
	 * of struct fmt_meta is a string). */
	for (i = 0; i < sizeof(fm) / sizeof(char *); i++) {
		char **dst = (char **)m + i, **src = (char **)&fm + i;

		if (*dst == NULL) {
			*dst = *src;
			*src = NULL;
		}
	}
	r = 0;
	goto out;
bad:
	warnx("%s:%lu: not a 'key: value' line", file, lineno);
out:
	meta_free(&fm);
	free(line);
	fclose(fp);
	return r;
}

void
meta_free(struct fmt_meta *m)
{
	free(m->name);
	free(m->version);
	free(m->arch);
	free(m->maintainer);
	free(m->description);
	free(m->depends);
	free(m->prefix);
	memset(m, 0, sizeof(*m));
}

int
meta_require(const char *format, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		return 0;
	warnx("the %s format needs --%s (or '%s:' in --meta FILE)", format,
	    key, key);
	return -1;
}

struct archive *
fmt_read_open(int fd)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		warnx("cannot read back the payload: %s",
		    archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}


int
fmt_copy(struct fmt_job *job, void (*fn)(void *, const void *, size_t),
    void *arg)
{
	static char buf[65536];
	ssize_t n;

	for (;;) {
		if ((n = read(job->payload, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			warn("cannot read back the payload");
			return -1;
		}
		if (n == 0)
			return 0;
		if (fn != NULL)
			fn(arg, buf, n);
		if (job->out != -1 && writeall(job->out, buf, n) == -1) {
			warn("cannot write '%s'", job->output);
			return -1;
		}
	}
}

int
fmt_md5_data(struct archive *a, char hex[33])
{
	char buf[65536];
	struct md5 md5;
	ssize_t n;

	md5_init(&md5);
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
		md5_update(&md5, buf, n);
	if (n < 0)
		return -1;
	md5_hex(&md5, hex);
	return 0;
}
