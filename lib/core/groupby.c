/* groupby.c — dense group ids from one or more key columns. Each key column
 * is first reduced to ranks of its distinct values (sorted: numbers
 * numerically, text bytewise), the ranks are combined into one integer per
 * row, and the distinct combinations are numbered in sorted order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/table.h"
#include "core_int.h"

#define MISSING UINT32_MAX

typedef struct keyinfo {
    uint32_t *rank;     /* per row, MISSING if the key is missing */
    char **labels;      /* by rank */
    uint32_t n_distinct;
} keyinfo;

static void keyinfo_free(keyinfo *k) {
    if (!k->labels) { upl_free(k->rank); return; }
    for (uint32_t i = 0; i < k->n_distinct; i++) upl_free(k->labels[i]);
    upl_free(k->labels);
    upl_free(k->rank);
}

typedef struct text_ref { const char *s; size_t len; uint32_t code; } text_ref;

static int cmp_text(const void *a, const void *b) {
    const text_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Ranks for text labels given as a dictionary (codes per row). */
static int rank_dict(const upl_dict *d, const int32_t *codes, const upl_column *c, size_t n, keyinfo *k) {
    int32_t nd = upl_dict_size(d);
    text_ref *refs = upl_malloc(((size_t)nd + 1) * sizeof *refs);
    uint32_t *rank_of_code = upl_malloc(((size_t)nd + 1) * sizeof *rank_of_code);
    k->rank = upl_malloc((n ? n : 1) * sizeof *k->rank);
    k->labels = upl_calloc((size_t)nd + 1, sizeof *k->labels);
    if (!refs || !rank_of_code || !k->rank || !k->labels) goto nomem;
    for (int32_t i = 0; i < nd; i++)
        refs[i] = (text_ref){ upl_dict_label(d, i), upl_dict_label_len(d, i), (uint32_t)i };
    qsort(refs, (size_t)nd, sizeof *refs, cmp_text);
    for (int32_t i = 0; i < nd; i++) {
        rank_of_code[refs[i].code] = (uint32_t)i;
        if (!(k->labels[i] = upl_strndup(refs[i].s, refs[i].len))) { k->n_distinct = (uint32_t)i; goto nomem; }
    }
    k->n_distinct = (uint32_t)nd;
    for (size_t r = 0; r < n; r++)
        k->rank[r] = (upl_col_is_valid(c, r) && codes[r] >= 0 && codes[r] < nd) ? rank_of_code[codes[r]] : MISSING;
    upl_free(refs);
    upl_free(rank_of_code);
    return UPL_OK;
nomem:
    upl_free(refs);
    upl_free(rank_of_code);
    return UPL_ENOMEM;
}

static int rank_text(const upl_column *c, keyinfo *k) {
    upl_dict *d = upl_dict_new();
    int32_t *codes = upl_malloc((c->n_rows ? c->n_rows : 1) * sizeof *codes);
    int rc = UPL_ENOMEM;
    if (!d || !codes) goto done;
    for (size_t r = 0; r < c->n_rows; r++) {
        codes[r] = -1;
        if (!upl_col_is_valid(c, r)) continue;
        size_t len;
        const char *s = upl_col_str(c, r, &len);
        if ((rc = upl_dict_intern(d, s, len, &codes[r])) != UPL_OK) goto done;
    }
    rc = rank_dict(d, codes, c, c->n_rows, k);
done:
    upl_dict_free(d);
    upl_free(codes);
    return rc;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int rank_int(const upl_column *c, keyinfo *k, upl_error *err) {
    size_t n = c->n_rows;
    int64_t *vals = upl_malloc((n ? n : 1) * sizeof *vals);
    k->rank = upl_malloc((n ? n : 1) * sizeof *k->rank);
    size_t nv = 0;
    if (!vals || !k->rank) { upl_free(vals); return upl_error_set(err, UPL_ENOMEM, "out of memory in group-by"); }
    for (size_t r = 0; r < n; r++) {
        if (!upl_col_is_valid(c, r)) continue;
        int64_t v;
        if (c->type == UPL_I64) v = c->v.i64[r];
        else if (c->type == UPL_BOOL) v = c->v.b[r];
        else {
            double d = c->v.f64[r];
            if (!(d == (double)(int64_t)d) || d > 9.2e18 || d < -9.2e18) {
                upl_free(vals);
                return upl_error_at(err, UPL_ESCHEMA, NULL, r + 1, 0, c->name,
                                    "group key must be whole numbers or text, found %.17g", d);
            }
            v = (int64_t)d;
        }
        vals[nv++] = v;
    }
    qsort(vals, nv, sizeof *vals, cmp_i64);
    size_t nd = 0;
    for (size_t i = 0; i < nv; i++)
        if (i == 0 || vals[i] != vals[nd - 1]) vals[nd++] = vals[i];
    k->labels = upl_calloc(nd + 1, sizeof *k->labels);
    if (!k->labels) { upl_free(vals); return upl_error_set(err, UPL_ENOMEM, "out of memory in group-by"); }
    for (size_t i = 0; i < nd; i++) {
        if (c->type == UPL_BOOL) k->labels[i] = upl_strdup(vals[i] ? "true" : "false");
        else k->labels[i] = upl_asprintf("%lld", (long long)vals[i]);
        if (!k->labels[i]) { k->n_distinct = (uint32_t)i; upl_free(vals); return upl_error_set(err, UPL_ENOMEM, "out of memory"); }
    }
    k->n_distinct = (uint32_t)nd;
    for (size_t r = 0; r < n; r++) {
        if (!upl_col_is_valid(c, r)) { k->rank[r] = MISSING; continue; }
        int64_t v = c->type == UPL_I64 ? c->v.i64[r] : c->type == UPL_BOOL ? c->v.b[r] : (int64_t)c->v.f64[r];
        const int64_t *hit = bsearch(&v, vals, nd, sizeof *vals, cmp_i64);
        k->rank[r] = (uint32_t)(hit - vals);
    }
    upl_free(vals);
    return UPL_OK;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void upl_groupby_free(upl_groupby *g) {
    if (!g) return;
    for (int32_t i = 0; g->labels && i < g->n_groups; i++) {
        for (size_t k = 0; g->labels[i] && k < g->n_keys; k++) upl_free(g->labels[i][k]);
        upl_free(g->labels[i]);
    }
    upl_free(g->labels);
    for (size_t k = 0; g->key_names && k < g->n_keys; k++) upl_free(g->key_names[k]);
    upl_free(g->key_names);
    upl_free(g->group_of_row);
    upl_free(g->group_rows);
    upl_free(g);
}

int upl_groupby_build(const upl_table *t, const char *const *keys, size_t n_keys, upl_groupby **out,
                      upl_error *err) {
    int rc = UPL_OK;
    *out = NULL;
    keyinfo *ki = NULL;
    uint64_t *combo = NULL, *distinct = NULL;
    upl_groupby *g = NULL;
    size_t n = upl_table_n_rows(t);
    UPL_FAIL_IF(n_keys == 0, err, UPL_EMISUSE, "group-by needs at least one key column");
    ki = upl_calloc(n_keys, sizeof *ki);
    UPL_FAIL_IF(!ki, err, UPL_ENOMEM, "out of memory in group-by");
    uint64_t strides[64];
    UPL_FAIL_IF(n_keys > 64, err, UPL_ELIMIT, "at most 64 group keys");
    for (size_t k = 0; k < n_keys; k++) {
        upl_column *c;
        UPL_TRY(upl_table_require(t, keys[k], 0, &c, err));
        switch (c->type) {
        case UPL_CAT: rc = rank_dict(c->dict, c->v.cat, c, n, &ki[k]); break;
        case UPL_STR: rc = rank_text(c, &ki[k]); break;
        default: rc = rank_int(c, &ki[k], err); break;
        }
        if (rc == UPL_ENOMEM) upl_error_set(err, rc, "out of memory in group-by");
        if (rc) goto fail;
    }
    /* mixed radix, first key most significant: sorted combos sort by key 1, then key 2... */
    uint64_t stride = 1;
    for (size_t k = n_keys; k-- > 0;) {
        strides[k] = stride;
        uint64_t card = ki[k].n_distinct ? ki[k].n_distinct : 1;
        UPL_FAIL_IF(stride > (UINT64_MAX - 1) / card, err, UPL_ELIMIT, "too many key combinations in group-by");
        stride *= card;
    }
    combo = upl_malloc((n ? n : 1) * sizeof *combo);
    distinct = upl_malloc((n ? n : 1) * sizeof *distinct);
    g = upl_calloc(1, sizeof *g);
    UPL_FAIL_IF(!combo || !distinct || !g, err, UPL_ENOMEM, "out of memory in group-by");
    g->n_rows = n;
    g->n_keys = n_keys;
    g->group_of_row = upl_malloc((n ? n : 1) * sizeof *g->group_of_row);
    g->key_names = upl_calloc(n_keys, sizeof *g->key_names);
    UPL_FAIL_IF(!g->group_of_row || !g->key_names, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t k = 0; k < n_keys; k++)
        UPL_FAIL_IF(!(g->key_names[k] = upl_strdup(keys[k])), err, UPL_ENOMEM, "out of memory");
    size_t nd = 0;
    for (size_t r = 0; r < n; r++) {
        uint64_t v = 0;
        bool missing = false;
        for (size_t k = 0; k < n_keys; k++) {
            uint32_t rk = ki[k].rank[r];
            if (rk == MISSING) { missing = true; break; }
            v += (uint64_t)rk * strides[k];
        }
        combo[r] = missing ? UINT64_MAX : v;
        if (!missing) distinct[nd++] = v;
    }
    qsort(distinct, nd, sizeof *distinct, cmp_u64);
    size_t ng = 0;
    for (size_t i = 0; i < nd; i++)
        if (i == 0 || distinct[i] != distinct[ng - 1]) distinct[ng++] = distinct[i];
    UPL_FAIL_IF(ng > INT32_MAX, err, UPL_ELIMIT, "too many groups");
    g->n_groups = (int32_t)ng;
    g->labels = upl_calloc(ng + 1, sizeof *g->labels);
    g->group_rows = upl_calloc(ng + 1, sizeof *g->group_rows);
    UPL_FAIL_IF(!g->labels || !g->group_rows, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t r = 0; r < n; r++) {
        if (combo[r] == UINT64_MAX) { g->group_of_row[r] = -1; g->n_missing_key++; continue; }
        const uint64_t *hit = bsearch(&combo[r], distinct, ng, sizeof *distinct, cmp_u64);
        g->group_of_row[r] = (int32_t)(hit - distinct);
        g->group_rows[hit - distinct]++;
    }
    for (size_t i = 0; i < ng; i++) {
        g->labels[i] = upl_calloc(n_keys, sizeof **g->labels);
        UPL_FAIL_IF(!g->labels[i], err, UPL_ENOMEM, "out of memory in group-by");
        uint64_t v = distinct[i];
        for (size_t k = 0; k < n_keys; k++) {
            uint64_t rk = v / strides[k];
            v -= rk * strides[k];
            g->labels[i][k] = upl_strdup(ki[k].labels[rk]);
            UPL_FAIL_IF(!g->labels[i][k], err, UPL_ENOMEM, "out of memory in group-by");
        }
    }
    *out = g;
    g = NULL;
fail:
    for (size_t k = 0; ki && k < n_keys; k++) keyinfo_free(&ki[k]);
    upl_free(ki);
    upl_free(combo);
    upl_free(distinct);
    upl_groupby_free(g);
    return rc;
}
