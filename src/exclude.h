/*
 * exclude.h - which paths overpack pack leaves out of a package.
 *
 * Patterns are fnmatch(3) patterns with FNM_PATHNAME, matched against the
 * relative path without "./" ("var/log/syslog").  A pattern starting with
 * "**" "/" matches at any depth, the top included.  Rules are tried in the
 * order given, the defaults first; the last one that matches decides.  An
 * excluded directory takes its whole subtree with it, so an include rule
 * cannot bring back something below an excluded directory.
 */
#ifndef OVERPACK_EXCLUDE_H
#define OVERPACK_EXCLUDE_H

struct excl;

/* The default exclusions, NULL-terminated. */
extern const char *const excl_defaults[];

struct excl	*excl_new(int with_defaults);
void		 excl_add(struct excl *, const char *pattern, int include);
/* Is path (relative, no "./") excluded? */
/* Append src's rules to dst's. */
void		 excl_append(struct excl *dst, const struct excl *src);
int		 excl_match(const struct excl *, const char *path);
void		 excl_free(struct excl *);

#endif
