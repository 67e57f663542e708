/* table.h — typed columns and tables, chunked parallel loops, compensated
 * sums, radix sort, group-by: the data core every module works on.
 *
 * A table is a set of equally long, named columns. A column has one type:
 *   UPL_F64   double
 *   UPL_I64   int64_t
 *   UPL_CAT   int32_t codes into a dictionary of UTF-8 labels (code = index)
 *   UPL_BOOL  uint8_t 0/1
 *   UPL_STR   UTF-8 strings (offsets + bytes), kept byte for byte
 * and a validity bitmap (bit i set = row i present). Missing is never zero:
 * a missing row's value slot is unspecified (writers set it to 0/NaN), and
 * only the bitmap says whether the value exists.
 *
 * Column structs are public so hot loops read the arrays directly; change
 * them only through the functions here. A column may be "borrowed" (its
 * arrays point into a memory-mapped snapshot); such columns are read-only.
 *
 * Thread-safety: a table may be read from many threads at once; writes need
 * external synchronisation. */
#ifndef UPLIFT_TABLE_H
#define UPLIFT_TABLE_H

#include "defs.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum upl_type {
    UPL_F64 = 1,
    UPL_I64 = 2,
    UPL_CAT = 3,
    UPL_BOOL = 4,
    UPL_STR = 5
} upl_type;

/* "f64", "i64", "cat", "bool", "str"; "?" for anything else. */
UPL_EXPORT const char *upl_type_name(upl_type t);
/* Parse a type name (also accepts "double", "int", "category", "string", "text"). */
UPL_EXPORT int upl_type_parse(const char *name, upl_type *out);

/* ---- Dictionary: category labels <-> dense int32 codes --------------------- */
typedef struct upl_dict upl_dict;
UPL_EXPORT upl_dict *upl_dict_new(void);          /* free with upl_dict_free */
UPL_EXPORT void upl_dict_free(upl_dict *d);       /* NULL is a no-op */
/* Code of label (inserting it if new). Label is copied. */
UPL_EXPORT int upl_dict_intern(upl_dict *d, const char *label, size_t len, int32_t *code) UPL_MUST_CHECK;
/* Code of label, or -1 when absent. */
UPL_EXPORT int32_t upl_dict_find(const upl_dict *d, const char *label, size_t len);
UPL_EXPORT int32_t upl_dict_size(const upl_dict *d);
/* Label of a code (borrowed, NUL-terminated), NULL if out of range. */
UPL_EXPORT const char *upl_dict_label(const upl_dict *d, int32_t code);
UPL_EXPORT size_t upl_dict_label_len(const upl_dict *d, int32_t code);

/* ---- Columns ---------------------------------------------------------------- */
typedef struct upl_column {
    char *name;            /* owned (unless borrowed), NUL-terminated UTF-8 */
    upl_type type;
    size_t n_rows;
    size_t capacity;       /* rows allocated */
    uint64_t *valid;       /* bitmap, ceil(capacity/64) words; bit set = present */
    union {
        double *f64;
        int64_t *i64;
        int32_t *cat;
        uint8_t *b;
        void *raw;
    } v;
    /* UPL_STR only: row i is bytes [str_off[i], str_off[i+1]) of str_data. */
    uint64_t *str_off;     /* n_rows + 1 entries */
    char *str_data;
    size_t str_bytes;      /* bytes used in str_data */
    size_t str_capacity;
    upl_dict *dict;        /* UPL_CAT only: owned */
    bool is_borrowed;      /* arrays live in a mapping; do not modify or free */
    bool is_text_kept;     /* hint: text column kept as text on purpose (leading zeros) */
} upl_column;

static inline bool upl_col_is_valid(const upl_column *c, size_t row) {
    return (c->valid[row >> 6] >> (row & 63)) & 1u;
}
/* Pointer to row i's bytes of a UPL_STR column; *len gets its length. */
static inline const char *upl_col_str(const upl_column *c, size_t row, size_t *len) {
    *len = (size_t)(c->str_off[row + 1] - c->str_off[row]);
    return c->str_data + c->str_off[row];
}

/* Make room for at least `rows` rows (and `str_bytes` string bytes). */
UPL_EXPORT int upl_col_reserve(upl_column *c, size_t rows, size_t str_bytes) UPL_MUST_CHECK;
/* Append one value; *_null appends a missing row of any type. */
UPL_EXPORT int upl_col_push_f64(upl_column *c, double v) UPL_MUST_CHECK;
UPL_EXPORT int upl_col_push_i64(upl_column *c, int64_t v) UPL_MUST_CHECK;
UPL_EXPORT int upl_col_push_bool(upl_column *c, bool v) UPL_MUST_CHECK;
UPL_EXPORT int upl_col_push_str(upl_column *c, const char *s, size_t len) UPL_MUST_CHECK;
/* Append the category with this label (interned into c->dict). */
UPL_EXPORT int upl_col_push_cat(upl_column *c, const char *label, size_t len) UPL_MUST_CHECK;
/* Append a raw dictionary code (must already exist in c->dict). */
UPL_EXPORT int upl_col_push_code(upl_column *c, int32_t code) UPL_MUST_CHECK;
UPL_EXPORT int upl_col_push_null(upl_column *c) UPL_MUST_CHECK;
/* Set validity of an existing row. */
UPL_EXPORT void upl_col_set_valid(upl_column *c, size_t row, bool is_valid);
/* Number of missing rows. */
UPL_EXPORT size_t upl_col_null_count(const upl_column *c);
/* Value as double for F64/I64/BOOL (CAT gives the code); false if missing. */
UPL_EXPORT bool upl_col_get_f64(const upl_column *c, size_t row, double *out);
/* Render row `row` as text into a caller buffer growing as needed.
 * Missing renders as "" and returns false. Doubles use the shortest text
 * that reads back to the same value (%.17g fallback). */
UPL_EXPORT bool upl_col_format(const upl_column *c, size_t row, char **buf, size_t *cap, size_t *len);

/* ---- Tables ----------------------------------------------------------------- */
typedef struct upl_table upl_table;

UPL_EXPORT upl_table *upl_table_new(void);   /* free with upl_table_free */
UPL_EXPORT void upl_table_free(upl_table *t); /* NULL is a no-op */
/* Add an empty column; returns a borrowed pointer in *out (valid until the
 * table is freed). A duplicate name is UPL_ESCHEMA. */
UPL_EXPORT int upl_table_add_column(upl_table *t, const char *name, upl_type type,
                                    upl_column **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT size_t upl_table_n_cols(const upl_table *t);
/* Rows of the table = rows of its first column (all must be equal; see
 * upl_table_validate). */
UPL_EXPORT size_t upl_table_n_rows(const upl_table *t);
UPL_EXPORT upl_column *upl_table_column(const upl_table *t, size_t i);
/* Column by exact name, or NULL. */
UPL_EXPORT upl_column *upl_table_find(const upl_table *t, const char *name);
/* Column by name that must exist and have one of the given types
 * (type_mask: bit (1 << type)); otherwise an error naming the column and,
 * when absent, the columns that do exist. */
UPL_EXPORT int upl_table_require(const upl_table *t, const char *name, unsigned type_mask,
                                 upl_column **out, upl_error *err) UPL_MUST_CHECK;
#define UPL_MASK(t) (1u << (t))
#define UPL_MASK_NUMERIC (UPL_MASK(UPL_F64) | UPL_MASK(UPL_I64) | UPL_MASK(UPL_BOOL))
/* Check that every column has the same number of rows. */
UPL_EXPORT int upl_table_validate(const upl_table *t, upl_error *err) UPL_MUST_CHECK;
/* Attach an opaque keep-alive (e.g. a mapping) freed by `release` with the table. */
UPL_EXPORT void upl_table_set_backing(upl_table *t, void *backing, void (*release)(void *));
/* Free-form metadata (source path, encoding...) as key/value strings. */
UPL_EXPORT int upl_table_set_meta(upl_table *t, const char *key, const char *value) UPL_MUST_CHECK;
UPL_EXPORT const char *upl_table_meta(const upl_table *t, const char *key);

/* Copy column `src` (all rows) as a new column of the same type into dst. */
UPL_EXPORT int upl_table_copy_column(upl_table *dst, const upl_column *src, const char *new_name,
                                     upl_error *err) UPL_MUST_CHECK;

/* A new table with the given rows of t, in the given order (a row may
 * repeat); every column keeps its name, type, validity and dictionary.
 * Free with upl_table_free(). Rows out of range are UPL_ERANGE. */
UPL_EXPORT int upl_table_take(const upl_table *t, const size_t *rows, size_t n_rows, upl_table **out,
                              upl_error *err) UPL_MUST_CHECK;

/* ---- Compensated (Neumaier) summation -------------------------------------- */
typedef struct upl_ksum { double s, c; } upl_ksum;
static inline void upl_ksum_add(upl_ksum *k, double x) {
    double t = k->s + x;
    if ((k->s >= 0 ? k->s : -k->s) >= (x >= 0 ? x : -x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}
static inline void upl_ksum_merge(upl_ksum *a, const upl_ksum *b) {
    upl_ksum_add(a, b->s);
    upl_ksum_add(a, b->c);
}
static inline double upl_ksum_value(const upl_ksum *k) { return k->s + k->c; }

/* ---- Exact fractions -------------------------------------------------------
 * Policy weights and cutoffs (1/6, 1/18, k = 1/3) held exactly, so sums and
 * comparisons of weights never suffer binary rounding. den > 0, reduced. */
typedef struct upl_rational { int64_t num, den; } upl_rational;
/* "1/6", "0.25", "33%", "2", "-1/2" -> exact fraction (decimals are exact
 * decimal fractions: 0.33 = 33/100). UPL_EPARSE on bad text, UPL_ERANGE when
 * the digits overflow 64 bits; err may be NULL. */
UPL_EXPORT int upl_rational_parse(const char *s, upl_rational *out, upl_error *err) UPL_MUST_CHECK;
static inline double upl_rational_value(upl_rational r) { return (double)r.num / (double)r.den; }
/* Greatest common divisor of |a| and |b| (0 when both are 0). */
UPL_EXPORT int64_t upl_gcd64(int64_t a, int64_t b);

/* ---- Chunked parallel loops -------------------------------------------------
 * Work is split into fixed-size chunks of rows; the chunk layout depends only
 * on n_rows and chunk_rows, never on the thread count. Callers keep one
 * accumulator per chunk and merge them in chunk order, so results are
 * bit-identical for 1, 2 or 64 threads. */
#define UPL_CHUNK_ROWS ((size_t)65536)

typedef struct upl_pool upl_pool;
/* n_threads <= 0: number of online CPUs. Free with upl_pool_free. */
UPL_EXPORT int upl_pool_new(int n_threads, upl_pool **out) UPL_MUST_CHECK;
UPL_EXPORT void upl_pool_free(upl_pool *p);   /* NULL is a no-op */
UPL_EXPORT int upl_pool_threads(const upl_pool *p);
/* Call fn(ctx, chunk, begin, end) for every chunk [begin, end) of n_rows
 * rows, on the pool's threads (pool NULL = the calling thread only). The
 * first non-OK return stops handing out chunks and is returned. One call at
 * a time per pool (not re-entrant: fn must not call back into the same pool). */
typedef int (*upl_chunk_fn)(void *ctx, size_t chunk, size_t begin, size_t end);
UPL_EXPORT int upl_pool_for_chunks(upl_pool *p, size_t n_rows, size_t chunk_rows,
                                   upl_chunk_fn fn, void *ctx) UPL_MUST_CHECK;
static inline size_t upl_n_chunks(size_t n_rows, size_t chunk_rows) {
    return n_rows == 0 ? 0 : (n_rows + chunk_rows - 1) / chunk_rows;
}

/* ---- Sorting ------------------------------------------------------------------
 * LSD radix sort of doubles ascending (IEEE total order; -0.0 before +0.0;
 * NaN must not be present), carrying an 8-byte payload per key (an index,
 * or a weight stored as double). Stable. O(n) extra memory; falls back to
 * insertion sort for small n. */
UPL_EXPORT int upl_sort_f64_u64(double *keys, uint64_t *payload, size_t n) UPL_MUST_CHECK;
UPL_EXPORT int upl_sort_f64_f64(double *keys, double *payload, size_t n) UPL_MUST_CHECK;
/* Keys only. */
UPL_EXPORT int upl_sort_f64(double *keys, size_t n) UPL_MUST_CHECK;

/* ---- Group-by ----------------------------------------------------------------
 * Assign each row a dense group id from the combination of one or more key
 * columns (CAT, STR, I64, BOOL; F64 only if integral). Rows with a missing
 * key get group -1 (reported in n_missing_key). Groups are numbered in
 * sorted order of their keys (numeric keys numerically, text bytewise), so
 * output order is deterministic. */
typedef struct upl_groupby {
    size_t n_rows;
    int32_t *group_of_row;  /* n_rows entries; -1 = a key is missing */
    int32_t n_groups;
    size_t n_keys;
    char **key_names;       /* n_keys column names */
    char ***labels;         /* labels[g][k]: key k of group g as text */
    uint64_t *group_rows;   /* rows per group */
    size_t n_missing_key;
} upl_groupby;
UPL_EXPORT int upl_groupby_build(const upl_table *t, const char *const *keys, size_t n_keys,
                                 upl_groupby **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_groupby_free(upl_groupby *g); /* NULL is a no-op */

#ifdef __cplusplus
}
#endif
#endif
