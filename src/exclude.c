/*
 * exclude.c - the exclusion rules of overpack pack (see exclude.h).
 *
 * The default list is what no package wants: caches, logs, scratch space,
 * the state of running processes and shell or editor histories.  It is one
 * table so that overpack(1) can quote it; keep the two in step.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "overpack.h"
#include "exclude.h"

const char *const excl_defaults[] = {
	"dev/*",			/* mount points of run, never content */
	"proc/*",
	"sys/*",
	"run/*",
	"tmp/*",
	"var/tmp/*",
	"var/run/*",
	"var/lock/*",
	"var/log/*",
	"var/cache/*",
	"var/lib/apt/lists/*",
	"var/lib/dpkg/*-old",
	"etc/ld.so.cache",		/* rebuilt by ldconfig on the target */
	"etc/*-",			/* passwd-, shadow-, group- backups */
	"etc/.pwd.lock",
	"root/.cache",
	"**/.npm/_cacache",		/* npm's download cache and logs */
	"**/.npm/_logs",
	"**/.*_history",		/* bash, sh, zsh, python, mysql, ... */
	"**/.lesshst",
	"**/.viminfo",
	"**/.wget-hsts",
	"**/__pycache__",
	NULL
};

struct rule {
	char		*pattern;
	int		 include;
};

struct excl {
	struct rule	*v;
	size_t		 n;
};

struct excl *
excl_new(int with_defaults)
{
	struct excl *ex;
	size_t i;

	ex = xcalloc(1, sizeof(*ex));
	for (i = 0; with_defaults && excl_defaults[i] != NULL; i++)
		excl_add(ex, excl_defaults[i], 0);
	return ex;
}

void
excl_add(struct excl *ex, const char *pattern, int include)
{
	while (pattern[0] == '.' && pattern[1] == '/')
		pattern += 2;
	while (pattern[0] == '/')
		pattern++;
	ex->v = xrealloc(ex->v, (ex->n + 1) * sizeof(*ex->v));
	ex->v[ex->n].pattern = xstrdup(pattern);
	ex->v[ex->n].include = include;
	ex->n++;
}

void
excl_append(struct excl *dst, const struct excl *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		excl_add(dst, src->v[i].pattern, src->v[i].include);
}

static int
match(const char *pattern, const char *path)
{
	const char *s;

	if (strncmp(pattern, "**/", 3) != 0)
		return fnmatch(pattern, path, FNM_PATHNAME) == 0;
	pattern += 3;
	for (s = path; s != NULL; s = strchr(s, '/'), s = s ? s + 1 : NULL)
		if (fnmatch(pattern, s, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

int
excl_match(const struct excl *ex, const char *path)
{
	size_t i;

	for (i = ex->n; i > 0; i--)
		if (match(ex->v[i - 1].pattern, path))
			return !ex->v[i - 1].include;
	return 0;
}

void
excl_free(struct excl *ex)
{
	size_t i;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->n; i++)
		free(ex->v[i].pattern);
	free(ex->v);
	free(ex);
}
