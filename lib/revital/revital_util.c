/* revital_util.c — small shared pieces of lib/revital: result tables with
 * bilingual column labels, competition ranking, the result container and
 * its JSON form (numbers in the shortest text that reads back exactly). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/revital.h"
#include "revital_int.h"

int rv_add_col(upl_table *t, const char *name, upl_type type, const char *zh, upl_column **out, upl_error *err) {
    int rc = upl_table_add_column(t, name, type, out, err);
    if (rc || !zh) return rc;
    char *key = upl_asprintf("zh:%s", name);
    if (!key) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    rc = upl_table_set_meta(t, key, zh);
    upl_free(key);
    return rc ? upl_error_set(err, rc, "out of memory") : UPL_OK;
}

int rv_error_wrap(upl_error *err, int code, const char *fmt, ...) {
    if (!err) return code;
    char *old = upl_strdup(upl_error_message(err));
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *pre = len >= 0 ? upl_malloc((size_t)len + 1) : NULL;
    if (pre) {
        va_start(ap, fmt);
        vsnprintf(pre, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    upl_error_set(err, code, "%s: %s", pre ? pre : "", old ? old : upl_errstr(code));
    upl_free(old);
    upl_free(pre);
    return code;
}

int rv_push_f64(upl_column *c, double v) {
    return isnan(v) ? upl_col_push_null(c) : upl_col_push_f64(c, v);
}

int rv_push_text(upl_column *c, const char *s) {
    if (!s) return upl_col_push_null(c);
    return c->type == UPL_CAT ? upl_col_push_cat(c, s, strlen(s)) : upl_col_push_str(c, s, strlen(s));
}

typedef struct vi { double v; size_t i; } vi;
static int cmp_desc(const void *a, const void *b) {
    const vi *x = a, *y = b;
    if (x->v > y->v) return -1;
    if (x->v < y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int rv_rank_desc(const double *v, const size_t *idx, size_t n, int64_t *rank) {
    vi *a = upl_malloc((n ? n : 1) * sizeof *a);
    if (!a) return UPL_ENOMEM;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (isnan(v[idx[k]])) rank[idx[k]] = 0;
        else a[m++] = (vi){ v[idx[k]], idx[k] };
    }
    qsort(a, m, sizeof *a, cmp_desc);
    for (size_t k = 0; k < m; k++)
        rank[a[k].i] = (k > 0 && a[k].v == a[k - 1].v) ? rank[a[k - 1].i] : (int64_t)k + 1;
    upl_free(a);
    return UPL_OK;
}

void upl_revital_result_free(upl_revital_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_tables; i++) {
        upl_free(r->names[i]);
        upl_table_free(r->tables[i]);
    }
    upl_free(r->names);
    upl_free(r->tables);
    upl_free(r);
}

upl_table *upl_revital_result_find(const upl_revital_result *r, const char *name) {
    for (size_t i = 0; r && i < r->n_tables; i++)
        if (!strcmp(r->names[i], name)) return r->tables[i];
    return NULL;
}

static void json_str(FILE *f, const char *s, size_t len) {
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        fwrite(s + run, 1, i - run, f);
        run = i + 1;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch == '\r') fputs("\\r", f);
        else if (ch == '\t') fputs("\\t", f);
        else fprintf(f, "\\u%04x", ch);
    }
    fwrite(s + run, 1, len - run, f);
    fputc('"', f);
}

int upl_revital_result_write_json(const upl_revital_result *r, FILE *f, upl_error *err) {
    char *buf = NULL;
    size_t cap = 0, len = 0;
    fputs("{", f);
    for (size_t ti = 0; ti < r->n_tables; ti++) {
        const upl_table *t = r->tables[ti];
        fputs(ti ? ",\n" : "\n", f);
        json_str(f, r->names[ti], strlen(r->names[ti]));
        fputs(": [", f);
        size_t nr = upl_table_n_rows(t), nc = upl_table_n_cols(t);
        for (size_t i = 0; i < nr; i++) {
            fputs(i ? ",\n  {" : "\n  {", f);
            for (size_t j = 0; j < nc; j++) {
                const upl_column *c = upl_table_column(t, j);
                if (j) fputs(", ", f);
                json_str(f, c->name, strlen(c->name));
                fputs(": ", f);
                bool ok = upl_col_format(c, i, &buf, &cap, &len);
                if (!ok) fputs("null", f);
                else if (c->type == UPL_F64 || c->type == UPL_I64) {
                    if (c->type == UPL_F64 && !isfinite(c->v.f64[i])) fputs("null", f);
                    else fwrite(buf, 1, len, f);
                } else if (c->type == UPL_BOOL) fputs(c->v.b[i] ? "true" : "false", f);
                else json_str(f, buf, len);
            }
            fputs("}", f);
        }
        fputs(nr ? "\n]" : "]", f);
    }
    fputs("\n}\n", f);
    upl_free(buf);
    if (ferror(f)) return upl_error_set(err, UPL_EIO, "writing JSON failed");
    return UPL_OK;
}

void upl_revital_options_init(upl_revital_options *o) {
    memset(o, 0, sizeof *o);
    o->method = UPL_REVITAL_ENTROPY;
    o->zero_param = NAN;
    o->scope = UPL_REVITAL_POOLED;
    o->subjective = UPL_REVITAL_AHP;
    o->objective = UPL_REVITAL_ENTROPY;
    o->combine = UPL_REVITAL_COMBINE_PRODUCT;
    o->combine_alpha = 0.5;
    o->ccd_boundary = UPL_REVITAL_LEFT_CLOSED;
    o->lag_threshold = 0.1;
    o->kde_points = 101;
    o->missing = UPL_REVITAL_MISSING_ERROR;
}

void upl_revital_town_options_init(upl_revital_town_options *o) {
    memset(o, 0, sizeof *o);
    o->eps = 0.01;
    o->ccd_boundary = UPL_REVITAL_LEFT_CLOSED;
}

const char *upl_revital_method_name(int method) {
    switch (method) {
    case UPL_REVITAL_ENTROPY: return "entropy";
    case UPL_REVITAL_CRITIC: return "critic";
    case UPL_REVITAL_GIVEN: return "given";
    case UPL_REVITAL_AHP: return "ahp";
    case UPL_REVITAL_COMBINED: return "combined";
    default: return "?";
    }
}
