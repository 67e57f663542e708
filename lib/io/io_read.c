/* io_read.c — the one entry point for reading tables: format detection from
 * the first bytes, dispatch to the CSV, Stata/SPSS and snapshot readers, the
 * rejects file every reader shares, and the read summary for people.
 *
 * Rejects file (RELIABILITY.md §5, "nothing is lost"): one line per reason,
 * columns file,line,record,column,field,code,message,raw; a row with two bad
 * fields appears twice, and is counted once in rows_rejected. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/io.h"
#include "reader_int.h"

const char *upl_format_name(upl_format f) {
    switch (f) {
    case UPL_FMT_AUTO: return "auto";
    case UPL_FMT_CSV: return "csv";
    case UPL_FMT_DTA: return "dta";
    case UPL_FMT_SAV: return "sav";
    case UPL_FMT_SNAPSHOT: return "upl";
    }
    return "?";
}

static const char *const reject_names[UPL_REJ_COUNT_] = {
    "?", "FIELD_COUNT", "BAD_NUMBER", "BAD_INTEGER", "BAD_BOOL", "BAD_DATE", "ID_EXCEL_MANGLED",
    "CONTROL_CHAR", "STRAY_QUOTE", "FIELD_TOO_LONG", "REQUIRED_MISSING", "OUT_OF_RANGE", "OTHER"
};

const char *upl_reject_code_name(int code) {
    return code > 0 && code < UPL_REJ_COUNT_ ? reject_names[code] : "?";
}

void upl_read_options_init(upl_read_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->format = UPL_FMT_AUTO;
    opt->has_label_codes = true;
}

/* Legacy Stata (releases 102-115): byte 0 = release, byte 1 = byte order
 * (1 HILO, 2 LOHI), byte 2 = filetype 1. Release 117+ is XML-like. */
static bool is_old_dta(const unsigned char *b, size_t n) {
    return n >= 4 && ((b[0] >= 102 && b[0] <= 115) && (b[1] == 1 || b[1] == 2) && b[2] == 1 && b[3] == 0);
}

int upl_format_detect(const char *path, upl_format *out, upl_error *err) {
    unsigned char b[16] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL,
                            "cannot open: %s", strerror(errno));
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 8 && !memcmp(b, UPL_SNAPSHOT_MAGIC, 8)) *out = UPL_FMT_SNAPSHOT;
    else if (n >= 11 && !memcmp(b, "<stata_dta>", 11)) *out = UPL_FMT_DTA;
    else if (is_old_dta(b, n)) *out = UPL_FMT_DTA;
    else if (n >= 4 && (!memcmp(b, "$FL2", 4) || !memcmp(b, "$FL3", 4))) *out = UPL_FMT_SAV;
    else if (n >= 4 && !memcmp(b, "PK\x03\x04", 4))
        return upl_error_at(err, UPL_EUNSUPPORTED, path, 0, 0, NULL,
                            "this looks like an Excel workbook (.xlsx); save the sheet as CSV UTF-8 "
                            "(请将工作表另存为 CSV UTF-8)");
    else if (n >= 8 && !memcmp(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))
        return upl_error_at(err, UPL_EUNSUPPORTED, path, 0, 0, NULL,
                            "this looks like an old Excel workbook (.xls); save the sheet as CSV UTF-8 "
                            "(请将工作表另存为 CSV UTF-8)");
    else *out = UPL_FMT_CSV;
    return UPL_OK;
}

char *upl__rejects_path(const char *path, const upl_read_options *opt) {
    if (opt->rejects_path) return upl_strdup(opt->rejects_path);
    return upl_asprintf("%s.rejects.csv", path);
}

int upl_read_table(const char *path, const upl_read_options *opt_in, upl_table **out,
                   upl_read_summary *summary, upl_error *err) {
    upl_read_options defaults;
    upl_read_summary local;
    int rc;
    if (!out || !path) return upl_error_set(err, UPL_EMISUSE, "upl_read_table: path and out are required");
    *out = NULL;
    if (!opt_in) { upl_read_options_init(&defaults); opt_in = &defaults; }
    upl_read_summary *s = summary ? summary : &local;
    memset(s, 0, sizeof *s);
    upl_format fmt = opt_in->format;
    if (fmt == UPL_FMT_AUTO) {
        rc = upl_format_detect(path, &fmt, err);
        if (rc) return rc;
    }
    s->format = fmt;
    switch (fmt) {
    case UPL_FMT_CSV:
        return upl__csv_read(path, opt_in, out, s, err);
    case UPL_FMT_DTA:
    case UPL_FMT_SAV:
        return upl__stat_read(path, fmt, opt_in, out, s, err);
    case UPL_FMT_SNAPSHOT: {
        rc = upl_snapshot_open(path, true, out, err);
        if (rc) return rc;
        uint64_t n = upl_table_n_rows(*out);
        s->rows_read = s->rows_loaded = n;
        snprintf(s->encoding, sizeof s->encoding, "UTF-8");
        return UPL_OK;
    }
    default:
        return upl_error_set(err, UPL_EMISUSE, "upl_read_table: unknown format %d", (int)fmt);
    }
}

void upl_read_summary_print(const upl_read_summary *s, FILE *f) {
    char d[8];
    if (s->delimiter == '\t') snprintf(d, sizeof d, "TAB");
    else if (s->delimiter) snprintf(d, sizeof d, "'%c'", s->delimiter);
    else snprintf(d, sizeof d, "-");
    fprintf(f, "format 格式: %s   encoding 编码: %s%s", upl_format_name(s->format),
            s->encoding[0] ? s->encoding : "-", s->had_bom ? " (BOM)" : "");
    if (s->format == UPL_FMT_CSV) fprintf(f, "   delimiter 分隔符: %s", d);
    fputc('\n', f);
    fprintf(f, "rows read 读取行数: %llu   loaded 载入: %llu   rejected 拒收: %llu\n",
            (unsigned long long)s->rows_read, (unsigned long long)s->rows_loaded,
            (unsigned long long)s->rows_rejected);
    for (int c = 1; c < UPL_REJ_COUNT_; c++)
        if (s->rejects_by_code[c])
            fprintf(f, "  rejected for %s 拒收原因: %llu\n", upl_reject_code_name(c),
                    (unsigned long long)s->rejects_by_code[c]);
    if (s->n_warnings) fprintf(f, "warnings 警告: %llu\n", (unsigned long long)s->n_warnings);
}

/* ---- Reject lists ------------------------------------------------------------- */
int upl__reject_push(upl_reject_list *l, const upl_reject *r) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        upl_reject *it = upl_reallocarray(l->items, nc, sizeof *it);
        if (!it) return UPL_ENOMEM;
        l->items = it;
        l->cap = nc;
    }
    l->items[l->n++] = *r;
    return UPL_OK;
}

void upl__reject_list_free(upl_reject_list *l) {
    upl_free(l->items);
    memset(l, 0, sizeof *l);
}

static int cmp_reject(const void *a, const void *b) {
    const upl_reject *x = a, *y = b;
    if (x->record != y->record) return x->record < y->record ? -1 : 1;
    if (x->column != y->column) return x->column < y->column ? -1 : 1;
    return x->code < y->code ? -1 : x->code > y->code;
}

void upl__reject_list_sort(upl_reject_list *l) {
    if (l->n > 1) qsort(l->items, l->n, sizeof *l->items, cmp_reject);
}

void upl__reject_count(const upl_reject_list *l, upl_read_summary *s) {
    for (size_t i = 0; i < l->n;) {
        size_t j = i;
        bool seen[UPL_REJ_COUNT_] = { false };
        while (j < l->n && l->items[j].record == l->items[i].record) {
            int c = l->items[j].code;
            if (c > 0 && c < UPL_REJ_COUNT_ && !seen[c]) { seen[c] = true; s->rejects_by_code[c]++; }
            j++;
        }
        s->rows_rejected++;
        i = j;
    }
}

static const char *hint_of(int code) {
    switch (code) {
    case UPL_REJ_FIELD_COUNT: return "the row has a different number of fields than the header (字段数与表头不一致)";
    case UPL_REJ_BAD_NUMBER: return "not a number in the strict grammar; remove units, currency signs, thousands separators and spaces (不是合法数字：请去掉单位、货币符号、千位分隔符和空格)";
    case UPL_REJ_BAD_INTEGER: return "not a whole number (不是整数)";
    case UPL_REJ_BAD_BOOL: return "not true/false (不是布尔值 true/false)";
    case UPL_REJ_BAD_DATE: return "not a date in an unambiguous format (日期格式不明确)";
    case UPL_REJ_ID_EXCEL_MANGLED: return "ID number changed by Excel (scientific notation or last digits zeroed); format the column as Text and export again — never repaired (身份证号被 Excel 改写，请将该列设为文本后重新导出)";
    case UPL_REJ_CONTROL_CHAR: return "NUL or control character inside a field (字段含有 NUL 或控制字符)";
    case UPL_REJ_STRAY_QUOTE: return "a quote inside an unquoted field or after a closing quote (引号位置错误)";
    case UPL_REJ_FIELD_TOO_LONG: return "field longer than the limit (字段超过长度上限)";
    case UPL_REJ_REQUIRED_MISSING: return "a required value is empty (必填字段为空)";
    case UPL_REJ_OUT_OF_RANGE: return "value out of range (数值超出范围)";
    default: return "rejected (拒收)";
    }
}

/* Control bytes (NUL...) shown as \xNN so the rejects file stays text;
 * NULL when nothing needs changing (or out of memory: *oom set). */
static char *visible(const char *s, size_t n, size_t *out_n, bool *oom) {
    size_t extra = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) extra += 3;
    }
    if (!extra) return NULL;
    char *d = upl_malloc(n + extra + 1);
    if (!d) { *oom = true; return NULL; }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) k += (size_t)snprintf(d + k, 5, "\\x%02X", c);
        else d[k++] = (char)c;
    }
    d[k] = '\0';
    *out_n = k;
    return d;
}

char *upl__reject_message(const upl_reject *r) {
    const char *hint = hint_of(r->code);
    if (r->value && r->code != UPL_REJ_FIELD_COUNT && r->code != UPL_REJ_FIELD_TOO_LONG &&
        r->code != UPL_REJ_REQUIRED_MISSING) {
        size_t n = r->value_len > 200 ? 200 : r->value_len, vn = n;
        bool oom = false;
        char *vis = visible(r->value, n, &vn, &oom);
        if (oom) return NULL;
        char *m = upl_asprintf("%s%s%s: `%.*s`%s", r->detail ? r->detail : "", r->detail ? "; " : "", hint,
                               (int)vn, vis ? vis : r->value, n < r->value_len ? "..." : "");
        upl_free(vis);
        return m;
    }
    return upl_asprintf("%s%s%s", r->detail ? r->detail : "", r->detail ? "; " : "", hint);
}

int upl__rejects_write(const char *path, const char *input_path, const upl_reject_list *l,
                       char *const *col_names, size_t n_cols, upl_error *err) {
    int rc = UPL_OK;
    char num[64];
    FILE *f = fopen(path, "w");
    if (!f) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot write the rejects file: %s", strerror(errno));
    fputs("file,line,record,column,field,code,message,raw\n", f);
    for (size_t i = 0; i < l->n; i++) {
        const upl_reject *r = &l->items[i];
        char *msg = upl__reject_message(r);
        if (!msg) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        const char *field = r->column && r->column <= n_cols && col_names ? col_names[r->column - 1] : "";
        upl_csv_put_field(f, input_path, strlen(input_path));
        snprintf(num, sizeof num, ",%llu,%llu,%u,", (unsigned long long)r->line,
                 (unsigned long long)r->record, (unsigned)r->column);
        fputs(num, f);
        upl_csv_put_field(f, field, strlen(field));
        fputc(',', f);
        fputs(upl_reject_code_name(r->code), f);
        fputc(',', f);
        upl_csv_put_field(f, msg, strlen(msg));
        fputc(',', f);
        size_t vn = 0;
        bool oom = false;
        char *vis = r->raw ? visible(r->raw, r->raw_len, &vn, &oom) : NULL;
        if (oom) { upl_free(msg); rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        if (vis) upl_csv_put_field(f, vis, vn);
        else upl_csv_put_field(f, r->raw ? r->raw : "", r->raw ? r->raw_len : 0);
        upl_free(vis);
        fputc('\n', f);
        upl_free(msg);
    }
fail:
    if (fclose(f) != 0 && rc == UPL_OK)
        rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "error writing the rejects file: %s", strerror(errno));
    return rc;
}
