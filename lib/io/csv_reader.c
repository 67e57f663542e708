/* csv_reader.c — delimited text (CSV, TSV, ';', '|') into a typed table.
 *
 * The file is read into one buffer and decoded to UTF-8 first (strict UTF-8,
 * else GB18030, never the reverse: RELIABILITY.md §5 item 1). Then two
 * passes over the records, each split into byte chunks run on the thread
 * pool:
 *
 *   pass 1  tokenise every record, reject broken structure (field count,
 *           stray quote, control characters, oversized fields), record the
 *           field lengths of every accepted record in a compact field index
 *           (about one byte per field), and gather per column what type
 *           inference needs over the WHOLE column (integer / number / bool /
 *           leading zeros / distinct labels / text bytes), in batches of 64
 *           rows taken column by column;
 *   decide  one type per column (or the schema's), build dictionaries, size
 *           every column array exactly;
 *   pass 2  rebuild the fields from the index (no second tokenisation) and
 *           write values straight into the column arrays at the row offset
 *           pass 1 computed for the chunk, again column by column per batch
 *           of 64 rows; values that do not fit the column's type reject
 *           their row (the rejected slots are squeezed out afterwards, only
 *           when there are any).
 *
 * Chunks start speculatively at the first line break after a byte offset.
 * A quoted field may contain line breaks, so the guess may be wrong; after
 * pass 1 every chunk's start is checked against where the previous chunk
 * really stopped, and a wrong chunk is parsed again from the right place
 * (the approach of Ge et al., "Speculative distributed CSV data parsing",
 * SIGMOD 2021). Results never depend on the number of threads: chunk
 * statistics merge in chunk order, and dictionaries are numbered in order
 * of first appearance in the file.
 *
 * The tokeniser is a hand-written RFC 4180 state machine. Unquoted fields,
 * the common case, are found with a cached 64-byte mask (SSE2) of bytes that
 * may end them (delimiter, quote, line break, control byte); no field is
 * ever allocated. Integers of up to 18 digits and decimals of up to 15
 * digits without exponent are converted inline with the same result as
 * upl_parse_i64 / upl_parse_f64 (see fast_i64, fast_f64); everything else
 * goes through those. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "uplift/io.h"
#include "reader_int.h"

#define CAT_MAX_DISTINCT 4096u   /* inferred category columns: at most this many labels */
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define MIN_CHUNK_BYTES ((size_t)1 << 20)
#define MAX_CHUNK_BYTES ((size_t)1 << 28)   /* field-index offsets are 32-bit */

/* ---- Tokeniser ---------------------------------------------------------------- */
/* Field index, a byte stream read in order by pass 2. Per field: one byte
 * with the length when the field is unquoted and shorter than 128 bytes
 * (most fields); else FIX_WIDE (| FIX_QUOTED, FIX_ESCAPED) and the content
 * length (bytes between the quotes for a quoted field, "" escapes
 * included) in the next two bytes, little-endian. A record with a field of
 * FIX_LONG bytes or more is stored as the single byte FIX_REPARSE and
 * tokenised again in pass 2. */
#define FIX_WIDE 0x80u
#define FIX_QUOTED 0x40u
#define FIX_ESCAPED 0x20u
#define FIX_LONG 0xFFFFu
#define FIX_REPARSE 0xFFu

enum { FS_QUOTED = 1, FS_ESCAPED = 2 };
typedef struct fspan {
    const char *p;
    size_t len;
    unsigned flags;
} fspan;

typedef struct rec {
    size_t n_fields;
    uint64_t n_lines;           /* line breaks consumed, including the terminator */
    uint64_t quote_line;        /* lines before the quote that never closed */
    int code;                   /* first reject code, 0 = fine */
    size_t code_col;
    const char *raw_end;        /* end of the record text (before its line break) */
    const char *next;           /* start of the next record */
    bool is_blank;
    bool is_unterminated;
    bool ix_slow;               /* a field was quoted or >= 128 bytes: index bytes not written */
    const char *blk;            /* scanner: cached 64-byte block and its mask */
    uint64_t mask;
} rec;

typedef struct tok {
    char delim;
    size_t max_field;
    uint8_t special[256];       /* bytes that stop an unquoted field scan */
} tok;

static void tok_init(tok *t, char delim, size_t max_field) {
    memset(t, 0, sizeof *t);
    t->delim = delim;
    t->max_field = max_field;
    for (int c = 0; c < 0x20; c++) t->special[c] = 1;
    t->special[0x7f] = 1;
    t->special['\t'] = delim == '\t';
    t->special['"'] = 1;
    t->special[(unsigned char)delim] = 1;
}

static inline bool is_ctl(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f; }

#ifdef __SSE2__
static inline uint64_t mask16(__m128i x, __m128i vd) {
    const __m128i vq = _mm_set1_epi8('"'), v1f = _mm_set1_epi8(0x1f), v7f = _mm_set1_epi8(0x7f);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vq));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, v1f), x));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, v7f));
    return (uint64_t)(unsigned)_mm_movemask_epi8(m);
}
/* Bit i set = byte b[i] may end an unquoted field. Reads 64 bytes: the
 * buffers carry UPL_IO_PAD zero bytes after the end. */
static inline uint64_t mask64(const tok *t, const char *b) {
    const __m128i vd = _mm_set1_epi8(t->delim);
    return mask16(_mm_loadu_si128((const __m128i *)(const void *)b), vd) |
           mask16(_mm_loadu_si128((const __m128i *)(const void *)(b + 16)), vd) << 16 |
           mask16(_mm_loadu_si128((const __m128i *)(const void *)(b + 32)), vd) << 32 |
           mask16(_mm_loadu_si128((const __m128i *)(const void *)(b + 48)), vd) << 48;
}
#endif

/* Next byte at or after p that may end an unquoted field. The 64-byte block
 * mask is cached in r (positions only move forward within a pass), so a
 * field costs a shift and a count of trailing zeros. */
static ALWAYS_INLINE const char *scan_special(const tok *t, rec *r, const char *p, const char *end) {
#ifdef __SSE2__
    for (;;) {
        if (p >= end) return end;
        size_t off;
        if (!r->blk || p < r->blk || (off = (size_t)(p - r->blk)) >= 64) {
            r->blk = p;
            r->mask = mask64(t, p);
            off = 0;
        }
        uint64_t m = r->mask >> off;
        if (m) {
            const char *q = p + __builtin_ctzll(m);
            return q < end ? q : end;
        }
        p = r->blk + 64;
    }
#else
    (void)r;
    while (p < end && !t->special[(unsigned char)*p]) p++;
    return p;
#endif
}

static inline void set_code(rec *r, int code, size_t col) {
    if (!r->code) { r->code = code; r->code_col = col; }
}

/* Scan an unquoted run from p to the next delimiter / line break / end,
 * flagging quotes and control bytes met on the way. */
static ALWAYS_INLINE const char *scan_unquoted(const tok *t, const char *p, const char *end, rec *r, size_t col) {
    p = scan_special(t, r, p, end);
    while (p < end && *p != t->delim && *p != '\n' && *p != '\r') {
        if (*p == '"') set_code(r, UPL_REJ_STRAY_QUOTE, col);
        else if (is_ctl((unsigned char)*p)) set_code(r, UPL_REJ_CONTROL_CHAR, col);
        p = scan_special(t, r, p + 1, end);
    }
    return p;
}

/* Tokenise one record starting at p (< end). Up to cap fields are stored;
 * n_fields counts them all. The field loop keeps the scanner's block and
 * mask, the field count and the delimiter in locals: stores into f[] could
 * alias *r and *t (the build uses -fno-strict-aliasing), which would force
 * a reload of each after every field. */
static void tokenize(const tok *t, const char *p, const char *end, fspan *f, size_t cap, size_t fstride, uint8_t *ix,
                     rec *r) {
    r->n_fields = 0;
    r->ix_slow = false;
    r->n_lines = 0;
    r->code = 0;
    r->code_col = 0;
    r->is_blank = false;
    r->is_unterminated = false;
    if (*p == '\n' || *p == '\r') {
        r->is_blank = true;
        r->raw_end = p;
        r->n_lines = 1;
        r->next = p + ((*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1);
        return;
    }
    const char delim = t->delim;
    const size_t max_field = t->max_field;
    const char *blk = r->blk;
    uint64_t mask = r->mask;
    size_t nf = 0;
    bool ix_slow = false;
    /* rem: the bits of mask at p and after (valid when rem_ok). Going from
     * one field to the next clears the lowest bit (rem & (rem - 1)), so the
     * chain from one field end to the next is two instructions; the
     * position arithmetic and the byte test hang off it. */
    uint64_t rem = 0;
    bool rem_ok = false;
    /* The byte at end is readable and zero (the buffers are padded), so
     * tests of *p against the delimiter, a quote or a line break need no
     * p < end first: a zero byte is none of them. */
    for (;;) {
        size_t col = nf + 1;
        fspan s;
        if (*p == '"') {
            const char *q = p + 1, *content = q;
            unsigned flags = FS_QUOTED;
            uint64_t open_line = r->n_lines;
            ix_slow = true;
            rem_ok = false;
            for (;;) {
                const char *e = memchr(q, '"', (size_t)(end - q));
                if (!e) {
                    r->n_fields = nf;
                    r->is_unterminated = true;
                    r->quote_line = open_line;
                    r->code_col = col;
                    r->raw_end = end;
                    r->next = end;
                    r->blk = blk;
                    r->mask = mask;
                    return;
                }
                for (const char *x = q; x < e; x++) {
                    unsigned char c = (unsigned char)*x;
                    if (c < 0x20 || c == 0x7f) {
                        if (c == '\n') r->n_lines++;
                        else if (c == '\r') { if (x[1] != '\n') r->n_lines++; }
                        else if (c != '\t') set_code(r, UPL_REJ_CONTROL_CHAR, col);
                    }
                }
                if (e + 1 < end && e[1] == '"') { flags |= FS_ESCAPED; q = e + 2; continue; }
                s.p = content;
                s.len = (size_t)(e - content);
                s.flags = flags;
                p = e + 1;
                break;
            }
            if (p < end && *p != delim && *p != '\n' && *p != '\r') {
                set_code(r, UPL_REJ_STRAY_QUOTE, col);
                r->blk = blk;
                r->mask = mask;
                p = scan_unquoted(t, p, end, r, col);
                blk = r->blk;
                mask = r->mask;
            }
        } else {
            const char *start = p;
#ifdef __SSE2__
            /* Next byte that may end the field (scan_special, with locals).
             * One unsigned compare covers no block yet (blk NULL) and p
             * outside the cached block on either side. The zero byte at end
             * is marked in any block that holds it, so a block with no mark
             * left ends at or before end, the next one is inside the
             * padding at worst, and p never passes end. */
            if (!rem_ok) {
                size_t off = (size_t)((uintptr_t)p - (uintptr_t)blk);
                if (off >= 64) {
                    blk = p;
                    mask = mask64(t, p);
                    off = 0;
                }
                rem = mask & (~0ull << off);
                rem_ok = true;
            }
            while (!rem) {
                blk += 64;
                mask = mask64(t, blk);
                rem = mask;
            }
            p = blk + __builtin_ctzll(rem);
            rem &= rem - 1;   /* the next field starts after this byte */
            if (p > end) p = end;
            if (*p != delim && p < end && *p != '\n' && *p != '\r') {
                /* a quote or control byte inside the field: the slow scan flags it */
                r->blk = blk;
                r->mask = mask;
                p = scan_unquoted(t, p, end, r, col);
                blk = r->blk;
                mask = r->mask;
                rem_ok = false;
            }
#else
            p = scan_unquoted(t, p, end, r, col);
#endif
            s.p = start;
            s.len = (size_t)(p - start);
            s.flags = 0;
        }
        if (s.len > max_field) set_code(r, UPL_REJ_FIELD_TOO_LONG, col);
        if (nf < cap) {
            f[nf * fstride] = s;
            if (ix) ix[nf] = (uint8_t)s.len;   /* the field index byte of a short unquoted field */
        }
        ix_slow |= s.len >= FIX_WIDE;
        nf++;
        if (*p == delim) { p++; continue; }
        if (p >= end) { r->raw_end = end; r->next = end; break; }
        r->raw_end = p;
        r->n_lines++;
        r->next = p + ((*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1);
        break;
    }
    r->n_fields = nf;
    r->ix_slow = ix_slow;
    r->blk = blk;
    r->mask = mask;
}

/* Copy s (a field with "" escapes) into dst without them; returns length. */
static size_t unescape(const fspan *s, char *dst) {
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++) {
        dst[n++] = s->p[i];
        if (s->p[i] == '"') i++;
    }
    return n;
}

static size_t unescaped_len(const fspan *s) {
    if (!(s->flags & FS_ESCAPED)) return s->len;
    size_t q = 0;
    for (size_t i = 0; i < s->len; i++) if (s->p[i] == '"') { q++; i++; }
    return s->len - q;
}

/* ---- Hash set of labels, in order of first appearance ------------------------ */
static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

/* Labels up to 16 bytes are keyed and compared by their bytes packed in two
 * words (no memcmp call); longer ones by hash and memcmp. Loading the words
 * may read up to 8 bytes past a short label: every label passed here lies
 * in the padded file buffer or the padded scratch buffer. */
typedef struct lkey { uint64_t w0, w1, h; uint32_t len; } lkey;

static inline uint64_t load8(const char *p) { uint64_t w; memcpy(&w, p, 8); return w; }

static inline void make_key(const char *s, size_t n, lkey *k) {
    k->len = (uint32_t)n;
    if (n <= 16) {
        if (n >= 8) { k->w0 = load8(s); k->w1 = load8(s + n - 8); }
        else { k->w0 = n ? load8(s) & (~0ull >> (64 - 8 * n)) : 0; k->w1 = 0; }
        uint64_t h = (k->w0 ^ (k->w1 * 0x9E3779B97F4A7C15ull) ^ n) * 0xff51afd7ed558ccdull;
        k->h = h ^ (h >> 32);
    } else {
        k->w0 = k->w1 = 0;
        k->h = hash_bytes(s, n);
    }
}

typedef struct dentry { lkey k; const char *s; } dentry;
typedef struct dset {
    dentry *items;        /* insertion order */
    uint32_t n, cap;
    uint32_t *slots;      /* index + 1, 0 = empty */
    uint32_t mask;
} dset;

static void dset_free(dset *d) {
    upl_free(d->items);
    upl_free(d->slots);
    memset(d, 0, sizeof *d);
}

static int dset_grow(dset *d) {
    uint32_t nsz = d->mask ? (d->mask + 1) * 2 : 32;
    uint32_t *slots = upl_calloc(nsz, sizeof *slots);
    if (!slots) return UPL_ENOMEM;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t j = (uint32_t)d->items[i].k.h & (nsz - 1);
        while (slots[j]) j = (j + 1) & (nsz - 1);
        slots[j] = i + 1;
    }
    upl_free(d->slots);
    d->slots = slots;
    d->mask = nsz - 1;
    return UPL_OK;
}

static inline int32_t dset_find(const dset *d, const lkey *k, const char *s) {
    if (!d->slots) return -1;
    for (uint32_t j = (uint32_t)k->h & d->mask;; j = (j + 1) & d->mask) {
        uint32_t i = d->slots[j];
        if (!i) return -1;
        const dentry *e = &d->items[i - 1];
        /* Up to 16 bytes the key words are the label itself (h follows
         * from them); longer labels: hash, then the bytes. */
        if (e->k.w0 == k->w0 && e->k.w1 == k->w1 && e->k.len == k->len &&
            (k->len <= 16 || (e->k.h == k->h && !memcmp(e->s, s, k->len))))
            return (int32_t)(i - 1);
    }
}

/* Insert (s must outlive the set). */
static int dset_insert(dset *d, const lkey *k, const char *s) {
    if ((d->n + 1) * 2 > d->mask + 1 || !d->slots) {
        int rc = dset_grow(d);
        if (rc) return rc;
    }
    if (d->n == d->cap) {
        uint32_t nc = d->cap ? d->cap * 2 : 16;
        dentry *it = upl_reallocarray(d->items, nc, sizeof *it);
        if (!it) return UPL_ENOMEM;
        d->items = it;
        d->cap = nc;
    }
    d->items[d->n] = (dentry){ *k, s };
    uint32_t j = (uint32_t)k->h & d->mask;
    while (d->slots[j]) j = (j + 1) & d->mask;
    d->slots[j] = ++d->n;
    return UPL_OK;
}

/* ---- Value classification for inference ------------------------------------- */
enum { V_I64 = 1, V_F64 = 2, V_BOOL = 4, V_LZERO = 8, V_HUMAN = 16, V_INT_OVF = 32 };

static inline uint32_t load4(const char *p) { uint32_t w; memcpy(&w, p, 4); return w; }

static ALWAYS_INLINE bool is_bool_token(const char *s, size_t n, bool *v) {
    /* the lower-case forms, the common case, by one word compare */
    if (n == 4 && load4(s) == load4("true")) { *v = true; return true; }
    if (n == 5 && load4(s) == load4("fals") && s[4] == 'e') { *v = false; return true; }
    if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "TRUE", 4) || !memcmp(s, "True", 4))) { *v = true; return true; }
    if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "FALSE", 5) || !memcmp(s, "False", 5))) { *v = false; return true; }
    return false;
}

static bool starts_with(const char *s, size_t n, const char *lit, size_t *len) {
    size_t l = strlen(lit);
    if (n < l || memcmp(s, lit, l)) return false;
    *len = l;
    return true;
}

/* Numbers written for people (RELIABILITY.md §5 item 11): currency signs,
 * thousands separators, spaces, decimal comma, full-width digits, units
 * such as 万. Recognised only so the row can be rejected with the right
 * code instead of turning a numeric column into text. */
static bool is_human_number(const char *s, size_t n) {
    size_t i = 0, l;
    bool has_digit = false;
    {   /* quick exit: no ASCII digit and no full-width form (EF BC xx) at all */
        bool any = false;
        for (size_t k = 0; k < n && !any; k++) any = (unsigned)(s[k] - '0') < 10 || (unsigned char)s[k] == 0xEF;
        if (!any) return false;
    }
    int n_points = 0;
    while (i < n && s[i] == ' ') i++;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    static const char *const prefix[] = { "\xC2\xA5", "\xEF\xBF\xA5", "$", "\xE2\x82\xAC", "RMB", "CNY" };
    for (size_t k = 0; k < sizeof prefix / sizeof *prefix; k++)
        if (starts_with(s + i, n - i, prefix[k], &l)) { i += l; break; }
    while (i < n && s[i] == ' ') i++;
    size_t body = i;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= '0' && c <= '9') { has_digit = true; i++; }
        else if (c == ',') i++;
        else if (c == '.') { n_points++; i++; }
        else if (c == ' ' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9' && i > body) i++;
        else if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBC) {
            unsigned char c3 = (unsigned char)s[i + 2];
            if (c3 >= 0x90 && c3 <= 0x99) has_digit = true;        /* ０-９ */
            else if (c3 == 0x8E) n_points++;                       /* ． */
            else if (c3 != 0x8C) break;                            /* ， */
            i += 3;
        } else break;
    }
    if (!has_digit || n_points > 1 || body >= n) return false;
    unsigned char b0 = (unsigned char)s[body];
    bool first_digit = (b0 >= '0' && b0 <= '9') ||
        (b0 == 0xEF && body + 2 < n && (unsigned char)s[body + 1] == 0xBC &&
         (unsigned char)s[body + 2] >= 0x90 && (unsigned char)s[body + 2] <= 0x99);
    if (!first_digit) return false;
    while (i < n && s[i] == ' ') i++;
    static const char *const suffix[] = { "\xE4\xB8\x87" /*万*/, "\xE4\xBA\xBF" /*亿*/, "\xE5\x85\x83" /*元*/,
                                          "\xE5\x8D\x83" /*千*/, "\xE7\x99\xBE" /*百*/, "\xE5\x9D\x97" /*块*/,
                                          "%", "\xEF\xBC\x85" /*％*/ };
    for (size_t k = 0; k < sizeof suffix / sizeof *suffix; k++)
        if (starts_with(s + i, n - i, suffix[k], &l)) { i += l; break; }
    while (i < n && s[i] == ' ') i++;
    return i == n;
}

/* Fast paths for the common shapes of numbers. Each accepts a subset of
 * what upl_parse_i64 / upl_parse_f64 accept and gives bit for bit the same
 * value there (see the proof in the comments); anything else returns false
 * and goes the general way (grammar check, Clinger, strtod_l). */
static const double pow10_small[16] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                        1e11, 1e12, 1e13, 1e14, 1e15 };

/* [sign] 1..18 digits: always within int64, no overflow check needed. */
static inline bool fast_i64(const char *s, size_t n, int64_t *out) {
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (n - i == 0 || n - i > 18) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9) return false;
        v = v * 10 + d;
    }
    *out = s[0] == '-' ? -(int64_t)v : (int64_t)v;
    return true;
}

/* [sign] digits [. digits], 1..15 digits in all, no exponent. The digits
 * read as one integer m < 10^15 (exact as a double) and the value is
 * m / 10^f with f < 16 fraction digits (10^f exact): one correctly rounded
 * division, exactly what upl_parse_f64 computes there (its mantissa is the
 * same integer without leading zeros, its exponent the same -f). */
static inline bool fast_f64(const char *s, size_t n, double *out) {
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0, nd = 0, nf = 0;
    uint64_t m = 0;
    for (; i < n; i++, nd++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9) break;
        m = m * 10 + d;
    }
    if (i < n && s[i] == '.')
        for (i++; i < n; i++, nf++) {
            unsigned d = (unsigned)((unsigned char)s[i] - '0');
            if (d > 9) break;
            m = m * 10 + d;
        }
    if (i != n || nd + nf == 0 || nd + nf > 15) return false;
    double v = (double)m;
    if (nf) v /= pow10_small[nf];
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* Shapes stat_batch counts without classify(): SH_INT = 1..18 digits
 * without a leading zero (classify: V_I64 | V_F64), SH_DEC = digits, a
 * point, digits, 15 digits at most, no leading zero before more digits
 * (classify: fast_f64 accepts it, V_F64 alone), SH_BOOL = true or false
 * (V_BOOL). None of them is ever a label (labels are values classify()
 * gives 0), so counting them before the label lookup changes nothing. */
enum { SH_OTHER = 0, SH_INT, SH_DEC, SH_BOOL };
static ALWAYS_INLINE int simple_shape(const char *s, size_t n) {
    if (n == 0 || n > 18) return SH_OTHER;
    unsigned d0 = (unsigned)((unsigned char)s[0] - '0');
    if (d0 > 9) {
        if (n == 4 && !memcmp(s, "true", 4)) return SH_BOOL;
        if (n == 5 && !memcmp(s, "false", 5)) return SH_BOOL;
        return SH_OTHER;
    }
    size_t i = 1;
    while (i < n && (unsigned)((unsigned char)s[i] - '0') < 10) i++;
    if (d0 == 0 && i > 1) return SH_OTHER;   /* leading zero */
    if (i == n) return SH_INT;
    if (s[i] != '.' || n > 16) return SH_OTHER;   /* 16 bytes = 15 digits and the point */
    for (i++; i < n; i++) if ((unsigned)((unsigned char)s[i] - '0') > 9) return SH_OTHER;
    return SH_DEC;
}

static unsigned classify(const char *s, size_t n) {
    /* The number grammar starts with a digit, a sign or a point; anything
     * else (labels, true/false) skips the number checks. */
    unsigned char c0 = n ? (unsigned char)s[0] : 0;
    if (n && ((unsigned)(c0 - '0') < 10 || c0 == '-' || c0 == '+' || c0 == '.')) {
        size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0, j = i;
        while (j < n && (unsigned)(s[j] - '0') < 10) j++;
        if (j == n && j > i) {
            unsigned f = V_F64;
            if (s[i] == '0' && n - i > 1) f |= V_LZERO;
            int64_t v;
            f |= (n - i <= 18 || upl_parse_i64(s, n, &v)) ? V_I64 : V_INT_OVF;
            return f;
        }
        double d;
        if (fast_f64(s, n, &d) || upl__is_f64_text(s, n)) {
            unsigned f = V_F64;
            if (s[i] == '0' && i + 1 < n && (unsigned)(s[i + 1] - '0') < 10) f |= V_LZERO;
            return f;
        }
    }
    bool b;
    if (n >= 4 && (s[0] | 0x20) != 't' && (s[0] | 0x20) != 'f') return is_human_number(s, n) ? V_HUMAN : 0;
    if (is_bool_token(s, n, &b)) return V_BOOL;
    if (is_human_number(s, n)) return V_HUMAN;
    return 0;
}

/* ---- Reader state --------------------------------------------------------------- */
typedef enum kind { K_AUTO = 0, K_F64, K_I64, K_BOOL, K_CAT, K_STR } kind;

typedef struct colstat {
    uint64_t n_present, n_missing, n_i64, n_f64, n_bool, n_human, n_other;
    uint64_t bytes;          /* unescaped bytes of present values */
    bool any_lzero, any_ovf;
    bool is_settled;         /* only bytes and missing are still needed */
    bool is_overflow;        /* more than CAT_MAX_DISTINCT labels */
    dset set;                /* labels of non-numeric values */
} colstat;

typedef struct colinfo {
    const char *name;        /* header name (points into reader's names) */
    int out;                 /* index in the output table, -1 = dropped */
    kind forced;             /* from the schema, or K_STR for ID / code columns */
    bool is_id;              /* Excel-mangled values are rejected */
    bool is_not_null;
    bool is_kept_text;       /* stays text on purpose */
    bool wants_set;          /* pass 1 collects labels */
    bool unlimited_set;      /* schema category: no limit */
    kind final;
    upl_column *col;
    dset dict;               /* final labels -> codes (CAT) */
} colinfo;

/* One accepted record in the pass-1 field index (offsets relative to the
 * chunk's begin; make_chunks keeps chunks near MAX_CHUNK_BYTES, far below 2^32). */
typedef struct rowix { uint32_t off, rec, line; } rowix;

typedef struct chunk {
    const char *begin, *limit, *end;
    uint64_t n_lines, n_records, n_ok;   /* pass 1 */
    uint64_t row_base, rec_base, line_base;
    uint64_t *str_base;                  /* per column: byte offset in str_data (pass 2) */
    uint64_t *str_end;                   /* per column: end of this chunk's bytes in str_data */
    colstat *stats;
    upl_reject_list rej;
    uint64_t *dead;                      /* pass 2: local row slots rejected */
    size_t n_dead, cap_dead;
    upl_arena *arena;
    char *scratch;
    size_t scratch_cap;
    fspan *fields;
    /* Field index written by pass 1 for every record it accepted, read by
     * pass 2 instead of tokenising again: per row its start (relative to
     * begin), record and line number; per field one 16-bit word. */
    struct rowix *rows;
    uint8_t *fix;
    size_t n_rows_ix, cap_rows_ix, n_fix, cap_fix;
    int status;                          /* UPL_OK, UPL_ENOMEM */
    bool is_unterminated;                /* quote open at end of file */
    uint64_t unterminated_line_rel;
    size_t unterminated_col;
    bool is_checked;                     /* begin proven to be a record start */
} chunk;

typedef struct reader {
    const char *path;
    const upl_read_options *opt;
    const char *buf, *data, *end;        /* decoded text; data = after the header */
    tok t;
    size_t n_cols;
    colinfo *cols;
    char **names;
    uint64_t header_lines;
    chunk *chunks;
    size_t n_chunks;
    const char *const *missing;
    size_t n_missing;
    size_t missing_max;
    upl_table *table;
} reader;

static int scratch_fit(chunk *c, size_t n) {
    if (n <= c->scratch_cap) return UPL_OK;
    size_t cap = c->scratch_cap ? c->scratch_cap : 256;
    while (cap < n) cap *= 2;
    char *p = upl_realloc(c->scratch, cap + 16);   /* + 16: label keys read 8 bytes past short values */
    if (!p) return UPL_ENOMEM;
    c->scratch = p;
    c->scratch_cap = cap;
    return UPL_OK;
}

/* The field's value text, unescaped if needed (into the chunk scratch). */
static ALWAYS_INLINE int value_text(chunk *c, const fspan *s, const char **v, size_t *n) {
    if (!(s->flags & FS_ESCAPED)) { *v = s->p; *n = s->len; return UPL_OK; }
    if (scratch_fit(c, s->len)) return UPL_ENOMEM;
    *n = unescape(s, c->scratch);
    *v = c->scratch;
    return UPL_OK;
}

/* mmax = rd->missing_max, passed by hot loops as a local: stores into
 * columns could alias *rd (no strict aliasing), forcing a reload. */
static ALWAYS_INLINE bool is_missing_m(const reader *rd, size_t mmax, const char *v, size_t n) {
    if (n == 0) return true;
    if (n > mmax) return false;
    for (size_t i = 0; i < rd->n_missing; i++)
        if (strlen(rd->missing[i]) == n && !memcmp(rd->missing[i], v, n)) return true;
    return false;
}

static ALWAYS_INLINE bool is_missing(const reader *rd, const char *v, size_t n) {
    return is_missing_m(rd, rd->missing_max, v, n);
}

static int add_reject(chunk *c, uint64_t rec_rel, uint64_t line_rel, uint32_t col, int code,
                      const char *raw, size_t raw_len, const fspan *val, const char *detail) {
    upl_reject r = { .record = rec_rel, .line = line_rel, .column = col, .code = (uint16_t)code,
                     .raw = raw, .raw_len = raw_len, .value = val ? val->p : NULL,
                     .value_len = val ? val->len : 0, .detail = detail };
    return upl__reject_push(&c->rej, &r);
}

/* ---- Pass 1 ---------------------------------------------------------------------- */
static int stat_value(reader *rd, chunk *c, size_t j, const fspan *s) {
    colinfo *ci = &rd->cols[j];
    colstat *st = &c->stats[j];
    if (ci->out < 0) return UPL_OK;
    const char *v;
    size_t n;
    if (value_text(c, s, &v, &n)) return UPL_ENOMEM;
    if (is_missing(rd, v, n)) { st->n_missing++; return UPL_OK; }
    st->n_present++;
    st->bytes += n;
    if (st->is_settled) return UPL_OK;
    bool want_label = ci->wants_set;
    lkey k;
    bool has_key = false;
    if (ci->forced == K_AUTO && st->n_other > 0 && st->set.n > 0) {
        /* A label already seen is known text: skip classifying it again. */
        make_key(v, n, &k);
        has_key = true;
        if (dset_find(&st->set, &k, v) >= 0) { st->n_other++; return UPL_OK; }
    }
    if (ci->forced == K_AUTO) {
        unsigned f = classify(v, n);
        if (f & V_I64) st->n_i64++;
        if (f & V_F64) st->n_f64++;
        if (f & V_BOOL) st->n_bool++;
        if (f & V_HUMAN) st->n_human++;
        if (f & V_LZERO) st->any_lzero = true;
        if (f & V_INT_OVF) st->any_ovf = true;
        if (!f) st->n_other++;
        if (f) want_label = false;   /* mixed numbers and text never become categories */
        /* Settled as text: leading zeros, integers too long, or text with too many labels. */
        if (st->any_lzero || st->any_ovf || (st->is_overflow && st->n_other > 0)) { st->is_settled = true; return UPL_OK; }
    }
    if (!want_label || st->is_overflow) return UPL_OK;
    if (!has_key) make_key(v, n, &k);
    if (!has_key && dset_find(&st->set, &k, v) >= 0) return UPL_OK;
    if (!ci->unlimited_set && st->set.n >= CAT_MAX_DISTINCT) {
        st->is_overflow = true;
        dset_free(&st->set);
        return UPL_OK;
    }
    const char *keep = v;
    if (v == c->scratch) {
        char *cp = upl_arena_alloc(c->arena, n ? n : 1);
        if (!cp) return UPL_ENOMEM;
        memcpy(cp, v, n);
        keep = cp;
    }
    return dset_insert(&st->set, &k, keep);
}

/* Room in the field index for one more record of n_cols fields (made
 * before tokenising, which writes the bytes of short unquoted fields). */
static int ix_reserve(chunk *c, size_t n_cols) {
    if (c->n_rows_ix == c->cap_rows_ix) {
        size_t nc = c->cap_rows_ix ? c->cap_rows_ix * 2 : 1024;
        rowix *r = upl_reallocarray(c->rows, nc, sizeof *r);
        if (!r) return UPL_ENOMEM;
        c->rows = r;
        c->cap_rows_ix = nc;
    }
    if (c->cap_fix - c->n_fix < 3 * n_cols + 1) {
        size_t nc = c->cap_fix ? c->cap_fix * 2 : 16384;
        while (nc - c->n_fix < 3 * n_cols + 1) nc *= 2;
        uint8_t *f = upl_realloc(c->fix, nc);
        if (!f) return UPL_ENOMEM;
        c->fix = f;
        c->cap_fix = nc;
    }
    return UPL_OK;
}

/* Append an accepted record (room made by ix_reserve). When the tokeniser
 * already wrote one length byte per field (no field quoted or >= 128
 * bytes), they are the index; else it is written here from the spans. */
static void ix_push(chunk *c, size_t n_cols, const fspan *fields, size_t fstride, const char *rec_start,
                    uint64_t rec_rel, uint64_t line_rel, bool is_written) {
    rowix *r = &c->rows[c->n_rows_ix++];
    r->off = (uint32_t)(rec_start - c->begin);
    r->rec = (uint32_t)rec_rel;
    r->line = (uint32_t)line_rel;
    if (is_written) { c->n_fix += n_cols; return; }
    uint8_t *w = c->fix + c->n_fix, *w0 = w;
    for (size_t j = 0; j < n_cols; j++) {
        const fspan *s = &fields[j * fstride];
        if (s->len < FIX_WIDE && !(s->flags & FS_QUOTED)) { *w++ = (uint8_t)s->len; continue; }
        if (s->len >= FIX_LONG) { w = w0; *w++ = FIX_REPARSE; break; }
        *w++ = (uint8_t)(FIX_WIDE | (s->flags & FS_QUOTED ? FIX_QUOTED : 0u) | (s->flags & FS_ESCAPED ? FIX_ESCAPED : 0u));
        *w++ = (uint8_t)(s->len & 0xFF);
        *w++ = (uint8_t)(s->len >> 8);
    }
    c->n_fix = (size_t)(w - c->fix);
}

/* c->fields holds this many rows of n_cols spans, column by column (field
 * j of row b at [j * P1_BATCH + b]), so a column's values are contiguous
 * for stat_batch. */
#define P1_BATCH 64

/* Pass-1 statistics of column j over a batch of nb accepted rows (row b's
 * field at bf[j * P1_BATCH + b]). Columns that only need byte and missing
 * counts (forced types, or settled) take a tight loop; the rest go value by value
 * through stat_value. Values of one column are seen in file order either
 * way, so the result is the same as row by row. */
static int stat_batch(reader *rd, chunk *c, size_t j, const fspan *bf, size_t n, size_t nb) {
    colinfo *ci = &rd->cols[j];
    colstat *st = &c->stats[j];
    if (ci->out < 0) return UPL_OK;
    if (!st->is_settled && ci->wants_set) {
        /* The common values take a short way with local counts that give
         * exactly what stat_value would (checked there): plain integers and
         * decimals, true/false, and labels already in the column's set.
         * Anything else goes through stat_value, which may change the
         * column's state; the short ways read that state afresh. Counts
         * are sums, so adding the local ones at the end is the same. */
        uint64_t present = 0, missing = 0, bytes = 0, n_int = 0, n_dec = 0, n_bool = 0, n_lab = 0;
        const bool is_auto = ci->forced == K_AUTO;
        const size_t mmax = rd->missing_max;
        for (size_t b = 0; b < nb; b++) {
            const fspan *s = &bf[j * P1_BATCH + b];
            const char *v = s->p;
            size_t vn = s->len;
            if (s->flags & FS_ESCAPED) goto slow;
            if (is_missing_m(rd, mmax, v, vn)) { missing++; continue; }
            if (st->is_settled) { present++; bytes += vn; continue; }
            /* Not after an overflow of the label set: stat_value settles the
             * column at its next value, which must be the same value as before. */
            if (is_auto && !st->is_overflow) {
                switch (simple_shape(v, vn)) {
                case SH_INT: present++; bytes += vn; n_int++; continue;
                case SH_DEC: present++; bytes += vn; n_dec++; continue;
                case SH_BOOL: present++; bytes += vn; n_bool++; continue;
                default: break;
                }
            }
            if ((is_auto ? st->n_other > 0 : ci->forced == K_CAT) && st->set.n > 0 && !st->is_overflow) {
                lkey k;
                make_key(v, vn, &k);
                if (dset_find(&st->set, &k, v) >= 0) { present++; bytes += vn; n_lab += is_auto; continue; }
            }
        slow:
            if (stat_value(rd, c, j, s)) return UPL_ENOMEM;
        }
        st->n_present += present;
        st->n_missing += missing;
        st->bytes += bytes;
        st->n_i64 += n_int;
        st->n_f64 += n_int + n_dec;
        st->n_bool += n_bool;
        st->n_other += n_lab;
        return UPL_OK;
    }
    uint64_t present = 0, missing = 0, bytes = 0;
    for (size_t b = 0; b < nb; b++) {
        const char *v;
        size_t vn;
        if (value_text(c, &bf[j * P1_BATCH + b], &v, &vn)) return UPL_ENOMEM;
        if (is_missing(rd, v, vn)) { missing++; continue; }
        present++;
        bytes += vn;
    }
    st->n_present += present;
    st->n_missing += missing;
    st->bytes += bytes;
    return UPL_OK;
}


/* Parse the chunk's records from c->begin; stop at the first record that
 * starts at or after c->limit. Accepted rows are gathered in batches and
 * their statistics taken column by column. */
static int pass1_chunk(void *ctx, size_t idx, size_t b_, size_t e_) {
    (void)b_; (void)e_;
    reader *rd = ctx;
    chunk *c = &rd->chunks[idx];
    const char *p = c->begin, *end = rd->end;
    size_t n = rd->n_cols, nb = 0;
    rec r;
    r.blk = NULL;
    r.mask = 0;
    uint64_t lines = 0, recs = 0, ok = 0;
    while (p < c->limit && p < end) {
        fspan *f = c->fields + nb;   /* field j of this row at f[j * P1_BATCH] */
        if (ix_reserve(c, n)) goto oom;
        tokenize(&rd->t, p, end, f, n, P1_BATCH, c->fix + c->n_fix, &r);
        if (r.is_unterminated) {
            c->is_unterminated = true;
            c->unterminated_line_rel = lines + r.quote_line;
            c->unterminated_col = r.code_col;
            p = end;
            break;
        }
        if (r.is_blank) { lines += r.n_lines; p = r.next; continue; }
        recs++;
        int code = r.code;
        size_t code_col = r.code_col;
        if (!code && r.n_fields != n) { code = UPL_REJ_FIELD_COUNT; code_col = 0; }
        if (code) {
            const fspan *val = code_col && code_col <= n ? &f[(code_col - 1) * P1_BATCH] : NULL;
            if (add_reject(c, recs, lines, (uint32_t)code_col, code, p, (size_t)(r.raw_end - p), val, NULL)) goto oom;
        } else {
            ok++;
            ix_push(c, n, f, P1_BATCH, p, recs, lines, !r.ix_slow);
            if (++nb == P1_BATCH) {
                for (size_t j = 0; j < n; j++)
                    if (stat_batch(rd, c, j, c->fields, n, nb)) goto oom;
                nb = 0;
            }
        }
        lines += r.n_lines;
        p = r.next;
    }
    for (size_t j = 0; j < n && nb; j++)
        if (stat_batch(rd, c, j, c->fields, n, nb)) goto oom;
    c->end = p;
    c->n_lines = lines;
    c->n_records = recs;
    c->n_ok = ok;
    return UPL_OK;
oom:
    c->status = UPL_ENOMEM;
    return UPL_ENOMEM;
}

static void chunk_reset(reader *rd, chunk *c) {
    for (size_t j = 0; j < rd->n_cols; j++) {
        dset_free(&c->stats[j].set);
        memset(&c->stats[j], 0, sizeof c->stats[j]);
    }
    upl__reject_list_free(&c->rej);
    upl_arena_reset(c->arena);
    c->n_rows_ix = 0;
    c->n_fix = 0;
    c->is_unterminated = false;
    c->status = UPL_OK;
}

/* ---- Pass 2 ---------------------------------------------------------------------- */
/* OR a batch's validity bits m (bit b = slot slot0 + b) into the column.
 * A word that also holds slots of a neighbouring chunk (first or last word
 * of [lo, hi), the chunk's slots) may be written by another thread at the
 * same time: atomically; the words in between belong to this chunk alone. */
static inline void valid_or_word(uint64_t *word, uint64_t bits, size_t w, size_t lo, size_t hi) {
    if (!bits) return;
    if ((w << 6) >= lo && ((w + 1) << 6) <= hi) *word |= bits;
    else __atomic_fetch_or(word, bits, __ATOMIC_RELAXED);
}
static inline void valid_or(upl_column *col, size_t slot0, uint64_t m, size_t lo, size_t hi) {
    size_t w = slot0 >> 6;
    unsigned sh = (unsigned)(slot0 & 63);
    valid_or_word(&col->valid[w], m << sh, w, lo, hi);
    if (sh) valid_or_word(&col->valid[w + 1], m >> (64 - sh), w + 1, lo, hi);
}

/* True for an 18-character ID whose first 17 bytes are digits, whose last
 * is not e/E and which does not end in 000: upl__id_is_excel_mangled is
 * false for it (no exponent, and its 000 rule does not apply), so the
 * common case skips the call. Digits are checked 8 bytes at a time: a byte
 * is a digit iff its high nibble is 3 and adding 6 keeps it 3. */
static ALWAYS_INLINE bool id_plainly_fine(const char *s, size_t n) {
    if (n != 18 || (s[15] == '0' && s[16] == '0' && s[17] == '0') || (s[17] | 0x20) == 'e') return false;
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull, six = 0x0606060606060606ull;
    uint64_t a = load8(s), b = load8(s + 8);
    return (a & hi) == threes && ((a + six) & hi) == threes && (b & hi) == threes && ((b + six) & hi) == threes &&
           (unsigned)((unsigned char)s[16] - '0') < 10;
}

static bool parse_bool_any(const char *v, size_t n, bool *b) {
    if (is_bool_token(v, n, b)) return true;
    if (n == 1 && (v[0] == '0' || v[0] == '1')) { *b = v[0] == '1'; return true; }
    return false;
}

/* Pass 2 works on batches of P2_BATCH rows: the spans of a batch are
 * rebuilt from the field index (row by row), then each column is converted
 * down the batch (column by column), so the type switch, the column's
 * settings and its arrays stay put in the inner loop. Rows rejected here
 * are collected per batch in a bit mask and listed in slot order. */
#define P2_BATCH 64

/* Write field s of a row into slot `slot` of column j; returns a reject code or 0. */
static ALWAYS_INLINE int put_value(reader *rd, chunk *c, colinfo *ci, kind final, size_t j, const fspan *s, size_t slot,
                                   uint64_t *okm, size_t b, size_t mmax, const char **detail, int *oom) {
    upl_column *col = ci->col;
    uint64_t *soff = c->str_base;
    const char *v;
    size_t vn;
    if (value_text(c, s, &v, &vn)) { *oom = 1; return 0; }
    if (is_missing_m(rd, mmax, v, vn)) {
        switch (final) {
        case K_F64: col->v.f64[slot] = 0.0; break;
        case K_I64: col->v.i64[slot] = 0; break;
        case K_BOOL: col->v.b[slot] = 0; break;
        case K_CAT: col->v.cat[slot] = -1; break;
        default: col->str_off[slot] = soff[j]; break;
        }
        return ci->is_not_null ? UPL_REJ_REQUIRED_MISSING : 0;
    }
    bool ok = true;
    int code = 0;
    switch (final) {
    case K_F64: {
        double d;
        ok = fast_f64(v, vn, &d) || upl_parse_f64(v, vn, &d);
        col->v.f64[slot] = ok ? d : 0.0;
        if (!ok) code = UPL_REJ_BAD_NUMBER;
        break;
    }
    case K_I64: {
        int64_t x;
        ok = fast_i64(v, vn, &x) || upl_parse_i64(v, vn, &x);
        col->v.i64[slot] = ok ? x : 0;
        if (!ok) {
            code = ci->forced == K_I64 ? UPL_REJ_BAD_INTEGER : UPL_REJ_BAD_NUMBER;
            if (code == UPL_REJ_BAD_INTEGER && upl__is_f64_text(v, vn)) *detail = "not a whole number";
        }
        break;
    }
    case K_BOOL: {
        bool x = false;
        ok = ci->forced == K_BOOL ? parse_bool_any(v, vn, &x) : is_bool_token(v, vn, &x);
        col->v.b[slot] = x;
        if (!ok) code = UPL_REJ_BAD_BOOL;
        break;
    }
    case K_CAT: {
        lkey lk;
        make_key(v, vn, &lk);
        int32_t k = dset_find(&ci->dict, &lk, v);
        col->v.cat[slot] = k;
        if (k < 0) { ok = false; code = UPL_REJ_OTHER; *detail = "label not in dictionary"; }
        break;
    }
    default: {
        char *dst = col->str_data + soff[j];
        col->str_off[slot] = soff[j];
        /* Short values: one fixed 16-byte copy (no call), when the bytes
         * written past the value stay inside this chunk's own part of the
         * column (the next value overwrites them); up to 32 bytes in two.
         * The source may be read past its end: the file buffer has 64
         * bytes of padding, and an unescaped value is at the start of the
         * scratch buffer, which has room for 256 bytes at least. */
        if (vn <= 16 && soff[j] + 16 <= c->str_end[j]) memcpy(dst, v, 16);
        else if (vn <= 32 && soff[j] + 32 <= c->str_end[j]) { memcpy(dst, v, 16); memcpy(dst + 16, v + 16, 16); }
        else memcpy(dst, v, vn);
        soff[j] += vn;
        if (ci->is_id && !id_plainly_fine(v, vn) && upl__id_is_excel_mangled(v, vn)) code = UPL_REJ_ID_EXCEL_MANGLED;
        break;
    }
    }
    if (ok && !code) *okm |= 1ull << b;
    return code;
}

static int pass2_chunk(void *ctx, size_t idx, size_t b_, size_t e_) {
    (void)b_; (void)e_;
    reader *rd = ctx;
    chunk *c = &rd->chunks[idx];
    const char *end = rd->end;
    rec r;
    r.blk = NULL;
    r.mask = 0;
    size_t n = rd->n_cols;
    fspan *bf = NULL;
    const char *raw_end[P2_BATCH];
    const size_t slot_lo = (size_t)c->row_base, slot_hi = slot_lo + c->n_rows_ix, mmax = rd->missing_max;
    bf = upl_calloc((n ? n : 1) * P2_BATCH, sizeof *bf);
    if (!bf) goto oom;
    for (size_t j = 0; j < n; j++) c->str_end[j] = c->str_base[j] + c->stats[j].bytes;
    const uint8_t *w = c->fix;   /* field index, read in order */
    for (size_t r0 = 0; r0 < c->n_rows_ix; r0 += P2_BATCH) {
        size_t nb = c->n_rows_ix - r0 < P2_BATCH ? c->n_rows_ix - r0 : P2_BATCH;
        for (size_t b = 0; b < nb; b++) {
            const rowix *rx = &c->rows[r0 + b];
            const char *p = c->begin + rx->off;
            fspan *f = bf + b;   /* field j of this row at f[j * P2_BATCH] */
            if (*w == FIX_REPARSE) {
                w++;
                tokenize(&rd->t, p, end, f, n, P2_BATCH, NULL, &r);
                raw_end[b] = r.raw_end;
                continue;
            }
            /* Fields are contiguous, each followed by one delimiter (or
             * the record's end); a quoted one has its two quotes around. */
            const char *q = p;
            for (size_t j = 0; j < n; j++, f += P2_BATCH) {
                unsigned x = *w++;
                if (x < FIX_WIDE) {
                    f->p = q;
                    f->len = x;
                    f->flags = 0;
                    q += x + 1;
                    continue;
                }
                unsigned len = (unsigned)w[0] | (unsigned)w[1] << 8;
                w += 2;
                if (x & FIX_QUOTED) { f->p = q + 1; q += len + 3; }
                else { f->p = q; q += len + 1; }
                f->len = len;
                f->flags = (x & FIX_QUOTED ? FS_QUOTED : 0u) | (x & FIX_ESCAPED ? FS_ESCAPED : 0u);
            }
            raw_end[b] = q - 1;
        }
        uint64_t dead_mask = 0;
        size_t slot0 = (size_t)c->row_base + r0;
        for (size_t j = 0; j < n; j++) {
            colinfo *ci = &rd->cols[j];
            if (ci->out < 0) continue;
            /* One loop per type (the kind argument is a constant after
             * inlining, so each loop has no type switch inside). */
            uint64_t okm = 0;   /* bit b: row b's value is valid */
#define P2_LOOP(K)                                                                                          \
            for (size_t b = 0; b < nb; b++) {                                                               \
                const char *detail = NULL;                                                                  \
                int oom_ = 0;                                                                               \
                const fspan *s = &bf[j * P2_BATCH + b];                                                     \
                int code = put_value(rd, c, ci, K, j, s, slot0 + b, &okm, b, mmax, &detail, &oom_);         \
                if (oom_) goto oom;                                                                         \
                if (!code) continue;                                                                        \
                dead_mask |= 1ull << b;                                                                     \
                const rowix *rx = &c->rows[r0 + b];                                                         \
                const char *p = c->begin + rx->off;                                                         \
                if (add_reject(c, rx->rec, rx->line, (uint32_t)(j + 1), code, p, (size_t)(raw_end[b] - p), s, detail)) \
                    goto oom;                                                                               \
            }
            switch (ci->final) {
            case K_F64: P2_LOOP(K_F64) break;
            case K_I64: P2_LOOP(K_I64) break;
            case K_BOOL: P2_LOOP(K_BOOL) break;
            case K_CAT: P2_LOOP(K_CAT) break;
            default: P2_LOOP(K_STR) break;
            }
#undef P2_LOOP
            valid_or(ci->col, slot0, okm, slot_lo, slot_hi);
        }
        for (uint64_t m = dead_mask; m; m &= m - 1) {
            if (c->n_dead == c->cap_dead) {
                size_t nc = c->cap_dead ? c->cap_dead * 2 : 16;
                uint64_t *d = upl_reallocarray(c->dead, nc, sizeof *d);
                if (!d) goto oom;
                c->dead = d;
                c->cap_dead = nc;
            }
            c->dead[c->n_dead++] = slot0 + (size_t)__builtin_ctzll(m);
        }
    }
    upl_free(bf);
    return UPL_OK;
oom:
    upl_free(bf);
    c->status = UPL_ENOMEM;
    return UPL_ENOMEM;
}

/* ---- Decoding, header, schema ------------------------------------------------------ */
/* Strict UTF-8 check split over the pool: parts start on a byte that is not
 * a continuation byte, so no valid sequence crosses a part boundary and the
 * parts can be checked independently; the first bad byte is the minimum. */
typedef struct u8job { const char *s; size_t len, n_parts; size_t *bad; } u8job;

static size_t u8_part_start(const u8job *j, size_t k) {
    size_t at = j->len / j->n_parts * k;
    for (int step = 0; step < 3 && at < j->len && ((unsigned char)j->s[at] & 0xC0) == 0x80; step++) at++;
    return at;
}

static int u8_part(void *ctx, size_t k, size_t b, size_t e) {
    (void)b; (void)e;
    u8job *j = ctx;
    size_t a = k == 0 ? 0 : u8_part_start(j, k), z = k + 1 == j->n_parts ? j->len : u8_part_start(j, k + 1);
    if (z < a) z = a;
    size_t r = upl__utf8_invalid_at(j->s + a, z - a);
    j->bad[k] = r == z - a ? j->len : a + r;
    return UPL_OK;
}

static size_t utf8_invalid_at_parallel(upl_pool *pool, const char *s, size_t len) {
    size_t n_parts = len >> 22;   /* 4 MiB parts */
    if (n_parts < 2 || !pool || upl_pool_threads(pool) < 2) return upl__utf8_invalid_at(s, len);
    if (n_parts > 256) n_parts = 256;
    size_t bad[256];
    u8job j = { s, len, n_parts, bad };
    if (upl_pool_for_chunks(pool, n_parts, 1, u8_part, &j) != UPL_OK) return upl__utf8_invalid_at(s, len);
    size_t first = len;
    for (size_t k = 0; k < n_parts; k++) if (bad[k] < first) first = bad[k];
    return first;
}

/* Decode the file bytes to UTF-8 text. buf and map_len own the bytes (they
 * change when the text is converted); text and len give the text after any BOM. */
static int decode(const char *path, const upl_read_options *opt, upl_pool *pool, char **buf, size_t *map_len,
                  const char **text, size_t *len, upl_read_summary *sum, upl_error *err) {
    const char *b = *buf;
    size_t n = *len;
    if (n >= 2 && (((unsigned char)b[0] == 0xFF && (unsigned char)b[1] == 0xFE) ||
                   ((unsigned char)b[0] == 0xFE && (unsigned char)b[1] == 0xFF)))
        return upl_error_at(err, UPL_EENCODING, path, 1, 0, NULL,
                            "the file is UTF-16 (byte-order mark %02X %02X); save it as UTF-8 or GB18030 "
                            "(文件为 UTF-16 编码，请另存为 UTF-8)", (unsigned char)b[0], (unsigned char)b[1]);
    size_t skip = 0;
    if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB && (unsigned char)b[2] == 0xBF) {
        skip = 3;
        sum->had_bom = true;
    }
    const char *enc = opt->encoding;
    bool is_auto = upl__encoding_is_auto(enc);
    if (is_auto || upl__encoding_is_utf8(enc) || sum->had_bom) {
        size_t bad = utf8_invalid_at_parallel(pool, b + skip, n - skip);
        if (bad == n - skip) {
            *text = b + skip;
            *len = n - skip;
            snprintf(sum->encoding, sizeof sum->encoding, "UTF-8");
            return UPL_OK;
        }
        if (!is_auto || sum->had_bom)
            return upl_error_at(err, UPL_EENCODING, path, upl__line_of_offset(b + skip, bad), 0, NULL,
                                "byte %zu (0x%02X) is not valid UTF-8%s; give the file's encoding, "
                                "e.g. --encoding gb18030 (不是有效的 UTF-8 编码)", bad + skip,
                                (unsigned char)b[skip + bad],
                                sum->had_bom ? " although the file starts with a UTF-8 byte-order mark" : "");
        /* GB18030 decodes UTF-8 bytes without error (into mojibake), so a file
         * that mixes the two must not fall through. GBK text forms a valid
         * 3-byte UTF-8 sequence only by accident (under 1% of its non-ASCII
         * bytes on the synthetic registry); real UTF-8 Chinese is all of it. */
        size_t n_hi = 0, n3 = 0;
        const unsigned char *u = (const unsigned char *)b + skip;
        for (size_t i = 0, m = n - skip; i < m;) {
            if (u[i] < 0x80) { i++; continue; }
            n_hi++;
            if (u[i] >= 0xE0 && u[i] <= 0xEF && i + 2 < m && (u[i + 1] & 0xC0) == 0x80 && (u[i + 2] & 0xC0) == 0x80) {
                n3++;
                n_hi += 2;
                i += 3;
            } else {
                i++;
            }
        }
        if (n3 >= 8 && 3 * n3 * 5 >= n_hi)
            return upl_error_at(err, UPL_EENCODING, path, upl__line_of_offset(b + skip, bad), 0, NULL,
                                "the file mixes encodings: %zu characters are valid UTF-8 but byte %zu (0x%02X) is "
                                "not; decoding it all as GB18030 would garble the UTF-8 part. Save the file in one "
                                "encoding, or split it and give --encoding for each part "
                                "(文件混用了 UTF-8 与 GBK 编码，请统一编码后重新导出)", n3, bad + skip,
                                (unsigned char)b[skip + bad]);
        upl_log(UPL_LOG_INFO, "%s: not UTF-8 at byte %zu; decoding as GB18030", path, bad + skip);
        enc = "GB18030";
    }
    char *out = NULL;
    size_t out_len = 0;
    int rc = upl__iconv_to_utf8(path, enc, b + skip, n - skip, &out, &out_len, err);
    if (rc) return rc;
    upl__unmap_file(*buf, *map_len);
    *buf = out;
    *map_len = 0;
    *text = out;
    *len = out_len;
    snprintf(sum->encoding, sizeof sum->encoding, "%s", is_auto ? "GB18030" : enc);
    for (char *q = sum->encoding; *q; q++) if (*q >= 'a' && *q <= 'z') *q = (char)(*q - 32);
    return UPL_OK;
}

/* Sniff the delimiter from the header line (outside quotes). */
static int sniff(const char *path, const char *p, const char *end, char *delim, upl_error *err) {
    size_t cnt[4] = { 0 }, fullwidth = 0;
    static const char cands[4] = { ',', '\t', ';', '|' };
    bool in_q = false;
    for (; p < end; p++) {
        char ch = *p;
        if (ch == '"') { in_q = !in_q; continue; }
        if (in_q) continue;
        if (ch == '\n' || ch == '\r') break;
        for (int k = 0; k < 4; k++) if (ch == cands[k]) cnt[k]++;
        if ((unsigned char)ch == 0xEF && end - p >= 3 && (unsigned char)p[1] == 0xBC && (unsigned char)p[2] == 0x8C)
            fullwidth++;
    }
    int best = 0;
    for (int k = 1; k < 4; k++) if (cnt[k] > cnt[best]) best = k;
    if (cnt[best] == 0 && fullwidth > 0)
        return upl_error_at(err, UPL_EPARSE, path, 1, 0, NULL,
                            "the header is separated by full-width commas (，, U+FF0C), not a delimiter "
                            "this reader accepts; replace them with ',' and save again "
                            "(表头使用了全角逗号“，”分隔，请改为半角逗号“,”后重新保存)");
    *delim = cands[best];
    return UPL_OK;
}

static bool name_eq(const char *a, const char *b) { return !strcmp(a, b); }

static int header(reader *rd, upl_read_summary *sum, upl_error *err) {
    const upl_read_options *opt = rd->opt;
    int rc = UPL_OK;
    const char *p = rd->buf, *end = rd->end;
    fspan *f = NULL;
    if (p == end)
        return upl_error_at(err, UPL_EPARSE, rd->path, 1, 0, NULL, "empty file: no header line (空文件，没有表头)");
    char delim = opt->delimiter;
    if (!delim) UPL_TRY(sniff(rd->path, p, end, &delim, err));
    sum->delimiter = delim;
    size_t max_field = opt->max_field_bytes ? opt->max_field_bytes : ((size_t)1 << 20);
    size_t max_cols = opt->max_columns ? opt->max_columns : 10000;
    tok_init(&rd->t, delim, max_field);
    rec r;
    r.blk = NULL;
    r.mask = 0;
    while (p < end && (*p == '\n' || *p == '\r')) {   /* leading blank lines */
        tokenize(&rd->t, p, end, NULL, 0, 1, NULL, &r);
        rd->header_lines += r.n_lines;
        p = r.next;
    }
    if (p == end)
        return upl_error_at(err, UPL_EPARSE, rd->path, 1, 0, NULL, "empty file: no header line (空文件，没有表头)");
    tokenize(&rd->t, p, end, NULL, 0, 1, NULL, &r);
    uint64_t line = rd->header_lines + 1;
    if (r.is_unterminated) {
        rc = upl_error_at(err, UPL_EPARSE, rd->path, line + r.quote_line, r.code_col, NULL,
                          "a quoted field in the header is never closed before the end of the file");
        goto fail;
    }
    if (r.n_fields > max_cols) {
        rc = upl_error_at(err, UPL_ELIMIT, rd->path, line, 0, NULL,
                          "the header has %zu columns, more than the limit of %zu (列数超过上限)", r.n_fields, max_cols);
        goto fail;
    }
    f = upl_calloc(r.n_fields + 1, sizeof *f);
    if (!f) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    tokenize(&rd->t, p, end, f, r.n_fields + 1, 1, NULL, &r);
    if (r.code) {
        rc = upl_error_at(err, UPL_EPARSE, rd->path, line, r.code_col, NULL, "malformed header: %s",
                          upl_reject_code_name(r.code));
        goto fail;
    }
    rd->n_cols = r.n_fields;
    rd->cols = upl_calloc(rd->n_cols, sizeof *rd->cols);
    rd->names = upl_calloc(rd->n_cols, sizeof *rd->names);
    if (!rd->cols || !rd->names) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t j = 0; j < rd->n_cols; j++) {
        size_t ul = unescaped_len(&f[j]);
        char *nm = upl_malloc(ul + 24);
        if (!nm) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        size_t l = unescape(&f[j], nm);
        size_t a = 0;
        while (a < l && (nm[a] == ' ' || nm[a] == '\t')) a++;
        while (l > a && (nm[l - 1] == ' ' || nm[l - 1] == '\t')) l--;
        memmove(nm, nm + a, l - a);
        nm[l - a] = '\0';
        if (l == a) {
            snprintf(nm, ul + 24, "column_%zu", j + 1);
            upl_log(UPL_LOG_WARN, "%s:%llu:%zu: empty column name; named `%s`", rd->path,
                    (unsigned long long)line, j + 1, nm);
            sum->n_warnings++;
        }
        rd->names[j] = nm;
        rd->cols[j].name = nm;
        for (size_t k = 0; k < j; k++)
            if (name_eq(rd->names[k], nm)) {
                rc = upl_error_at(err, UPL_ESCHEMA, rd->path, line, j + 1, nm,
                                  "duplicate column name (also column %zu); rename one of them "
                                  "(列名重复，请重命名其中之一)", k + 1);
                goto fail;
            }
    }
    rd->header_lines += r.n_lines;
    rd->data = r.next;
    upl_free(f);
    return UPL_OK;
fail:
    upl_free(f);
    return rc;
}

static int apply_schema(reader *rd, upl_read_summary *sum, upl_error *err) {
    const upl_read_options *opt = rd->opt;
    for (size_t k = 0; k < opt->n_schema; k++) {
        const upl_schema_field *sf = &opt->schema[k];
        bool found = false;
        for (size_t j = 0; j < rd->n_cols && !found; j++) found = name_eq(rd->names[j], sf->name);
        if (!found && sf->is_required) {
            size_t room = 64;
            for (size_t j = 0; j < rd->n_cols; j++) room += strlen(rd->names[j]) + 4;
            char *list = upl_malloc(room);
            if (!list) return upl_error_set(err, UPL_ENOMEM, "out of memory");
            size_t at = 0;
            for (size_t j = 0; j < rd->n_cols && at + 4 < room; j++)
                at += (size_t)snprintf(list + at, room - at, "%s`%s`", j ? ", " : "", rd->names[j]);
            list[at] = '\0';
            int rc = upl_error_at(err, UPL_ESCHEMA, rd->path, 1, 0, sf->name,
                                  "required column is missing (缺少必需的列); the file has: %s", list);
            upl_free(list);
            return rc;
        }
    }
    int n_out = 0;
    for (size_t j = 0; j < rd->n_cols; j++) {
        colinfo *ci = &rd->cols[j];
        const upl_schema_field *sf = NULL;
        for (size_t k = 0; k < opt->n_schema && !sf; k++)
            if (name_eq(opt->schema[k].name, ci->name)) sf = &opt->schema[k];
        if (!sf && opt->is_schema_strict) {
            ci->out = -1;
            upl_log(UPL_LOG_WARN, "%s: column `%s` is not in the schema; not loaded", rd->path, ci->name);
            sum->n_warnings++;
            continue;
        }
        ci->out = n_out++;
        if (sf) {
            switch (sf->type) {
            case UPL_F64: ci->forced = K_F64; break;
            case UPL_I64: ci->forced = K_I64; break;
            case UPL_BOOL: ci->forced = K_BOOL; break;
            case UPL_CAT: ci->forced = K_CAT; ci->unlimited_set = true; break;
            case UPL_STR: ci->forced = K_STR; break;
            default: return upl_error_at(err, UPL_EMISUSE, rd->path, 0, 0, sf->name, "schema: unknown type %d", (int)sf->type);
            }
            ci->is_id = sf->is_id;
            ci->is_not_null = sf->is_not_null;
            if (sf->is_id && ci->forced != K_STR) ci->forced = K_STR;
        } else if (upl__name_is_person_id(ci->name)) {
            ci->is_id = true;
            ci->forced = K_STR;
        } else if (upl__name_is_code(ci->name)) {
            ci->forced = K_STR;
        }
        ci->is_kept_text = ci->forced == K_STR;
        ci->wants_set = ci->forced == K_AUTO || ci->forced == K_CAT;
    }
    return UPL_OK;
}

static kind decide(const colinfo *ci, const colstat *st) {
    if (ci->forced) return ci->forced;
    if (st->n_present == 0) return K_F64;
    if (st->any_lzero || st->any_ovf) return K_STR;
    if (st->n_bool == st->n_present) return K_BOOL;
    if (st->n_i64 == st->n_present) return K_I64;
    if (st->n_f64 == st->n_present) return K_F64;
    if (st->n_other == 0 && st->n_bool == 0 && st->n_human > 0 && st->n_f64 > 0)
        return st->n_i64 == st->n_f64 ? K_I64 : K_F64;
    if (st->n_other == st->n_present && !st->is_overflow && st->set.n * 2 <= st->n_present) return K_CAT;
    return K_STR;
}

/* ---- Chunk layout and the two passes -------------------------------------------- */
static const char *next_record_start(const char *p, const char *end) {
    while (p < end && *p != '\n' && *p != '\r') p++;
    if (p < end) p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
    return p;
}

static int make_chunks(reader *rd, int n_threads) {
    size_t size = (size_t)(rd->end - rd->data);
    size_t want = size / ((size_t)(n_threads > 0 ? n_threads : 1) * 8);
    if (want < MIN_CHUNK_BYTES) want = MIN_CHUNK_BYTES;
    if (want > MAX_CHUNK_BYTES) want = MAX_CHUNK_BYTES;
    size_t n = size / want + 1;
    if (n > 65536) n = 65536;
    rd->chunks = upl_calloc(n, sizeof *rd->chunks);
    if (!rd->chunks) return UPL_ENOMEM;
    rd->n_chunks = n;
    for (size_t i = 0; i < n; i++) {
        chunk *c = &rd->chunks[i];
        c->begin = i == 0 ? rd->data : next_record_start(rd->data + (size / n) * i, rd->end);
        if (c->begin < rd->chunks[i ? i - 1 : 0].begin) c->begin = rd->chunks[i - 1].begin;
        c->stats = upl_calloc(rd->n_cols ? rd->n_cols : 1, sizeof *c->stats);
        c->fields = upl_calloc((rd->n_cols + 1) * P1_BATCH, sizeof *c->fields);
        c->str_base = upl_calloc(rd->n_cols ? rd->n_cols : 1, sizeof *c->str_base);
        c->str_end = upl_calloc(rd->n_cols ? rd->n_cols : 1, sizeof *c->str_end);
        c->arena = upl_arena_new(0);
        if (!c->stats || !c->fields || !c->str_base || !c->str_end || !c->arena) return UPL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) rd->chunks[i].limit = i + 1 < n ? rd->chunks[i + 1].begin : rd->end;
    rd->chunks[0].is_checked = true;
    return UPL_OK;
}

static void free_reader(reader *rd) {
    if (rd->chunks) {
        for (size_t i = 0; i < rd->n_chunks; i++) {
            chunk *c = &rd->chunks[i];
            if (c->stats) for (size_t j = 0; j < rd->n_cols; j++) dset_free(&c->stats[j].set);
            upl_free(c->stats);
            upl_free(c->fields);
            upl_free(c->rows);
            upl_free(c->fix);
            upl_free(c->str_base);
            upl_free(c->str_end);
            upl_free(c->dead);
            upl_free(c->scratch);
            upl__reject_list_free(&c->rej);
            upl_arena_free(c->arena);
        }
        upl_free(rd->chunks);
    }
    if (rd->cols) for (size_t j = 0; j < rd->n_cols; j++) dset_free(&rd->cols[j].dict);
    if (rd->names) for (size_t j = 0; j < rd->n_cols; j++) upl_free(rd->names[j]);
    upl_free(rd->names);
    upl_free(rd->cols);
}

/* Squeeze rejected rows (sorted slots) out of every column. */
static void compact(reader *rd, const uint64_t *dead, size_t n_dead, size_t n_slots) {
    for (size_t j = 0; j < rd->n_cols; j++) {
        if (rd->cols[j].out < 0) continue;
        upl_column *c = rd->cols[j].col;
        size_t w = 0, d = 0;
        uint64_t bytes = 0;
        for (size_t r = 0; r < n_slots; r++) {
            if (d < n_dead && dead[d] == r) { d++; continue; }
            bool ok = upl_col_is_valid(c, r);
            switch (c->type) {
            case UPL_F64: c->v.f64[w] = c->v.f64[r]; break;
            case UPL_I64: c->v.i64[w] = c->v.i64[r]; break;
            case UPL_CAT: c->v.cat[w] = c->v.cat[r]; break;
            case UPL_BOOL: c->v.b[w] = c->v.b[r]; break;
            case UPL_STR: {
                uint64_t a = c->str_off[r], b = c->str_off[r + 1];
                memmove(c->str_data + bytes, c->str_data + a, (size_t)(b - a));
                c->str_off[w] = bytes;
                bytes += b - a;
                break;
            }
            }
            upl_col_set_valid(c, w, ok);
            w++;
        }
        for (size_t r = w; r < n_slots; r++) upl_col_set_valid(c, r, false);
        c->n_rows = w;
        if (c->type == UPL_STR) { c->str_off[w] = bytes; c->str_bytes = (size_t)bytes; }
    }
}

int upl__csv_read(const char *path, const upl_read_options *opt, upl_table **out,
                  upl_read_summary *sum, upl_error *err) {
    int rc = UPL_OK;
    char *buf = NULL;
    size_t len = 0, map_len = 0;
    reader rd;
    upl_pool *pool = NULL;
    upl_table *t = NULL;
    uint64_t *dead = NULL;
    upl_reject_list all = { 0 };
    char *rej_path = NULL;
    memset(&rd, 0, sizeof rd);
    rd.path = path;
    rd.opt = opt;
    rd.missing = opt->missing_tokens;
    rd.n_missing = opt->n_missing_tokens;
    for (size_t i = 0; i < rd.n_missing; i++)
        if (strlen(rd.missing[i]) > rd.missing_max) rd.missing_max = strlen(rd.missing[i]);

    if (upl_pool_new(opt->n_threads, &pool)) { rc = upl_error_set(err, UPL_ENOMEM, "cannot start threads"); goto fail; }
    UPL_TRY(upl__map_file(path, opt->max_file_bytes, &buf, &len, &map_len, err));
    sum->bytes = len;
    const char *text = NULL;
    UPL_TRY(decode(path, opt, pool, &buf, &map_len, &text, &len, sum, err));
    rd.buf = text;
    rd.end = text + len;
    UPL_TRY(header(&rd, sum, err));
    UPL_TRY(apply_schema(&rd, sum, err));

    if (make_chunks(&rd, upl_pool_threads(pool))) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }

    /* Pass 1, then fix wrong speculative starts in order. */
    rc = upl_pool_for_chunks(pool, rd.n_chunks, 1, pass1_chunk, &rd);
    if (rc) { rc = upl_error_set(err, rc, "out of memory while parsing `%s`", path); goto fail; }
    for (size_t i = 1; i < rd.n_chunks; i++) {
        chunk *prev = &rd.chunks[i - 1], *c = &rd.chunks[i];
        if (prev->end == c->begin) { c->is_checked = true; continue; }
        /* Wrong guess (a quoted line break, or the previous chunk's last
         * record ran past this start): parse again from where it stopped. */
        chunk_reset(&rd, c);
        c->begin = prev->end;
        if (c->begin > c->limit) c->limit = c->begin;
        if (pass1_chunk(&rd, i, 0, 0)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        c->is_checked = true;
    }
    uint64_t line = 1 + rd.header_lines, recs = 0, rows = 0;
    for (size_t i = 0; i < rd.n_chunks; i++) {
        chunk *c = &rd.chunks[i];
        c->line_base = line;
        c->rec_base = recs;
        c->row_base = rows;
        if (c->is_unterminated) {
            rc = upl_error_at(err, UPL_EPARSE, path, line + c->unterminated_line_rel, c->unterminated_col,
                              c->unterminated_col && c->unterminated_col <= rd.n_cols ? rd.names[c->unterminated_col - 1] : NULL,
                              "a quoted field opened here is never closed before the end of the file; "
                              "nothing was loaded (引号未闭合，文件不完整，未载入任何数据)");
            goto fail;
        }
        line += c->n_lines;
        recs += c->n_records;
        rows += c->n_ok;
    }
    sum->rows_read = recs;

    /* Decide types, build dictionaries, size columns. */
    t = upl_table_new();
    if (!t) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t j = 0; j < rd.n_cols; j++) {
        colinfo *ci = &rd.cols[j];
        if (ci->out < 0) continue;
        colstat m = { 0 };
        bool overflow = false;
        for (size_t i = 0; i < rd.n_chunks; i++) {
            colstat *s = &rd.chunks[i].stats[j];
            m.n_present += s->n_present; m.n_missing += s->n_missing; m.n_i64 += s->n_i64;
            m.n_f64 += s->n_f64; m.n_bool += s->n_bool; m.n_human += s->n_human; m.n_other += s->n_other;
            m.bytes += s->bytes;
            m.any_lzero |= s->any_lzero;
            m.any_ovf |= s->any_ovf;
            overflow |= s->is_overflow;
        }
        /* Merge label sets in chunk order = order of first appearance. */
        if (ci->wants_set && !overflow) {
            for (size_t i = 0; i < rd.n_chunks && !overflow; i++) {
                dset *s = &rd.chunks[i].stats[j].set;
                for (uint32_t k = 0; k < s->n; k++) {
                    dentry *e = &s->items[k];
                    if (dset_find(&ci->dict, &e->k, e->s) >= 0) continue;
                    if (!ci->unlimited_set && ci->dict.n >= CAT_MAX_DISTINCT) { overflow = true; break; }
                    if (dset_insert(&ci->dict, &e->k, e->s)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
                }
            }
        }
        m.is_overflow = overflow;
        m.set = ci->dict;
        ci->final = decide(ci, &m);
        static const upl_type tmap[] = { UPL_STR, UPL_F64, UPL_I64, UPL_BOOL, UPL_CAT, UPL_STR };
        UPL_TRY(upl_table_add_column(t, ci->name, tmap[ci->final], &ci->col, err));
        ci->col->is_text_kept = ci->final == K_STR && (ci->is_kept_text || m.any_lzero || m.any_ovf);
        if (upl_col_reserve(ci->col, rows ? (size_t)rows : 1, ci->final == K_STR ? (size_t)m.bytes + 1 : 0)) {
            rc = upl_error_set(err, UPL_ENOMEM, "out of memory for column `%s`", ci->name);
            goto fail;
        }
        /* No MADV_HUGEPAGE on the new column arrays: measured on the
         * 2-core VM (10M members), it doubled system time (3-4 s against
         * 1.6 s: synchronous compaction and huge-page zeroing under a full
         * page cache) for fewer faults that cost less than that. */
        if (ci->final == K_CAT) {
            if (!ci->col->dict && !(ci->col->dict = upl_dict_new())) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
            for (uint32_t k = 0; k < ci->dict.n; k++) {
                int32_t code;
                if (upl_dict_intern(ci->col->dict, ci->dict.items[k].s, ci->dict.items[k].k.len, &code)) {
                    rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
                    goto fail;
                }
            }
        }
        if (ci->final == K_STR) {
            uint64_t base = 0;
            for (size_t i = 0; i < rd.n_chunks; i++) {
                rd.chunks[i].str_base[j] = base;
                base += rd.chunks[i].stats[j].bytes;
            }
            ci->col->str_off[0] = 0;
        }
    }
    for (size_t i = 0; i < rd.n_chunks; i++)     /* the sets are no longer needed */
        for (size_t j = 0; j < rd.n_cols; j++) dset_free(&rd.chunks[i].stats[j].set);

    rc = upl_pool_for_chunks(pool, rd.n_chunks, 1, pass2_chunk, &rd);
    if (rc) { rc = upl_error_set(err, rc, "out of memory while loading `%s`", path); goto fail; }

    /* Finish columns, squeeze out rows rejected in pass 2. */
    size_t n_dead = 0;
    for (size_t i = 0; i < rd.n_chunks; i++) n_dead += rd.chunks[i].n_dead;
    for (size_t j = 0; j < rd.n_cols; j++) {
        colinfo *ci = &rd.cols[j];
        if (ci->out < 0) continue;
        ci->col->n_rows = (size_t)rows;
        if (ci->final == K_STR) {
            uint64_t total = 0;
            for (size_t i = 0; i < rd.n_chunks; i++) total += rd.chunks[i].stats[j].bytes;
            ci->col->str_off[rows] = total;
            ci->col->str_bytes = (size_t)total;
        }
    }
    if (n_dead) {
        dead = upl_malloc(n_dead * sizeof *dead);
        if (!dead) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        size_t k = 0;
        for (size_t i = 0; i < rd.n_chunks; i++)
            for (size_t d = 0; d < rd.chunks[i].n_dead; d++) dead[k++] = rd.chunks[i].dead[d];
        compact(&rd, dead, n_dead, (size_t)rows);
    }
    sum->rows_loaded = rows - n_dead;

    /* Rejects: absolute numbers, file order. */
    for (size_t i = 0; i < rd.n_chunks; i++) {
        chunk *c = &rd.chunks[i];
        for (size_t k = 0; k < c->rej.n; k++) {
            upl_reject r = c->rej.items[k];
            r.record += c->rec_base;
            r.line += c->line_base;
            if (upl__reject_push(&all, &r)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        }
    }
    upl__reject_list_sort(&all);
    upl__reject_count(&all, sum);
    if (!opt->is_rejects_disabled && (all.n > 0 || opt->rejects_path)) {
        rej_path = upl__rejects_path(path, opt);
        if (!rej_path) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        UPL_TRY(upl__rejects_write(rej_path, path, &all, rd.names, rd.n_cols, err));
    }
    if (sum->rows_loaded + sum->rows_rejected != sum->rows_read) {
        rc = upl_error_set(err, UPL_EPARSE, "internal accounting error: %llu read, %llu loaded, %llu rejected",
                           (unsigned long long)sum->rows_read, (unsigned long long)sum->rows_loaded,
                           (unsigned long long)sum->rows_rejected);
        goto fail;
    }
    if (upl_table_set_meta(t, "source", path) || upl_table_set_meta(t, "format", "csv") ||
        upl_table_set_meta(t, "encoding", sum->encoding)) {
        rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        goto fail;
    }
    *out = t;
    t = NULL;
fail:
    upl_free(rej_path);
    upl__reject_list_free(&all);
    upl_free(dead);
    upl_table_free(t);
    free_reader(&rd);
    upl_pool_free(pool);
    upl__unmap_file(buf, map_len);
    return rc;
}
