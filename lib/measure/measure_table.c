/* measure_table.c — thin wrappers that turn table columns into the plain
 * arrays the measurement engine works on: welfare and weights as doubles
 * (missing -> NaN), group ids from upl_groupby, design ids as int64. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "measure_int.h"

static int column_doubles(const upl_table *t, const char *name, double **out, upl_error *err) {
    int rc = UPL_OK;
    upl_column *c = NULL;
    size_t n = upl_table_n_rows(t);
    *out = NULL;
    UPL_TRY(upl_table_require(t, name, UPL_MASK_NUMERIC, &c, err));
    double *v = upl_malloc((n ? n : 1) * sizeof(double));
    UPL_FAIL_IF(!v, err, UPL_ENOMEM, "out of memory for column `%s`", name);
    if (c->type == UPL_F64) {
        for (size_t i = 0; i < n; i++) v[i] = upl_col_is_valid(c, i) ? c->v.f64[i] : NAN;
    } else {
        for (size_t i = 0; i < n; i++) {
            double x;
            v[i] = upl_col_get_f64(c, i, &x) ? x : NAN;
        }
    }
    *out = v;
fail:
    return rc;
}

/* ---- fast group-by for the common keys ------------------------------------------
 * upl_groupby_build sorts all n rows per key (qsort + bsearch): seconds at
 * 10M rows. Keys that are categories, booleans or integers with few
 * distinct values need only their distinct values sorted; rows are then
 * mapped through small tables in O(n). Same result and ordering as
 * upl_groupby_build (text bytewise, numbers numerically, first key most
 * significant); other keys (text columns, many combinations) fall back. */
#define FG_MISSING UINT32_MAX
#define FG_MAX_DISTINCT 4096

typedef struct fg_key {
    uint32_t *rank_of_code;   /* CAT: code -> rank */
    int64_t *vals;            /* numeric: sorted distinct values */
    uint32_t n_distinct;
    char **labels;            /* by rank */
} fg_key;

static int cmp_label(const void *a, const void *b, void *arg) {
    const upl_dict *d = arg;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    size_t lx = upl_dict_label_len(d, x), ly = upl_dict_label_len(d, y);
    int c = memcmp(upl_dict_label(d, x), upl_dict_label(d, y), lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

static int cmp_i64v(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static inline bool num_key(const upl_column *c, size_t r, int64_t *v) {
    if (c->type == UPL_I64) *v = c->v.i64[r];
    else if (c->type == UPL_BOOL) *v = c->v.b[r];
    else {
        double d = c->v.f64[r];
        if (!(d == (double)(int64_t)d) || d > 9.2e18 || d < -9.2e18) return false;
        *v = (int64_t)d;
    }
    return true;
}

static uint32_t num_rank(const fg_key *k, int64_t v) {
    uint32_t lo = 0, hi = k->n_distinct;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (k->vals[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void fg_key_free(fg_key *k) {
    upl_free(k->rank_of_code);
    upl_free(k->vals);
    if (k->labels)
        for (uint32_t i = 0; i < k->n_distinct; i++) upl_free(k->labels[i]);
    upl_free(k->labels);
}

/* UPL_EUNSUPPORTED = use upl_groupby_build instead. */
static int fast_groupby(const upl_table *t, const char *const *keys, size_t n_keys, upl_groupby **out, upl_error *err) {
    int rc = UPL_OK;
    size_t n = upl_table_n_rows(t);
    fg_key *fk = NULL;
    upl_column **cols = NULL;
    uint32_t *combo_id = NULL, *rowrank = NULL;
    int32_t *order = NULL;
    upl_groupby *g = NULL;
    uint64_t strides[16];
    *out = NULL;
    if (n_keys == 0 || n_keys > 16) return UPL_EUNSUPPORTED;
    fk = upl_calloc(n_keys, sizeof *fk);
    cols = upl_calloc(n_keys, sizeof *cols);
    UPL_FAIL_IF(!fk || !cols, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t k = 0; k < n_keys; k++) {
        UPL_TRY(upl_table_require(t, keys[k], 0, &cols[k], err));
        upl_column *c = cols[k];
        if (c->type == UPL_STR) { rc = UPL_EUNSUPPORTED; goto fail; }
        if (c->type == UPL_CAT) {
            int32_t nd = upl_dict_size(c->dict);
            if (nd > FG_MAX_DISTINCT) { rc = UPL_EUNSUPPORTED; goto fail; }
            order = upl_malloc(((size_t)nd + 1) * sizeof *order);
            fk[k].rank_of_code = upl_malloc(((size_t)nd + 1) * sizeof(uint32_t));
            fk[k].labels = upl_calloc((size_t)nd + 1, sizeof(char *));
            UPL_FAIL_IF(!order || !fk[k].rank_of_code || !fk[k].labels, err, UPL_ENOMEM, "out of memory in group-by");
            for (int32_t i = 0; i < nd; i++) order[i] = i;
            qsort_r(order, (size_t)nd, sizeof *order, cmp_label, c->dict);
            for (int32_t i = 0; i < nd; i++) {
                fk[k].rank_of_code[order[i]] = (uint32_t)i;
                fk[k].labels[i] = upl_strndup(upl_dict_label(c->dict, order[i]), upl_dict_label_len(c->dict, order[i]));
                UPL_FAIL_IF(!fk[k].labels[i], err, UPL_ENOMEM, "out of memory in group-by");
                fk[k].n_distinct = (uint32_t)i + 1;
            }
            fk[k].n_distinct = (uint32_t)nd;
            upl_free(order);
            order = NULL;
        } else {
            /* distinct values: a small table of what has been seen */
            int64_t *seen = upl_malloc(FG_MAX_DISTINCT * sizeof *seen);
            uint32_t ns = 0;
            UPL_FAIL_IF(!seen, err, UPL_ENOMEM, "out of memory in group-by");
            int64_t last = 0;
            bool has_last = false;
            for (size_t r = 0; r < n; r++) {
                if (!upl_col_is_valid(c, r)) continue;
                int64_t v;
                if (!num_key(c, r, &v)) {
                    upl_free(seen);
                    rc = upl_error_at(err, UPL_ESCHEMA, NULL, r + 1, 0, c->name,
                                      "group key must be whole numbers or text, found %.17g", c->v.f64[r]);
                    goto fail;
                }
                if (has_last && v == last) continue;
                uint32_t i = 0;
                while (i < ns && seen[i] != v) i++;
                if (i == ns) {
                    if (ns == FG_MAX_DISTINCT) { upl_free(seen); rc = UPL_EUNSUPPORTED; goto fail; }
                    seen[ns++] = v;
                }
                last = v;
                has_last = true;
            }
            qsort(seen, ns, sizeof *seen, cmp_i64v);
            fk[k].vals = seen;
            fk[k].n_distinct = ns;
            fk[k].labels = upl_calloc((size_t)ns + 1, sizeof(char *));
            UPL_FAIL_IF(!fk[k].labels, err, UPL_ENOMEM, "out of memory in group-by");
            for (uint32_t i = 0; i < ns; i++) {
                fk[k].labels[i] = c->type == UPL_BOOL ? upl_strdup(seen[i] ? "true" : "false")
                                                      : upl_asprintf("%lld", (long long)seen[i]);
                UPL_FAIL_IF(!fk[k].labels[i], err, UPL_ENOMEM, "out of memory in group-by");
            }
        }
    }
    uint64_t total = 1;
    for (size_t k = n_keys; k-- > 0;) {
        strides[k] = total;
        total *= fk[k].n_distinct ? fk[k].n_distinct : 1;
        if (total > ((uint64_t)1 << 22)) { rc = UPL_EUNSUPPORTED; goto fail; }
    }
    combo_id = upl_malloc(total * sizeof *combo_id);
    rowrank = upl_malloc((n ? n : 1) * sizeof *rowrank);
    g = upl_calloc(1, sizeof *g);
    UPL_FAIL_IF(!combo_id || !rowrank || !g, err, UPL_ENOMEM, "out of memory in group-by");
    g->n_rows = n;
    g->n_keys = n_keys;
    g->group_of_row = upl_malloc((n ? n : 1) * sizeof *g->group_of_row);
    g->key_names = upl_calloc(n_keys, sizeof *g->key_names);
    UPL_FAIL_IF(!g->group_of_row || !g->key_names, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t k = 0; k < n_keys; k++)
        UPL_FAIL_IF(!(g->key_names[k] = upl_strdup(keys[k])), err, UPL_ENOMEM, "out of memory");
    /* combination code per row (FG_MISSING when a key is missing) */
    for (size_t r = 0; r < n; r++) rowrank[r] = 0;
    for (size_t k = 0; k < n_keys; k++) {
        const upl_column *c = cols[k];
        for (size_t r = 0; r < n; r++) {
            if (rowrank[r] == FG_MISSING) continue;
            uint32_t rk;
            if (!upl_col_is_valid(c, r)) { rowrank[r] = FG_MISSING; continue; }
            if (c->type == UPL_CAT) {
                int32_t code = c->v.cat[r];
                if (code < 0 || code >= (int32_t)fk[k].n_distinct) { rowrank[r] = FG_MISSING; continue; }
                rk = fk[k].rank_of_code[code];
            } else {
                int64_t v = 0;
                num_key(c, r, &v);
                rk = num_rank(&fk[k], v);
            }
            rowrank[r] += rk * (uint32_t)strides[k];
        }
    }
    for (uint64_t q = 0; q < total; q++) combo_id[q] = 0;
    for (size_t r = 0; r < n; r++)
        if (rowrank[r] != FG_MISSING) combo_id[rowrank[r]] = 1;
    int32_t ng = 0;
    for (uint64_t q = 0; q < total; q++) combo_id[q] = combo_id[q] ? (uint32_t)ng++ : FG_MISSING;
    g->n_groups = ng;
    g->labels = upl_calloc((size_t)ng + 1, sizeof *g->labels);
    g->group_rows = upl_calloc((size_t)ng + 1, sizeof *g->group_rows);
    UPL_FAIL_IF(!g->labels || !g->group_rows, err, UPL_ENOMEM, "out of memory in group-by");
    for (size_t r = 0; r < n; r++) {
        if (rowrank[r] == FG_MISSING) { g->group_of_row[r] = -1; g->n_missing_key++; continue; }
        int32_t id = (int32_t)combo_id[rowrank[r]];
        g->group_of_row[r] = id;
        g->group_rows[id]++;
    }
    for (uint64_t q = 0; q < total; q++) {
        if (combo_id[q] == FG_MISSING) continue;
        int32_t id = (int32_t)combo_id[q];
        g->labels[id] = upl_calloc(n_keys, sizeof **g->labels);
        UPL_FAIL_IF(!g->labels[id], err, UPL_ENOMEM, "out of memory in group-by");
        uint64_t v = q;
        for (size_t k = 0; k < n_keys; k++) {
            uint64_t rk = v / strides[k];
            v -= rk * strides[k];
            g->labels[id][k] = upl_strdup(fk[k].labels[rk]);
            UPL_FAIL_IF(!g->labels[id][k], err, UPL_ENOMEM, "out of memory in group-by");
        }
    }
    *out = g;
    g = NULL;
fail:
    for (size_t k = 0; fk && k < n_keys; k++) fg_key_free(&fk[k]);
    upl_free(fk);
    upl_free(cols);
    upl_free(order);
    upl_free(combo_id);
    upl_free(rowrank);
    upl_groupby_free(g);
    return rc;
}

int upl_measure_table_input(const upl_table *t, const char *income, const char *weight, const char *const *by,
                            size_t n_by, upl_measure_input *in, double **y_buf, double **w_buf, upl_groupby **gb,
                            upl_error *err) {
    int rc = UPL_OK;
    memset(in, 0, sizeof *in);
    *y_buf = *w_buf = NULL;
    *gb = NULL;
    UPL_TRY(column_doubles(t, income, y_buf, err));
    if (weight) UPL_TRY(column_doubles(t, weight, w_buf, err));
    if (n_by > 0) {
        rc = fast_groupby(t, by, n_by, gb, err);
        if (rc == UPL_EUNSUPPORTED) rc = upl_groupby_build(t, by, n_by, gb, err);
        if (rc) goto fail;
    }
    in->n = upl_table_n_rows(t);
    in->y = *y_buf;
    in->w = *w_buf;
    if (*gb) {
        in->group = (*gb)->group_of_row;
        in->n_groups = (*gb)->n_groups;
        UPL_FAIL_IF(in->n_groups == 0 && in->n > 0, err, UPL_EUNDEFINED, "every row has a missing --by key");
    }
    return UPL_OK;
fail:
    upl_free(*y_buf);
    upl_free(*w_buf);
    upl_groupby_free(*gb);
    *y_buf = *w_buf = NULL;
    *gb = NULL;
    return rc;
}

static int column_ids(const upl_table *t, const char *name, int64_t **out, upl_error *err) {
    int rc = UPL_OK;
    upl_column *c = NULL;
    size_t n = upl_table_n_rows(t);
    *out = NULL;
    UPL_TRY(upl_table_require(t, name, UPL_MASK(UPL_CAT) | UPL_MASK(UPL_I64) | UPL_MASK(UPL_BOOL) | UPL_MASK(UPL_F64) |
                                           UPL_MASK(UPL_STR), &c, err));
    int64_t *v = upl_malloc((n ? n : 1) * sizeof(int64_t));
    upl_dict *dict = NULL;
    UPL_FAIL_IF(!v, err, UPL_ENOMEM, "out of memory for column `%s`", name);
    if (c->type == UPL_STR) {
        dict = upl_dict_new();
        UPL_FAIL_IF(!dict, err, UPL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (!upl_col_is_valid(c, i)) {
            upl_free(v);
            upl_dict_free(dict);
            return upl_error_at(err, UPL_ERANGE, NULL, i + 1, 0, name,
                                "design variable is missing in data row %zu (every row needs a stratum/PSU/fpc)", i + 1);
        }
        switch (c->type) {
        case UPL_CAT: v[i] = c->v.cat[i]; break;
        case UPL_I64: v[i] = c->v.i64[i]; break;
        case UPL_BOOL: v[i] = c->v.b[i]; break;
        case UPL_STR: {
            size_t len;
            const char *s = upl_col_str(c, i, &len);
            int32_t code;
            if (upl_dict_intern(dict, s, len, &code) != UPL_OK) {
                upl_free(v);
                upl_dict_free(dict);
                return upl_error_set(err, UPL_ENOMEM, "out of memory");
            }
            v[i] = code;
            break;
        }
        default: {
            double x = c->v.f64[i];
            if (x != floor(x) || fabs(x) > 9e15) {
                upl_free(v);
                return upl_error_at(err, UPL_ERANGE, NULL, i + 1, 0, name,
                                    "design id %g in data row %zu is not an integer", x, i + 1);
            }
            v[i] = (int64_t)x;
        }
        }
    }
    upl_dict_free(dict);
    *out = v;
fail:
    return rc;
}

int upl_measure_table_design(const upl_table *t, const char *strata, const char *psu, const char *fpc,
                             int64_t **strata_buf, int64_t **psu_buf, double **fpc_buf, upl_error *err) {
    int rc = UPL_OK;
    *strata_buf = *psu_buf = NULL;
    *fpc_buf = NULL;
    if (strata) UPL_TRY(column_ids(t, strata, strata_buf, err));
    if (psu) UPL_TRY(column_ids(t, psu, psu_buf, err));
    if (fpc) {
        UPL_TRY(column_doubles(t, fpc, fpc_buf, err));
        for (size_t i = 0; i < upl_table_n_rows(t); i++)
            UPL_FAIL_IF(isnan((*fpc_buf)[i]), err, UPL_ERANGE, "column `%s`: fpc is missing in data row %zu", fpc, i + 1);
    }
    return UPL_OK;
fail:
    upl_free(*strata_buf);
    upl_free(*psu_buf);
    upl_free(*fpc_buf);
    *strata_buf = *psu_buf = NULL;
    *fpc_buf = NULL;
    return rc;
}
