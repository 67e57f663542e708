/* cmd_describe.c — `uplift describe FILE`: what a data file holds before
 * anyone analyses it: format, encoding, rows read/loaded/rejected, and per
 * column the type, missing count, min/mean/max of numbers and the number of
 * distinct categories. Reads with the same reader as every other command,
 * so what describe shows is what analysis will see. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

UPL_COMMAND(describe, "show format, encoding, rows and per-column types, missing counts, min/mean/max")

static const char usage[] =
    "usage: uplift describe FILE [options]\n"
    "\n"
    "Describe a CSV/TSV, Stata .dta, SPSS .sav or uplift .upl file: format, encoding,\n"
    "rows read/loaded/rejected, and per column its type, missing count, min/mean/max\n"
    "(numbers) and distinct values (categories). 描述数据文件：格式、编码、行数、各列类型与缺失。\n"
    "\n"
    "options:\n"
    "  --encoding E      text encoding (default auto: strict UTF-8, else GB18030)\n"
    "  --delimiter C     , ; | or tab (default: sniffed from the header)\n"
    "  --schema SPEC     name:type[:required|notnull|id],...  or @file (types f64 i64 bool cat str id)\n"
    "  --strict-schema   load only the columns named in --schema\n"
    "  --missing LIST    extra tokens meaning missing, comma-separated (e.g. NA,-99)\n"
    "  --rejects FILE    also write rejected rows there (default: none written)\n"
    "  --threads N       parser threads (default: all cores)\n"
    "  --format F        text (default), csv or json\n"
    "\n"
    "example:\n"
    "  uplift describe households.csv --missing NA\n";


typedef struct colsum {
    size_t missing;
    bool has_num;
    double min, max, mean;
    long long distinct;   /* -1 = not counted */
} colsum;

static void summarise(const upl_column *c, colsum *s) {
    memset(s, 0, sizeof *s);
    s->distinct = -1;
    s->missing = upl_col_null_count(c);
    size_t n = c->n_rows;
    if (c->type == UPL_F64 || c->type == UPL_I64 || c->type == UPL_BOOL) {
        upl_ksum k = { 0, 0 };
        size_t cnt = 0;
        double mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (!upl_col_is_valid(c, i)) continue;
            double x = c->type == UPL_F64 ? c->v.f64[i] : c->type == UPL_I64 ? (double)c->v.i64[i] : c->v.b[i];
            if (x < mn) mn = x;
            if (x > mx) mx = x;
            upl_ksum_add(&k, x);
            cnt++;
        }
        if (cnt) { s->has_num = true; s->min = mn; s->max = mx; s->mean = upl_ksum_value(&k) / (double)cnt; }
        if (c->type == UPL_BOOL) s->distinct = (cnt && mn != mx) ? 2 : cnt ? 1 : 0;
    } else if (c->type == UPL_CAT) {
        int32_t nd = upl_dict_size(c->dict);
        uint8_t *seen = calloc((size_t)nd + 1, 1);
        long long d = 0;
        if (seen) {
            for (size_t i = 0; i < n; i++) {
                if (!upl_col_is_valid(c, i)) continue;
                int32_t code = c->v.cat[i];
                if (code >= 0 && code < nd && !seen[code]) { seen[code] = 1; d++; }
            }
            s->distinct = d;
        }
        free(seen);
    }
}

/* Terminal columns of UTF-8 text: East Asian wide characters take two. */
static int disp_width(const char *s) {
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned cp;
        int n;
        if (*p < 0x80) { cp = *p; n = 1; }
        else if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1Fu; n = 2; }
        else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0Fu; n = 3; }
        else { cp = *p & 0x07u; n = 4; }
        for (int k = 1; k < n && p[k]; k++) cp = (cp << 6) | (p[k] & 0x3Fu);
        for (int k = 0; k < n && *p; k++) p++;
        w += (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
             (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
             (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD) ? 2 : 1;
    }
    return w;
}

/* Print s padded with spaces to `width` terminal columns. */
static void pad(const char *s, int width, bool right) {
    int n = width - disp_width(s);
    if (right) for (int i = 0; i < n; i++) putchar(' ');
    fputs(s, stdout);
    if (!right) for (int i = 0; i < n; i++) putchar(' ');
}

static void fmt_num(const upl_column *c, double x, char *buf, size_t n) {
    if (c->type == UPL_I64 || c->type == UPL_BOOL) snprintf(buf, n, "%.0f", x);
    else snprintf(buf, n, "%.6g", x);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

int cmd_describe(int argc, char **argv) {
    const char *cmd = "describe";
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    cli_opt opts[] = {
        { "encoding", 0, true, NULL, false }, { "delimiter", 0, true, NULL, false },
        { "schema", 0, true, NULL, false }, { "strict-schema", 0, false, NULL, false },
        { "missing", 0, true, NULL, false }, { "rejects", 0, true, NULL, false },
        { "threads", 0, true, NULL, false }, { "format", 0, true, NULL, false },
        { "verbose", 'v', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof *opts;
    const char *pos[1];
    size_t n_pos = 0;
    if (cli_parse(cmd, argc, argv, opts, n_opts, pos, 1, &n_pos)) return CLI_USAGE;
    if (n_pos != 1) { cli_error(cmd, "expected one FILE; see `uplift describe --help`"); return CLI_USAGE; }
    const char *fmt = cli_get(opts, n_opts, "format");
    if (!fmt) fmt = "text";
    if (strcmp(fmt, "text") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
        cli_error(cmd, "--format: expected text, csv or json, found `%s`", fmt);
        return CLI_USAGE;
    }
    cli_install_log(cmd, cli_has(opts, n_opts, "verbose"));
    cli_read_opts r;
    memset(&r, 0, sizeof r);
    int rc = cli_read_opts_parse(cmd, opts, n_opts, &r);
    if (rc) { cli_read_opts_free(&r); return rc; }
    const char *rej = cli_get(opts, n_opts, "rejects");
    if (rej) r.o.rejects_path = rej;
    else r.o.is_rejects_disabled = true;

    upl_error err = { 0 };
    upl_table *t = NULL;
    upl_read_summary s;
    int lrc = upl_read_table(pos[0], &r.o, &t, &s, &err);
    if (lrc) {
        rc = cli_fail(cmd, lrc, &err);
        upl_error_clear(&err);
        cli_read_opts_free(&r);
        return rc;
    }
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    char a[40], b[40], m[40];
    if (!strcmp(fmt, "text")) {
        printf("file 文件: %s\n", pos[0]);
        upl_read_summary_print(&s, stdout);
        printf("columns 列数: %zu   rows 行数: %zu\n\n", nc, nr);
        int w = 6;
        for (size_t j = 0; j < nc; j++) { int l = disp_width(upl_table_column(t, j)->name); if (l > w) w = l; }
        if (w > 40) w = 40;
        printf("%4s  ", "#"); pad("column", w, false); printf("  "); pad("type", 4, false);
        printf("  "); pad("missing", 10, true); printf("  "); pad("min", 14, true); printf("  "); pad("mean", 14, true);
        printf("  "); pad("max", 14, true); printf("  "); pad("distinct", 9, true); printf("\n");
        printf("%4s  ", ""); pad("列", w, false); printf("  "); pad("类型", 4, false);
        printf("  "); pad("缺失", 10, true); printf("  "); pad("最小", 14, true); printf("  "); pad("均值", 14, true);
        printf("  "); pad("最大", 14, true); printf("  "); pad("类别数", 9, true); printf("\n");
        for (size_t j = 0; j < nc; j++) {
            const upl_column *c = upl_table_column(t, j);
            colsum cs;
            summarise(c, &cs);
            if (cs.has_num) { fmt_num(c, cs.min, a, sizeof a); snprintf(m, sizeof m, "%.6g", cs.mean); fmt_num(c, cs.max, b, sizeof b); }
            else { strcpy(a, "-"); strcpy(m, "-"); strcpy(b, "-"); }
            char d[32];
            if (cs.distinct >= 0) snprintf(d, sizeof d, "%lld", cs.distinct);
            else strcpy(d, "-");
            printf("%4zu  ", j + 1);
            pad(c->name, w, false);
            printf("  %-4s  %10zu  %14s  %14s  %14s  %9s%s\n", upl_type_name(c->type), cs.missing, a, m, b, d,
                   c->is_text_kept ? "  (kept as text 保留文本)" : "");
        }
    } else if (!strcmp(fmt, "csv")) {
        printf("column,type,rows,missing,min,mean,max,distinct\n");
        for (size_t j = 0; j < nc; j++) {
            const upl_column *c = upl_table_column(t, j);
            colsum cs;
            summarise(c, &cs);
            upl_csv_put_field(stdout, c->name, strlen(c->name));
            printf(",%s,%zu,%zu,", upl_type_name(c->type), nr, cs.missing);
            if (cs.has_num) printf("%.17g,%.17g,%.17g,", cs.min, cs.mean, cs.max);
            else printf(",,,");
            if (cs.distinct >= 0) printf("%lld", cs.distinct);
            printf("\n");
        }
    } else {
        printf("{\"file\":");
        json_str(stdout, pos[0]);
        printf(",\"format\":\"%s\",\"encoding\":", upl_format_name(s.format));
        json_str(stdout, s.encoding);
        printf(",\"rows_read\":%llu,\"rows_loaded\":%llu,\"rows_rejected\":%llu,\"columns\":[",
               (unsigned long long)s.rows_read, (unsigned long long)s.rows_loaded, (unsigned long long)s.rows_rejected);
        for (size_t j = 0; j < nc; j++) {
            const upl_column *c = upl_table_column(t, j);
            colsum cs;
            summarise(c, &cs);
            printf("%s{\"name\":", j ? "," : "");
            json_str(stdout, c->name);
            printf(",\"type\":\"%s\",\"missing\":%zu", upl_type_name(c->type), cs.missing);
            if (cs.has_num) printf(",\"min\":%.17g,\"mean\":%.17g,\"max\":%.17g", cs.min, cs.mean, cs.max);
            if (cs.distinct >= 0) printf(",\"distinct\":%lld", cs.distinct);
            printf("}");
        }
        printf("]}\n");
    }
    upl_table_free(t);
    cli_read_opts_free(&r);
    return CLI_OK;
}
