/* cmd_revital.c — `uplift revital PANEL --system S`: the rural
 * revitalization index of an area x year panel (weights, scores, ranks,
 * TOPSIS, coupling coordination, obstacles, regional differences,
 * convergence, densities) and, with --town-country, the urban/rural
 * summary of household data. The analysis is lib/revital's; this file
 * parses options, reads the file and prints the result tables for people
 * (bilingual headers) or as CSV, JSON or XLSX. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

UPL_COMMAND(revital, "rural revitalization index: weights, TOPSIS, coupling coordination, obstacles, convergence")

static const char usage[] =
    "usage: uplift revital PANEL --system FILE [options]\n"
    "       uplift revital HOUSEHOLDS --town-country --income COL --urban COL [--province COL] [--year COL] [--weight COL]\n"
    "\n"
    "Composite revitalization index of an area x year panel (CSV, Stata, SPSS or .upl) under an\n"
    "indicator system (YAML: profiles/five-revitalizations.yaml, profiles/plan-2018-2022.yaml).\n"
    "乡村振兴综合指数：熵权/CRITIC/给定/AHP/组合赋权、TOPSIS、耦合协调度、障碍度、区域差异与收敛。\n"
    "Every choice that changes a number is listed in the `settings` table of the output.\n"
    "\n"
    "panel options:\n"
    "  --system FILE        indicator system (required)\n"
    "  --unit COL           area column (default area_code)\n"
    "  --year COL           year column (default year; `none` for one cross-section)\n"
    "  --method M           entropy | critic | given | ahp | combined (default entropy)\n"
    "  --zero-rule R[:P]    entropy zeros: epsilon[:0.002] | shift[:0.0001] | limit\n"
    "                       (default epsilon:0.002 when entropy is used, else limit)\n"
    "  --normalise S        pooled (over all years, default) | per-year\n"
    "  --critic V           standard (default) | abs (1-|r|) | entropy (S = 1-e) | spearman (rank r)\n"
    "  --combine S+O        combined: subjective given|ahp + objective entropy|critic (default ahp+entropy)\n"
    "  --combine-rule R     product (w_s w_o / sum, default) | linear:ALPHA (ALPHA w_s + (1-ALPHA) w_o)\n"
    "  --topsis N           also TOPSIS: vector | minmax\n"
    "  --ccd                coupling coordination between the system's dimensions\n"
    "  --ccd-modified       modified coupling C of Wang et al. (2021)\n"
    "  --ccd-boundary B     left ([a,b), default) | right ((a,b])\n"
    "  --lag-threshold X    max-min gap still counted as synchronous (default 0.1)\n"
    "  --ccd-alpha A,B,...  weights of the dimensions in T (sum 1; default equal)\n"
    "  --obstacle           obstacle degree by indicator and by dimension\n"
    "  --obstacle-top K     keep the K biggest obstacles per unit and year (default all)\n"
    "  --dagum COL          regional differences by COL: Dagum Gini and Theil decompositions\n"
    "  --convergence        sigma- and beta-convergence (needs a year column)\n"
    "  --controls A,B       control columns for conditional beta-convergence\n"
    "  --density            Gaussian kernel densities of scores by year (Silverman bandwidth)\n"
    "  --density-points N   grid points (default 101)\n"
    "  --targets            compare values with the system's targets (e.g. the plan's 2022 targets)\n"
    "  --missing P          error (default: stop, naming unit, year and indicator) | drop (listwise)\n"
    "\n"
    "town and country (城乡):\n"
    "  --town-country       input is households: income ratio, Theil between urban and rural, coupling\n"
    "  --income COL --urban COL [--weight COL] [--province COL] [--year COL] [--eps E (0.01)]\n"
    "\n"
    "output:\n"
    "  --format F           table (default) | csv | json | xlsx\n"
    "  --table NAME         only this result table (e.g. scores, weights, ccd)\n"
    "  -o, --output OUT     file (xlsx needs one); csv with OUT ending in / writes one file per table\n"
    "  --rejects FILE       rejects file of the reader (default PANEL.rejects.csv, only when rows are rejected)\n"
    "\n"
    "examples:\n"
    "  uplift revital counties.csv --system profiles/five-revitalizations.yaml --ccd --obstacle\n"
    "  uplift revital counties.csv --system s.yaml --method critic --topsis vector --format xlsx -o out.xlsx\n"
    "  uplift revital counties.csv --system s.yaml --dagum region --convergence --density --format json\n"
    "  uplift revital households.csv --town-country --income income_pc --urban is_urban --province province\n";

/* ---- people's tables ----------------------------------------------------------- */

/* Display width of UTF-8 text: East Asian wide characters take 2 cells. */
static size_t display_width(const char *s, size_t len) {
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        unsigned cp;
        size_t n;
        if (c < 0x80) { cp = c; n = 1; }
        else if ((c >> 5) == 6) { cp = c & 0x1f; n = 2; }
        else if ((c >> 4) == 14) { cp = c & 0x0f; n = 3; }
        else { cp = c & 0x07; n = 4; }
        for (size_t k = 1; k < n && i + k < len; k++) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
        i += n;
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
                    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
        w += wide ? 2 : 1;
    }
    return w;
}

static char *cell_text(const upl_column *c, size_t row) {
    char *buf = NULL;
    size_t cap = 0, len = 0;
    if (c->type == UPL_F64) {
        if (!upl_col_is_valid(c, row) || !isfinite(c->v.f64[row])) return strdup("");
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.7g", c->v.f64[row]);
        return strdup(tmp);
    }
    if (c->type == UPL_BOOL) return strdup(!upl_col_is_valid(c, row) ? "" : c->v.b[row] ? "yes" : "no");
    if (!upl_col_format(c, row, &buf, &cap, &len)) {
        upl_free(buf);
        return strdup("");
    }
    char *s = strdup(buf ? buf : "");
    upl_free(buf);
    return s;
}

static void pad(FILE *f, size_t n) {
    while (n--) fputc(' ', f);
}

static int print_table(FILE *f, const char *name, const upl_table *t) {
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    size_t *w = calloc(nc ? nc : 1, sizeof *w);
    char **cells = calloc(nr * nc > 0 ? nr * nc : 1, sizeof *cells);
    const char **zh = calloc(nc ? nc : 1, sizeof *zh);
    bool *right = calloc(nc ? nc : 1, sizeof *right);
    int rc = CLI_OK;
    if (!w || !cells || !zh || !right) { rc = CLI_FAIL; goto done; }
    for (size_t j = 0; j < nc; j++) {
        const upl_column *c = upl_table_column(t, j);
        char key[300];
        snprintf(key, sizeof key, "zh:%s", c->name);
        zh[j] = upl_table_meta(t, key);
        if (zh[j] && !strcmp(zh[j], c->name)) zh[j] = NULL;
        right[j] = c->type == UPL_F64 || c->type == UPL_I64;
        w[j] = display_width(c->name, strlen(c->name));
        if (zh[j] && display_width(zh[j], strlen(zh[j])) > w[j]) w[j] = display_width(zh[j], strlen(zh[j]));
        for (size_t i = 0; i < nr; i++) {
            char *s = cells[i * nc + j] = cell_text(c, i);
            if (!s) { rc = CLI_FAIL; goto done; }
            size_t dw = display_width(s, strlen(s));
            if (dw > w[j]) w[j] = dw;
        }
    }
    fprintf(f, "== %s ==\n", name);
    for (int line = 0; line < 2; line++) {
        bool any = false;
        for (size_t j = 0; j < nc; j++) any |= line == 0 || zh[j] != NULL;
        if (!any) break;
        for (size_t j = 0; j < nc; j++) {
            const char *s = line == 0 ? upl_table_column(t, j)->name : (zh[j] ? zh[j] : "");
            size_t dw = display_width(s, strlen(s));
            if (j) fputs("  ", f);
            if (right[j]) pad(f, w[j] - dw);
            fputs(s, f);
            if (!right[j] && j + 1 < nc) pad(f, w[j] - dw);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            const char *s = cells[i * nc + j];
            size_t dw = display_width(s, strlen(s));
            if (j) fputs("  ", f);
            if (right[j]) pad(f, w[j] - dw);
            fputs(s, f);
            if (!right[j] && j + 1 < nc) pad(f, w[j] - dw);
        }
        fputc('\n', f);
    }
    fputc('\n', f);
done:
    if (cells) for (size_t i = 0; i < nr * nc; i++) free(cells[i]);
    free(cells);
    free(w);
    free(zh);
    free(right);
    return rc;
}

/* ---- output ---------------------------------------------------------------------- */

static int emit(const char *cmd, upl_revital_result *r, const char *format, const char *table, const char *out) {
    upl_error err = {0};
    int rc = CLI_OK;
    size_t first = 0, last = r->n_tables;
    if (table) {
        for (first = 0; first < r->n_tables && strcmp(r->names[first], table); first++) {}
        if (first == r->n_tables) {
            cli_error(cmd, "--table: no result table `%s`; this run produced:", table);
            for (size_t i = 0; i < r->n_tables; i++) fprintf(stderr, "  %s\n", r->names[i]);
            return CLI_USAGE;
        }
        last = first + 1;
    }
    if (!strcmp(format, "xlsx")) {
        if (!out || !strcmp(out, "-")) { cli_error(cmd, "--format xlsx needs -o FILE.xlsx"); return CLI_USAGE; }
        int lrc = upl_write_xlsx_sheets((const upl_table *const *)&r->tables[first], (const char *const *)&r->names[first],
                                        last - first, out, &err);
        if (lrc) rc = cli_fail(cmd, lrc, &err);
        upl_error_clear(&err);
        return rc;
    }
    if (!strcmp(format, "csv") && out && out[0] && out[strlen(out) - 1] == '/') {
        if (mkdir(out, 0777) != 0 && errno != EEXIST) { cli_error(cmd, "cannot create directory `%s`: %s", out, strerror(errno)); return CLI_FAIL; }
        for (size_t i = first; i < last && !rc; i++) {
            char *p = upl_asprintf("%s%s.csv", out, r->names[i]);
            int lrc = p ? upl_write_csv_path(r->tables[i], p, &err) : UPL_ENOMEM;
            if (lrc) rc = cli_fail(cmd, lrc, &err);
            upl_free(p);
        }
        upl_error_clear(&err);
        return rc;
    }
    FILE *f = cli_open_out(cmd, out);
    if (!f) return CLI_FAIL;
    if (!strcmp(format, "json")) {
        upl_revital_result sub = { last - first, &r->names[first], &r->tables[first] };
        int lrc = upl_revital_result_write_json(&sub, f, &err);
        if (lrc) rc = cli_fail(cmd, lrc, &err);
    } else if (!strcmp(format, "csv")) {
        for (size_t i = first; i < last && !rc; i++) {
            if (last - first > 1) fprintf(f, "%s# table: %s\n", i > first ? "\n" : "", r->names[i]);
            int lrc = upl_write_csv(r->tables[i], f, &err);
            if (lrc) rc = cli_fail(cmd, lrc, &err);
        }
    } else {
        for (size_t i = first; i < last && !rc; i++) rc = print_table(f, r->names[i], r->tables[i]);
    }
    upl_error_clear(&err);
    int crc = cli_close_out(cmd, f, out);
    return rc ? rc : crc;
}

static int parse_method(const char *s, int *out) {
    static const struct { const char *n; int m; } t[] = {
        {"entropy", UPL_REVITAL_ENTROPY}, {"critic", UPL_REVITAL_CRITIC}, {"given", UPL_REVITAL_GIVEN},
        {"ahp", UPL_REVITAL_AHP}, {"combined", UPL_REVITAL_COMBINED},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].n)) { *out = t[i].m; return 0; }
    return -1;
}

static int town_country(const char *cmd, upl_table *hh, cli_opt *opts, size_t n, const char *format, const char *table,
                        const char *out) {
    upl_revital_town_options o;
    upl_error err = {0};
    upl_table *t = NULL, *st = NULL;
    upl_revital_result res = {0};
    int rc = CLI_OK;
    const char *v;
    upl_revital_town_options_init(&o);
    o.income_col = cli_get(opts, n, "income");
    o.urban_col = cli_get(opts, n, "urban");
    o.weight_col = cli_get(opts, n, "weight");
    o.province_col = cli_get(opts, n, "province");
    o.year_col = cli_get(opts, n, "year");
    if (!o.income_col || !o.urban_col) { cli_error(cmd, "--town-country needs --income COL and --urban COL"); return CLI_USAGE; }
    if ((v = cli_get(opts, n, "eps")) && cli_double(cmd, "eps", v, &o.eps)) return CLI_USAGE;
    if ((v = cli_get(opts, n, "ccd-boundary"))) {
        if (!strcmp(v, "right")) o.ccd_boundary = UPL_REVITAL_RIGHT_CLOSED;
        else if (strcmp(v, "left")) { cli_error(cmd, "--ccd-boundary: expected left or right, found `%s`", v); return CLI_USAGE; }
    }
    int lrc = upl_revital_town_country(hh, &o, &t, &err);
    if (lrc) { rc = cli_fail(cmd, lrc, &err); goto done; }
    /* settings: what produced these numbers */
    upl_column *k, *val;
    st = upl_table_new();
    if (!st || upl_table_add_column(st, "setting", UPL_STR, &k, &err) || upl_table_add_column(st, "value", UPL_STR, &val, &err)) {
        rc = cli_fail(cmd, UPL_ENOMEM, &err);
        goto done;
    }
    char eps[160];
    snprintf(eps, sizeof eps, "%.17g (indices = mean income min-max over province-years into [eps, 1-eps])", o.eps);
    const char *kv[][2] = {
        {"income_column", o.income_col}, {"urban_column", o.urban_col},
        {"weight_column", o.weight_col ? o.weight_col : "(none: every household weight 1)"},
        {"province_column", o.province_col ? o.province_col : "(none)"}, {"year_column", o.year_col ? o.year_col : "(none)"},
        {"theil", "Theil T over households, weighted; between = sum s_g ln(mu_g/mu) over urban and rural"},
        {"income_ratio", "weighted mean urban income / weighted mean rural income"},
        {"ccd_indices", eps}, {"ccd_boundary", upl_revital_boundary_name(o.ccd_boundary)},
        {"rows_dropped", upl_table_meta(t, "dropped_rows")},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (upl_col_push_str(k, kv[i][0], strlen(kv[i][0])) || upl_col_push_str(val, kv[i][1], strlen(kv[i][1]))) {
            rc = cli_fail(cmd, UPL_ENOMEM, &err);
            goto done;
        }
    char *names[2] = {"settings", "town_country"};
    upl_table *tables[2] = {st, t};
    res.n_tables = 2;
    res.names = names;
    res.tables = tables;
    rc = emit(cmd, &res, format, table, out);
done:
    upl_table_free(t);
    upl_table_free(st);
    upl_error_clear(&err);
    return rc;
}

int cmd_revital(int argc, char **argv) {
    const char *cmd = "revital";
    cli_opt opts[] = {
        {"system", 0, true, NULL, false}, {"unit", 0, true, NULL, false}, {"year", 0, true, NULL, false},
        {"method", 0, true, NULL, false}, {"zero-rule", 0, true, NULL, false}, {"normalise", 0, true, NULL, false},
        {"critic", 0, true, NULL, false}, {"combine", 0, true, NULL, false}, {"combine-rule", 0, true, NULL, false},
        {"topsis", 0, true, NULL, false}, {"ccd", 0, false, NULL, false}, {"ccd-modified", 0, false, NULL, false},
        {"ccd-boundary", 0, true, NULL, false}, {"lag-threshold", 0, true, NULL, false}, {"ccd-alpha", 0, true, NULL, false}, {"obstacle", 0, false, NULL, false}, {"obstacle-top", 0, true, NULL, false},
        {"dagum", 0, true, NULL, false}, {"convergence", 0, false, NULL, false}, {"controls", 0, true, NULL, false},
        {"density", 0, false, NULL, false}, {"density-points", 0, true, NULL, false}, {"missing", 0, true, NULL, false},
        {"town-country", 0, false, NULL, false}, {"targets", 0, false, NULL, false}, {"income", 0, true, NULL, false}, {"urban", 0, true, NULL, false},
        {"weight", 0, true, NULL, false}, {"province", 0, true, NULL, false}, {"eps", 0, true, NULL, false},
        {"format", 0, true, NULL, false}, {"table", 0, true, NULL, false}, {"output", 'o', true, NULL, false},
        {"rejects", 0, true, NULL, false}, {"help", 'h', false, NULL, false},
    };
    size_t n = sizeof opts / sizeof opts[0];
    const char *pos[1];
    size_t npos = 0;
    int rc = CLI_OK;
    upl_error err = {0};
    upl_table *panel = NULL;
    upl_revital_system *sys = NULL;
    upl_revital_result *res = NULL;
    char *ctl_buf = NULL;
    double *alpha = NULL;
    const char **ctl = NULL;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    if ((rc = cli_parse(cmd, argc, argv, opts, n, pos, 1, &npos))) return rc;
    if (npos != 1) { cli_error(cmd, "expected one input file (the panel)"); return cli_usage(usage, false); }
    const char *format = cli_get(opts, n, "format");
    if (!format) format = "table";
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "xlsx")) {
        cli_error(cmd, "--format: expected table, csv, json or xlsx, found `%s`", format);
        return CLI_USAGE;
    }
    const char *out = cli_get(opts, n, "output"), *table = cli_get(opts, n, "table");
    bool is_town = cli_has(opts, n, "town-country");
    const char *v;

    upl_revital_options o;
    upl_revital_options_init(&o);
    if (!is_town) {
        if (!cli_get(opts, n, "system")) { cli_error(cmd, "--system FILE is required (an indicator system, e.g. profiles/five-revitalizations.yaml)"); return CLI_USAGE; }
        o.unit_col = cli_get(opts, n, "unit") ? cli_get(opts, n, "unit") : "area_code";
        o.year_col = cli_get(opts, n, "year") ? cli_get(opts, n, "year") : "year";
        if (!strcmp(o.year_col, "none")) o.year_col = NULL;
        if ((v = cli_get(opts, n, "method")) && parse_method(v, &o.method)) {
            cli_error(cmd, "--method: expected entropy, critic, given, ahp or combined, found `%s`", v);
            return CLI_USAGE;
        }
        if ((v = cli_get(opts, n, "zero-rule"))) {
            const char *colon = strchr(v, ':');
            size_t len = colon ? (size_t)(colon - v) : strlen(v);
            if (len == 7 && !strncmp(v, "epsilon", 7)) o.zero_rule = UPL_REVITAL_ZERO_EPSILON;
            else if (len == 5 && !strncmp(v, "shift", 5)) o.zero_rule = UPL_REVITAL_ZERO_SHIFT;
            else if (len == 5 && !strncmp(v, "limit", 5) && !colon) o.zero_rule = UPL_REVITAL_ZERO_LIMIT;
            else { cli_error(cmd, "--zero-rule: expected epsilon[:E], shift[:D] or limit, found `%s`", v); return CLI_USAGE; }
            if (colon && cli_double(cmd, "zero-rule", colon + 1, &o.zero_param)) return CLI_USAGE;
        }
        if ((v = cli_get(opts, n, "normalise"))) {
            if (!strcmp(v, "per-year")) o.scope = UPL_REVITAL_PER_YEAR;
            else if (strcmp(v, "pooled")) { cli_error(cmd, "--normalise: expected pooled or per-year, found `%s`", v); return CLI_USAGE; }
        }
        if ((v = cli_get(opts, n, "critic"))) {
            if (!strcmp(v, "standard")) o.critic_variant = UPL_REVITAL_CRITIC_STANDARD;
            else if (!strcmp(v, "abs")) o.critic_variant = UPL_REVITAL_CRITIC_ABS;
            else if (!strcmp(v, "entropy")) o.critic_variant = UPL_REVITAL_CRITIC_ENTROPY;
            else if (!strcmp(v, "spearman")) o.critic_variant = UPL_REVITAL_CRITIC_SPEARMAN;
            else { cli_error(cmd, "--critic: expected standard, abs, entropy or spearman, found `%s`", v); return CLI_USAGE; }
        }
        if ((v = cli_get(opts, n, "combine"))) {
            const char *plus = strchr(v, '+');
            char a[16] = "", b[16] = "";
            if (plus && (size_t)(plus - v) < sizeof a && strlen(plus + 1) < sizeof b) {
                memcpy(a, v, (size_t)(plus - v));
                strcpy(b, plus + 1);
            }
            if (parse_method(a, &o.subjective) || parse_method(b, &o.objective) ||
                !(o.subjective == UPL_REVITAL_GIVEN || o.subjective == UPL_REVITAL_AHP) ||
                !(o.objective == UPL_REVITAL_ENTROPY || o.objective == UPL_REVITAL_CRITIC)) {
                cli_error(cmd, "--combine: expected SUBJ+OBJ with SUBJ given or ahp and OBJ entropy or critic, found `%s`", v);
                return CLI_USAGE;
            }
        }
        if ((v = cli_get(opts, n, "combine-rule"))) {
            if (!strcmp(v, "product")) o.combine = UPL_REVITAL_COMBINE_PRODUCT;
            else if (!strncmp(v, "linear:", 7)) {
                o.combine = UPL_REVITAL_COMBINE_LINEAR;
                if (cli_double(cmd, "combine-rule", v + 7, &o.combine_alpha)) return CLI_USAGE;
                if (!(o.combine_alpha >= 0 && o.combine_alpha <= 1)) { cli_error(cmd, "--combine-rule: ALPHA must be in [0, 1]"); return CLI_USAGE; }
            } else { cli_error(cmd, "--combine-rule: expected product or linear:ALPHA, found `%s`", v); return CLI_USAGE; }
        }
        if ((cli_has(opts, n, "combine") || cli_has(opts, n, "combine-rule")) && o.method != UPL_REVITAL_COMBINED) {
            cli_error(cmd, "--combine and --combine-rule need --method combined");
            return CLI_USAGE;
        }
        if ((v = cli_get(opts, n, "topsis"))) {
            if (!strcmp(v, "vector")) o.topsis = UPL_REVITAL_TOPSIS_VECTOR;
            else if (!strcmp(v, "minmax")) o.topsis = UPL_REVITAL_TOPSIS_MINMAX;
            else { cli_error(cmd, "--topsis: expected vector or minmax, found `%s`", v); return CLI_USAGE; }
        }
        o.do_ccd = cli_has(opts, n, "ccd") || cli_has(opts, n, "ccd-modified");
        o.is_ccd_modified = cli_has(opts, n, "ccd-modified");
        if ((v = cli_get(opts, n, "ccd-boundary"))) {
            if (!strcmp(v, "right")) o.ccd_boundary = UPL_REVITAL_RIGHT_CLOSED;
            else if (strcmp(v, "left")) { cli_error(cmd, "--ccd-boundary: expected left or right, found `%s`", v); return CLI_USAGE; }
        }
        if ((v = cli_get(opts, n, "lag-threshold")) && cli_double(cmd, "lag-threshold", v, &o.lag_threshold)) return CLI_USAGE;
        if ((v = cli_get(opts, n, "ccd-alpha"))) {
            size_t k = 1;
            for (const char *p = v; *p; p++) k += *p == ',';
            alpha = calloc(k, sizeof *alpha);
            char *copy = strdup(v), *save = NULL;
            if (!alpha || !copy) { free(copy); cli_error(cmd, "out of memory"); rc = CLI_FAIL; goto done; }
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                if (cli_double(cmd, "ccd-alpha", t, &alpha[o.n_ccd_alpha++])) { free(copy); rc = CLI_USAGE; goto done; }
            free(copy);
            o.ccd_alpha = alpha;
            o.do_ccd = true;
        }
        o.do_obstacle = cli_has(opts, n, "obstacle") || cli_has(opts, n, "obstacle-top");
        if ((v = cli_get(opts, n, "obstacle-top"))) {
            long long k;
            if (cli_int(cmd, "obstacle-top", v, 1, 1000000, &k)) return CLI_USAGE;
            o.obstacle_top = (size_t)k;
        }
        o.region_col = cli_get(opts, n, "dagum");
        o.do_convergence = cli_has(opts, n, "convergence");
        if (o.do_convergence && !o.year_col) { cli_error(cmd, "--convergence needs a year column (--year COL)"); return CLI_USAGE; }
        o.do_kde = cli_has(opts, n, "density");
        o.do_targets = cli_has(opts, n, "targets");
        if ((v = cli_get(opts, n, "density-points"))) {
            long long k;
            if (cli_int(cmd, "density-points", v, 2, 100000, &k)) return CLI_USAGE;
            o.kde_points = (size_t)k;
        }
        if ((v = cli_get(opts, n, "missing"))) {
            if (!strcmp(v, "drop")) o.missing = UPL_REVITAL_MISSING_DROP;
            else if (strcmp(v, "error")) { cli_error(cmd, "--missing: expected error or drop, found `%s`", v); return CLI_USAGE; }
        }
        if ((v = cli_get(opts, n, "controls"))) {
            if (!o.do_convergence) { cli_error(cmd, "--controls needs --convergence"); return CLI_USAGE; }
            size_t k = 1;
            for (const char *p = v; *p; p++) k += *p == ',';
            ctl_buf = strdup(v);
            ctl = calloc(k, sizeof *ctl);
            if (!ctl_buf || !ctl) { cli_error(cmd, "out of memory"); rc = CLI_FAIL; goto done; }
            char *save = NULL;
            for (char *t = strtok_r(ctl_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) ctl[o.n_controls++] = t;
            o.controls = ctl;
        }
    }

    upl_read_options ro;
    upl_read_summary sum;
    upl_read_options_init(&ro);
    ro.rejects_path = cli_get(opts, n, "rejects");
    int lrc = upl_read_table(pos[0], &ro, &panel, &sum, &err);
    if (lrc) { rc = cli_fail(cmd, lrc, &err); goto done; }
    if (sum.rows_rejected) {
        /* A rejected row would silently leave the index: stop unless dropping is asked for. */
        if (!is_town && o.missing != UPL_REVITAL_MISSING_DROP) {
            cli_error(cmd, "%s: %llu row(s) could not be read (see the rejects file %s); fix them or use --missing drop",
                      pos[0], (unsigned long long)sum.rows_rejected, ro.rejects_path ? ro.rejects_path : "next to the input");
            rc = CLI_FAIL;
            goto done;
        }
        cli_error(cmd, "warning: %llu row(s) rejected by the reader and left out", (unsigned long long)sum.rows_rejected);
    }
    if (is_town) {
        rc = town_country(cmd, panel, opts, n, format, table, out);
        goto done;
    }
    if (o.year_col && !upl_table_find(panel, o.year_col)) {
        if (cli_get(opts, n, "year")) {
            cli_error(cmd, "%s: no column `%s` (--year); use --year none for one cross-section", pos[0], o.year_col);
            rc = CLI_FAIL;
            goto done;
        }
        o.year_col = NULL; /* default `year` absent: one cross-section, recorded in settings */
        if (o.do_convergence) { cli_error(cmd, "--convergence needs a year column; `year` not found"); rc = CLI_USAGE; goto done; }
    }
    lrc = upl_revital_system_load(cli_get(opts, n, "system"), &sys, &err);
    if (lrc) { rc = cli_fail(cmd, lrc, &err); goto done; }
    lrc = upl_revital_run(panel, sys, &o, &res, &err);
    if (lrc) { rc = cli_fail(cmd, lrc, &err); goto done; }
    rc = emit(cmd, res, format, table, out);
done:
    upl_revital_result_free(res);
    upl_revital_system_free(sys);
    upl_table_free(panel);
    upl_error_clear(&err);
    free(ctl_buf);
    free(ctl);
    free(alpha);
    return rc;
}
