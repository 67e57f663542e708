/* groupby.c — dense group ids from one or more key columns. Each key column
 * is first reduced to ranks of its distinct values (sorted: numbers
 * numerically, text bytewise), the ranks are combined into one integer per
 * row, and the distinct combinations are numbered in sorted order. Hashing
 * keeps it O(n) in the rows; only distinct values and groups are sorted. */
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

/* Open-addressing map from 64-bit keys to 32-bit values: O(1) per row, so
 * group-by is O(n) plus a sort of the distinct values only. */
typedef struct u64map {
    uint64_t *keys;
    uint32_t *vals;   /* UINT32_MAX = empty slot */
    size_t n_slots, n_used;
} u64map;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27; x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void u64map_free(u64map *m) {
    upl_free(m->keys);
    upl_free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

static int u64map_init(u64map *m, size_t n_slots) {
    m->n_slots = n_slots;
    m->n_used = 0;
    m->keys = upl_malloc(n_slots * sizeof *m->keys);
    m->vals = upl_malloc(n_slots * sizeof *m->vals);
    if (!m->keys || !m->vals) { u64map_free(m); return UPL_ENOMEM; }
    memset(m->vals, 0xff, n_slots * sizeof *m->vals);
    return UPL_OK;
}

/* Slot of key (existing or the empty slot where it belongs). */
static inline size_t u64map_slot(const u64map *m, uint64_t key) {
    size_t mask = m->n_slots - 1;
    size_t i = mix64(key) & mask;
    while (m->vals[i] != UINT32_MAX && m->keys[i] != key) i = (i + 1) & mask;
    return i;
}

/* Insert key with value *val if absent (grows); *val gets the stored value. */
static int u64map_put(u64map *m, uint64_t key, uint32_t *val) {
    size_t i = u64map_slot(m, key);
    if (m->vals[i] != UINT32_MAX) { *val = m->vals[i]; return UPL_OK; }
    if ((m->n_used + 1) * 2 > m->n_slots) {
        u64map bigger;
        if (u64map_init(&bigger, m->n_slots * 2)) return UPL_ENOMEM;
        for (size_t j = 0; j < m->n_slots; j++)
            if (m->vals[j] != UINT32_MAX) {
                size_t k = u64map_slot(&bigger, m->keys[j]);
                bigger.keys[k] = m->keys[j];
                bigger.vals[k] = m->vals[j];
            }
        bigger.n_used = m->n_used;
        u64map_free(m);
        *m = bigger;
        i = u64map_slot(m, key);
    }
    m->keys[i] = key;
    m->vals[i] = *val;
    m->n_used++;
    return UPL_OK;
}

static inline bool int_key(const upl_column *c, size_t r, int64_t *v) {
    if (c->type == UPL_I64) *v = c->v.i64[r];
    else if (c->type == UPL_BOOL) *v = c->v.b[r];
    else {
        double d = c->v.f64[r];
        if (!(d == (double)(int64_t)d) || d > 9.2e18 || d < -9.2e18) return false;
        *v = (int64_t)d;
    }
    return true;
}

static int rank_int(const upl_column *c, keyinfo *k, upl_error *err) {
    size_t n = c->n_rows;
    int rc = UPL_OK;
    u64map map = {0};
    int64_t *vals = NULL;
    uint32_t *rank_of_id = NULL;
    size_t nd = 0, cap = 64;
    k->rank = upl_malloc((n ? n : 1) * sizeof *k->rank);
    vals = upl_malloc(cap * sizeof *vals);
    if (!k->rank || !vals || u64map_init(&map, 256)) goto nomem;
    /* pass 1: first-seen id per distinct value, stored in k->rank */
    for (size_t r = 0; r < n; r++) {
        if (!upl_col_is_valid(c, r)) { k->rank[r] = MISSING; continue; }
        int64_t v;
        if (!int_key(c, r, &v)) {
            rc = upl_error_at(err, UPL_ESCHEMA, NULL, r + 1, 0, c->name,
                              "group key must be whole numbers or text, found %.17g", c->v.f64[r]);
            goto done;
        }
        uint32_t id = (uint32_t)nd;
        if (u64map_put(&map, (uint64_t)v, &id)) goto nomem;
        if (id == nd) {
            if (nd == cap) {
                int64_t *nv = upl_reallocarray(vals, cap * 2, sizeof *nv);
                if (!nv) goto nomem;
                vals = nv;
                cap *= 2;
            }
            vals[nd++] = v;
        }
        k->rank[r] = id;
    }
    /* sort the distinct values; map first-seen ids to ranks */
    int64_t *sorted = upl_malloc((nd ? nd : 1) * sizeof *sorted);
    rank_of_id = upl_malloc((nd ? nd : 1) * sizeof *rank_of_id);
    if (!sorted || !rank_of_id) { upl_free(sorted); goto nomem; }
    memcpy(sorted, vals, nd * sizeof *sorted);
    qsort(sorted, nd, sizeof *sorted, cmp_i64);
    for (size_t i = 0; i < nd; i++) {
        const int64_t *hit = bsearch(&vals[i], sorted, nd, sizeof *sorted, cmp_i64);
        rank_of_id[i] = (uint32_t)(hit - sorted);
    }
    k->labels = upl_calloc(nd + 1, sizeof *k->labels);
    if (!k->labels) { upl_free(sorted); goto nomem; }
    for (size_t i = 0; i < nd; i++) {
        if (c->type == UPL_BOOL) k->labels[i] = upl_strdup(sorted[i] ? "true" : "false");
        else k->labels[i] = upl_asprintf("%lld", (long long)sorted[i]);
        if (!k->labels[i]) { k->n_distinct = (uint32_t)i; upl_free(sorted); goto nomem; }
    }
    k->n_distinct = (uint32_t)nd;
    upl_free(sorted);
    for (size_t r = 0; r < n; r++)
        if (k->rank[r] != MISSING) k->rank[r] = rank_of_id[k->rank[r]];
    goto done;
nomem:
    rc = upl_error_set(err, UPL_ENOMEM, "out of memory in group-by");
done:
    u64map_free(&map);
    upl_free(vals);
    upl_free(rank_of_id);
    return rc;
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
    g = upl_calloc(1, sizeof *g);
    UPL_FAIL_IF(!combo || !g, err, UPL_ENOMEM, "out of memory in group-by");
    g->n_rows = n;
    g->n_keys = n_keys;
    g->group_of_row = upl_malloc((n ? n : 1) * sizeof *g->group_of_row);
    g->key_names = upl_calloc(n_keys, sizeof *g->key_names);
    UPL_FAIL_IF(!g->group_of_row || !g->key_names, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t k = 0; k < n_keys; k++)
        UPL_FAIL_IF(!(g->key_names[k] = upl_strdup(keys[k])), err, UPL_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++) {
        uint64_t v = 0;
        for (size_t k = 0; k < n_keys; k++) {
            uint32_t rk = ki[k].rank[r];
            if (rk == MISSING) { v = UINT64_MAX; break; }
            v += (uint64_t)rk * strides[k];
        }
        combo[r] = v;
    }
    /* Distinct combinations: a dense table when the key space is small (the
     * usual province x urban), else a hash map; then sorted, so group ids
     * follow key order. O(n) + O(groups log groups). */
    size_t ng = 0;
    if (stride <= ((uint64_t)1 << 22)) {
        uint32_t *dense = upl_malloc(stride * sizeof *dense);
        UPL_FAIL_IF(!dense, err, UPL_ENOMEM, "out of memory in group-by");
        memset(dense, 0, stride * sizeof *dense);
        for (size_t r = 0; r < n; r++)
            if (combo[r] != UINT64_MAX) dense[combo[r]] = 1;
        for (uint64_t q = 0; q < stride; q++) ng += dense[q];
        distinct = upl_malloc((ng ? ng : 1) * sizeof *distinct);
        if (!distinct) { upl_free(dense); UPL_FAIL_IF(true, err, UPL_ENOMEM, "out of memory in group-by"); }
        ng = 0;
        for (uint64_t q = 0; q < stride; q++)
            if (dense[q]) { dense[q] = (uint32_t)ng; distinct[ng++] = q; }
        UPL_FAIL_IF(ng > INT32_MAX, err, UPL_ELIMIT, "too many groups");
        for (size_t r = 0; r < n; r++)
            g->group_of_row[r] = combo[r] == UINT64_MAX ? -1 : (int32_t)dense[combo[r]];
        upl_free(dense);
    } else {
        u64map map = {0};
        size_t cap = 64;
        uint32_t *rank_of_id = NULL;
        distinct = upl_malloc(cap * sizeof *distinct);
        if (!distinct || u64map_init(&map, 1024)) { u64map_free(&map); UPL_FAIL_IF(true, err, UPL_ENOMEM, "out of memory in group-by"); }
        for (size_t r = 0; r < n && rc == UPL_OK; r++) {
            if (combo[r] == UINT64_MAX) { g->group_of_row[r] = -1; continue; }
            uint32_t id = (uint32_t)ng;
            if (ng >= INT32_MAX) rc = upl_error_set(err, UPL_ELIMIT, "too many groups");
            else if (u64map_put(&map, combo[r], &id)) rc = upl_error_set(err, UPL_ENOMEM, "out of memory in group-by");
            else if (id == ng) {
                if (ng == cap) {
                    uint64_t *nd2 = upl_reallocarray(distinct, cap * 2, sizeof *nd2);
                    if (!nd2) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory in group-by"); break; }
                    distinct = nd2;
                    cap *= 2;
                }
                distinct[ng++] = combo[r];
            }
            g->group_of_row[r] = (int32_t)id;
        }
        u64map_free(&map);
        if (rc) goto fail;
        /* renumber first-seen ids into sorted key order */
        uint64_t *sorted = upl_malloc((ng ? ng : 1) * sizeof *sorted);
        rank_of_id = upl_malloc((ng ? ng : 1) * sizeof *rank_of_id);
        if (!sorted || !rank_of_id) { upl_free(sorted); upl_free(rank_of_id); UPL_FAIL_IF(true, err, UPL_ENOMEM, "out of memory in group-by"); }
        memcpy(sorted, distinct, ng * sizeof *sorted);
        qsort(sorted, ng, sizeof *sorted, cmp_u64);
        for (size_t i = 0; i < ng; i++) {
            const uint64_t *hit = bsearch(&distinct[i], sorted, ng, sizeof *sorted, cmp_u64);
            rank_of_id[i] = (uint32_t)(hit - sorted);
        }
        for (size_t r = 0; r < n; r++)
            if (g->group_of_row[r] >= 0) g->group_of_row[r] = (int32_t)rank_of_id[g->group_of_row[r]];
        upl_free(distinct);
        distinct = sorted;
        upl_free(rank_of_id);
    }
    g->n_groups = (int32_t)ng;
    g->labels = upl_calloc(ng + 1, sizeof *g->labels);
    g->group_rows = upl_calloc(ng + 1, sizeof *g->group_rows);
    UPL_FAIL_IF(!g->labels || !g->group_rows, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t r = 0; r < n; r++) {
        if (g->group_of_row[r] < 0) { g->n_missing_key++; continue; }
        g->group_rows[g->group_of_row[r]]++;
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
