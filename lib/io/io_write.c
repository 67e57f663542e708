/* io_write.c — tables out as CSV (RFC 4180) and JSON (jansson).
 *
 * CSV cells that a spreadsheet would run as a formula (first byte = + - @,
 * TAB or CR; OWASP "CSV injection", RELIABILITY.md §5 item 20) get a leading
 * apostrophe unless the whole cell is a plain number, so `-12.5` stays a
 * number and `=HYPERLINK(...)` becomes inert text. Missing values are empty
 * cells in CSV and null in JSON; text is written byte for byte otherwise. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <jansson.h>
#include "uplift/io.h"

static bool needs_neutralising(const char *s, size_t len) {
    if (len == 0) return false;
    char c = s[0];
    if (c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r') return false;
    double d;
    return !upl_parse_f64(s, len, &d);
}

int upl_csv_put_field(FILE *f, const char *s, size_t len) {
    bool neut = needs_neutralising(s, len);
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++) {
        char c = s[i];
        quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (quote) fputc('"', f);
    if (neut) fputc('\'', f);
    if (!quote) {
        if (len) fwrite(s, 1, len, f);
    } else {
        const char *p = s, *end = s + len;
        while (p < end) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            if (!q) { fwrite(p, 1, (size_t)(end - p), f); break; }
            fwrite(p, 1, (size_t)(q - p + 1), f);
            fputc('"', f);
            p = q + 1;
        }
        fputc('"', f);
    }
    return ferror(f) ? UPL_EIO : UPL_OK;
}

/* Text of one cell into *buf (grown as needed); false when missing. */
static bool cell_text(const upl_column *c, size_t row, char **buf, size_t *cap, const char **s, size_t *len) {
    if (!upl_col_is_valid(c, row)) return false;
    if (c->type == UPL_STR) { *s = upl_col_str(c, row, len); return true; }
    if (c->type == UPL_CAT) {
        *s = upl_dict_label(c->dict, c->v.cat[row]);
        if (!*s) return false;
        *len = upl_dict_label_len(c->dict, c->v.cat[row]);
        return true;
    }
    if (!upl_col_format(c, row, buf, cap, len)) return false;
    *s = *buf;
    return true;
}

int upl_write_csv(const upl_table *t, FILE *f, upl_error *err) {
    int rc = UPL_OK;
    char *buf = NULL;
    size_t cap = 0;
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    for (size_t j = 0; j < nc; j++) {
        const char *name = upl_table_column(t, j)->name;
        if (j) fputc(',', f);
        upl_csv_put_field(f, name, strlen(name));
    }
    fputc('\n', f);
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            const upl_column *c = upl_table_column(t, j);
            const char *s;
            size_t len;
            if (j) fputc(',', f);
            if (cell_text(c, i, &buf, &cap, &s, &len)) upl_csv_put_field(f, s, len);
        }
        fputc('\n', f);
        if (ferror(f)) break;
    }
    if (ferror(f)) rc = upl_error_set(err, UPL_EIO, "error writing CSV: %s", strerror(errno));
    upl_free(buf);
    return rc;
}

int upl_write_csv_path(const upl_table *t, const char *path, upl_error *err) {
    FILE *f = fopen(path, "w");
    if (!f) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot write: %s", strerror(errno));
    int rc = upl_write_csv(t, f, err);
    if (fclose(f) != 0 && rc == UPL_OK) rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "error writing: %s", strerror(errno));
    return rc;
}

/* One JSON object per row, streamed: memory stays flat for any row count. */
int upl_write_json(const upl_table *t, FILE *f, upl_error *err) {
    int rc = UPL_OK;
    char *buf = NULL;
    size_t cap = 0;
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    json_t *obj = NULL;
    fputs("[", f);
    for (size_t i = 0; i < nr; i++) {
        obj = json_object();
        if (!obj) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        for (size_t j = 0; j < nc; j++) {
            const upl_column *c = upl_table_column(t, j);
            json_t *v = NULL;
            if (!upl_col_is_valid(c, i)) v = json_null();
            else switch (c->type) {
            case UPL_F64: v = isfinite(c->v.f64[i]) ? json_real(c->v.f64[i]) : json_null(); break;
            case UPL_I64: v = json_integer((json_int_t)c->v.i64[i]); break;
            case UPL_BOOL: v = json_boolean(c->v.b[i]); break;
            case UPL_CAT: case UPL_STR: {
                const char *s;
                size_t len;
                v = cell_text(c, i, &buf, &cap, &s, &len) ? json_stringn(s, len) : json_null();
                break;
            }
            }
            if (!v || json_object_set_new(obj, c->name, v) != 0) {
                rc = upl_error_set(err, UPL_ENOMEM, "cannot encode row %zu column `%s` as JSON", i + 1, c->name);
                goto fail;
            }
        }
        fputs(i ? ",\n" : "\n", f);
        if (json_dumpf(obj, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0) {
            rc = upl_error_set(err, UPL_EIO, "error writing JSON: %s", strerror(errno));
            goto fail;
        }
        json_decref(obj);
        obj = NULL;
    }
    fputs(nr ? "\n]\n" : "]\n", f);
    if (ferror(f)) rc = upl_error_set(err, UPL_EIO, "error writing JSON: %s", strerror(errno));
fail:
    json_decref(obj);
    upl_free(buf);
    return rc;
}
