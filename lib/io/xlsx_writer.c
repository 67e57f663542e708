/* xlsx_writer.c — tables to an XLSX workbook with libxlsxwriter, one table
 * per sheet. Text columns are always written as strings: area codes
 * (统计用区划代码), household and person codes are text and must never come
 * back from Excel as 1.10105E+17. Doubles are written as numbers (Excel
 * keeps 15 significant digits of display but stores the IEEE value), so
 * nothing is rounded here. Headers are bold; a column label in Chinese
 * recorded in the table metadata under "zh:<column>" is added as a second
 * header line in the same cell for people reading the sheet. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>
#include "uplift/io.h"

static bool sheet_name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 31 || s[0] == '\'' || s[n - 1] == '\'') return false;
    return strpbrk(s, "[]:*?/\\") == NULL;
}

static int write_sheet(lxw_workbook *wb, const upl_table *t, const char *name, lxw_format *bold, upl_error *err,
                       const char *path) {
    int rc = UPL_OK;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    if (!ws) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot add sheet `%s`", name);
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    if (nr > 1048575 || nc > 16384)
        return upl_error_at(err, UPL_ELIMIT, path, 0, 0, NULL, "sheet `%s`: %zu rows x %zu columns exceed the XLSX limits", name, nr, nc);
    for (size_t j = 0; j < nc; j++) {
        const upl_column *c = upl_table_column(t, j);
        char *key = upl_asprintf("zh:%s", c->name);
        const char *zh = key ? upl_table_meta(t, key) : NULL;
        char *head = (zh && strcmp(zh, c->name)) ? upl_asprintf("%s\n%s", c->name, zh) : NULL;
        upl_free(key);
        lxw_error e = worksheet_write_string(ws, 0, (lxw_col_t)j, head ? head : c->name, bold);
        upl_free(head);
        if (e != LXW_NO_ERROR) { rc = upl_error_at(err, UPL_EIO, path, 0, 0, c->name, "%s", lxw_strerror(e)); goto fail; }
    }
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            const upl_column *c = upl_table_column(t, j);
            if (!upl_col_is_valid(c, i)) continue;
            lxw_error e = LXW_NO_ERROR;
            lxw_row_t row = (lxw_row_t)(i + 1);
            lxw_col_t col = (lxw_col_t)j;
            switch (c->type) {
            case UPL_F64:
                if (isfinite(c->v.f64[i])) e = worksheet_write_number(ws, row, col, c->v.f64[i], NULL);
                break;
            case UPL_I64:
                /* beyond 2^53 a number cell would lose digits: keep text */
                if (c->v.i64[i] > 9007199254740992LL || c->v.i64[i] < -9007199254740992LL) {
                    (void)upl_col_format(c, i, &buf, &cap, &len);
                    e = worksheet_write_string(ws, row, col, buf, NULL);
                } else {
                    e = worksheet_write_number(ws, row, col, (double)c->v.i64[i], NULL);
                }
                break;
            case UPL_BOOL:
                e = worksheet_write_boolean(ws, row, col, c->v.b[i], NULL);
                break;
            default:
                if (!upl_col_format(c, i, &buf, &cap, &len)) break;
                if (!buf) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
                if (len != strlen(buf)) {
                    rc = upl_error_at(err, UPL_EENCODING, path, i + 2, j + 1, c->name, "text contains a NUL byte");
                    goto fail;
                }
                e = worksheet_write_string(ws, row, col, buf, NULL);
                break;
            }
            if (e != LXW_NO_ERROR) {
                rc = upl_error_at(err, UPL_EIO, path, i + 2, j + 1, c->name, "%s", lxw_strerror(e));
                goto fail;
            }
        }
    }
fail:
    upl_free(buf);
    return rc;
}

int upl_write_xlsx_sheets(const upl_table *const *tables, const char *const *sheets, size_t n, const char *path,
                          upl_error *err) {
    int rc = UPL_OK;
    if (!tables || !path || n == 0) return upl_error_set(err, UPL_EMISUSE, "upl_write_xlsx: no tables or no path");
    for (size_t i = 0; i < n; i++) {
        const char *s = sheets && sheets[i] ? sheets[i] : "Sheet1";
        if (!sheet_name_ok(s))
            return upl_error_at(err, UPL_EMISUSE, path, 0, 0, NULL,
                                "sheet name `%s` is not allowed (1-31 characters, none of []:*?/\\)", s);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(s, sheets && sheets[k] ? sheets[k] : "Sheet1"))
                return upl_error_at(err, UPL_EMISUSE, path, 0, 0, NULL, "sheet name `%s` is used twice", s);
    }
    /* libxlsxwriter reports an unwritable path on stderr at close time; the
     * library must not print, so find out first, with errno in our message. */
    FILE *probe = fopen(path, "wb");
    if (!probe) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot write the workbook: %s", strerror(errno));
    fclose(probe);
    lxw_workbook *wb = workbook_new(path);
    if (!wb) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot create the workbook");
    lxw_format *bold = workbook_add_format(wb);
    if (bold) {
        format_set_bold(bold);
        format_set_text_wrap(bold);
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = write_sheet(wb, tables[i], sheets && sheets[i] ? sheets[i] : "Sheet1", bold, err, path);
    lxw_error e = workbook_close(wb); /* frees wb even after an error */
    if (!rc && e != LXW_NO_ERROR) rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "writing the workbook failed: %s", lxw_strerror(e));
    return rc;
}

int upl_write_xlsx(const upl_table *t, const char *path, const char *sheet, upl_error *err) {
    const upl_table *tables[1] = { t };
    const char *names[1] = { sheet ? sheet : "Sheet1" };
    if (!t) return upl_error_set(err, UPL_EMISUSE, "upl_write_xlsx: no table");
    return upl_write_xlsx_sheets(tables, names, 1, path, err);
}
