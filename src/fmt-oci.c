/*
 * fmt-oci.c - the oci and oci+gzip formats: an OCI image layer ("Image
 * Layer Filesystem Changeset" of the OCI image specification), the one
 * format that carries deletions.
 *
 * The layer is a tar (pax where needed, ustar otherwise) of the walk's
 * entries in walk order.  A deleted path "a/b" becomes an empty file
 * "a/.wh.b"; a directory made opaque in the upper layer is followed by
 * "dir/.wh..wh..opq" and nothing below it is whited out one by one.
 * Parent directories come before their whiteouts.  The layer's diff_id,
 * the sha256 of the uncompressed tar, is printed ("sha256:HEX") and
 * written to FILE.diffid.  oci+gzip compresses the same tar with zlib
 * in a thread of its own (gzpipe.c; no time stamp, no name in the gzip
 * header), so that both are deterministic.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <zlib.h>

#include "overpack.h"
#include "digest.h"
#include "fmt.h"
#include "gzpipe.h"

#define WH_PREFIX	".wh."
#define WH_OPAQUE	".wh..wh..opq"

char *
oci_whiteout(const char *path, int opaque)
{
	const char *slash;
	char *s;

	if (opaque) {
		xasprintf(&s, "%s/" WH_OPAQUE, path);
		return s;
	}
	if ((slash = strrchr(path, '/')) == NULL)
		xasprintf(&s, WH_PREFIX "%s", path);
	else
		xasprintf(&s, "%.*s/" WH_PREFIX "%s", (int)(slash - path),
		    path, slash + 1);
	return s;
}

static int
oci_setup(struct archive *a)
{
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK) {
		warnx("cannot set up the tar format: %s",
		    archive_error_string(a));
		return -1;
	}
	return 0;
}

/* Where the tar goes past the copy: into the hash, and gzip if asked. */
struct oci_out {
	struct sha256	 sha;		/* of the uncompressed tar */
	struct gzpipe	*gz;		/* or NULL: the copy writes the tar */
	int		 err;		/* first gzip write error, or 0 */
};

static void
oci_chunk(void *arg, const void *buf, size_t n)
{
	struct oci_out *o = arg;

	sha256_update(&o->sha, buf, n);
	if (o->gz != NULL && o->err == 0 && gz_write(o->gz, buf, n) == -1)
		o->err = errno;
}

static int
finish(struct fmt_job *job, int gzip)
{
	struct oci_out o = { .gz = NULL };
	char hex[65];
	int out = job->out, r;

	sha256_init(&o.sha);
	if (gzip) {
		if ((o.gz = gz_open(out, Z_BEST_COMPRESSION)) == NULL) {
			warn("cannot set up gzip compression");
			return EXIT_RUNFAIL;
		}
		/* The copy only hashes; oci_chunk hands the tar to gzip. */
		job->out = -1;
	}
	r = fmt_copy(job, oci_chunk, &o);
	job->out = out;
	if (o.gz != NULL) {
		if (r == -1 || o.err != 0)
			gz_abort(o.gz);
		else if (gz_close(o.gz) == -1)
			o.err = errno;
		if (r == 0 && o.err != 0) {
			errno = o.err;
			warn("cannot write '%s'", job->output);
			r = -1;
		}
	}
	if (r == -1)
		return EXIT_RUNFAIL;
	sha256_hex(&o.sha, hex);
	xasprintf(&job->report, "sha256:%s", hex);
	xasprintf(&job->side_data, "sha256:%s\n", hex);
	job->side_suffix = ".diffid";
	return 0;
}

static int
oci_finish(struct fmt_job *job)
{
	return finish(job, 0);
}

static int
oci_gzip_finish(struct fmt_job *job)
{
	return finish(job, 1);
}

const struct fmt_ops fmt_oci = {
	"oci", FMTF_WHITEOUTS | FMTF_WHOLE, NULL, oci_setup, oci_finish
};

const struct fmt_ops fmt_oci_gzip = {
	"oci+gzip", FMTF_WHITEOUTS | FMTF_WHOLE, NULL, oci_setup,
	oci_gzip_finish
};
