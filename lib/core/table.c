/* table.c — a table is an ordered set of named columns of equal length,
 * plus free-form metadata and an optional backing store (e.g. a mapping). */
#include <string.h>
#include "uplift/table.h"
#include "core_int.h"

typedef struct meta_kv { char *key, *value; } meta_kv;

struct upl_table {
    upl_column **cols;
    size_t n_cols, cap;
    meta_kv *meta;
    size_t n_meta;
    void *backing;
    void (*release)(void *);
};

upl_table *upl_table_new(void) { return upl_calloc(1, sizeof(upl_table)); }

void upl_table_free(upl_table *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_cols; i++) {
        upl__column_release(t->cols[i]);
        upl_free(t->cols[i]);
    }
    upl_free(t->cols);
    for (size_t i = 0; i < t->n_meta; i++) {
        upl_free(t->meta[i].key);
        upl_free(t->meta[i].value);
    }
    upl_free(t->meta);
    if (t->release) t->release(t->backing);
    upl_free(t);
}

size_t upl_table_n_cols(const upl_table *t) { return t ? t->n_cols : 0; }

size_t upl_table_n_rows(const upl_table *t) {
    return (t && t->n_cols) ? t->cols[0]->n_rows : 0;
}

upl_column *upl_table_column(const upl_table *t, size_t i) {
    return (t && i < t->n_cols) ? t->cols[i] : NULL;
}

upl_column *upl_table_find(const upl_table *t, const char *name) {
    if (!t || !name) return NULL;
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->cols[i]->name, name)) return t->cols[i];
    return NULL;
}

int upl_table_add_column(upl_table *t, const char *name, upl_type type, upl_column **out, upl_error *err) {
    if (!t || !name || type < UPL_F64 || type > UPL_STR)
        return upl_error_set(err, UPL_EMISUSE, "upl_table_add_column: invalid arguments");
    if (upl_table_find(t, name))
        return upl_error_set(err, UPL_ESCHEMA, "duplicate column `%s`", name);
    if (t->n_cols == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        upl_column **c = upl_reallocarray(t->cols, cap, sizeof *c);
        if (!c) return upl_error_set(err, UPL_ENOMEM, "out of memory adding column `%s`", name);
        t->cols = c;
        t->cap = cap;
    }
    upl_column *c = upl_calloc(1, sizeof *c);
    if (!c) return upl_error_set(err, UPL_ENOMEM, "out of memory adding column `%s`", name);
    c->type = type;
    c->name = upl_strdup(name);
    if (!c->name) { upl_free(c); return upl_error_set(err, UPL_ENOMEM, "out of memory"); }
    if (type == UPL_CAT && !(c->dict = upl_dict_new())) {
        upl_free(c->name);
        upl_free(c);
        return upl_error_set(err, UPL_ENOMEM, "out of memory");
    }
    if (upl_col_reserve(c, 64, type == UPL_STR ? 256 : 0) != UPL_OK) {
        upl__column_release(c);
        upl_free(c);
        return upl_error_set(err, UPL_ENOMEM, "out of memory");
    }
    t->cols[t->n_cols++] = c;
    if (out) *out = c;
    return UPL_OK;
}

int upl_table_require(const upl_table *t, const char *name, unsigned type_mask, upl_column **out, upl_error *err) {
    upl_column *c = upl_table_find(t, name);
    if (!c) {
        /* list what exists so the user can fix the name */
        size_t cap = 256, n = 0;
        char *list = upl_malloc(cap);
        if (list) list[0] = 0;
        for (size_t i = 0; list && i < t->n_cols; i++) {
            size_t l = strlen(t->cols[i]->name);
            if (n + l + 3 >= cap) {
                if (n > 400) { strcat(list, ", ..."); break; }
                char *nl = upl_realloc(list, cap * 2 + l);
                if (!nl) break;
                list = nl;
                cap = cap * 2 + l;
            }
            if (i) { memcpy(list + n, ", ", 2); n += 2; }
            memcpy(list + n, t->cols[i]->name, l + 1);
            n += l;
        }
        int rc = upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, name, "no such column; columns are: %s",
                              list ? list : "?");
        upl_free(list);
        return rc;
    }
    if (type_mask && !(type_mask & UPL_MASK(c->type)))
        return upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, name, "column has type %s, which cannot be used here",
                            upl_type_name(c->type));
    if (out) *out = c;
    return UPL_OK;
}

int upl_table_validate(const upl_table *t, upl_error *err) {
    for (size_t i = 1; i < t->n_cols; i++)
        if (t->cols[i]->n_rows != t->cols[0]->n_rows)
            return upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, t->cols[i]->name,
                                "has %zu rows but column `%s` has %zu", t->cols[i]->n_rows,
                                t->cols[0]->name, t->cols[0]->n_rows);
    return UPL_OK;
}

void upl_table_set_backing(upl_table *t, void *backing, void (*release)(void *)) {
    t->backing = backing;
    t->release = release;
}

int upl_table_set_meta(upl_table *t, const char *key, const char *value) {
    for (size_t i = 0; i < t->n_meta; i++) {
        if (!strcmp(t->meta[i].key, key)) {
            char *v = upl_strdup(value);
            if (!v) return UPL_ENOMEM;
            upl_free(t->meta[i].value);
            t->meta[i].value = v;
            return UPL_OK;
        }
    }
    meta_kv *m = upl_reallocarray(t->meta, t->n_meta + 1, sizeof *m);
    if (!m) return UPL_ENOMEM;
    t->meta = m;
    char *k = upl_strdup(key), *v = upl_strdup(value);
    if (!k || !v) { upl_free(k); upl_free(v); return UPL_ENOMEM; }
    t->meta[t->n_meta].key = k;
    t->meta[t->n_meta].value = v;
    t->n_meta++;
    return UPL_OK;
}

const char *upl_table_meta(const upl_table *t, const char *key) {
    for (size_t i = 0; t && i < t->n_meta; i++)
        if (!strcmp(t->meta[i].key, key)) return t->meta[i].value;
    return NULL;
}

int upl_table_copy_column(upl_table *dst, const upl_column *src, const char *new_name, upl_error *err) {
    upl_column *c;
    int rc = upl_table_add_column(dst, new_name ? new_name : src->name, src->type, &c, err);
    if (rc) return rc;
    size_t n = src->n_rows;
    if (upl_col_reserve(c, n ? n : 1, src->type == UPL_STR ? src->str_bytes + 1 : 0))
        return upl_error_set(err, UPL_ENOMEM, "out of memory copying column `%s`", src->name);
    memcpy(c->valid, src->valid, (n + 63) / 64 * sizeof(uint64_t));
    switch (src->type) {
    case UPL_F64: memcpy(c->v.f64, src->v.f64, n * sizeof(double)); break;
    case UPL_I64: memcpy(c->v.i64, src->v.i64, n * sizeof(int64_t)); break;
    case UPL_CAT:
        memcpy(c->v.cat, src->v.cat, n * sizeof(int32_t));
        for (int32_t k = 0; k < upl_dict_size(src->dict); k++) {
            int32_t code;
            if (upl_dict_intern(c->dict, upl_dict_label(src->dict, k), upl_dict_label_len(src->dict, k), &code))
                return upl_error_set(err, UPL_ENOMEM, "out of memory copying column `%s`", src->name);
        }
        break;
    case UPL_BOOL: memcpy(c->v.b, src->v.b, n); break;
    case UPL_STR:
        memcpy(c->str_off, src->str_off, (n + 1) * sizeof(uint64_t));
        if (src->str_bytes) memcpy(c->str_data, src->str_data, src->str_bytes);
        c->str_bytes = src->str_bytes;
        break;
    }
    c->n_rows = n;
    c->is_text_kept = src->is_text_kept;
    return UPL_OK;
}

int upl_table_take(const upl_table *t, const size_t *rows, size_t n_rows, upl_table **out, upl_error *err) {
    int rc = UPL_OK;
    size_t n = upl_table_n_rows(t);
    upl_table *r = upl_table_new();
    *out = NULL;
    UPL_FAIL_IF(!r, err, UPL_ENOMEM, "out of memory selecting rows");
    for (size_t i = 0; i < n_rows; i++)
        UPL_FAIL_IF(rows[i] >= n, err, UPL_ERANGE, "row %zu is out of range (the table has %zu rows)", rows[i] + 1, n);
    for (size_t k = 0; k < t->n_cols; k++) {
        const upl_column *src = t->cols[k];
        upl_column *c;
        UPL_TRY(upl_table_add_column(r, src->name, src->type, &c, err));
        size_t bytes = 0;
        if (src->type == UPL_STR)
            for (size_t i = 0; i < n_rows; i++) bytes += (size_t)(src->str_off[rows[i] + 1] - src->str_off[rows[i]]);
        UPL_FAIL_IF(upl_col_reserve(c, n_rows ? n_rows : 1, bytes + 1), err, UPL_ENOMEM, "out of memory selecting rows");
        if (src->type == UPL_CAT) {   /* same dictionary, same codes */
            for (int32_t code = 0; code < upl_dict_size(src->dict); code++) {
                int32_t got;
                UPL_FAIL_IF(upl_dict_intern(c->dict, upl_dict_label(src->dict, code), upl_dict_label_len(src->dict, code), &got),
                            err, UPL_ENOMEM, "out of memory selecting rows");
            }
        }
        for (size_t i = 0; i < n_rows; i++) {
            size_t row = rows[i];
            if (!upl_col_is_valid(src, row)) { UPL_FAIL_IF(upl_col_push_null(c), err, UPL_ENOMEM, "out of memory"); continue; }
            int prc = UPL_OK;
            switch (src->type) {
            case UPL_F64: prc = upl_col_push_f64(c, src->v.f64[row]); break;
            case UPL_I64: prc = upl_col_push_i64(c, src->v.i64[row]); break;
            case UPL_CAT: prc = upl_col_push_code(c, src->v.cat[row]); break;
            case UPL_BOOL: prc = upl_col_push_bool(c, src->v.b[row] != 0); break;
            case UPL_STR: {
                size_t len;
                const char *sv = upl_col_str(src, row, &len);
                prc = upl_col_push_str(c, sv, len);
                break;
            }
            }
            UPL_FAIL_IF(prc, err, prc, "cannot copy row %zu of column `%s`", row + 1, src->name);
        }
        c->is_text_kept = src->is_text_kept;
    }
    *out = r;
    r = NULL;
fail:
    upl_table_free(r);
    return rc;
}
