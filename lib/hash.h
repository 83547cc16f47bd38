/*
 * hash.h - FNV-1a (64-bit), the one string hash of both sides: their hash
 * tables, overpackfs's readdir cookies and the name of the dpkg index
 * cache, which outlives a run (so the function must not change).
 */
#ifndef OVERPACK_HASH_H
#define OVERPACK_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT	1469598103934665603ULL

/* h, continued over len bytes of s. */
static inline uint64_t
hash_add(uint64_t h, const char *s, size_t len)
{
	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* h, continued over the string s. */
static inline uint64_t
hash_add_str(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static inline uint64_t
hash_str(const char *s)
{
	return hash_add_str(HASH_INIT, s);
}

#endif
