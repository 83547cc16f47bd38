/*
 * digest.h - MD5 and SHA-256, for the checksums that package formats
 * carry (deb md5sums, pkgsrc +CONTENTS, OCI diff_ids).  Neither is used
 * for security here: they name contents the way the formats require.
 */
#ifndef OVERPACK_DIGEST_H
#define OVERPACK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct md5 {
	uint32_t	 h[4];
	uint64_t	 len;
	unsigned char	 buf[64];
};

struct sha256 {
	uint32_t	 h[8];
	uint64_t	 len;
	unsigned char	 buf[64];
};

void	md5_init(struct md5 *);
void	md5_update(struct md5 *, const void *, size_t);
/* Writes 33 bytes: 32 lowercase hex digits and a NUL. */
void	md5_hex(struct md5 *, char *);

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
/* Writes 65 bytes: 64 lowercase hex digits and a NUL. */
void	sha256_hex(struct sha256 *, char *);

#endif
