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
        rc = upl_groupby_build(t, by, n_by, gb, err);
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
