/* snapshot_int.h — private to lib/io/snapshot*.c: the XXH64 checksum used by
 * the .upl snapshot format (see docs/decisions/0003-snapshot-format.md). */
#ifndef UPLIFT_SNAPSHOT_INT_H
#define UPLIFT_SNAPSHOT_INT_H

#include <stddef.h>
#include <stdint.h>

/* Streaming XXH64 (Yann Collet's xxHash, 64-bit variant, spec
 * https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md). */
typedef struct upl__xxh64 {
    uint64_t v[4];
    uint64_t total;
    uint64_t seed;
    uint8_t buf[32];
    size_t n_buf;
} upl__xxh64_state;

void upl__xxh64_init(upl__xxh64_state *s, uint64_t seed);
void upl__xxh64_update(upl__xxh64_state *s, const void *data, size_t len);
uint64_t upl__xxh64_digest(const upl__xxh64_state *s);
/* One shot. */
uint64_t upl__xxh64(const void *data, size_t len, uint64_t seed);

/* Tests and fuzzing only: recompute all checksums of a snapshot image in place. */
void upl__snapshot_fix_checksums(uint8_t *buf, size_t size);

#endif
