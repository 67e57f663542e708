/* snapshot_hash.c — XXH64, the block checksum of the .upl snapshot.
 *
 * Chosen over CRC32C because it runs at memory speed in portable C (no
 * SSE4.2 intrinsic needed), has 64-bit output (a random corruption passes
 * with probability 2^-64, not 2^-32) and a published spec with test vectors:
 * https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md
 * The streaming form lets the writers hash blocks as they write them. */
#include <string.h>
#include "snapshot_int.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* Little-endian loads through memcpy: unaligned-safe and UBSan-clean. */
static inline uint64_t rd64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
static inline uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t round1(uint64_t acc, uint64_t in) {
    acc += in * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}
static inline uint64_t merge(uint64_t acc, uint64_t v) {
    acc ^= round1(0, v);
    return acc * P1 + P4;
}

void upl__xxh64_init(upl__xxh64_state *s, uint64_t seed) {
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->v[0] = seed + P1 + P2;
    s->v[1] = seed + P2;
    s->v[2] = seed;
    s->v[3] = seed - P1;
}

static const uint8_t *stripes(uint64_t v[4], const uint8_t *p, const uint8_t *end) {
    uint64_t a = v[0], b = v[1], c = v[2], d = v[3];
    while (end - p >= 32) {
        a = round1(a, rd64(p));
        b = round1(b, rd64(p + 8));
        c = round1(c, rd64(p + 16));
        d = round1(d, rd64(p + 24));
        p += 32;
    }
    v[0] = a; v[1] = b; v[2] = c; v[3] = d;
    return p;
}

void upl__xxh64_update(upl__xxh64_state *s, const void *data, size_t len) {
    const uint8_t *p = data, *end = p + len;
    if (len == 0) return;
    s->total += len;
    if (s->n_buf + len < 32) {
        memcpy(s->buf + s->n_buf, p, len);
        s->n_buf += len;
        return;
    }
    if (s->n_buf) {
        size_t take = 32 - s->n_buf;
        memcpy(s->buf + s->n_buf, p, take);
        stripes(s->v, s->buf, s->buf + 32);
        p += take;
        s->n_buf = 0;
    }
    p = stripes(s->v, p, end);
    if (p < end) {
        memcpy(s->buf, p, (size_t)(end - p));
        s->n_buf = (size_t)(end - p);
    }
}

uint64_t upl__xxh64_digest(const upl__xxh64_state *s) {
    uint64_t h;
    if (s->total >= 32) {
        h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) + rotl(s->v[3], 18);
        for (int i = 0; i < 4; i++) h = merge(h, s->v[i]);
    } else {
        h = s->seed + P5;
    }
    h += s->total;
    const uint8_t *p = s->buf, *end = s->buf + s->n_buf;
    while (end - p >= 8) {
        h ^= round1(0, rd64(p));
        h = rotl(h, 27) * P1 + P4;
        p += 8;
    }
    if (end - p >= 4) {
        h ^= (uint64_t)rd32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
    }
    while (p < end) {
        h ^= (uint64_t)(*p++) * P5;
        h = rotl(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t upl__xxh64(const void *data, size_t len, uint64_t seed) {
    upl__xxh64_state s;
    upl__xxh64_init(&s, seed);
    upl__xxh64_update(&s, data, len);
    return upl__xxh64_digest(&s);
}
