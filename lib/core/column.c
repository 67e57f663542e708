/* column.c — typed columns with validity bitmaps, and the category
 * dictionary (labels <-> dense int32 codes, open-addressing hash). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/table.h"
#include "core_int.h"

/* ---- dictionary ---- */
struct upl_dict {
    char **labels;
    size_t *lens;
    int32_t n, cap;
    int32_t *slots;   /* hash slots: code or -1 */
    size_t n_slots;   /* power of two */
};

uint64_t upl__hash_bytes(const void *data, size_t len) {
    /* FNV-1a 64, then a final avalanche (splitmix64 finaliser). */
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) { h ^= p[i]; h *= 1099511628211ull; }
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27; h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

upl_dict *upl_dict_new(void) { return upl_calloc(1, sizeof(upl_dict)); }

void upl_dict_free(upl_dict *d) {
    if (!d) return;
    for (int32_t i = 0; i < d->n; i++) upl_free(d->labels[i]);
    upl_free(d->labels);
    upl_free(d->lens);
    upl_free(d->slots);
    upl_free(d);
}

int32_t upl_dict_size(const upl_dict *d) { return d ? d->n : 0; }

const char *upl_dict_label(const upl_dict *d, int32_t code) {
    return (d && code >= 0 && code < d->n) ? d->labels[code] : NULL;
}

size_t upl_dict_label_len(const upl_dict *d, int32_t code) {
    return (d && code >= 0 && code < d->n) ? d->lens[code] : 0;
}

int32_t upl_dict_find(const upl_dict *d, const char *label, size_t len) {
    if (!d || !d->n_slots) return -1;
    size_t mask = d->n_slots - 1;
    for (size_t i = upl__hash_bytes(label, len) & mask;; i = (i + 1) & mask) {
        int32_t c = d->slots[i];
        if (c < 0) return -1;
        if (d->lens[c] == len && memcmp(d->labels[c], label, len) == 0) return c;
    }
}

static int dict_rehash(upl_dict *d, size_t n_slots) {
    int32_t *slots = upl_malloc(n_slots * sizeof *slots);
    if (!slots) return UPL_ENOMEM;
    memset(slots, 0xff, n_slots * sizeof *slots);
    size_t mask = n_slots - 1;
    for (int32_t c = 0; c < d->n; c++) {
        size_t i = upl__hash_bytes(d->labels[c], d->lens[c]) & mask;
        while (slots[i] >= 0) i = (i + 1) & mask;
        slots[i] = c;
    }
    upl_free(d->slots);
    d->slots = slots;
    d->n_slots = n_slots;
    return UPL_OK;
}

int upl_dict_intern(upl_dict *d, const char *label, size_t len, int32_t *code) {
    int32_t c = upl_dict_find(d, label, len);
    if (c >= 0) { *code = c; return UPL_OK; }
    if (d->n == INT32_MAX) return UPL_ELIMIT;
    if ((size_t)(d->n + 1) * 2 > d->n_slots) {
        if (dict_rehash(d, d->n_slots ? d->n_slots * 2 : 64) != UPL_OK) return UPL_ENOMEM;
    }
    if (d->n == d->cap) {
        int32_t cap = d->cap ? d->cap * 2 : 16;
        char **l = upl_reallocarray(d->labels, (size_t)cap, sizeof *l);
        if (!l) return UPL_ENOMEM;
        d->labels = l;
        size_t *ln = upl_reallocarray(d->lens, (size_t)cap, sizeof *ln);
        if (!ln) return UPL_ENOMEM;
        d->lens = ln;
        d->cap = cap;
    }
    char *s = upl_strndup(label, len);
    if (!s) return UPL_ENOMEM;
    c = d->n++;
    d->labels[c] = s;
    d->lens[c] = len;
    size_t mask = d->n_slots - 1;
    size_t i = upl__hash_bytes(label, len) & mask;
    while (d->slots[i] >= 0) i = (i + 1) & mask;
    d->slots[i] = c;
    *code = c;
    return UPL_OK;
}

/* ---- types ---- */
const char *upl_type_name(upl_type t) {
    switch (t) {
    case UPL_F64: return "f64";
    case UPL_I64: return "i64";
    case UPL_CAT: return "cat";
    case UPL_BOOL: return "bool";
    case UPL_STR: return "str";
    }
    return "?";
}

int upl_type_parse(const char *name, upl_type *out) {
    static const struct { const char *n; upl_type t; } names[] = {
        {"f64", UPL_F64}, {"double", UPL_F64}, {"float", UPL_F64}, {"number", UPL_F64},
        {"i64", UPL_I64}, {"int", UPL_I64}, {"integer", UPL_I64},
        {"cat", UPL_CAT}, {"category", UPL_CAT}, {"categorical", UPL_CAT},
        {"bool", UPL_BOOL}, {"boolean", UPL_BOOL},
        {"str", UPL_STR}, {"string", UPL_STR}, {"text", UPL_STR},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].n)) { *out = names[i].t; return UPL_OK; }
    return UPL_EMISUSE;
}

static size_t value_size(upl_type t) {
    switch (t) {
    case UPL_F64: return sizeof(double);
    case UPL_I64: return sizeof(int64_t);
    case UPL_CAT: return sizeof(int32_t);
    case UPL_BOOL: return 1;
    case UPL_STR: return 0;
    }
    return 0;
}

/* ---- columns ---- */
int upl_col_reserve(upl_column *c, size_t rows, size_t str_bytes) {
    if (c->is_borrowed) return UPL_EMISUSE;
    if (rows > c->capacity) {
        /* Double when appending one row at a time; take an exact request
         * (a reader that knows its row count) as it is, so national-scale
         * columns are not rounded up to the next power of two. */
        size_t cap = c->capacity ? (c->capacity > SIZE_MAX / 4 ? rows : c->capacity * 2) : 64;
        if (cap < rows) cap = rows;
        size_t words_old = (c->capacity + 63) / 64, words = (cap + 63) / 64;
        uint64_t *v = upl_reallocarray(c->valid, words, sizeof *v);
        if (!v) return UPL_ENOMEM;
        memset(v + words_old, 0, (words - words_old) * sizeof *v);
        c->valid = v;
        if (c->type == UPL_STR) {
            uint64_t *off = upl_reallocarray(c->str_off, cap + 1, sizeof *off);
            if (!off) return UPL_ENOMEM;
            if (!c->str_off) off[0] = 0;
            c->str_off = off;
        } else {
            void *p = upl_reallocarray(c->v.raw, cap, value_size(c->type));
            if (!p) return UPL_ENOMEM;
            c->v.raw = p;
        }
        c->capacity = cap;
    }
    if (c->type == UPL_STR && str_bytes > c->str_capacity) {
        size_t cap = c->str_capacity ? c->str_capacity : 1024;
        while (cap < str_bytes) cap = cap > SIZE_MAX / 4 ? str_bytes : cap * 2;
        char *d = upl_realloc(c->str_data, cap);
        if (!d) return UPL_ENOMEM;
        c->str_data = d;
        c->str_capacity = cap;
    }
    return UPL_OK;
}

static inline int grow1(upl_column *c) {
    if (c->n_rows < c->capacity) return UPL_OK;
    return upl_col_reserve(c, c->n_rows + 1, 0);
}

static inline void mark(upl_column *c, size_t row, bool ok) {
    uint64_t bit = 1ull << (row & 63);
    if (ok) c->valid[row >> 6] |= bit;
    else c->valid[row >> 6] &= ~bit;
}

void upl_col_set_valid(upl_column *c, size_t row, bool is_valid) { mark(c, row, is_valid); }

int upl_col_push_f64(upl_column *c, double v) {
    if (c->type != UPL_F64) return UPL_EMISUSE;
    if (grow1(c)) return UPL_ENOMEM;
    c->v.f64[c->n_rows] = v;
    mark(c, c->n_rows++, true);
    return UPL_OK;
}

int upl_col_push_i64(upl_column *c, int64_t v) {
    if (c->type != UPL_I64) return UPL_EMISUSE;
    if (grow1(c)) return UPL_ENOMEM;
    c->v.i64[c->n_rows] = v;
    mark(c, c->n_rows++, true);
    return UPL_OK;
}

int upl_col_push_bool(upl_column *c, bool v) {
    if (c->type != UPL_BOOL) return UPL_EMISUSE;
    if (grow1(c)) return UPL_ENOMEM;
    c->v.b[c->n_rows] = v ? 1 : 0;
    mark(c, c->n_rows++, true);
    return UPL_OK;
}

int upl_col_push_str(upl_column *c, const char *s, size_t len) {
    if (c->type != UPL_STR) return UPL_EMISUSE;
    if (grow1(c)) return UPL_ENOMEM;
    if (c->str_bytes + len > c->str_capacity && upl_col_reserve(c, 0, c->str_bytes + len)) return UPL_ENOMEM;
    if (len) memcpy(c->str_data + c->str_bytes, s, len);
    c->str_bytes += len;
    c->str_off[c->n_rows + 1] = c->str_bytes;
    mark(c, c->n_rows++, true);
    return UPL_OK;
}

int upl_col_push_code(upl_column *c, int32_t code) {
    if (c->type != UPL_CAT || !c->dict || code < 0 || code >= upl_dict_size(c->dict)) return UPL_EMISUSE;
    if (grow1(c)) return UPL_ENOMEM;
    c->v.cat[c->n_rows] = code;
    mark(c, c->n_rows++, true);
    return UPL_OK;
}

int upl_col_push_cat(upl_column *c, const char *label, size_t len) {
    if (c->type != UPL_CAT) return UPL_EMISUSE;
    if (!c->dict && !(c->dict = upl_dict_new())) return UPL_ENOMEM;
    int32_t code;
    int rc = upl_dict_intern(c->dict, label, len, &code);
    if (rc) return rc;
    return upl_col_push_code(c, code);
}

int upl_col_push_null(upl_column *c) {
    if (grow1(c)) return UPL_ENOMEM;
    switch (c->type) {
    case UPL_F64: c->v.f64[c->n_rows] = NAN; break;
    case UPL_I64: c->v.i64[c->n_rows] = 0; break;
    case UPL_CAT: c->v.cat[c->n_rows] = -1; break;
    case UPL_BOOL: c->v.b[c->n_rows] = 0; break;
    case UPL_STR: c->str_off[c->n_rows + 1] = c->str_bytes; break;
    }
    mark(c, c->n_rows++, false);
    return UPL_OK;
}

size_t upl_col_null_count(const upl_column *c) {
    size_t valid = 0, full = c->n_rows / 64;
    for (size_t w = 0; w < full; w++) valid += (size_t)__builtin_popcountll(c->valid[w]);
    if (c->n_rows & 63) valid += (size_t)__builtin_popcountll(c->valid[full] & ((1ull << (c->n_rows & 63)) - 1));
    return c->n_rows - valid;
}

bool upl_col_get_f64(const upl_column *c, size_t row, double *out) {
    if (row >= c->n_rows || !upl_col_is_valid(c, row)) return false;
    switch (c->type) {
    case UPL_F64: *out = c->v.f64[row]; return true;
    case UPL_I64: *out = (double)c->v.i64[row]; return true;
    case UPL_CAT: *out = (double)c->v.cat[row]; return true;
    case UPL_BOOL: *out = c->v.b[row]; return true;
    case UPL_STR: return false;
    }
    return false;
}

static bool ensure(char **buf, size_t *cap, size_t need) {
    if (need <= *cap && *buf) return true;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    char *b = upl_realloc(*buf, nc);
    if (!b) return false;
    *buf = b;
    *cap = nc;
    return true;
}

/* Shortest decimal text that reads back to the same double. */
int upl__format_double(double v, char *out, size_t size) {
    if (v == 0) return snprintf(out, size, signbit(v) ? "-0" : "0");
    /* Fast path: whole numbers (counts, codes, yuan) print as integers. */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v)
        return snprintf(out, size, "%lld", (long long)(int64_t)v);
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(out, size, "%.*g", prec, v);
        if (n > 0 && (size_t)n < size && strtod(out, NULL) == v) return n;
    }
    return snprintf(out, size, "%.17g", v);
}

bool upl_col_format(const upl_column *c, size_t row, char **buf, size_t *cap, size_t *len) {
    *len = 0;
    if (!ensure(buf, cap, 64)) return false;
    (*buf)[0] = 0;
    if (row >= c->n_rows || !upl_col_is_valid(c, row)) return false;
    switch (c->type) {
    case UPL_F64: *len = (size_t)upl__format_double(c->v.f64[row], *buf, *cap); break;
    case UPL_I64: *len = (size_t)snprintf(*buf, *cap, "%lld", (long long)c->v.i64[row]); break;
    case UPL_BOOL: *len = (size_t)snprintf(*buf, *cap, "%s", c->v.b[row] ? "true" : "false"); break;
    case UPL_CAT: {
        const char *l = upl_dict_label(c->dict, c->v.cat[row]);
        size_t n = upl_dict_label_len(c->dict, c->v.cat[row]);
        if (!l || !ensure(buf, cap, n + 1)) return false;
        memcpy(*buf, l, n);
        (*buf)[n] = 0;
        *len = n;
        break;
    }
    case UPL_STR: {
        size_t n;
        const char *s = upl_col_str(c, row, &n);
        if (!ensure(buf, cap, n + 1)) return false;
        memcpy(*buf, s, n);
        (*buf)[n] = 0;
        *len = n;
        break;
    }
    }
    return true;
}

void upl__column_release(upl_column *c) {
    if (!c) return;
    if (!c->is_borrowed) {
        upl_free(c->valid);
        upl_free(c->v.raw);
        upl_free(c->str_off);
        upl_free(c->str_data);
        upl_free(c->name);
    }
    upl_dict_free(c->dict);   /* dictionaries are always owned */
    memset(c, 0, sizeof *c);
}
