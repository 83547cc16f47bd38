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
 * (no time stamp, no name in the gzip header), so that both are
 * deterministic.
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <zlib.h>

#include "overpack.h"
#include "digest.h"
#include "fmt.h"

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

struct gz {
	int		 fd;		/* the output, compressed */
	struct sha256	 sha;
	z_stream	 z;
	int		 fail;
	unsigned char	 out[65536];
};

static void
hash_chunk(void *arg, const void *buf, size_t n)
{
	struct gz *g = arg;

	sha256_update(&g->sha, buf, n);
}

/* Deflate what zlib holds and write it out. */
static int
gz_flush(struct gz *g, int flush)
{
	int zr;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		zr = deflate(&g->z, flush);
		if (zr == Z_STREAM_ERROR ||
		    writeall(g->fd, g->out,
		    sizeof(g->out) - g->z.avail_out) == -1)
			return -1;
	} while (g->z.avail_out == 0 ||
	    (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static void
gz_chunk(void *arg, const void *buf, size_t n)
{
	struct gz *g = arg;

	sha256_update(&g->sha, buf, n);
	if (g->fail)
		return;
	g->z.next_in = (Bytef *)(uintptr_t)buf;
	g->z.avail_in = n;
	if (gz_flush(g, Z_NO_FLUSH) == -1)
		g->fail = 1;
}

static int
finish(struct fmt_job *job, int gzip)
{
	struct gz *g;
	char hex[65];
	int out = job->out, r, st = EXIT_RUNFAIL;

	g = xcalloc(1, sizeof(*g));
	g->fd = job->out;
	sha256_init(&g->sha);
	if (!gzip) {
		if (fmt_copy(job, hash_chunk, g) == -1)
			goto out;
	} else {
		if (deflateInit2(&g->z, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK) {
			warnx("cannot set up gzip compression");
			goto out;
		}
		/* The copy only hashes; gz_chunk writes the compressed. */
		job->out = -1;
		r = fmt_copy(job, gz_chunk, g);
		if (r == 0 && (g->fail || gz_flush(g, Z_FINISH) == -1)) {
			warn("cannot write '%s'", job->output);
			r = -1;
		}
		job->out = out;
		deflateEnd(&g->z);
		if (r == -1)
			goto out;
	}
	sha256_hex(&g->sha, hex);
	xasprintf(&job->report, "sha256:%s", hex);
	xasprintf(&job->side_data, "sha256:%s\n", hex);
	job->side_suffix = ".diffid";
	st = 0;
out:
	free(g);
	return st;
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
