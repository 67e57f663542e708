/* stat_reader.c — Stata .dta and SPSS .sav/.zsav through ReadStat.
 *
 * What the reader decides (docs/io.md has the user's version):
 *   - Missing: system missing, Stata extended missing .a–.z and SPSS
 *     user-missing values (discrete or ranges) are all missing, never
 *     numbers (RELIABILITY.md §5 item 10). An empty string is missing too,
 *     the same rule as an empty CSV field (Stata has no other string missing).
 *   - Value labels: a labelled numeric variable `x` becomes a category column
 *     `x` whose labels are the value labels (dictionary in order of the
 *     codes; a value without a label gets its number as label), and, unless
 *     has_label_codes is false, a companion `x__code` with the numeric codes,
 *     so "store the code, show the label" (§5 item 18) holds.
 *   - Types: Stata byte/int/long -> i64; float/double and SPSS numbers ->
 *     f64 (a Stata float is widened through its shortest decimal text, so
 *     float 1.1 reads as 1.1, not 1.100000023841858); strings -> text.
 *   - Encoding: .sav and .dta release 118+ say their encoding. Legacy .dta
 *     (release <= 117) does not: with no --encoding the text must be strict
 *     UTF-8, else it is read again as GB18030 (the same order as CSV); with
 *     --encoding (e.g. gbk) that is used.
 *   - A truncated or corrupt file is UPL_ECORRUPT; nothing is returned.
 *   - Personal ID columns (身份证号 ...) stored as numbers are a file-level
 *     error (digits are already lost); text IDs that Excel mangled are
 *     rejected row by row, like CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readstat.h>
#include "uplift/io.h"
#include "reader_int.h"

typedef struct lab { char *set; double key; char *label; } lab;

typedef struct svar {
    char *name;
    readstat_type_t type;
    char *labset;
    upl_column *raw;         /* F64 for numbers, STR for text (in ctx.raw) */
    bool is_id;
    bool is_dropped;
} svar;

typedef struct sctx {
    const char *path;
    const upl_read_options *opt;
    upl_table *raw;
    svar *vars;
    int n_vars;
    int64_t n_rows_meta;
    int64_t n_rows_seen;
    lab *labs;
    size_t n_labs, cap_labs;
    int rc;                  /* first error of ours */
    upl_error *err;
    bool bad_utf8;
    bool check_utf8;
    int file_version;
} sctx;

static bool utf8_ok(const char *s) { size_t n = strlen(s); return upl__utf8_invalid_at(s, n) == n; }

static int on_metadata(readstat_metadata_t *md, void *vctx) {
    sctx *c = vctx;
    c->n_rows_meta = readstat_get_row_count(md);
    c->file_version = readstat_get_file_format_version(md);
    int nv = readstat_get_var_count(md);
    if (nv < 0) nv = 0;
    c->vars = upl_calloc((size_t)nv + 1, sizeof *c->vars);
    if (!c->vars) { c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
    c->n_vars = nv;
    return READSTAT_HANDLER_OK;
}

static int on_variable(int index, readstat_variable_t *v, const char *val_labels, void *vctx) {
    sctx *c = vctx;
    if (index < 0 || index >= c->n_vars) { c->rc = UPL_ECORRUPT; return READSTAT_HANDLER_ABORT; }
    svar *sv = &c->vars[index];
    const char *name = readstat_variable_get_name(v);
    if (c->check_utf8 && (!utf8_ok(name) || (val_labels && !utf8_ok(val_labels)))) {
        c->bad_utf8 = true;
        return READSTAT_HANDLER_ABORT;
    }
    sv->name = upl_strdup(name);
    sv->type = readstat_variable_get_type(v);
    sv->labset = val_labels && *val_labels ? upl_strdup(val_labels) : NULL;
    if (!sv->name || (val_labels && *val_labels && !sv->labset)) { c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
    upl_type t = sv->type == READSTAT_TYPE_STRING || sv->type == READSTAT_TYPE_STRING_REF ? UPL_STR : UPL_F64;
    upl_error e = { 0 };
    char tmp[32];
    snprintf(tmp, sizeof tmp, "v%d", index);   /* raw columns by index: names may repeat until checked */
    if (upl_table_add_column(c->raw, tmp, t, &sv->raw, &e)) { upl_error_clear(&e); c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
    if (c->n_rows_meta > 0 && upl_col_reserve(sv->raw, (size_t)c->n_rows_meta, 0)) { c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
    return READSTAT_HANDLER_OK;
}

/* Shortest decimal text that reads back to the same float, as a double. */
static double widen_float(float f) {
    char buf[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        double d = strtod(buf, NULL);
        if ((float)d == f) return d;
    }
    return (double)f;
}

static int on_value(int obs, readstat_variable_t *v, readstat_value_t value, void *vctx) {
    sctx *c = vctx;
    int idx = readstat_variable_get_index(v);
    if (idx < 0 || idx >= c->n_vars || !c->vars[idx].raw) { c->rc = UPL_ECORRUPT; return READSTAT_HANDLER_ABORT; }
    upl_column *col = c->vars[idx].raw;
    if ((int64_t)obs + 1 > c->n_rows_seen) c->n_rows_seen = (int64_t)obs + 1;
    if ((size_t)obs != col->n_rows) { c->rc = UPL_ECORRUPT; return READSTAT_HANDLER_ABORT; }
    int rc;
    readstat_type_t t = readstat_value_type(value);
    if (readstat_value_is_missing(value, v)) {
        rc = upl_col_push_null(col);
    } else if (t == READSTAT_TYPE_STRING || t == READSTAT_TYPE_STRING_REF) {
        const char *s = readstat_string_value(value);
        size_t n = s ? strlen(s) : 0;
        if (c->check_utf8 && n && upl__utf8_invalid_at(s, n) != n) { c->bad_utf8 = true; return READSTAT_HANDLER_ABORT; }
        rc = n ? upl_col_push_str(col, s, n) : upl_col_push_null(col);
    } else {
        double d;
        switch (t) {
        case READSTAT_TYPE_INT8: d = readstat_int8_value(value); break;
        case READSTAT_TYPE_INT16: d = readstat_int16_value(value); break;
        case READSTAT_TYPE_INT32: d = readstat_int32_value(value); break;
        case READSTAT_TYPE_FLOAT: d = widen_float(readstat_float_value(value)); break;
        default: d = readstat_double_value(value); break;
        }
        rc = isfinite(d) ? upl_col_push_f64(col, d) : upl_col_push_null(col);
    }
    if (rc) { c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
    return READSTAT_HANDLER_OK;
}

static int on_value_label(const char *set, readstat_value_t value, const char *label, void *vctx) {
    sctx *c = vctx;
    readstat_type_t t = readstat_value_type(value);
    if (t == READSTAT_TYPE_STRING || t == READSTAT_TYPE_STRING_REF) return READSTAT_HANDLER_OK;
    if (readstat_value_is_tagged_missing(value) || readstat_value_is_system_missing(value)) return READSTAT_HANDLER_OK;
    if (c->check_utf8 && (!utf8_ok(label) || !utf8_ok(set))) { c->bad_utf8 = true; return READSTAT_HANDLER_ABORT; }
    if (c->n_labs == c->cap_labs) {
        size_t nc = c->cap_labs ? c->cap_labs * 2 : 32;
        lab *l = upl_reallocarray(c->labs, nc, sizeof *l);
        if (!l) { c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
        c->labs = l;
        c->cap_labs = nc;
    }
    double key;
    switch (t) {
    case READSTAT_TYPE_INT8: key = readstat_int8_value(value); break;
    case READSTAT_TYPE_INT16: key = readstat_int16_value(value); break;
    case READSTAT_TYPE_INT32: key = readstat_int32_value(value); break;
    case READSTAT_TYPE_FLOAT: key = widen_float(readstat_float_value(value)); break;
    default: key = readstat_double_value(value); break;
    }
    lab *l = &c->labs[c->n_labs];
    l->set = upl_strdup(set);
    l->label = upl_strdup(label);
    l->key = key;
    if (!l->set || !l->label) { upl_free(l->set); upl_free(l->label); c->rc = UPL_ENOMEM; return READSTAT_HANDLER_ABORT; }
    c->n_labs++;
    return READSTAT_HANDLER_OK;
}

static void sctx_reset(sctx *c) {
    upl_table_free(c->raw);
    c->raw = NULL;
    for (int i = 0; i < c->n_vars; i++) { upl_free(c->vars[i].name); upl_free(c->vars[i].labset); }
    upl_free(c->vars);
    c->vars = NULL;
    c->n_vars = 0;
    for (size_t i = 0; i < c->n_labs; i++) { upl_free(c->labs[i].set); upl_free(c->labs[i].label); }
    upl_free(c->labs);
    c->labs = NULL;
    c->n_labs = c->cap_labs = 0;
    c->n_rows_seen = 0;
    c->n_rows_meta = -1;
    c->bad_utf8 = false;
    c->rc = UPL_OK;
}

static int map_readstat_error(sctx *c, readstat_error_t e, const char *enc) {
    const char *what = readstat_error_message(e);
    switch (e) {
    case READSTAT_ERROR_OPEN:
        return upl_error_at(c->err, UPL_EIO, c->path, 0, 0, NULL, "cannot open: %s", what);
    case READSTAT_ERROR_MALLOC:
        return upl_error_set(c->err, UPL_ENOMEM, "out of memory reading `%s`", c->path);
    case READSTAT_ERROR_UNSUPPORTED_CHARSET:
    case READSTAT_ERROR_CONVERT:
    case READSTAT_ERROR_CONVERT_BAD_STRING:
    case READSTAT_ERROR_CONVERT_SHORT_STRING:
    case READSTAT_ERROR_CONVERT_LONG_STRING:
        return upl_error_at(c->err, UPL_EENCODING, c->path, 0, 0, NULL,
                            "text cannot be decoded as %s (%s); give the file's encoding with --encoding "
                            "(无法解码文本，请用 --encoding 指定编码)", enc ? enc : "the declared encoding", what);
    case READSTAT_ERROR_UNSUPPORTED_COMPRESSION:
    case READSTAT_ERROR_UNSUPPORTED_FILE_FORMAT_VERSION:
        return upl_error_at(c->err, UPL_EUNSUPPORTED, c->path, 0, 0, NULL, "%s", what);
    default:
        return upl_error_at(c->err, UPL_ECORRUPT, c->path, 0, 0, NULL,
                            "truncated or corrupt file (%s); nothing was loaded (文件不完整或已损坏，未载入任何数据)", what);
    }
}

static int parse_once(sctx *c, upl_format fmt, const char *enc) {
    readstat_parser_t *p = readstat_parser_init();
    if (!p) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
    c->raw = upl_table_new();
    if (!c->raw) { readstat_parser_free(p); return upl_error_set(c->err, UPL_ENOMEM, "out of memory"); }
    readstat_set_metadata_handler(p, on_metadata);
    readstat_set_variable_handler(p, on_variable);
    readstat_set_value_handler(p, on_value);
    readstat_set_value_label_handler(p, on_value_label);
    readstat_error_t e = READSTAT_OK;
    if (enc) e = readstat_set_file_character_encoding(p, enc);
    if (e == READSTAT_OK) e = fmt == UPL_FMT_DTA ? readstat_parse_dta(p, c->path, c) : readstat_parse_sav(p, c->path, c);
    readstat_parser_free(p);
    if (c->bad_utf8) return UPL_EENCODING;
    if (c->rc) {
        if (c->rc == UPL_ENOMEM) return upl_error_set(c->err, UPL_ENOMEM, "out of memory reading `%s`", c->path);
        return upl_error_at(c->err, c->rc, c->path, 0, 0, NULL, "inconsistent file structure; nothing was loaded");
    }
    if (e != READSTAT_OK) return map_readstat_error(c, e, enc);
    if (c->n_rows_meta >= 0 && c->n_rows_seen != c->n_rows_meta && c->n_vars > 0)
        return upl_error_at(c->err, UPL_ECORRUPT, c->path, 0, 0, NULL,
                            "the header promises %lld rows but %lld were found: truncated or corrupt; nothing was loaded",
                            (long long)c->n_rows_meta, (long long)c->n_rows_seen);
    for (int i = 0; i < c->n_vars; i++)
        if (!c->vars[i].raw || c->vars[i].raw->n_rows != (size_t)c->n_rows_seen)
            return upl_error_at(c->err, UPL_ECORRUPT, c->path, 0, 0, NULL, "variable %d is incomplete: truncated or corrupt", i + 1);
    return UPL_OK;
}

static int cmp_lab(const void *a, const void *b) {
    const lab *x = a, *y = b;
    int s = strcmp(x->set, y->set);
    if (s) return s;
    return x->key < y->key ? -1 : x->key > y->key;
}

static bool is_int_storage(readstat_type_t t) {
    return t == READSTAT_TYPE_INT8 || t == READSTAT_TYPE_INT16 || t == READSTAT_TYPE_INT32;
}

static int format_num(double d, char *buf, size_t n) {
    if (d == floor(d) && fabs(d) < 9e15) return snprintf(buf, n, "%.0f", d);
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    return (int)strlen(buf);
}

/* Copy live rows of a raw column into the output table with its final type. */
static int build_column(sctx *c, svar *sv, upl_table *t, const uint8_t *dead, size_t n_rows, upl_error *err) {
    int rc = UPL_OK;
    upl_column *raw = sv->raw, *out = NULL, *codes = NULL;
    size_t n_live = 0;
    for (size_t r = 0; r < n_rows; r++) n_live += !dead[r];
    if (raw->type == UPL_STR) {
        UPL_TRY(upl_table_add_column(t, sv->name, UPL_STR, &out, err));
        out->is_text_kept = true;
        UPL_FAIL_IF(upl_col_reserve(out, n_live ? n_live : 1, raw->str_bytes + 1), err, UPL_ENOMEM, "out of memory");
        for (size_t r = 0; r < n_rows; r++) {
            if (dead[r]) continue;
            size_t len;
            const char *s = upl_col_str(raw, r, &len);
            int prc = upl_col_is_valid(raw, r) ? upl_col_push_str(out, s, len) : upl_col_push_null(out);
            UPL_FAIL_IF(prc, err, UPL_ENOMEM, "out of memory");
        }
        return UPL_OK;
    }
    /* Labels of this variable's set, sorted by code. */
    size_t l0 = 0, l1 = 0;
    if (sv->labset) {
        while (l0 < c->n_labs && strcmp(c->labs[l0].set, sv->labset) < 0) l0++;
        l1 = l0;
        while (l1 < c->n_labs && !strcmp(c->labs[l1].set, sv->labset)) l1++;
    }
    bool integral = is_int_storage(sv->type);
    if (l1 > l0) {
        UPL_TRY(upl_table_add_column(t, sv->name, UPL_CAT, &out, err));
        for (size_t k = l0; k < l1; k++) {
            int32_t code;
            UPL_FAIL_IF(upl_dict_intern(out->dict, c->labs[k].label, strlen(c->labs[k].label), &code), err,
                        UPL_ENOMEM, "out of memory");
        }
        if (c->opt->has_label_codes) {
            char *cn = upl_asprintf("%s__code", sv->name);
            UPL_FAIL_IF(!cn, err, UPL_ENOMEM, "out of memory");
            if (upl_table_find(t, cn)) { upl_free(cn); cn = NULL; }
            else {
                rc = upl_table_add_column(t, cn, integral ? UPL_I64 : UPL_F64, &codes, err);
                upl_free(cn);
                if (rc) goto fail;
            }
        }
        for (size_t r = 0; r < n_rows; r++) {
            if (dead[r]) continue;
            if (!upl_col_is_valid(raw, r)) {
                UPL_FAIL_IF(upl_col_push_null(out) || (codes && upl_col_push_null(codes)), err, UPL_ENOMEM, "out of memory");
                continue;
            }
            double d = raw->v.f64[r];
            size_t lo = l0, hi = l1;     /* binary search for the code */
            while (lo < hi) { size_t m = (lo + hi) / 2; if (c->labs[m].key < d) lo = m + 1; else hi = m; }
            int prc;
            if (lo < l1 && c->labs[lo].key == d) {
                prc = upl_col_push_code(out, (int32_t)(lo - l0));
            } else {
                char buf[40];
                int n = format_num(d, buf, sizeof buf);
                prc = upl_col_push_cat(out, buf, (size_t)n);
            }
            if (!prc && codes) prc = integral ? upl_col_push_i64(codes, (int64_t)d) : upl_col_push_f64(codes, d);
            UPL_FAIL_IF(prc, err, UPL_ENOMEM, "out of memory");
        }
        return UPL_OK;
    }
    UPL_TRY(upl_table_add_column(t, sv->name, integral ? UPL_I64 : UPL_F64, &out, err));
    UPL_FAIL_IF(upl_col_reserve(out, n_live ? n_live : 1, 0), err, UPL_ENOMEM, "out of memory");
    for (size_t r = 0; r < n_rows; r++) {
        if (dead[r]) continue;
        int prc;
        if (!upl_col_is_valid(raw, r)) prc = upl_col_push_null(out);
        else if (integral) prc = upl_col_push_i64(out, (int64_t)raw->v.f64[r]);
        else prc = upl_col_push_f64(out, raw->v.f64[r]);
        UPL_FAIL_IF(prc, err, UPL_ENOMEM, "out of memory");
    }
fail:
    return rc;
}

int upl__stat_read(const char *path, upl_format fmt, const upl_read_options *opt, upl_table **out,
                   upl_read_summary *sum, upl_error *err) {
    int rc = UPL_OK;
    sctx c;
    upl_table *t = NULL;
    uint8_t *dead = NULL;
    upl_reject_list rej = { 0 };
    char **names = NULL;
    char *rej_path = NULL;
    char *rawtext = NULL;
    memset(&c, 0, sizeof c);
    c.path = path;
    c.opt = opt;
    c.err = err;
    c.n_rows_meta = -1;

    /* Legacy .dta (first byte = release <= 115, or XML-like release 117) has no declared encoding. */
    bool is_legacy = false;
    if (fmt == UPL_FMT_DTA) {
        unsigned char b[32] = { 0 };
        FILE *f = fopen(path, "rb");
        if (!f) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot open");
        size_t n = fread(b, 1, sizeof b, f);
        fclose(f);
        if (n >= 1 && b[0] != '<') is_legacy = true;
        else if (n >= 32 && memmem(b, n, "<release>117", 12)) is_legacy = true;
    }
    const char *enc = upl__encoding_is_auto(opt->encoding) ? NULL : opt->encoding;
    const char *used = NULL;
    if (is_legacy && !enc) {
        /* ReadStat would otherwise decode legacy text as WINDOWS-1252, which
         * never fails and turns GBK into mojibake silently. */
        c.check_utf8 = true;
        rc = parse_once(&c, fmt, "UTF-8");
        used = "UTF-8";
        if (rc == UPL_EENCODING) {
            upl_error_clear(err);
            upl_log(UPL_LOG_INFO, "%s: legacy .dta text is not UTF-8; reading it as GB18030", path);
            sctx_reset(&c);
            c.check_utf8 = false;
            rc = parse_once(&c, fmt, "GB18030");
            used = "GB18030";
        }
    } else {
        rc = parse_once(&c, fmt, enc);
        used = enc ? enc : "UTF-8";
    }
    if (rc == UPL_EENCODING && c.bad_utf8)
        rc = upl_error_at(err, UPL_EENCODING, path, 0, 0, NULL, "text is not valid UTF-8; give the encoding with --encoding");
    if (rc) goto fail;
    snprintf(sum->encoding, sizeof sum->encoding, "%s", used);
    for (char *q = sum->encoding; *q; q++) if (*q >= 'a' && *q <= 'z') *q = (char)(*q - 32);
    sum->bytes = 0;

    /* Schema: required columns, ID columns, strict dropping. */
    for (size_t k = 0; k < opt->n_schema; k++) {
        bool found = false;
        for (int i = 0; i < c.n_vars && !found; i++) found = !strcmp(c.vars[i].name, opt->schema[k].name);
        if (!found && opt->schema[k].is_required) {
            rc = upl_error_at(err, UPL_ESCHEMA, path, 0, 0, opt->schema[k].name, "required column is missing (缺少必需的列)");
            goto fail;
        }
    }
    for (int i = 0; i < c.n_vars; i++) {
        svar *sv = &c.vars[i];
        const upl_schema_field *sf = NULL;
        for (size_t k = 0; k < opt->n_schema && !sf; k++) if (!strcmp(opt->schema[k].name, sv->name)) sf = &opt->schema[k];
        if (!sf && opt->is_schema_strict) { sv->is_dropped = true; sum->n_warnings++; continue; }
        sv->is_id = (sf && sf->is_id) || upl__name_is_person_id(sv->name);
        for (int k = 0; k < i; k++)
            if (!c.vars[k].is_dropped && !strcmp(c.vars[k].name, sv->name)) {
                rc = upl_error_at(err, UPL_ESCHEMA, path, 0, (uint64_t)i + 1, sv->name, "duplicate variable name");
                goto fail;
            }
        if (sv->is_id && sv->raw->type != UPL_STR) {
            rc = upl_error_at(err, UPL_ESCHEMA, path, 0, (uint64_t)i + 1, sv->name,
                              "ID numbers are stored as numbers here, so digits beyond the 15th are already lost "
                              "(ID_EXCEL_MANGLED); store the column as text (str18) and export again "
                              "(身份证号以数值存储，末尾数字已丢失，请以文本格式重新导出)");
            goto fail;
        }
    }
    size_t n_rows = (size_t)c.n_rows_seen;
    dead = upl_calloc(n_rows ? n_rows : 1, 1);
    names = upl_calloc((size_t)c.n_vars + 1, sizeof *names);
    if (!dead || !names) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (int i = 0; i < c.n_vars; i++) names[i] = c.vars[i].name;
    for (int i = 0; i < c.n_vars; i++) {
        svar *sv = &c.vars[i];
        if (sv->is_dropped || !sv->is_id) continue;
        for (size_t r = 0; r < n_rows; r++) {
            if (!upl_col_is_valid(sv->raw, r)) continue;
            size_t len;
            const char *s = upl_col_str(sv->raw, r, &len);
            if (!upl__id_is_excel_mangled(s, len)) continue;
            dead[r] = 1;
            upl_reject e = { .record = r + 1, .line = 0, .column = (uint32_t)i + 1, .code = UPL_REJ_ID_EXCEL_MANGLED,
                             .raw = s, .raw_len = len, .value = s, .value_len = len };
            if (upl__reject_push(&rej, &e)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        }
    }
    if (c.n_labs > 1) qsort(c.labs, c.n_labs, sizeof *c.labs, cmp_lab);
    t = upl_table_new();
    if (!t) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (int i = 0; i < c.n_vars; i++)
        if (!c.vars[i].is_dropped) UPL_TRY(build_column(&c, &c.vars[i], t, dead, n_rows, err));
    sum->rows_read = n_rows;
    upl__reject_list_sort(&rej);
    upl__reject_count(&rej, sum);
    sum->rows_loaded = n_rows - sum->rows_rejected;
    if (!opt->is_rejects_disabled && (rej.n > 0 || opt->rejects_path)) {
        rej_path = upl__rejects_path(path, opt);
        if (!rej_path) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        UPL_TRY(upl__rejects_write(rej_path, path, &rej, names, (size_t)c.n_vars, err));
    }
    if (upl_table_set_meta(t, "source", path) || upl_table_set_meta(t, "format", upl_format_name(fmt)) ||
        upl_table_set_meta(t, "encoding", sum->encoding)) {
        rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        goto fail;
    }
    *out = t;
    t = NULL;
fail:
    upl_free(rawtext);
    upl_free(rej_path);
    upl__reject_list_free(&rej);
    upl_free(names);
    upl_free(dead);
    upl_table_free(t);
    sctx_reset(&c);
    return rc;
}
