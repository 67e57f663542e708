/* cmd_measure.c — `uplift measure`: poverty, inequality and multidimensional
 * poverty tables by any grouping, with survey-design standard errors, and
 * the growth–redistribution decomposition of a change between two waves.
 * Reads any file upl_read_table reads (CSV/TSV, .dta, .sav, .upl snapshot);
 * the numbers come from lib/measure (docs/measures.md). Output: a table for
 * people (English and 简体中文 labels), CSV with the fixed columns
 * measure,<by...>,value,se,ci_low,ci_high,n,weight_sum, or JSON with every
 * detail (policies, undefined reasons, SE method). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

UPL_COMMAND(measure, "poverty, inequality and MPI tables by group, with survey-design standard errors")

static const char usage[] =
    "usage: uplift measure FILE --income COL [--weight COL] (--line Z | --line-rel P [--quantile laeken|eurostat])\n"
    "                      [--by COL[,COL...]] [--measures LIST] [--strata COL] [--psu COL] [--fpc COL]\n"
    "                      [--threads N] [--format table|csv|json] [-o OUT]\n"
    "       uplift measure FILE --mpi SPEC --k K [--weight COL] [--size COL] [--by COL,...] [design options]\n"
    "       uplift measure FILE --profile NAME [--year Y] [--k K] [--weight COL] [--by COL,...] [design options]\n"
    "       uplift measure --change A B --income COL [--weight COL] --line Z [--measures fgt0,fgt1,fgt2,watts] [--by COL]\n"
    "       uplift measure --change A B (--mpi SPEC --k K | --profile NAME) --years T1,T2\n"
    "\n"
    "Poverty and inequality measures, exact and weighted, for the whole population or each --by group.\n"
    "贫困与不平等指标（加权、精确），可按组计算，支持复杂抽样设计标准误。\n"
    "\n"
    "measures (--measures, comma or space separated):\n"
    "  mean median fgt0 fgt1 fgt2 watts sen sen_largeq sst gini theil mld ge2 atkinson0.5 atkinson1\n"
    "  atkinson2 palma s80s20 line rmpg qP (quantile, e.g. q0.9) shareP-Q (e.g. share0.9-1) fgtA geA atkinsonE\n"
    "  lorenzP glorenzP (Lorenz / generalised Lorenz ordinate at P, e.g. lorenz0.4)\n"
    "  theil_decomp mld_decomp   (within/between decomposition over the --by groups)\n"
    "  fgt0_decomp fgt1_decomp fgt2_decomp watts_decomp   (population shares and contributions by group)\n"
    "  theil_nested   (two-stage Theil, --by REGION,SUBGROUP: between regions, between subgroups\n"
    "                 within regions, within subgroups)\n"
    "  default with a line: mean median fgt0 fgt1 fgt2 watts sen sst gini theil mld line\n"
    "  default without a line: mean median gini theil mld atkinson1 palma s80s20\n"
    "\n"
    "poverty line 贫困线:\n"
    "  --line Z            absolute line (poor means income < Z; income = Z is not poor)\n"
    "  --line-col COL      absolute line per group from a column (by year, by region), constant\n"
    "                      within each --by group\n"
    "  --line-rel P        P x weighted median of the whole population (e.g. 0.6)\n"
    "  --rel-by-group      ... of each --by group instead\n"
    "  --quantile R        quantile rule: eurostat (default: average at an exact cumulative-share tie)\n"
    "                      or laeken (first value whose cumulative weight share exceeds p)\n"
    "\n"
    "values 取值规则 (every policy is reported with the results):\n"
    "  --missing drop|error          missing income or weight (default drop, counted)\n"
    "  --negative keep|drop|error    incomes < 0 for every measure (default keep; FGT gaps may exceed 1)\n"
    "  --nonpositive undefined|drop|error  incomes <= 0 in Watts, MLD, GE(a<=0), Atkinson(e>=1) and < 0 in\n"
    "                      Theil, GE(a>0), Atkinson(e<1) (default: the measure is reported undefined)\n"
    "  --cap-gap           cap normalised gaps at 1     --gini-corrected  Gini x n/(n-1)\n"
    "  --percent           Gini and income shares in percent\n"
    "\n"
    "survey design 抽样设计 (Taylor linearisation as R survey; Rao-Wu bootstrap for Gini/quantiles):\n"
    "  --strata COL  --psu COL  --fpc COL (population PSU count, or sampling fraction <= 1)\n"
    "  --psu-not-nested    PSU ids are unique across strata (default: nested within strata)\n"
    "  --lonely-psu fail|remove|adjust|certainty   (default fail, as R)\n"
    "  --replicates N      bootstrap replicates for non-linear measures (default 200 with a design; 0 = none)\n"
    "  --seed S            bootstrap seed (default 1)     --conf L  confidence level (default 0.95)\n"
    "\n"
    "multidimensional poverty (Alkire-Foster) 多维贫困:\n"
    "  --mpi SPEC          indicators: COL<CUTOFF or COL:dep (a 0/1 deprivation column), each optionally\n"
    "                      followed by =WEIGHT (rational, e.g. =1/6) and @DIMENSION; comma separated.\n"
    "                      Without weights: nested equal weights over the @dimensions.\n"
    "  --k K               poverty cutoff as a share of total weight: 1/3, 33%, 0.5\n"
    "  --size COL          household size: person-level results from household rows (each row\n"
    "                      counts weight x size persons), for income measures and --mpi\n"
    "  --profile NAME      the MPI of a policy profile (e.g. global-mpi-2018): its indicator rules are\n"
    "                      evaluated per household on a person-level file, with its exact weights and k\n"
    "                      (--k overrides); person level (household weight x members) unless\n"
    "                      --household-level; --year Y for rules that need a year\n"
    "\n"
    "other:\n"
    "  --by COL[,COL...]   groups (rows with a missing key are left out and counted)\n"
    "  --threads N         worker threads (default: all cores; results do not depend on it)\n"
    "  --format F          table (default), csv or json       -o, --output OUT   write there\n"
    "\n"
    "examples:\n"
    "  uplift measure persons.csv --income income --weight wt --line 2300 --by province,urban\n"
    "  uplift measure persons.csv --income eq_inc --line-rel 0.6 --measures fgt0,gini --format csv\n"
    "  uplift measure hh.dta --mpi 'nutrition:dep@health,school:dep@education,water:dep@living' --k 1/3\n"
    "  uplift measure --change wave2018.csv wave2020.csv --income income --line 2300 --by urban\n";

/* ---- labels ------------------------------------------------------------------------ */
typedef struct label { const char *prefix, *en, *zh; } label;
static const label labels[] = {
    {"mean", "mean income", "平均收入"},
    {"median", "median income", "收入中位数"},
    {"fgt0", "headcount ratio", "贫困发生率"},
    {"fgt1", "poverty gap index", "贫困距指数"},
    {"fgt2", "squared poverty gap", "平方贫困距指数"},
    {"fgt", "FGT index", "FGT指数"},
    {"watts", "Watts index", "瓦茨指数"},
    {"sen_largeq", "Sen index (large-q form)", "森指数（大样本式）"},
    {"sen", "Sen index", "森指数"},
    {"sst", "Sen-Shorrocks-Thon index", "森-肖洛克斯-托恩指数"},
    {"gini", "Gini coefficient", "基尼系数"},
    {"theil_decomp", "Theil decomposition", "泰尔指数分解"},
    {"mld_decomp", "MLD decomposition", "平均对数偏差分解"},
    {"theil", "Theil index", "泰尔指数"},
    {"mld", "mean log deviation", "平均对数偏差"},
    {"ge", "generalised entropy", "广义熵指数"},
    {"atkinson", "Atkinson index", "阿特金森指数"},
    {"palma", "Palma ratio", "帕尔玛比值"},
    {"s80s20", "quintile share ratio S80/S20", "五等分收入比"},
    {"share", "income share", "收入份额"},
    {"line", "poverty line", "贫困线"},
    {"rmpg", "relative median poverty gap", "相对中位贫困差距"},
    {"q", "quantile", "分位数"},
    {"lorenz", "Lorenz ordinate", "洛伦兹曲线纵坐标"},
    {"glorenz", "generalised Lorenz ordinate", "广义洛伦兹纵坐标"},
    {"fgt_decomp", "subgroup decomposition", "分组分解"},
    {"watts_decomp", "subgroup decomposition", "分组分解"},
    {"theil_nested", "nested Theil decomposition", "嵌套泰尔分解"},
    {"mpi.H", "MPI headcount ratio H", "多维贫困发生率H"},
    {"mpi.A", "MPI intensity A", "多维贫困强度A"},
    {"mpi.M0", "adjusted headcount ratio M0 (MPI)", "多维贫困指数M0"},
    {"mpi.M1", "adjusted poverty gap M1", "调整贫困距M1"},
    {"mpi.M2", "adjusted squared gap M2", "调整平方贫困距M2"},
    {"mpi.h_uncensored", "uncensored headcount", "未删减剥夺率"},
    {"mpi.h_censored", "censored headcount", "删减剥夺率"},
    {"mpi.contribution_abs", "absolute contribution w_j h_j(k)", "绝对贡献"},
    {"mpi.contribution", "contribution share phi_j (of M0)", "贡献率"},
    {"mpi.dimension_contribution", "contribution share of dimension", "维度贡献率"},
    {"mpi.group_contribution", "contribution share of group", "组贡献率"},
    {"change.", "growth-redistribution", "增长-再分配分解"},
    {"sectoral.", "sectoral decomposition", "部门分解"},
};

static const label *label_of(const char *name) {
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (!strncmp(name, labels[i].prefix, strlen(labels[i].prefix))) return &labels[i];
    return NULL;
}

/* ---- output rows --------------------------------------------------------------------- */
typedef struct orow {
    char *measure;
    int32_t group;            /* -1 = whole population / not by group */
    double value, se, ci_low, ci_high;
    uint64_t n;
    double weight_sum;
    uint64_t n_dropped;
    const char *undefined;
    const char *se_method;
} orow;

typedef struct out_t {
    orow *rows;
    size_t n, cap;
    /* by-keys */
    size_t n_by;
    char **by_names;
    char ***by_labels;        /* [g][k] */
    int32_t n_groups;
    bool is_oom;
} out_t;

static orow *add_row(out_t *o, const char *measure, int32_t g) {
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        orow *r = realloc(o->rows, nc * sizeof *r);
        if (!r) { o->is_oom = true; return NULL; }
        o->rows = r;
        o->cap = nc;
    }
    orow *r = &o->rows[o->n];
    memset(r, 0, sizeof *r);
    r->measure = strdup(measure);
    if (!r->measure) { o->is_oom = true; return NULL; }
    r->group = g;
    r->value = r->se = r->ci_low = r->ci_high = NAN;
    r->weight_sum = NAN;
    o->n++;
    return r;
}

static void out_free(out_t *o) {
    for (size_t i = 0; i < o->n; i++) free(o->rows[i].measure);
    free(o->rows);
}

/* Shortest text that reads back to the same double. */
static void fmt_double(double x, char *buf, size_t n) {
    if (isnan(x)) { buf[0] = 0; return; }
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, x);
        if (strtod(buf, NULL) == x) return;
    }
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

static void json_num(FILE *f, double x) {
    char b[40];
    if (isnan(x) || isinf(x)) { fputs("null", f); return; }
    fmt_double(x, b, sizeof b);
    fputs(b, f);
}

/* Display width of UTF-8 text: CJK and full-width forms take two columns. */
static size_t disp_width(const char *s) {
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int len;
        if (*p < 0x80) { cp = *p; len = 1; }
        else if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; len = 2; }
        else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; len = 3; }
        else { cp = *p & 0x07; len = 4; }
        for (int k = 1; k < len && p[k]; k++) cp = (cp << 6) | (p[k] & 0x3F);
        for (int k = 0; k < len && *p; k++) p++;
        w += (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                               (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
                               (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6)))
                 ? 2 : 1;
    }
    return w;
}

static void put_padded(FILE *f, const char *s, size_t width, bool right) {
    size_t w = disp_width(s);
    if (right) for (size_t k = w; k < width; k++) fputc(' ', f);
    fputs(s, f);
    if (!right) for (size_t k = w; k < width; k++) fputc(' ', f);
}

typedef struct context {
    const char *file;
    uint64_t n_rows, n_missing, n_negative_dropped, n_outside, n_zero_weight, n_rejected;
    upl_policy missing, negative, nonpositive;
    const char *line_desc;     /* e.g. "absolute 2300" */
    const char *design_desc;   /* NULL = none */
    const char *extra;         /* free-form note (MPI spec, change files) */
} context;

static const char *by_label(const out_t *o, int32_t g, size_t k) {
    return g >= 0 && o->by_labels ? o->by_labels[g][k] : "";
}

static int write_csv(FILE *f, const out_t *o) {
    fputs("measure", f);
    for (size_t k = 0; k < o->n_by; k++) {
        fputc(',', f);
        upl_csv_put_field(f, o->by_names[k], strlen(o->by_names[k]));
    }
    fputs(",value,se,ci_low,ci_high,n,weight_sum\n", f);
    char b[40];
    for (size_t i = 0; i < o->n; i++) {
        const orow *r = &o->rows[i];
        upl_csv_put_field(f, r->measure, strlen(r->measure));
        for (size_t k = 0; k < o->n_by; k++) {
            const char *l = by_label(o, r->group, k);
            fputc(',', f);
            upl_csv_put_field(f, l, strlen(l));
        }
        double v[4] = {r->value, r->se, r->ci_low, r->ci_high};
        for (int k = 0; k < 4; k++) {
            fmt_double(v[k], b, sizeof b);
            fprintf(f, ",%s", b);
        }
        fmt_double(r->weight_sum, b, sizeof b);
        if (r->n || !isnan(r->weight_sum)) fprintf(f, ",%llu,%s\n", (unsigned long long)r->n, b);
        else fputs(",,\n", f);
    }
    return ferror(f) ? CLI_FAIL : CLI_OK;
}

static void write_policy_json(FILE *f, const context *c) {
    fprintf(f, "\"policy\":{\"missing\":\"%s\",\"negative\":\"%s\",\"nonpositive\":\"%s\"}",
            upl_policy_name(c->missing), upl_policy_name(c->negative), upl_policy_name(c->nonpositive));
}

static int write_json(FILE *f, const out_t *o, const context *c) {
    fputs("{\"file\":", f);
    json_str(f, c->file ? c->file : "");
    fprintf(f, ",\"rows\":%llu,\"rows_missing\":%llu,\"rows_negative_dropped\":%llu,\"rows_missing_group\":%llu,"
               "\"rows_zero_weight\":%llu,\"rows_rejected_by_reader\":%llu,",
            (unsigned long long)c->n_rows, (unsigned long long)c->n_missing, (unsigned long long)c->n_negative_dropped,
            (unsigned long long)c->n_outside, (unsigned long long)c->n_zero_weight, (unsigned long long)c->n_rejected);
    write_policy_json(f, c);
    fputs(",\"line\":", f);
    if (c->line_desc) json_str(f, c->line_desc);
    else fputs("null", f);
    fputs(",\"design\":", f);
    if (c->design_desc) json_str(f, c->design_desc);
    else fputs("null", f);
    if (c->extra) {
        fputs(",\"note\":", f);
        json_str(f, c->extra);
    }
    fputs(",\"by\":[", f);
    for (size_t k = 0; k < o->n_by; k++) {
        if (k) fputc(',', f);
        json_str(f, o->by_names[k]);
    }
    fputs("],\"results\":[", f);
    for (size_t i = 0; i < o->n; i++) {
        const orow *r = &o->rows[i];
        const label *lb = label_of(r->measure);
        fputs(i ? ",\n{" : "\n{", f);
        fputs("\"measure\":", f);
        json_str(f, r->measure);
        if (lb) {
            fputs(",\"label_en\":", f);
            json_str(f, lb->en);
            fputs(",\"label_zh\":", f);
            json_str(f, lb->zh);
        }
        fputs(",\"group\":{", f);
        for (size_t k = 0; k < o->n_by && r->group >= 0; k++) {
            if (k) fputc(',', f);
            json_str(f, o->by_names[k]);
            fputc(':', f);
            json_str(f, by_label(o, r->group, k));
        }
        fputs("},\"value\":", f);
        json_num(f, r->value);
        fputs(",\"se\":", f);
        json_num(f, r->se);
        fputs(",\"ci_low\":", f);
        json_num(f, r->ci_low);
        fputs(",\"ci_high\":", f);
        json_num(f, r->ci_high);
        fprintf(f, ",\"n\":%llu,\"weight_sum\":", (unsigned long long)r->n);
        json_num(f, r->weight_sum);
        fprintf(f, ",\"n_dropped\":%llu,\"undefined\":", (unsigned long long)r->n_dropped);
        if (r->undefined) json_str(f, r->undefined);
        else fputs("null", f);
        fputs(",\"se_method\":", f);
        if (r->se_method) json_str(f, r->se_method);
        else fputs("null", f);
        fputc('}', f);
    }
    fputs("\n]}\n", f);
    return ferror(f) ? CLI_FAIL : CLI_OK;
}

static void fmt_human(double x, char *b, size_t n) {
    if (isnan(x)) snprintf(b, n, "-");
    else if (x != 0 && (fabs(x) >= 1e7 || fabs(x) < 1e-4)) snprintf(b, n, "%.4e", x);
    else if (fabs(x) >= 1000) snprintf(b, n, "%.2f", x);
    else snprintf(b, n, "%.6f", x);
}

static int write_table(FILE *f, const out_t *o, const context *c) {
    fprintf(f, "uplift measure — %s\n", c->file ? c->file : "");
    fprintf(f, "rows 行数: %llu   missing dropped 缺失剔除: %llu   negative dropped 负值剔除: %llu   "
               "missing group key 分组缺失: %llu   zero weight 零权重: %llu\n",
            (unsigned long long)c->n_rows, (unsigned long long)c->n_missing, (unsigned long long)c->n_negative_dropped,
            (unsigned long long)c->n_outside, (unsigned long long)c->n_zero_weight);
    fprintf(f, "policy 取值规则: missing 缺失=%s, negative 负值=%s, y<=0 in log measures 对数类指标非正值=%s\n",
            upl_policy_name(c->missing), upl_policy_name(c->negative), upl_policy_name(c->nonpositive));
    if (c->line_desc) fprintf(f, "poverty line 贫困线: %s\n", c->line_desc);
    fprintf(f, "design 抽样设计: %s\n", c->design_desc ? c->design_desc : "none (no standard errors) 无");
    if (c->extra) fprintf(f, "%s\n", c->extra);
    fputc('\n', f);
    /* column widths */
    size_t wm = disp_width("measure 指标"), wb[16] = {0};
    size_t nb = o->n_by < 16 ? o->n_by : 16;
    char **lab = calloc(o->n ? o->n : 1, sizeof *lab);
    if (!lab) return CLI_FAIL;
    for (size_t i = 0; i < o->n; i++) {
        const label *lb = label_of(o->rows[i].measure);
        size_t len = strlen(o->rows[i].measure) + (lb ? strlen(lb->en) + strlen(lb->zh) + 8 : 0);
        lab[i] = malloc(len);
        if (!lab[i]) continue;
        if (lb) snprintf(lab[i], len, "%s %s (%s)", lb->en, lb->zh, o->rows[i].measure);
        else snprintf(lab[i], len, "%s", o->rows[i].measure);
        size_t w = disp_width(lab[i]);
        if (w > wm) wm = w;
    }
    for (size_t k = 0; k < nb; k++) {
        wb[k] = disp_width(o->by_names[k]);
        for (int32_t g = 0; g < o->n_groups; g++) {
            size_t w = disp_width(o->by_labels[g][k]);
            if (w > wb[k]) wb[k] = w;
        }
    }
    put_padded(f, "measure 指标", wm, false);
    for (size_t k = 0; k < nb; k++) { fputs("  ", f); put_padded(f, o->by_names[k], wb[k], false); }
    fputs("  ", f);
    put_padded(f, "value 值", 14, true);
    fputs("  ", f);
    put_padded(f, "se 标准误", 12, true);
    fputs("  ", f);
    put_padded(f, "95% CI 置信区间", 27, true);
    fputs("  ", f);
    put_padded(f, "n", 10, true);
    fputs("  ", f);
    put_padded(f, "weight 权重和", 14, true);
    fputc('\n', f);
    bool any_undef = false;
    for (size_t i = 0; i < o->n; i++) {
        const orow *r = &o->rows[i];
        char v[48], s[48], ci[100], a[40], b[40], wsum[48];
        fmt_human(r->value, v, sizeof v);
        fmt_human(r->se, s, sizeof s);
        if (isnan(r->ci_low)) snprintf(ci, sizeof ci, "-");
        else {
            fmt_human(r->ci_low, a, sizeof a);
            fmt_human(r->ci_high, b, sizeof b);
            snprintf(ci, sizeof ci, "[%s, %s]", a, b);
        }
        fmt_human(r->weight_sum, wsum, sizeof wsum);
        if (r->undefined) { snprintf(v, sizeof v, "undefined*"); any_undef = true; }
        put_padded(f, lab[i] ? lab[i] : r->measure, wm, false);
        for (size_t k = 0; k < nb; k++) { fputs("  ", f); put_padded(f, by_label(o, r->group, k), wb[k], false); }
        fprintf(f, "  %14s  %12s  %27s  %10llu  %14s", v, s, ci, (unsigned long long)r->n, wsum);
        if (r->n_dropped) fprintf(f, "  (%llu dropped 剔除)", (unsigned long long)r->n_dropped);
        fputc('\n', f);
    }
    if (any_undef) {
        fputs("\n* undefined 无定义:\n", f);
        for (size_t i = 0; i < o->n; i++) {
            const orow *r = &o->rows[i];
            if (!r->undefined) continue;
            fprintf(f, "  %s", r->measure);
            for (size_t k = 0; k < o->n_by && r->group >= 0; k++) fprintf(f, " %s=%s", o->by_names[k], by_label(o, r->group, k));
            fprintf(f, ": %s\n", r->undefined);
        }
    }
    for (size_t i = 0; i < o->n; i++) free(lab[i]);
    free(lab);
    return ferror(f) ? CLI_FAIL : CLI_OK;
}

/* ---- argument helpers ------------------------------------------------------------------- */
static char **split_list(const char *s, size_t *n) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += (*p == ',' || *p == ' ');
    char **v = calloc(cap + 1, sizeof *v);
    char *buf = strdup(s);
    *n = 0;
    if (!v || !buf) { free(v); free(buf); return NULL; }
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) v[(*n)++] = strdup(t);
    free(buf);
    for (size_t i = 0; i < *n; i++)
        if (!v[i]) { for (size_t k = 0; k < *n; k++) free(v[k]); free(v); return NULL; }
    return v;
}

static void free_list(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int parse_policy(const char *cmd, const char *opt, const char *v, const char *allowed, upl_policy *out) {
    upl_policy p;
    if (!strcmp(v, "drop")) p = UPL_POLICY_DROP;
    else if (!strcmp(v, "error")) p = UPL_POLICY_ERROR;
    else if (!strcmp(v, "keep")) p = UPL_POLICY_KEEP;
    else if (!strcmp(v, "undefined")) p = UPL_POLICY_UNDEFINED;
    else p = (upl_policy)-1;
    if ((int)p < 0 || !strstr(allowed, v)) {
        cli_error(cmd, "--%s: expected %s, found `%s`", opt, allowed, v);
        return CLI_USAGE;
    }
    *out = p;
    return CLI_OK;
}

static int read_file(const char *cmd, const char *path, int threads, upl_table **t, uint64_t *n_rejected) {
    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.is_rejects_disabled = true;
    ro.n_threads = threads;
    upl_read_summary s;
    upl_error err = {0};
    int rc = upl_read_table(path, &ro, t, &s, &err);
    if (rc) {
        rc = cli_fail(cmd, rc, &err);
        upl_error_clear(&err);
        return rc == CLI_USAGE ? CLI_FAIL : rc;
    }
    *n_rejected = s.rows_rejected;
    if (s.rows_rejected)
        cli_error(cmd, "note: %llu rows of `%s` were rejected by the reader (see `uplift describe --rejects`)",
                  (unsigned long long)s.rows_rejected, path);
    return CLI_OK;
}

static void fill_by(out_t *o, const upl_groupby *gb) {
    if (!gb) return;
    o->n_by = gb->n_keys;
    o->by_names = gb->key_names;
    o->by_labels = gb->labels;
    o->n_groups = gb->n_groups;
}

/* ---- mode: measures ----------------------------------------------------------------------- */
typedef struct common {
    const char *cmd;
    cli_opt *opts;
    size_t n_opts;
    upl_measure_options mo;
    upl_design design;
    bool has_design;
    int threads;
} common;

/* FGT/Watts subgroup decomposition: population shares, contributions. */
static int compute_additive_decomp(const char *cmd, const char *name, const upl_measure_input *in,
                                   const upl_measure_options *mo, out_t *o) {
    char base[32];
    size_t bl = strcspn(name, "_");
    upl_measure_req req;
    upl_error err = {0};
    upl_measure_result *r = NULL;
    double *val = NULL, *ws = NULL, *pop = NULL, *con = NULL, *pct = NULL;
    int rc = UPL_OK;
    if (bl >= sizeof base) bl = sizeof base - 1;
    memcpy(base, name, bl);
    base[bl] = 0;
    if (upl_measure_parse(base, &req, &err) || (req.kind != UPL_MEAS_FGT && req.kind != UPL_MEAS_WATTS)) {
        cli_error(cmd, "unknown decomposition `%s` (fgt0_decomp, fgt1_decomp, fgt2_decomp, watts_decomp, theil_decomp, "
                  "mld_decomp, theil_nested)", name);
        upl_error_clear(&err);
        return CLI_USAGE;
    }
    if (mo->line == UPL_LINE_NONE) { cli_error(cmd, "%s needs a poverty line", name); return CLI_USAGE; }
    upl_measure_options m2 = *mo;
    m2.design = NULL;
    int32_t G = in->n_groups;
    val = malloc(G * sizeof *val);
    ws = malloc(G * sizeof *ws);
    pop = malloc(G * sizeof *pop);
    con = malloc(G * sizeof *con);
    pct = malloc(G * sizeof *pct);
    if (!val || !ws || !pop || !con || !pct) { rc = upl_error_set(&err, UPL_ENOMEM, "out of memory"); goto fail; }
    if ((rc = upl_measure_compute(in, &req, 1, &m2, &r, &err))) goto fail;
    for (int32_t g = 0; g < G; g++) {
        val[g] = r->stats[g].value;
        ws[g] = r->stats[g].weight_sum;
    }
    upl_decomp_additive dec = {.pop_share = pop, .contribution = con, .pct_contribution = pct};
    char nm[64];
    if (upl_decomp_additive_compute(val, ws, G, &dec, &err)) {
        snprintf(nm, sizeof nm, "%s.total", name);
        orow *row = add_row(o, nm, -1);
        if (row) row->undefined = "decomposition undefined: a group's value is undefined";
        upl_error_clear(&err);
        goto fail;
    }
    snprintf(nm, sizeof nm, "%s.total", name);
    orow *row = add_row(o, nm, -1);
    if (row) { row->value = dec.total; row->n = r->n_rows - r->n_missing - r->n_negative_dropped - r->n_outside; }
    for (int32_t g = 0; g < G; g++) {
        const char *parts[] = {"population_share", "contribution", "contribution_share"};
        double v[] = {pop[g], con[g], pct[g]};
        for (int k = 0; k < 3; k++) {
            snprintf(nm, sizeof nm, "%s.%s", name, parts[k]);
            row = add_row(o, nm, g);
            if (!row) break;
            row->value = v[k];
            row->n = r->stats[g].n;
            row->weight_sum = ws[g];
            if (isnan(v[k])) row->undefined = "the total is 0: contribution shares undefined";
        }
    }
fail:
    if (rc) {
        int c = cli_fail(cmd, rc, &err);
        upl_error_clear(&err);
        rc = c;
    }
    upl_measure_result_free(r);
    free(val);
    free(ws);
    free(pop);
    free(con);
    free(pct);
    return rc;
}

/* Two-stage nested Theil over the first two --by keys (Akita 2003). */
static int compute_theil_nested(const char *cmd, const upl_measure_input *in, const upl_measure_options *mo,
                                const out_t *by, out_t *o) {
    upl_measure_req req[2];
    upl_error err = {0};
    upl_measure_result *r = NULL;
    int rc = UPL_OK;
    int32_t G = in->n_groups, nreg = 0;
    double *val = NULL, *ws = NULL, *mu = NULL;
    int32_t *reg = NULL;
    if (by->n_by < 2) { cli_error(cmd, "theil_nested needs --by REGION,SUBGROUP"); return CLI_USAGE; }
    if (upl_measure_parse("theil", &req[0], &err) || upl_measure_parse("mean", &req[1], &err)) goto fail;
    upl_measure_options m2 = *mo;
    m2.design = NULL;
    val = malloc(G * sizeof *val);
    ws = malloc(G * sizeof *ws);
    mu = malloc(G * sizeof *mu);
    reg = malloc(G * sizeof *reg);
    if (!val || !ws || !mu || !reg) { rc = upl_error_set(&err, UPL_ENOMEM, "out of memory"); goto fail; }
    if ((rc = upl_measure_compute(in, req, 2, &m2, &r, &err))) goto fail;
    /* groups are sorted by the first key, so regions are runs of equal first labels */
    for (int32_t g = 0; g < G; g++) {
        if (g > 0 && strcmp(by->by_labels[g][0], by->by_labels[g - 1][0])) nreg++;
        reg[g] = nreg;
        val[g] = upl_measure_result_get(r, 0, g)->value;
        ws[g] = upl_measure_result_get(r, 0, g)->weight_sum;
        mu[g] = upl_measure_result_get(r, 1, g)->value;
    }
    upl_decomp_theil2 t2;
    if (upl_decomp_theil_nested(ws, mu, val, reg, G, nreg + 1, &t2, &err)) {
        orow *row = add_row(o, "theil_nested.total", -1);
        if (row) row->undefined = "decomposition undefined: a cell has an undefined Theil or non-positive mean";
        upl_error_clear(&err);
        goto fail;
    }
    const char *parts[] = {"between_regions", "between_subgroups_within_regions", "within_subgroups", "total"};
    double v[] = {t2.between_regions, t2.between_within, t2.within_cells, t2.total};
    char nm[96];
    for (int k = 0; k < 4; k++) {
        snprintf(nm, sizeof nm, "theil_nested.%s", parts[k]);
        orow *row = add_row(o, nm, -1);
        if (row) row->value = v[k];
    }
fail:
    if (rc) {
        int c = cli_fail(cmd, rc, &err);
        upl_error_clear(&err);
        rc = c;
    }
    upl_measure_result_free(r);
    free(val);
    free(ws);
    free(mu);
    free(reg);
    return rc;
}

static int compute_decomp(const char *cmd, const char *name, const upl_measure_input *in, const upl_measure_options *mo,
                          out_t *o) {
    if (in->group && !strcmp(name, "theil_nested")) return compute_theil_nested(cmd, in, mo, o, o);
    if (in->group && strcmp(name, "theil_decomp") && strcmp(name, "mld_decomp"))
        return compute_additive_decomp(cmd, name, in, mo, o);
    double alpha = !strcmp(name, "theil_decomp") ? 1 : 0;
    upl_measure_req req[2];
    upl_error err = {0};
    int rc = UPL_OK;
    upl_measure_result *r = NULL, *tot = NULL;
    double *val = NULL, *ws = NULL, *mu = NULL, *con = NULL;
    if (!in->group) { cli_error(cmd, "%s needs --by (the groups to decompose over)", name); return CLI_USAGE; }
    if (upl_measure_parse(alpha == 1 ? "theil" : "mld", &req[0], &err) || upl_measure_parse("mean", &req[1], &err)) goto fail;
    upl_measure_options m2 = *mo;
    m2.design = NULL;
    if ((rc = upl_measure_compute(in, req, 2, &m2, &r, &err))) goto fail;
    int32_t G = in->n_groups;
    val = malloc(G * sizeof *val);
    ws = malloc(G * sizeof *ws);
    mu = malloc(G * sizeof *mu);
    con = malloc(G * sizeof *con);
    if (!val || !ws || !mu || !con) { rc = upl_error_set(&err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (int32_t g = 0; g < G; g++) {
        val[g] = upl_measure_result_get(r, 0, g)->value;
        ws[g] = upl_measure_result_get(r, 0, g)->weight_sum;
        mu[g] = upl_measure_result_get(r, 1, g)->value;
    }
    upl_decomp_ge dec = {.group_contribution = con};
    char nm[64];
    if ((rc = upl_decomp_ge_compute(alpha, ws, mu, val, G, &dec, &err))) {
        /* undefined (e.g. an income <= 0 in a group): report, do not fail the run */
        snprintf(nm, sizeof nm, "%s.total", name);
        orow *row = add_row(o, nm, -1);
        if (row) row->undefined = "decomposition undefined: a group has an undefined index or non-positive mean";
        upl_error_clear(&err);
        rc = UPL_OK;
        goto done;
    }
    const char *parts[] = {"within", "between", "total"};
    double pv[] = {dec.within, dec.between, dec.total};
    for (int k = 0; k < 3; k++) {
        snprintf(nm, sizeof nm, "%s.%s", name, parts[k]);
        orow *row = add_row(o, nm, -1);
        if (!row) break;
        row->value = pv[k];
        row->n = r->n_rows - r->n_missing - r->n_negative_dropped - r->n_outside;
    }
    snprintf(nm, sizeof nm, "%s.between_share", name);
    orow *row = add_row(o, nm, -1);
    if (row) row->value = dec.total != 0 ? dec.between / dec.total : NAN;
    for (int32_t g = 0; g < G; g++) {
        snprintf(nm, sizeof nm, "%s.contribution", name);
        row = add_row(o, nm, g);
        if (!row) break;
        row->value = dec.total != 0 ? con[g] / dec.total : NAN;
        row->n = upl_measure_result_get(r, 0, g)->n;
        row->weight_sum = ws[g];
    }
done:
fail:
    if (rc) {
        int c = cli_fail(cmd, rc, &err);
        upl_error_clear(&err);
        rc = c;
    }
    upl_measure_result_free(r);
    upl_measure_result_free(tot);
    free(val);
    free(ws);
    free(mu);
    free(con);
    return rc;
}

static int run_measures(common *c, const upl_table *t, out_t *o, context *ctx, upl_groupby **gb_out) {
    const char *cmd = c->cmd;
    const char *income = cli_get(c->opts, c->n_opts, "income");
    const char *weight = cli_get(c->opts, c->n_opts, "weight");
    const char *by = cli_get(c->opts, c->n_opts, "by");
    const char *ml = cli_get(c->opts, c->n_opts, "measures");
    int rc = CLI_OK;
    char **bys = NULL, **names = NULL;
    size_t n_by = 0, n_names = 0;
    upl_measure_req *req = NULL;
    char **decomp = NULL;
    size_t n_req = 0, n_decomp = 0;
    upl_measure_input in;
    double *yb = NULL, *wb = NULL;
    upl_groupby *gb = NULL;
    upl_measure_result *res = NULL;
    upl_error err = {0};
    if (!income) { cli_error(cmd, "--income COL is required; see `uplift measure --help`"); return CLI_USAGE; }
    if (by && !(bys = split_list(by, &n_by))) { cli_error(cmd, "out of memory"); return CLI_FAIL; }
    const char *line_col = cli_get(c->opts, c->n_opts, "line-col");
    double *zcol = NULL, *zgroup = NULL;
    bool has_line = c->mo.line != UPL_LINE_NONE || line_col;
    if (!ml) ml = has_line ? "mean,median,fgt0,fgt1,fgt2,watts,sen,sst,gini,theil,mld,line"
                           : "mean,median,gini,theil,mld,atkinson1,palma,s80s20";
    if (!(names = split_list(ml, &n_names))) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
    req = calloc(n_names + 1, sizeof *req);
    decomp = calloc(n_names + 1, sizeof *decomp);
    if (!req || !decomp) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
    for (size_t k = 0; k < n_names; k++) {
        if (strstr(names[k], "_decomp") || !strcmp(names[k], "theil_nested")) { decomp[n_decomp++] = names[k]; continue; }
        if (upl_measure_parse(names[k], &req[n_req], &err)) {
            cli_error(cmd, "--measures: %s", upl_error_message(&err));
            rc = CLI_USAGE;
            goto done;
        }
        upl_measure_req *r = &req[n_req];
        bool needs_line = r->kind == UPL_MEAS_FGT || r->kind == UPL_MEAS_WATTS || r->kind == UPL_MEAS_SEN ||
                          r->kind == UPL_MEAS_SEN_LARGEQ || r->kind == UPL_MEAS_SST || r->kind == UPL_MEAS_LINE ||
                          r->kind == UPL_MEAS_RMPG;
        if (needs_line && !has_line) {
            cli_error(cmd, "measure `%s` needs a poverty line: give --line Z or --line-rel P", names[k]);
            rc = CLI_USAGE;
            goto done;
        }
        n_req++;
    }
    if (n_decomp && !by) { cli_error(cmd, "%s needs --by (the groups to decompose over)", decomp[0]); rc = CLI_USAGE; goto done; }
    if ((rc = upl_measure_table_input(t, income, weight, (const char *const *)bys, n_by, &in, &yb, &wb, &gb, &err))) {
        rc = cli_fail(cmd, rc, &err);
        if (rc == CLI_USAGE) rc = CLI_FAIL;
        goto done;
    }
    fill_by(o, gb);
    const char *size = cli_get(c->opts, c->n_opts, "size");
    if (size) {
        /* Person-level statistics from household rows: each household counts
         * weight x size persons (DOMAIN.md §3; OPHI and PIP practice). A
         * missing or non-positive size leaves the row out as a missing weight. */
        upl_measure_input sin;
        double *sz = NULL, *sdummy = NULL;
        upl_groupby *sgb = NULL;
        if ((rc = upl_measure_table_input(t, size, NULL, NULL, 0, &sin, &sz, &sdummy, &sgb, &err))) {
            rc = cli_fail(cmd, rc, &err);
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
        if (!wb && (wb = upl_malloc((in.n ? in.n : 1) * sizeof *wb)) != NULL)
            for (size_t i = 0; i < in.n; i++) wb[i] = 1.0;
        if (!wb) { upl_free(sz); upl_free(sdummy); upl_groupby_free(sgb); cli_error(cmd, "out of memory"); rc = CLI_FAIL; goto done; }
        for (size_t i = 0; i < in.n; i++) wb[i] = sz[i] > 0 ? wb[i] * sz[i] : NAN;
        in.w = wb;
        upl_free(sz);
        upl_free(sdummy);
        upl_groupby_free(sgb);
    }
    if (line_col) {
        /* a line per group (by year, by region...): constant within each --by group */
        upl_measure_input zin;
        double *zdummy = NULL;
        upl_groupby *zgb = NULL;
        if ((rc = upl_measure_table_input(t, line_col, NULL, NULL, 0, &zin, &zcol, &zdummy, &zgb, &err))) {
            rc = cli_fail(cmd, rc, &err);
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
        int32_t G = in.group ? in.n_groups : 1;
        zgroup = malloc((size_t)G * sizeof *zgroup);
        if (!zgroup) { cli_error(cmd, "out of memory"); rc = CLI_FAIL; goto done; }
        for (int32_t g = 0; g < G; g++) zgroup[g] = NAN;
        for (size_t i = 0; i < in.n; i++) {
            int32_t g = in.group ? in.group[i] : 0;
            if (g < 0 || isnan(in.y[i])) continue;
            double zv = zcol[i];
            if (!(zv > 0)) {
                cli_error(cmd, "--line-col %s: data row %zu has no positive line (%g)", line_col, i + 1, zv);
                rc = CLI_FAIL;
                goto done;
            }
            if (isnan(zgroup[g])) zgroup[g] = zv;
            else if (zgroup[g] != zv) {
                cli_error(cmd, "--line-col %s: data row %zu has line %g but %g elsewhere in its group; the line "
                          "must be constant within each --by group (add the column that sets it, e.g. year, to --by)",
                          line_col, i + 1, zv, zgroup[g]);
                rc = CLI_FAIL;
                goto done;
            }
        }
        c->mo.line = UPL_LINE_ABSOLUTE;
        c->mo.z_by_group = zgroup;
        c->mo.z = NAN;
        ctx->line_desc = "by group from a column 按组取自列";
    }
    if (n_req) {
        if ((rc = upl_measure_compute(&in, req, n_req, &c->mo, &res, &err))) {
            rc = cli_fail(cmd, rc, &err);
            goto done;
        }
        ctx->n_rows = res->n_rows;
        ctx->n_missing = res->n_missing;
        ctx->n_negative_dropped = res->n_negative_dropped;
        ctx->n_outside = res->n_outside;
        ctx->n_zero_weight = res->n_zero_weight;
        int32_t G = res->n_groups;
        for (size_t m = 0; m < n_req; m++) {
            for (int32_t g = 0; g < G; g++) {
                const upl_stat *s = upl_measure_result_get(res, m, g);
                orow *r = add_row(o, req[m].name, gb ? g : -1);
                if (!r) break;
                r->value = s->value;
                r->se = s->se;
                r->ci_low = s->ci_low;
                r->ci_high = s->ci_high;
                r->n = s->n;
                r->weight_sum = s->weight_sum;
                r->n_dropped = s->n_dropped;
                r->undefined = s->undefined;
                r->se_method = s->se_method;
            }
        }
    } else {
        ctx->n_rows = in.n;
    }
    for (size_t k = 0; k < n_decomp; k++)
        if ((rc = compute_decomp(cmd, decomp[k], &in, &c->mo, o))) goto done;
    if (o->is_oom) { cli_error(cmd, "out of memory"); rc = CLI_FAIL; }
    /* the output borrows the group labels: the caller frees gb after writing */
    *gb_out = gb;
    gb = NULL;
done:
    upl_error_clear(&err);
    upl_measure_result_free(res);
    free_list(bys, n_by);
    free_list(names, n_names);
    free(req);
    free(decomp);
    upl_free(yb);
    upl_free(wb);
    upl_free(zcol);
    free(zgroup);
    c->mo.z_by_group = NULL;
    upl_groupby_free(gb);
    return rc;
}

/* ---- mode: MPI ------------------------------------------------------------------------------ */
typedef struct mpi_ind {
    char *col, *dim;
    upl_af_indicator ind;
    bool has_weight;
} mpi_ind;

static int parse_mpi_spec(const char *cmd, const char *spec, mpi_ind **out, size_t *n_out) {
    size_t n = 0;
    char **items = split_list(spec, &n);
    mpi_ind *v = calloc(n ? n : 1, sizeof *v);
    int rc = CLI_OK;
    upl_error err = {0};
    if (!items || !v) { cli_error(cmd, "out of memory"); free_list(items, n); free(v); return CLI_FAIL; }
    size_t n_w = 0;
    for (size_t i = 0; i < n; i++) {
        char *s = items[i];
        char *at = strchr(s, '@');
        if (at) { *at = 0; v[i].dim = strdup(at + 1); }
        char *eq = strchr(s, '=');
        if (eq) {
            *eq = 0;
            if (upl_rational_parse(eq + 1, &v[i].ind.weight, &err)) {
                cli_error(cmd, "--mpi `%s`: %s", items[i], upl_error_message(&err));
                rc = CLI_USAGE;
                break;
            }
            v[i].has_weight = true;
            n_w++;
        }
        char *lt = strchr(s, '<');
        char *colon = strchr(s, ':');
        if (lt) {
            *lt = 0;
            char *end = NULL;
            v[i].ind.cutoff = strtod(lt + 1, &end);
            if (end == lt + 1 || *end) { cli_error(cmd, "--mpi: bad cutoff in `%s`", lt + 1); rc = CLI_USAGE; break; }
        } else if (colon && !strcmp(colon + 1, "dep")) {
            *colon = 0;
            v[i].ind.is_deprivation = true;
        } else {
            cli_error(cmd, "--mpi: `%s` is neither COL<CUTOFF nor COL:dep", s);
            rc = CLI_USAGE;
            break;
        }
        v[i].col = strdup(s);
        if (!v[i].col) { rc = CLI_FAIL; break; }
        v[i].ind.name = v[i].col;
        v[i].ind.dimension = v[i].dim;
    }
    if (!rc && n_w != 0 && n_w != n) {
        cli_error(cmd, "--mpi: give a weight for every indicator or for none (nested equal weights)");
        rc = CLI_USAGE;
    }
    free_list(items, n);
    upl_error_clear(&err);
    if (rc) {
        for (size_t i = 0; i < n; i++) { free(v[i].col); free(v[i].dim); }
        free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return CLI_OK;
}

/* Output rows of an Alkire-Foster result: H, A, M0 (and M1, M2 when
 * n_level is 5) with linearised SEs for H, A and M0, subgroup
 * contributions, then per indicator (named by ind_names) uncensored and
 * censored headcounts and contributions, and per dimension contributions. */
static void af_rows(out_t *o, const upl_af_result *r, const upl_groupby *gb, double zc, const char *const *ind_names,
                    size_t d, int n_level) {
    const char *names[] = {"mpi.H", "mpi.A", "mpi.M0", "mpi.M1", "mpi.M2"};
    for (int32_t g = -1; g < (gb ? gb->n_groups : 0); g++) {
        const upl_af_stats *st = g < 0 ? &r->all : &r->groups[g];
        double v[5] = {st->H, st->A, st->M0, st->M1, st->M2};
        double *ses[5] = {r->se_H, r->se_A, r->se_M0, NULL, NULL};
        for (int m = 0; m < n_level; m++) {
            orow *row = add_row(o, names[m], g);
            if (!row) break;
            row->value = v[m];
            row->n = st->n;
            row->weight_sum = st->weight_sum;
            if (isnan(v[m])) row->undefined = st->undefined ? st->undefined : "undefined";
            if (ses[m] && !isnan(v[m])) {
                row->se = ses[m][g + 1];
                row->ci_low = v[m] - zc * row->se;
                row->ci_high = v[m] + zc * row->se;
                row->se_method = "linearization";
            }
        }
        if (g >= 0) {
            orow *row = add_row(o, "mpi.group_contribution", g);
            if (row) {
                row->value = r->group_contrib_pct[g];
                row->n = st->n;
                row->weight_sum = st->weight_sum;
                if (isnan(row->value)) row->undefined = "M0 is 0: contributions undefined";
            }
        }
    }
    char nm[256];
    for (size_t j = 0; j < d; j++) {
        const char *kinds[] = {"mpi.h_uncensored", "mpi.h_censored", "mpi.contribution_abs", "mpi.contribution"};
        double v[4] = {r->h_uncensored[j], r->h_censored[j], r->contrib_abs[j], r->contrib_pct[j]};
        for (int m = 0; m < 4; m++) {
            snprintf(nm, sizeof nm, "%s.%s", kinds[m], ind_names[j]);
            orow *row = add_row(o, nm, -1);
            if (!row) break;
            row->value = v[m];
            row->n = r->all.n;
            row->weight_sum = r->all.weight_sum;
            if (isnan(v[m])) row->undefined = "M0 is 0: contributions undefined";
        }
    }
    for (size_t k2 = 0; k2 < r->n_dims; k2++) {
        snprintf(nm, sizeof nm, "mpi.dimension_contribution.%s", r->dim_names[k2]);
        orow *row = add_row(o, nm, -1);
        if (!row) break;
        row->value = r->dim_contrib_pct[k2];
        if (isnan(row->value)) row->undefined = "M0 is 0: contributions undefined";
    }
}

static int run_mpi(common *c, const upl_table *t, out_t *o, context *ctx, upl_groupby **gb_out) {
    const char *cmd = c->cmd;
    const char *spec = cli_get(c->opts, c->n_opts, "mpi");
    const char *kt = cli_get(c->opts, c->n_opts, "k");
    const char *weight = cli_get(c->opts, c->n_opts, "weight");
    const char *size = cli_get(c->opts, c->n_opts, "size");
    const char *by = cli_get(c->opts, c->n_opts, "by");
    mpi_ind *mi = NULL;
    size_t d = 0, n_by = 0;
    char **bys = NULL;
    double **cols = NULL, *wcol = NULL, *scol = NULL, *dummy = NULL;
    upl_af_indicator *ind = NULL;
    upl_af_result *r = NULL;
    upl_groupby *gb = NULL;
    upl_error err = {0};
    int rc;
    upl_rational k;
    if (!kt) { cli_error(cmd, "--mpi needs --k (poverty cutoff, e.g. 1/3)"); return CLI_USAGE; }
    if (upl_rational_parse(kt, &k, &err)) {
        cli_error(cmd, "--k: %s", upl_error_message(&err));
        upl_error_clear(&err);
        return CLI_USAGE;
    }
    if ((rc = parse_mpi_spec(cmd, spec, &mi, &d))) return rc;
    size_t n = upl_table_n_rows(t);
    cols = calloc(d, sizeof *cols);
    ind = calloc(d, sizeof *ind);
    if (!cols || !ind) { rc = CLI_FAIL; goto done; }
    for (size_t j = 0; j < d; j++) {
        upl_measure_input tmp;
        upl_groupby *g0 = NULL;
        if ((rc = upl_measure_table_input(t, mi[j].col, NULL, NULL, 0, &tmp, &cols[j], &dummy, &g0, &err))) {
            rc = cli_fail(cmd, rc, &err);
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
        ind[j] = mi[j].ind;
    }
    if (!mi[0].has_weight && upl_af_nested_weights(ind, d, &err)) { rc = cli_fail(cmd, UPL_EMISUSE, &err); goto done; }
    upl_measure_input tmp;
    upl_groupby *g0 = NULL;
    if (weight && (rc = upl_measure_table_input(t, weight, NULL, NULL, 0, &tmp, &wcol, &dummy, &g0, &err))) {
        rc = cli_fail(cmd, rc, &err);
        goto done;
    }
    if (size && (rc = upl_measure_table_input(t, size, NULL, NULL, 0, &tmp, &scol, &dummy, &g0, &err))) {
        rc = cli_fail(cmd, rc, &err);
        goto done;
    }
    if (by) {
        if (!(bys = split_list(by, &n_by))) { rc = CLI_FAIL; goto done; }
        if ((rc = upl_groupby_build(t, (const char *const *)bys, n_by, &gb, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    }
    upl_af_spec sp = {.d = d, .ind = ind, .k = k};
    upl_af_input ai = {.n = n, .x = (const double *const *)cols, .w = wcol, .size = scol,
                       .group = gb ? gb->group_of_row : NULL, .n_groups = gb ? gb->n_groups : 0};
    if ((rc = upl_af_compute(&sp, &ai, c->mo.missing, c->has_design ? &c->design : NULL, &r, &err))) {
        rc = cli_fail(cmd, rc, &err);
        if (rc == CLI_USAGE) rc = CLI_FAIL;
        goto done;
    }
    ctx->n_rows = n;
    ctx->n_missing = r->n_dropped_missing;
    fill_by(o, gb);
    {
        const char **ind_names = malloc((d ? d : 1) * sizeof *ind_names);
        if (!ind_names) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
        for (size_t j = 0; j < d; j++) ind_names[j] = mi[j].col;
        af_rows(o, r, gb, upl_design_zcrit(c->design.conf_level), ind_names, d, 5);
        free(ind_names);
    }
    *gb_out = gb;
    gb = NULL;
    rc = o->is_oom ? CLI_FAIL : CLI_OK;
done:
    upl_error_clear(&err);
    upl_af_result_free(r);
    upl_groupby_free(gb);
    if (cols) for (size_t j = 0; j < d; j++) upl_free(cols[j]);
    free(cols);
    free(ind);
    upl_free(wcol);
    upl_free(scol);
    free_list(bys, n_by);
    for (size_t j = 0; j < d; j++) { free(mi[j].col); free(mi[j].dim); }
    free(mi);
    return rc;
}

/* ---- mode: MPI from a policy profile ---------------------------------------------------------
 * The profile's indicator rules are evaluated per household on the person
 * table (lib/profile), its exact weights and k are used as they are, and
 * the Alkire–Foster measures are person-level (household weight x size)
 * unless --household-level. Unknown deprivations (after the rule's
 * on_missing) are missing values under --missing. */
static const char *resolve_col(const upl_profile *prof, const upl_table *t, const char *name) {
    if (!name || upl_table_find(t, name)) return name;
    const upl_profile_field *f = upl_profile_match_header(prof, name);
    return f ? f->name : name;
}

static int household_ids(const char *cmd, const upl_table *t, const char *col, const upl_eval *ev, size_t H,
                         int64_t **out) {
    int64_t *full = NULL;
    int64_t *dummy1 = NULL;
    double *dummy2 = NULL;
    upl_error err = {0};
    int rc = upl_measure_table_design(t, col, NULL, NULL, &full, &dummy1, &dummy2, &err);
    if (rc) { rc = cli_fail(cmd, rc, &err); return rc == CLI_USAGE ? CLI_FAIL : rc; }
    *out = upl_malloc((H ? H : 1) * sizeof **out);
    if (!*out) { upl_free(full); cli_error(cmd, "out of memory"); return CLI_FAIL; }
    for (size_t h = 0; h < H; h++) (*out)[h] = full[upl_eval_household_first_row(ev, h)];
    upl_free(full);
    return CLI_OK;
}

static int run_profile_mpi(common *c, upl_table *t, out_t *o, context *ctx, upl_groupby **gb_out) {
    const char *cmd = c->cmd;
    const char *pname = cli_get(c->opts, c->n_opts, "profile");
    const char *v;
    upl_profile *prof = NULL;
    upl_eval *ev = NULL;
    upl_groupby *gb = NULL;
    upl_af_result *r = NULL;
    upl_af_indicator *ind = NULL;
    double **cols = NULL, *hw = NULL, *hs = NULL, *wfull = NULL, *fpcfull = NULL, *hfpc = NULL;
    int32_t *hg = NULL;
    int64_t *hst = NULL, *hpsu = NULL;
    char **bys = NULL;
    size_t n_by = 0, d = 0, H = 0;
    upl_error err = {0};
    upl_profile_map_report rep = {0};
    int rc = CLI_OK;
    long long year = 0;
    if ((v = cli_get(c->opts, c->n_opts, "year")) && cli_int(cmd, "year", v, 1900, 2200, &year)) return CLI_USAGE;
    if ((rc = upl_profile_load_named(pname, &prof, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    d = upl_profile_n_indicators(prof);
    if (d == 0) { cli_error(cmd, "profile `%s` defines no indicators", pname); rc = CLI_USAGE; goto done; }
    if ((rc = upl_profile_map_table(prof, t, &rep, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    if (!year) {
        int first, last;
        upl_profile_years(prof, &first, &last);
        year = first;
    }
    upl_eval_options eo = {.year = (int)year, .n_threads = c->threads};
    if ((rc = upl_eval_new(prof, t, &eo, &ev, &err)) || (rc = upl_eval_run(ev, &err))) {
        rc = cli_fail(cmd, rc, &err);
        goto done;
    }
    const char *const *absent;
    size_t n_absent = upl_eval_absent_fields(ev, &absent);
    if (n_absent) {
        fprintf(stderr, "uplift measure: note: fields used by the profile's rules but absent (read as missing):");
        for (size_t i = 0; i < n_absent; i++) fprintf(stderr, " %s", absent[i]);
        fputc('\n', stderr);
    }
    H = upl_eval_n_households(ev);
    cols = calloc(d, sizeof *cols);
    ind = calloc(d, sizeof *ind);
    if (!cols || !ind) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
    for (size_t j = 0; j < d; j++) {
        const upl_profile_indicator *pi = upl_profile_indicator_at(prof, j);
        const uint8_t *dep = upl_eval_indicator(ev, j);
        cols[j] = malloc((H ? H : 1) * sizeof **cols);
        if (!cols[j]) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
        for (size_t h = 0; h < H; h++)
            cols[j][h] = dep[h] == UPL_B3_TRUE ? 1.0 : dep[h] == UPL_B3_FALSE ? 0.0 : NAN;
        ind[j].name = pi->id;
        ind[j].dimension = pi->dimension;
        ind[j].weight.num = pi->weight.num;
        ind[j].weight.den = pi->weight.den;
        ind[j].is_deprivation = true;
    }
    upl_rational pk = upl_profile_k(prof);
    upl_rational k = {pk.num, pk.den};
    if ((v = cli_get(c->opts, c->n_opts, "k")) && upl_rational_parse(v, &k, &err)) {
        cli_error(cmd, "--k: %s", upl_error_message(&err));
        rc = CLI_USAGE;
        goto done;
    }
    hs = malloc((H ? H : 1) * sizeof *hs);
    if (!hs) { rc = CLI_FAIL; goto done; }
    bool is_hh = cli_has(c->opts, c->n_opts, "household-level");
    for (size_t h = 0; h < H; h++) hs[h] = is_hh ? 1.0 : (double)upl_eval_household_size(ev, h);
    const char *wname = resolve_col(prof, t, cli_get(c->opts, c->n_opts, "weight"));
    if (wname) {
        upl_measure_input tmp;
        double *dummy = NULL;
        upl_groupby *g0 = NULL;
        if ((rc = upl_measure_table_input(t, wname, NULL, NULL, 0, &tmp, &wfull, &dummy, &g0, &err))) {
            rc = cli_fail(cmd, rc, &err);
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
        hw = malloc((H ? H : 1) * sizeof *hw);
        if (!hw) { rc = CLI_FAIL; goto done; }
        for (size_t h = 0; h < H; h++) hw[h] = wfull[upl_eval_household_first_row(ev, h)];
    }
    const char *by = cli_get(c->opts, c->n_opts, "by");
    if (by) {
        if (!(bys = split_list(by, &n_by))) { rc = CLI_FAIL; goto done; }
        for (size_t k2 = 0; k2 < n_by; k2++) {
            const char *rn = resolve_col(prof, t, bys[k2]);
            if (rn != bys[k2]) { char *cp = strdup(rn); if (!cp) { rc = CLI_FAIL; goto done; } free(bys[k2]); bys[k2] = cp; }
        }
        if ((rc = upl_groupby_build(t, (const char *const *)bys, n_by, &gb, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        hg = malloc((H ? H : 1) * sizeof *hg);
        if (!hg) { rc = CLI_FAIL; goto done; }
        for (size_t h = 0; h < H; h++) hg[h] = gb->group_of_row[upl_eval_household_first_row(ev, h)];
    }
    upl_design hd = c->design;
    if (c->has_design) {
        const char *sn = resolve_col(prof, t, cli_get(c->opts, c->n_opts, "strata"));
        const char *pn = resolve_col(prof, t, cli_get(c->opts, c->n_opts, "psu"));
        const char *fn = resolve_col(prof, t, cli_get(c->opts, c->n_opts, "fpc"));
        if (sn && (rc = household_ids(cmd, t, sn, ev, H, &hst))) goto done;
        if (pn && (rc = household_ids(cmd, t, pn, ev, H, &hpsu))) goto done;
        if (fn) {
            upl_measure_input tmp;
            double *dummy = NULL;
            upl_groupby *g0 = NULL;
            if ((rc = upl_measure_table_input(t, fn, NULL, NULL, 0, &tmp, &fpcfull, &dummy, &g0, &err))) {
                rc = cli_fail(cmd, rc, &err);
                goto done;
            }
            hfpc = malloc((H ? H : 1) * sizeof *hfpc);
            if (!hfpc) { rc = CLI_FAIL; goto done; }
            for (size_t h = 0; h < H; h++) hfpc[h] = fpcfull[upl_eval_household_first_row(ev, h)];
        }
        hd.strata = hst;
        hd.psu = hpsu;
        hd.fpc = hfpc;
    }
    upl_af_spec sp = {.d = d, .ind = ind, .k = k};
    upl_af_input ai = {.n = H, .x = (const double *const *)cols, .w = hw, .size = hs, .group = hg,
                       .n_groups = gb ? gb->n_groups : 0};
    if ((rc = upl_af_compute(&sp, &ai, c->mo.missing, c->has_design ? &hd : NULL, &r, &err))) {
        rc = cli_fail(cmd, rc, &err);
        if (rc == CLI_USAGE) rc = CLI_FAIL;
        goto done;
    }
    ctx->n_rows = upl_table_n_rows(t);
    ctx->n_missing = r->n_dropped_missing;
    static char note[600];
    snprintf(note, sizeof note, "MPI 多维贫困: profile %s %s, %zu indicators, k = %lld/%lld, %zu households, %s level%s",
             upl_profile_name(prof), upl_profile_version(prof), d, (long long)k.num, (long long)k.den, H,
             is_hh ? "household 户" : "person 人", r->n_dropped_missing ? " (households with an unknown deprivation dropped)" : "");
    ctx->extra = note;
    fill_by(o, gb);
    {
        const char **ind_names = malloc((d ? d : 1) * sizeof *ind_names);
        if (!ind_names) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
        for (size_t j = 0; j < d; j++) ind_names[j] = ind[j].name;
        af_rows(o, r, gb, upl_design_zcrit(c->design.conf_level), ind_names, d, 3);
        free(ind_names);
    }
    *gb_out = gb;
    gb = NULL;
    rc = o->is_oom ? CLI_FAIL : CLI_OK;
done:
    upl_error_clear(&err);
    upl_profile_map_report_free(&rep);
    upl_af_result_free(r);
    upl_groupby_free(gb);
    if (cols) for (size_t j = 0; j < d; j++) free(cols[j]);
    free(cols);
    free(ind);
    free(hw);
    free(hs);
    free(hg);
    free(hfpc);
    upl_free(hst);
    upl_free(hpsu);
    upl_free(wfull);
    upl_free(fpcfull);
    free_list(bys, n_by);
    upl_eval_free(ev);
    upl_profile_free(prof);
    return rc;
}

/* ---- mode: change between two waves ----------------------------------------------------------- */
static int run_change(common *c, const char *fa, const char *fb, out_t *o, context *ctx) {
    const char *cmd = c->cmd;
    const char *income = cli_get(c->opts, c->n_opts, "income");
    const char *weight = cli_get(c->opts, c->n_opts, "weight");
    const char *by = cli_get(c->opts, c->n_opts, "by");
    const char *ml = cli_get(c->opts, c->n_opts, "measures");
    upl_table *ta = NULL, *tb = NULL;
    double *ya = NULL, *wa = NULL, *yb = NULL, *wb = NULL, *ya2 = NULL, *wa2 = NULL, *yb2 = NULL, *wb2 = NULL;
    upl_groupby *ga = NULL, *gbb = NULL;
    char **names = NULL;
    size_t n_names = 0;
    upl_error err = {0};
    int rc;
    uint64_t rej;
    if (!income) { cli_error(cmd, "--income COL is required"); return CLI_USAGE; }
    if (c->mo.line != UPL_LINE_ABSOLUTE || c->mo.z_by_group) {
        cli_error(cmd, "--change needs an absolute --line Z (the same line in both waves)");
        return CLI_USAGE;
    }
    if (!(names = split_list(ml ? ml : "fgt0,fgt1,fgt2", &n_names))) return CLI_FAIL;
    for (size_t k = 0; k < n_names; k++) {
        if (strcmp(names[k], "watts") && strncmp(names[k], "fgt", 3)) {
            cli_error(cmd, "--change decomposes fgtA and watts only, not `%s`", names[k]);
            free_list(names, n_names);
            return CLI_USAGE;
        }
    }
    if ((rc = read_file(cmd, fa, c->threads, &ta, &rej))) goto done;
    if ((rc = read_file(cmd, fb, c->threads, &tb, &rej))) goto done;
    upl_measure_input ia, ib;
    if ((rc = upl_measure_table_input(ta, income, weight, NULL, 0, &ia, &ya, &wa, &ga, &err)) ||
        (rc = upl_measure_table_input(tb, income, weight, NULL, 0, &ib, &yb, &wb, &gbb, &err))) {
        rc = cli_fail(cmd, rc, &err);
        if (rc == CLI_USAGE) rc = CLI_FAIL;
        goto done;
    }
    /* missing rows are dropped (counted), as everywhere */
    size_t na = 0, nb = 0;
    ya2 = malloc((ia.n + 1) * sizeof *ya2);
    wa2 = malloc((ia.n + 1) * sizeof *wa2);
    yb2 = malloc((ib.n + 1) * sizeof *yb2);
    wb2 = malloc((ib.n + 1) * sizeof *wb2);
    if (!ya2 || !wa2 || !yb2 || !wb2) { rc = CLI_FAIL; cli_error(cmd, "out of memory"); goto done; }
    for (size_t i = 0; i < ia.n; i++)
        if (!isnan(ia.y[i]) && !(ia.w && isnan(ia.w[i]))) { ya2[na] = ia.y[i]; wa2[na++] = ia.w ? ia.w[i] : 1; }
    for (size_t i = 0; i < ib.n; i++)
        if (!isnan(ib.y[i]) && !(ib.w && isnan(ib.w[i]))) { yb2[nb] = ib.y[i]; wb2[nb++] = ib.w ? ib.w[i] : 1; }
    ctx->n_rows = ia.n + ib.n;
    ctx->n_missing = (ia.n - na) + (ib.n - nb);
    for (size_t k = 0; k < n_names; k++) {
        upl_measure_req rq;
        if (upl_measure_parse(names[k], &rq, &err)) { rc = cli_fail(cmd, UPL_EMISUSE, &err); goto done; }
        upl_growth_redist gr;
        bool is_watts = rq.kind == UPL_MEAS_WATTS;
        if ((rc = upl_growth_redist_compute(ya2, wa2, na, yb2, wb2, nb, c->mo.z, is_watts ? 0 : rq.param, is_watts, &gr,
                                            &err))) {
            rc = cli_fail(cmd, rc, &err);
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
        const char *parts[] = {"p1", "p2", "change", "datt_ravallion_ref1.growth", "datt_ravallion_ref1.redistribution",
                               "datt_ravallion_ref1.residual", "datt_ravallion_ref2.growth",
                               "datt_ravallion_ref2.redistribution", "datt_ravallion_ref2.residual", "shapley.growth",
                               "shapley.redistribution", "mean1", "mean2"};
        double v[] = {gr.p1, gr.p2, gr.change, gr.dr1_growth, gr.dr1_redist, gr.dr1_residual, gr.dr2_growth,
                      gr.dr2_redist, gr.dr2_residual, gr.shapley_growth, gr.shapley_redist, gr.mu1, gr.mu2};
        char nm[128];
        for (size_t p = 0; p < sizeof v / sizeof v[0]; p++) {
            snprintf(nm, sizeof nm, "change.%s.%s", names[k], parts[p]);
            orow *row = add_row(o, nm, -1);
            if (!row) break;
            row->value = v[p];
        }
        if (by) {
            /* Ravallion–Huppi over the --by sectors, matched by label */
            const char *keys[1] = {by};
            upl_groupby *sa = NULL, *sb = NULL;
            upl_measure_input xa = ia, xb = ib;
            upl_measure_result *ra = NULL, *rb = NULL;
            if ((rc = upl_groupby_build(ta, keys, 1, &sa, &err)) || (rc = upl_groupby_build(tb, keys, 1, &sb, &err))) {
                upl_groupby_free(sa);
                rc = cli_fail(cmd, rc, &err);
                if (rc == CLI_USAGE) rc = CLI_FAIL;
                goto done;
            }
            xa.group = sa->group_of_row;
            xa.n_groups = sa->n_groups;
            xb.group = sb->group_of_row;
            xb.n_groups = sb->n_groups;
            upl_measure_options mo = c->mo;
            mo.design = NULL;
            if (sa->n_groups != sb->n_groups) {
                cli_error(cmd, "--by %s: the waves have different sectors (%d vs %d)", by, (int)sa->n_groups,
                          (int)sb->n_groups);
                rc = CLI_FAIL;
            } else if ((rc = upl_measure_compute(&xa, &rq, 1, &mo, &ra, &err)) ||
                       (rc = upl_measure_compute(&xb, &rq, 1, &mo, &rb, &err))) {
                rc = cli_fail(cmd, rc, &err);
            } else {
                int32_t S = sa->n_groups;
                double *s1 = calloc(S, sizeof *s1), *p1 = calloc(S, sizeof *p1), *s2 = calloc(S, sizeof *s2),
                       *p2 = calloc(S, sizeof *p2);
                double V1 = 0, V2 = 0;
                for (int32_t g = 0; g < S && s1 && p1 && s2 && p2; g++) {
                    if (strcmp(sa->labels[g][0], sb->labels[g][0])) {
                        cli_error(cmd, "--by %s: sector `%s` of wave 1 is not in wave 2", by, sa->labels[g][0]);
                        rc = CLI_FAIL;
                        break;
                    }
                    s1[g] = ra->stats[g].weight_sum;
                    s2[g] = rb->stats[g].weight_sum;
                    p1[g] = ra->stats[g].value;
                    p2[g] = rb->stats[g].value;
                    V1 += s1[g];
                    V2 += s2[g];
                }
                if (!rc && s1 && p1 && s2 && p2) {
                    for (int32_t g = 0; g < S; g++) { s1[g] /= V1; s2[g] /= V2; }
                    upl_sectoral sec = {0};
                    if ((rc = upl_sectoral_compute(s1, p1, s2, p2, S, &sec, &err))) {
                        rc = cli_fail(cmd, rc, &err);
                        if (rc == CLI_USAGE) rc = CLI_FAIL;
                    } else {
                        const char *sp[] = {"intra_sectoral", "population_shift", "interaction", "change"};
                        double sv[] = {sec.intra, sec.shift, sec.interaction, sec.change};
                        for (int q = 0; q < 4; q++) {
                            snprintf(nm, sizeof nm, "sectoral.%s.%s", names[k], sp[q]);
                            orow *row = add_row(o, nm, -1);
                            if (row) row->value = sv[q];
                        }
                    }
                }
                free(s1);
                free(p1);
                free(s2);
                free(p2);
            }
            upl_measure_result_free(ra);
            upl_measure_result_free(rb);
            upl_groupby_free(sa);
            upl_groupby_free(sb);
            if (rc) goto done;
        }
    }
    rc = o->is_oom ? CLI_FAIL : CLI_OK;
done:
    upl_error_clear(&err);
    free_list(names, n_names);
    upl_table_free(ta);
    upl_table_free(tb);
    upl_free(ya);
    upl_free(wa);
    upl_free(yb);
    upl_free(wb);
    free(ya2);
    free(wa2);
    free(yb2);
    free(wb2);
    upl_groupby_free(ga);
    upl_groupby_free(gbb);
    return rc;
}

/* ---- mode: change of the MPI between two waves (mpitbR) ---------------------------------------
 * The same indicators, weights and k in both waves; absolute, relative (%),
 * annualised absolute and annualised relative (%) change of H, A, M0, M1, M2
 * between the years given by --years T1,T2. */
static int run_mpi(common *c, const upl_table *t, out_t *o, context *ctx, upl_groupby **gb_out);

static double find_row(const out_t *o, const char *name) {
    for (size_t i = 0; i < o->n; i++)
        if (o->rows[i].group < 0 && !strcmp(o->rows[i].measure, name)) return o->rows[i].value;
    return NAN;
}

static int run_mpi_change(common *c, const char *fa, const char *fb, out_t *o, context *ctx) {
    const char *cmd = c->cmd;
    const char *yv = cli_get(c->opts, c->n_opts, "years");
    double t1, t2;
    char *end = NULL;
    if (!yv || (t1 = strtod(yv, &end), *end != ',') || (t2 = strtod(end + 1, &end), *end) || !(t2 > t1)) {
        cli_error(cmd, "an MPI --change needs --years T1,T2 (the survey years of A and B, T1 < T2)");
        return CLI_USAGE;
    }
    if (cli_has(c->opts, c->n_opts, "by")) {
        cli_error(cmd, "an MPI --change is for the whole population (drop --by)");
        return CLI_USAGE;
    }
    upl_table *ta = NULL, *tb = NULL;
    out_t oa, ob;
    context ca, cb;
    upl_groupby *ga = NULL, *gb = NULL;
    uint64_t rej;
    int rc;
    memset(&oa, 0, sizeof oa);
    memset(&ob, 0, sizeof ob);
    memset(&ca, 0, sizeof ca);
    memset(&cb, 0, sizeof cb);
    bool is_profile = cli_has(c->opts, c->n_opts, "profile");
    if ((rc = read_file(cmd, fa, c->threads, &ta, &rej)) || (rc = read_file(cmd, fb, c->threads, &tb, &rej))) goto done;
    if (is_profile ? (rc = run_profile_mpi(c, ta, &oa, &ca, &ga)) : (rc = run_mpi(c, ta, &oa, &ca, &ga))) goto done;
    if (is_profile ? (rc = run_profile_mpi(c, tb, &ob, &cb, &gb)) : (rc = run_mpi(c, tb, &ob, &cb, &gb))) goto done;
    ctx->n_rows = ca.n_rows + cb.n_rows;
    ctx->n_missing = ca.n_missing + cb.n_missing;
    const char *idx[] = {"H", "A", "M0", "M1", "M2"};
    char nm[96];
    for (int k = 0; k < 5; k++) {
        char key[16];
        snprintf(key, sizeof key, "mpi.%s", idx[k]);
        double m1 = find_row(&oa, key), m2 = find_row(&ob, key);
        upl_af_change ch;
        upl_error err = {0};
        bool ok = upl_af_change_compute(m1, t1, m2, t2, &ch, &err) == UPL_OK;
        upl_error_clear(&err);
        const char *parts[] = {"wave1", "wave2", "absolute", "relative_pct", "annual_absolute", "annual_relative_pct"};
        double v[] = {m1, m2, ok ? ch.absolute : NAN, ok ? ch.relative : NAN, ok ? ch.annual_absolute : NAN,
                      ok ? ch.annual_relative : NAN};
        for (int q = 0; q < 6; q++) {
            snprintf(nm, sizeof nm, "mpi_change.%s.%s", idx[k], parts[q]);
            orow *row = add_row(o, nm, -1);
            if (!row) break;
            row->value = v[q];
            if (isnan(v[q])) row->undefined = q < 2 ? "undefined in this wave (nobody poor?)" : "undefined (an index is undefined, or 0 in wave 1 for a relative change)";
        }
    }
    rc = o->is_oom ? CLI_FAIL : CLI_OK;
done:
    out_free(&oa);
    out_free(&ob);
    upl_groupby_free(ga);
    upl_groupby_free(gb);
    upl_table_free(ta);
    upl_table_free(tb);
    return rc;
}

/* ---- main --------------------------------------------------------------------------------------- */
int cmd_measure(int argc, char **argv) {
    const char *cmd = "measure";
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    cli_opt opts[] = {
        {"income", 0, true, NULL, false},      {"weight", 0, true, NULL, false},
        {"line", 0, true, NULL, false},        {"line-rel", 0, true, NULL, false},
        {"rel-by-group", 0, false, NULL, false}, {"quantile", 0, true, NULL, false},
        {"by", 0, true, NULL, false},          {"measures", 0, true, NULL, false},
        {"strata", 0, true, NULL, false},      {"psu", 0, true, NULL, false},
        {"fpc", 0, true, NULL, false},         {"psu-not-nested", 0, false, NULL, false},
        {"lonely-psu", 0, true, NULL, false},  {"replicates", 0, true, NULL, false},
        {"seed", 0, true, NULL, false},        {"conf", 0, true, NULL, false},
        {"threads", 0, true, NULL, false},     {"format", 0, true, NULL, false},
        {"output", 'o', true, NULL, false},    {"missing", 0, true, NULL, false},
        {"negative", 0, true, NULL, false},    {"nonpositive", 0, true, NULL, false},
        {"cap-gap", 0, false, NULL, false},    {"gini-corrected", 0, false, NULL, false},
        {"percent", 0, false, NULL, false},    {"mpi", 0, true, NULL, false},
        {"k", 0, true, NULL, false},           {"size", 0, true, NULL, false},
        {"change", 0, false, NULL, false},     {"verbose", 'v', false, NULL, false},
        {"line-col", 0, true, NULL, false},    {"profile", 0, true, NULL, false},
        {"year", 0, true, NULL, false},        {"household-level", 0, false, NULL, false},
        {"years", 0, true, NULL, false},
    };
    size_t n_opts = sizeof opts / sizeof *opts;
    const char *pos[2];
    size_t n_pos = 0;
    if (cli_parse(cmd, argc, argv, opts, n_opts, pos, 2, &n_pos)) return CLI_USAGE;
    bool is_change = cli_has(opts, n_opts, "change");
    if (is_change ? n_pos != 2 : n_pos != 1) {
        cli_error(cmd, is_change ? "--change needs two files A B" : "expected one FILE; see `uplift measure --help`");
        return CLI_USAGE;
    }
    const char *fmt = cli_get(opts, n_opts, "format");
    if (!fmt) fmt = "table";
    if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
        cli_error(cmd, "--format: expected table, csv or json, found `%s`", fmt);
        return CLI_USAGE;
    }
    cli_install_log(cmd, cli_has(opts, n_opts, "verbose"));
    common c;
    memset(&c, 0, sizeof c);
    c.cmd = cmd;
    c.opts = opts;
    c.n_opts = n_opts;
    upl_measure_options_init(&c.mo);
    const char *v;
    long long ll;
    double dv;
    static char line_desc[256];
    context ctx;
    memset(&ctx, 0, sizeof ctx);
    if ((v = cli_get(opts, n_opts, "threads"))) {
        if (cli_int(cmd, "threads", v, 1, 256, &ll)) return CLI_USAGE;
        c.threads = (int)ll;
        c.mo.n_threads = (int)ll;
    }
    if (cli_has(opts, n_opts, "line") + cli_has(opts, n_opts, "line-rel") + cli_has(opts, n_opts, "line-col") > 1) {
        cli_error(cmd, "give one of --line, --line-rel or --line-col");
        return CLI_USAGE;
    }
    if ((v = cli_get(opts, n_opts, "line"))) {
        if (cli_double(cmd, "line", v, &dv)) return CLI_USAGE;
        if (!(dv > 0)) { cli_error(cmd, "--line: the poverty line must be positive, found `%s`", v); return CLI_USAGE; }
        c.mo.line = UPL_LINE_ABSOLUTE;
        c.mo.z = dv;
        snprintf(line_desc, sizeof line_desc, "absolute 绝对 %s", v);
        ctx.line_desc = line_desc;
    }
    if ((v = cli_get(opts, n_opts, "quantile"))) {
        if (!strcmp(v, "laeken")) c.mo.quantile_rule = UPL_QUANTILE_LAEKEN;
        else if (!strcmp(v, "eurostat")) c.mo.quantile_rule = UPL_QUANTILE_EUROSTAT;
        else { cli_error(cmd, "--quantile: expected laeken or eurostat, found `%s`", v); return CLI_USAGE; }
    }
    if ((v = cli_get(opts, n_opts, "line-rel"))) {
        if (cli_double(cmd, "line-rel", v, &dv)) return CLI_USAGE;
        if (!(dv > 0 && dv <= 10)) { cli_error(cmd, "--line-rel: expected a share of the median such as 0.6, found `%s`", v); return CLI_USAGE; }
        c.mo.line = UPL_LINE_RELATIVE;
        c.mo.rel_share = dv;
        c.mo.is_rel_by_group = cli_has(opts, n_opts, "rel-by-group");
        snprintf(line_desc, sizeof line_desc, "relative 相对: %s x weighted median 加权中位数%s (quantile rule %s)", v,
                 c.mo.is_rel_by_group ? " of each group 各组" : "",
                 c.mo.quantile_rule == UPL_QUANTILE_LAEKEN ? "laeken" : "eurostat");
        ctx.line_desc = line_desc;
    }
    if ((v = cli_get(opts, n_opts, "missing")) && parse_policy(cmd, "missing", v, "drop|error", &c.mo.missing)) return CLI_USAGE;
    if ((v = cli_get(opts, n_opts, "negative")) && parse_policy(cmd, "negative", v, "keep|drop|error", &c.mo.negative)) return CLI_USAGE;
    if ((v = cli_get(opts, n_opts, "nonpositive")) &&
        parse_policy(cmd, "nonpositive", v, "undefined|drop|error", &c.mo.nonpositive))
        return CLI_USAGE;
    c.mo.is_gap_capped = cli_has(opts, n_opts, "cap-gap");
    c.mo.is_gini_corrected = cli_has(opts, n_opts, "gini-corrected");
    c.mo.is_percent = cli_has(opts, n_opts, "percent");
    ctx.missing = c.mo.missing;
    ctx.negative = c.mo.negative;
    ctx.nonpositive = c.mo.nonpositive;
    const char *strata = cli_get(opts, n_opts, "strata"), *psu = cli_get(opts, n_opts, "psu"),
               *fpc = cli_get(opts, n_opts, "fpc");
    c.has_design = strata || psu || fpc;
    c.design.is_nested = !cli_has(opts, n_opts, "psu-not-nested");
    if ((v = cli_get(opts, n_opts, "lonely-psu")) && upl_lonely_psu_parse(v, &c.design.lonely)) {
        cli_error(cmd, "--lonely-psu: expected fail, remove, adjust or certainty, found `%s`", v);
        return CLI_USAGE;
    }
    if ((v = cli_get(opts, n_opts, "conf"))) {
        if (cli_double(cmd, "conf", v, &dv)) return CLI_USAGE;
        if (!(dv > 0 && dv < 1)) { cli_error(cmd, "--conf: expected a level in (0, 1) such as 0.95"); return CLI_USAGE; }
        c.design.conf_level = dv;
    }
    c.mo.n_boot = 200;
    if ((v = cli_get(opts, n_opts, "replicates"))) {
        if (cli_int(cmd, "replicates", v, 0, 100000, &ll)) return CLI_USAGE;
        if (ll == 1) { cli_error(cmd, "--replicates: use 0 (none) or at least 2"); return CLI_USAGE; }
        c.mo.n_boot = (int)ll;
    }
    if ((v = cli_get(opts, n_opts, "seed"))) {
        if (cli_int(cmd, "seed", v, 0, (long long)1 << 62, &ll)) return CLI_USAGE;
        c.mo.boot_seed = (uint64_t)ll;
    }
    if (cli_has(opts, n_opts, "profile") && cli_has(opts, n_opts, "mpi")) {
        cli_error(cmd, "--profile computes the profile's MPI; it cannot be combined with --mpi");
        return CLI_USAGE;
    }
    if (!cli_has(opts, n_opts, "mpi") && !cli_has(opts, n_opts, "profile") && !cli_has(opts, n_opts, "income")) {
        cli_error(cmd, "--income COL (or --mpi SPEC) is required; see `uplift measure --help`");
        return CLI_USAGE;
    }

    out_t o;
    memset(&o, 0, sizeof o);
    upl_table *t = NULL;
    upl_groupby *gb_keep = NULL;
    int64_t *sb = NULL, *pb = NULL;
    double *fb = NULL;
    static char design_desc[256];
    int rc = CLI_OK;
    upl_error err = {0};
    if (is_change && (cli_has(opts, n_opts, "mpi") || cli_has(opts, n_opts, "profile"))) {
        ctx.file = pos[0];
        static char note[512];
        snprintf(note, sizeof note, "MPI change 多维贫困变化: wave 1 = %s, wave 2 = %s", pos[0], pos[1]);
        ctx.extra = note;
        rc = run_mpi_change(&c, pos[0], pos[1], &o, &ctx);
    } else if (is_change) {
        ctx.file = pos[0];
        static char note[512];
        snprintf(note, sizeof note, "change 变化: wave 1 = %s, wave 2 = %s", pos[0], pos[1]);
        ctx.extra = note;
        rc = run_change(&c, pos[0], pos[1], &o, &ctx);
    } else {
        ctx.file = pos[0];
        if ((rc = read_file(cmd, pos[0], c.threads, &t, &ctx.n_rejected))) goto out;
        if (c.has_design) {
            if ((rc = upl_measure_table_design(t, strata, psu, fpc, &sb, &pb, &fb, &err))) {
                rc = cli_fail(cmd, rc, &err);
                if (rc == CLI_USAGE) rc = CLI_FAIL;
                goto out;
            }
            c.design.strata = sb;
            c.design.psu = pb;
            c.design.fpc = fb;
            c.mo.design = &c.design;
            snprintf(design_desc, sizeof design_desc, "strata=%s psu=%s fpc=%s lonely-psu=%s; linearization, %d bootstrap "
                     "replicates (Rao-Wu, seed %llu) for non-linear measures",
                     strata ? strata : "-", psu ? psu : "-", fpc ? fpc : "-",
                     c.design.lonely == UPL_LONELY_FAIL ? "fail" : c.design.lonely == UPL_LONELY_REMOVE ? "remove"
                     : c.design.lonely == UPL_LONELY_ADJUST ? "adjust" : "certainty",
                     c.mo.n_boot, (unsigned long long)c.mo.boot_seed);
            ctx.design_desc = design_desc;
        } else {
            c.mo.n_boot = 0;
        }
        if (cli_has(opts, n_opts, "profile")) {
            rc = run_profile_mpi(&c, t, &o, &ctx, &gb_keep);
        } else if (cli_has(opts, n_opts, "mpi")) {
            static char note[600];
            snprintf(note, sizeof note, "MPI 多维贫困: %s, k = %s", cli_get(opts, n_opts, "mpi"), cli_get(opts, n_opts, "k") ? cli_get(opts, n_opts, "k") : "?");
            ctx.extra = note;
            rc = run_mpi(&c, t, &o, &ctx, &gb_keep);
        } else {
            rc = run_measures(&c, t, &o, &ctx, &gb_keep);
        }
    }
    if (rc == CLI_OK) {
        const char *outp = cli_get(opts, n_opts, "output");
        FILE *f = cli_open_out(cmd, outp);
        if (!f) { rc = CLI_FAIL; goto out; }
        int wrc = !strcmp(fmt, "csv") ? write_csv(f, &o) : !strcmp(fmt, "json") ? write_json(f, &o, &ctx)
                                                                                  : write_table(f, &o, &ctx);
        int crc = cli_close_out(cmd, f, outp);
        rc = wrc ? wrc : crc;
        if (!strcmp(fmt, "csv")) {
            /* CSV keeps its fixed columns; the policies and undefined reasons go to stderr */
            size_t n_undef = 0;
            for (size_t i = 0; i < o.n; i++) n_undef += o.rows[i].undefined != NULL;
            if (n_undef) {
                for (size_t i = 0; i < o.n; i++) {
                    const orow *r = &o.rows[i];
                    if (!r->undefined) continue;
                    fprintf(stderr, "uplift measure: note: %s", r->measure);
                    for (size_t k = 0; k < o.n_by && r->group >= 0; k++)
                        fprintf(stderr, " %s=%s", o.by_names[k], by_label(&o, r->group, k));
                    fprintf(stderr, " undefined: %s\n", r->undefined);
                }
            }
        }
    }
out:
    upl_error_clear(&err);
    out_free(&o);
    upl_groupby_free(gb_keep);
    upl_table_free(t);
    upl_free(sb);
    upl_free(pb);
    upl_free(fb);
    return rc;
}
