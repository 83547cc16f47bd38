/*
 * only.c - the filter of overpack run --only and --only-list: which base
 * paths a restricted view shows.
 *
 * The view shows the files (and directories) that the dpkg database says
 * the named packages own, with everything those depend on; the paths of
 * --only-list; the core; and the root's top-level symlinks (usrmerge's
 * /bin -> usr/bin: layout, not content).  The cost is reading the status
 * file and the lists of the packages admitted, never a walk of the base.
 *
 * The core is a comma-separated list: a package name, "@essential" for
 * the Essential: yes packages, or an absolute path, which with a trailing
 * '/' admits everything below it.  only_default_core is documented in
 * overpack(1); keep the two in step.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "dpkgdb.h"
#include "opfs.h"
#include "overpack.h"

const char only_default_core[] =
    "@essential,"
    "/etc/alternatives/,/etc/ld.so.cache,/etc/ld.so.conf,"
    "/etc/ld.so.conf.d/,/etc/passwd,/etc/group,/etc/shadow,/etc/gshadow,"
    "/etc/nsswitch.conf,/etc/hosts,/etc/host.conf,/etc/resolv.conf,"
    "/etc/localtime,/etc/timezone,/etc/machine-id,/etc/environment,"
    "/var/lib/dpkg/";

struct only {
	struct dpkgdb	*db;
	struct opfs_filter *f;
	unsigned char	*mark;
};

static int
add_path(struct only *o, const char *path, int tree)
{
	char *c = dpkgdb_canon(o->db, path);
	int error;

	error = opfs_filter_add(o->f, c, tree);
	free(c);
	if (error != 0) {
		errno = error;
		warn("--only: cannot admit '%s'", path);
		return -1;
	}
	return 0;
}

static int
add_file(void *arg, const char *path)
{
	return add_path(arg, path, 0);
}

/* One item of a package list or of the core. */
static int
add_item(struct only *o, const char *item, const char *what)
{
	size_t len = strlen(item);
	int p;

	if (*item == '/')
		return add_path(o, item, len > 1 && item[len - 1] == '/');
	if (strcmp(item, "@essential") == 0) {
		dpkgdb_mark_essential(o->db, o->mark);
		return 0;
	}
	if ((p = dpkgdb_find(o->db, item)) == -1) {
		warnx("%s: package '%s' is not installed", what, item);
		return -1;
	}
	o->mark[p] = 1;
	return 0;
}

/* Each comma-separated item of list, blanks trimmed. */
static int
add_list(struct only *o, const char *list, const char *what)
{
	char *s = xstrdup(list), *item, *next, *e;
	int ret = 0;

	for (item = s; item != NULL && ret == 0; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		item += strspn(item, " \t");
		for (e = item + strlen(item); e > item && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			*(e - 1) = '\0';
		if (*item != '\0')
			ret = add_item(o, item, what);
	}
	free(s);
	return ret;
}

/* --only-list: one absolute path per line; '#' starts a comment. */
static int
add_listfile(struct only *o, const char *file)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0, len;
	FILE *fp;
	int ret = 0;

	if ((fp = fopen(file, "re")) == NULL) {
		warn("--only-list: cannot open '%s'", file);
		return -1;
	}
	while (ret == 0 && getline(&line, &cap, fp) != -1) {
		lineno++;
		len = strcspn(line, "\n");
		line[len] = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		if (*line != '/') {
			warnx("--only-list: '%s', line %zu: not an absolute "
			    "path", file, lineno);
			ret = -1;
			break;
		}
		ret = add_path(o, line, len > 1 && line[len - 1] == '/');
	}
	free(line);
	fclose(fp);
	return ret;
}

/*
 * An alternative's link (/usr/bin/awk) is no package's file: it is shown
 * when what it points to through /etc/alternatives is.
 */
static void
add_alternative(void *arg, const char *link, const char *target)
{
	struct only *o = arg;

	if (opfs_filter_admits(o->f, target))
		(void)opfs_filter_add(o->f, link, 0);
}

struct opfs_filter *
only_filter(const char *root, const char *pkgs, const char *listfile,
    const char *core)
{
	const char *const *alias;
	struct only o;
	size_t i, n;
	int ret = 0;

	memset(&o, 0, sizeof(o));
	if ((o.db = dpkgdb_open(root)) == NULL)
		return NULL;
	if ((o.f = opfs_filter_new()) == NULL) {
		dpkgdb_free(o.db);
		errno = ENOMEM;
		warn("--only");
		return NULL;
	}
	n = dpkgdb_count(o.db);
	o.mark = xcalloc(n + 1, 1);
	if (core == NULL || *core == '+')
		ret = add_list(&o, only_default_core, "--only-core");
	if (ret == 0 && core != NULL)
		ret = add_list(&o, *core == '+' ? core + 1 : core,
		    "--only-core");
	if (ret == 0 && pkgs != NULL)
		ret = add_list(&o, pkgs, "--only");
	if (ret == 0 && listfile != NULL)
		ret = add_listfile(&o, listfile);
	if (ret == 0) {
		dpkgdb_close(o.db, o.mark);
		for (i = 0; i < n && ret == 0; i++)
			if (o.mark[i] && dpkgdb_files(o.db, i, add_file, &o) ==
			    -1 && errno != ENOENT) {
				warn("--only: cannot read the file list of '%s'",
				    dpkgdb_name(o.db, i));
				ret = -1;
			}
	}
	if (ret == 0)
		dpkgdb_alternatives(o.db, add_alternative, &o);
	for (alias = dpkgdb_aliases(o.db); ret == 0 && *alias != NULL;
	    alias++)
		ret = opfs_filter_add(o.f, *alias, 0) == 0 ? 0 : -1;
	free(o.mark);
	dpkgdb_free(o.db);
	if (ret != 0) {
		opfs_filter_free(o.f);
		return NULL;
	}
	return o.f;
}
