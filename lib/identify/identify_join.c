/* identify_join.c — attach household-level columns to a person table.
 * Registry exports repeat household fields on every member row; other
 * sources (the synthetic generator, some survey files) keep households and
 * members in two tables. Identification works on the person shape, so the
 * household table's columns are copied onto each member row by household
 * key (a left join: members whose household is absent get missing values). */
#include <string.h>
#include "identify_int.h"

static int key_text(const upl_column *c, size_t row, char **buf, size_t *cap, const char **s, size_t *l) {
    if (c->type == UPL_STR) { *s = upl_col_str(c, row, l); return UPL_OK; }
    if (c->type == UPL_CAT) { *s = upl_dict_label(c->dict, c->v.cat[row]); *l = upl_dict_label_len(c->dict, c->v.cat[row]); return UPL_OK; }
    size_t len = 0;
    if (!upl_col_format(c, row, buf, cap, &len)) { *s = ""; *l = 0; return UPL_OK; }
    if (!*buf) return UPL_ENOMEM;
    *s = *buf;
    *l = len;
    return UPL_OK;
}

int upl_identify_join(upl_table *persons, const upl_table *households, const char *key, size_t *n_unmatched,
                      upl_error *err) {
    int rc = UPL_OK;
    upl_dict *d = NULL;
    int64_t *hrow = NULL, *prow = NULL;
    char *buf = NULL;
    size_t cap = 0;
    if (n_unmatched) *n_unmatched = 0;
    const upl_column *hk = upl_table_find(households, key), *pk = upl_table_find(persons, key);
    if (!hk) return upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, key, "the household table has no household key column");
    if (!pk) return upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, key, "the person table has no household key column");
    size_t nh = upl_table_n_rows(households), np = upl_table_n_rows(persons);
    d = upl_dict_new();
    hrow = upl_malloc((nh ? nh : 1) * sizeof *hrow);
    prow = upl_malloc((np ? np : 1) * sizeof *prow);
    if (!d || !hrow || !prow) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory joining households"); goto fail; }
    for (size_t r = 0; r < nh; r++) {
        if (!upl_col_is_valid(hk, r)) continue;
        const char *s;
        size_t l;
        int32_t code;
        int32_t before = upl_dict_size(d);
        if (key_text(hk, r, &buf, &cap, &s, &l) || upl_dict_intern(d, s, l, &code)) {
            rc = upl_error_set(err, UPL_ENOMEM, "out of memory joining households");
            goto fail;
        }
        if (code < before) {
            rc = upl_error_at(err, UPL_ECONFLICT, NULL, r + 2, 0, key, "household `%.*s` appears twice in the household table",
                              (int)l, s);
            goto fail;
        }
        hrow[code] = (int64_t)r;
    }
    size_t unmatched = 0;
    for (size_t r = 0; r < np; r++) {
        prow[r] = -1;
        if (!upl_col_is_valid(pk, r)) continue;
        const char *s;
        size_t l;
        if (key_text(pk, r, &buf, &cap, &s, &l)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        int32_t code = upl_dict_find(d, s, l);
        if (code >= 0) prow[r] = hrow[code];
        else unmatched++;
    }
    if (n_unmatched) *n_unmatched = unmatched;
    for (size_t ci = 0; ci < upl_table_n_cols(households); ci++) {
        const upl_column *src = upl_table_column(households, ci);
        if (upl_table_find(persons, src->name)) continue;   /* the person table's own column wins */
        upl_column *dst;
        UPL_TRY(upl_table_add_column(persons, src->name, src->type, &dst, err));
        if (upl_col_reserve(dst, np, 0)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        if (src->type == UPL_CAT) {
            /* same dictionary order, so source codes can be pushed as they are */
            for (int32_t k = 0; k < upl_dict_size(src->dict); k++) {
                int32_t code;
                if (upl_dict_intern(dst->dict, upl_dict_label(src->dict, k), upl_dict_label_len(src->dict, k), &code)) {
                    rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
                    goto fail;
                }
            }
        }
        for (size_t r = 0; r < np && !rc; r++) {
            int64_t h = prow[r];
            if (h < 0 || !upl_col_is_valid(src, (size_t)h)) { rc = upl_col_push_null(dst); continue; }
            size_t hr = (size_t)h;
            switch (src->type) {
            case UPL_F64: rc = upl_col_push_f64(dst, src->v.f64[hr]); break;
            case UPL_I64: rc = upl_col_push_i64(dst, src->v.i64[hr]); break;
            case UPL_BOOL: rc = upl_col_push_bool(dst, src->v.b[hr]); break;
            case UPL_CAT: rc = upl_col_push_code(dst, src->v.cat[hr]); break;
            case UPL_STR: { size_t l; const char *s = upl_col_str(src, hr, &l); rc = upl_col_push_str(dst, s, l); break; }
            }
        }
        if (rc) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory joining column `%s`", src->name); goto fail; }
    }
fail:
    upl_dict_free(d);
    upl_free(hrow);
    upl_free(prow);
    upl_free(buf);
    return rc;
}
