/*
 * fmt-mtree.c - the mtree format: a manifest of the upper layer for
 * auditing, written by libarchive's mtree writer.
 *
 * Each entry gets its type, mode, uid, gid, size, sha256 and symlink
 * target, one line per path ("./usr/bin/x type=file ..."), in walk order,
 * without /set lines, so that the lines can be read and compared on their
 * own.  Hard links are listed as files with their own digest; time stamps
 * are left out so that the manifest says what was installed, not when.
 */
#include "config.h"

#include <err.h>

#include <archive.h>

#include "overpack.h"
#include "fmt.h"

static int
mtree_setup(struct archive *a)
{
	static const char *const opts[] = {
		"!all", "type", "mode", "uid", "gid", "size", "sha256", "link",
		"!use-set"
	};
	size_t i;

	if (archive_write_set_format_mtree(a) != ARCHIVE_OK)
		goto fail;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (archive_write_set_format_option(a, "mtree",
		    opts[i] + (opts[i][0] == '!'),
		    opts[i][0] == '!' ? NULL : "1") != ARCHIVE_OK)
			goto fail;
	return 0;
fail:
	warnx("cannot set up the mtree format: %s", archive_error_string(a));
	return -1;
}

static int
mtree_finish(struct fmt_job *job)
{
	return fmt_copy(job, NULL, NULL) == -1 ? EXIT_RUNFAIL : 0;
}

const struct fmt_ops fmt_mtree = {
	"mtree", FMTF_WHOLE | FMTF_NOXATTR | FMTF_NOLINKS,
	NULL, mtree_setup, mtree_finish
};
