/* cmd_assess.c — `uplift assess`: exit assessment (退出评估). Household exit
 * eligibility, village and county exit checks against the profile's
 * thresholds (incidence < 2 %, < 3 % in the west, and the other criteria),
 * the seeded stratified sample of a third-party assessment (第三方评估), and
 * the wrong-exit / missed-identification / recognition rates with
 * confidence intervals and the verdict. The work is in lib/identify. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

UPL_COMMAND(assess, "exit checks for households, villages, counties; third-party assessment sample and rates")

static const char usage[] =
    "usage: uplift assess households FILE --profile P [--year Y] [-o OUT]\n"
    "       uplift assess village|county FILE --profile P [--year Y] [--metrics FILE] [-o OUT]\n"
    "       uplift assess sample FILE --profile P [--year Y] --seed S --villages N --households M\n"
    "                     [--stratum LEVEL] [--cluster LEVEL] -o OUT\n"
    "       uplift assess rates RESULTS --profile P [--conf 0.95] [--format text|csv]\n"
    "\n"
    "Exit assessment 退出评估 under a policy profile (FILE: one row per person, as for `uplift identify`).\n"
    "  households  each household's exit eligibility and the exit criteria it fails (户退出)\n"
    "  village     village exit checks: incidence below the threshold (2 %, 3 % in the west) and the\n"
    "  county      profile's other criteria; metrics not computable from FILE (wrong-exit rate ...)\n"
    "              come from --metrics (a CSV with the area column and one column per metric)\n"
    "  sample      seeded stratified two-stage sample for a third-party assessment (第三方评估抽样):\n"
    "              --villages N per stratum (default stratum county), --households M per village\n"
    "  rates       wrong-exit rate (错退率), missed-identification rate (漏评率) and recognition\n"
    "              (群众认可度) from an assessment-results file with columns exited, wrongly_exited,\n"
    "              registered, missed, approves (true/false or 是/否); Wilson and exact (Clopper-Pearson)\n"
    "              intervals, pass/fail against the profile, verdict (failing any one blocks exit)\n"
    "\n"
    "options:\n"
    "  --profile P     profile file or shipped name (china-2014-targeted ...)\n"
    "  --year Y        year (default: the data's single record_year)\n"
    "  -o, --out OUT   output .csv (default stdout), .json or .upl\n"
    "  --conf L        confidence level for rates (default 0.95)\n"
    "\n"
    "examples:\n"
    "  uplift assess county export.csv --profile china-2014-targeted --year 2019 --metrics rates.csv\n"
    "  uplift assess sample export.csv --profile china-2014-targeted --year 2019 --seed 42 --villages 10 --households 15 -o sample.csv\n";

static int write_table(const char *cmd, const upl_table *t, const char *path) {
    upl_error err = {0};
    int rc;
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && !strcmp(dot, ".upl")) {
        rc = upl_snapshot_write(t, path, &err);
    } else {
        FILE *f = cli_open_out(cmd, path);
        if (!f) return CLI_FAIL;
        rc = dot && !strcmp(dot, ".json") ? upl_write_json(t, f, &err) : upl_write_csv(t, f, &err);
        int crc = cli_close_out(cmd, f, path);
        if (!rc && crc) return crc;
    }
    return rc ? cli_fail(cmd, rc, &err) : CLI_OK;
}

static int read_mapped(const char *cmd, const upl_profile *p, const char *path, upl_table **t) {
    upl_error err = {0};
    upl_read_options ro;
    upl_read_options_init(&ro);
    int rc = upl_read_table(path, &ro, t, NULL, &err);
    if (rc) return cli_fail(cmd, rc, &err);
    rc = upl_profile_map_table(p, *t, NULL, &err);
    if (rc) return cli_fail(cmd, rc, &err);
    return CLI_OK;
}

static int data_year(const char *cmd, const upl_profile *p, const upl_table *t, const char *opt, int *year) {
    long long y = 0;
    if (opt) {
        if (cli_int(cmd, "year", opt, 1900, 2200, &y)) return CLI_USAGE;
        *year = (int)y;
        return CLI_OK;
    }
    upl_column *ry = upl_table_find(t, "record_year");
    double y0 = NAN, v;
    for (size_t r = 0; ry && r < ry->n_rows; r++) {
        if (!upl_col_get_f64(ry, r, &v)) continue;
        if (isnan(y0)) y0 = v;
        else if (v != y0) { y0 = NAN; break; }
    }
    if (isnan(y0)) {
        int first, last;
        upl_profile_years(p, &first, &last);
        cli_error(cmd, "give --year (the data has no single record_year; the profile covers %d-%d)", first, last);
        return CLI_USAGE;
    }
    *year = (int)y0;
    return CLI_OK;
}

static void print_rate(const char *name, const char *zh, const upl_rate_ci *r, double conf) {
    printf("%-22s %-8s ", name, zh);
    if (r->n == 0) { printf("no data\n"); return; }
    printf("%6.2f%%  (%llu/%llu)  Wilson %2.0f%% CI [%.2f%%, %.2f%%]  exact [%.2f%%, %.2f%%]", 100 * r->rate,
           (unsigned long long)r->x, (unsigned long long)r->n, 100 * conf, 100 * r->wilson_lo, 100 * r->wilson_hi,
           100 * r->exact_lo, 100 * r->exact_hi);
    if (!isnan(r->threshold))
        printf("  %s %.0f%%: %s", r->is_max ? "<" : ">=", 100 * r->threshold,
               r->pass == 1 ? "pass 通过" : r->pass == 0 ? "FAIL 未通过" : "undetermined");
    putchar('\n');
}

int cmd_assess(int argc, char **argv) {
    static const char *cmd = "assess";
    cli_opt opts[] = {
        {"profile", 0, true, NULL, false}, {"year", 0, true, NULL, false}, {"out", 'o', true, NULL, false},
        {"metrics", 0, true, NULL, false}, {"seed", 0, true, NULL, false}, {"villages", 0, true, NULL, false},
        {"households", 0, true, NULL, false}, {"stratum", 0, true, NULL, false}, {"cluster", 0, true, NULL, false},
        {"conf", 0, true, NULL, false}, {"format", 0, true, NULL, false},
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[3];
    size_t n_pos = 0;
    int rc = CLI_OK;
    upl_profile *prof = NULL;
    upl_table *t = NULL, *out = NULL, *metrics = NULL;
    upl_identify *res = NULL;
    upl_error err = {0};

    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    if (cli_parse(cmd, argc, argv, opts, n_opts, pos, 3, &n_pos)) return CLI_USAGE;
    if (n_pos != 2) { cli_error(cmd, "expected an action and a file"); return cli_usage(usage, false); }
    const char *action = pos[0], *file = pos[1];
    bool is_known = !strcmp(action, "households") || !strcmp(action, "village") || !strcmp(action, "county") ||
                    !strcmp(action, "sample") || !strcmp(action, "rates");
    if (!is_known) { cli_error(cmd, "unknown action `%s` (households, village, county, sample, rates)", action); return CLI_USAGE; }
    const char *pname = cli_get(opts, n_opts, "profile");
    if (!pname) { cli_error(cmd, "--profile is required"); return CLI_USAGE; }
    double conf = 0.95;
    const char *v;
    if ((v = cli_get(opts, n_opts, "conf"))) {
        if (cli_double(cmd, "conf", v, &conf)) return CLI_USAGE;
        if (!(conf > 0 && conf < 1)) { cli_error(cmd, "--conf must lie between 0 and 1"); return CLI_USAGE; }
    }
    upl_assess_sample_options so = {0};
    if (!strcmp(action, "sample")) {
        long long x;
        if (!cli_has(opts, n_opts, "villages") || !cli_has(opts, n_opts, "households")) {
            cli_error(cmd, "sample needs --villages N and --households M");
            return CLI_USAGE;
        }
        if (cli_int(cmd, "villages", cli_get(opts, n_opts, "villages"), 1, 1000000, &x)) return CLI_USAGE;
        so.n_villages = (size_t)x;
        if (cli_int(cmd, "households", cli_get(opts, n_opts, "households"), 1, 1000000, &x)) return CLI_USAGE;
        so.n_households = (size_t)x;
        if ((v = cli_get(opts, n_opts, "seed"))) {
            if (cli_int(cmd, "seed", v, 0, INT64_MAX, &x)) return CLI_USAGE;
            so.seed = (uint64_t)x;
        } else {
            cli_error(cmd, "sample needs --seed S (the sample must be reproducible)");
            return CLI_USAGE;
        }
        so.stratum = cli_get(opts, n_opts, "stratum");
        so.cluster = cli_get(opts, n_opts, "cluster");
    }

    if ((rc = upl_profile_load_named(pname, &prof, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }

    if (!strcmp(action, "rates")) {
        upl_read_options ro;
        upl_read_options_init(&ro);
        if ((rc = upl_read_table(file, &ro, &t, NULL, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        upl_assess_rates r;
        if ((rc = upl_assess_compute_rates(prof, t, conf, &r, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        const char *fmt = cli_get(opts, n_opts, "format");
        if (fmt && !strcmp(fmt, "csv")) {
            printf("rate,x,n,value,wilson_lo,wilson_hi,exact_lo,exact_hi,threshold,pass\n");
            const upl_rate_ci *all[3] = {&r.wrong_exit, &r.missed, &r.recognition};
            const char *names[3] = {"wrong_exit_rate", "missed_rate", "recognition_rate"};
            for (int i = 0; i < 3; i++)
                printf("%s,%llu,%llu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n", names[i], (unsigned long long)all[i]->x,
                       (unsigned long long)all[i]->n, all[i]->rate, all[i]->wilson_lo, all[i]->wilson_hi, all[i]->exact_lo,
                       all[i]->exact_hi, all[i]->threshold, all[i]->pass == 1 ? "true" : all[i]->pass == 0 ? "false" : "");
            printf("verdict,,,,,,,,,%s\n", r.verdict == 1 ? "true" : r.verdict == 0 ? "false" : "");
        } else {
            printf("third-party assessment 第三方评估 — profile %s %s\n", upl_profile_name(prof), upl_profile_version(prof));
            print_rate("wrong-exit rate", "错退率", &r.wrong_exit, conf);
            print_rate("missed-identification", "漏评率", &r.missed, conf);
            print_rate("recognition rate", "群众认可度", &r.recognition, conf);
            printf("verdict 结论: %s\n", r.verdict == 1 ? "pass 通过" : r.verdict == 0 ? "FAIL 未通过 (failing any one blocks exit)"
                                                                          : "undetermined (a rate has no data or no threshold)");
        }
        rc = CLI_OK;
        goto done;
    }

    if ((rc = read_mapped(cmd, prof, file, &t))) goto done;
    int year = 0;
    if ((rc = data_year(cmd, prof, t, cli_get(opts, n_opts, "year"), &year))) goto done;
    upl_identify_options io;
    upl_identify_options_init(&io);
    io.year = year;
    io.has_evidence = strcmp(action, "households") != 0;
    if ((rc = upl_identify_run(prof, t, &io, &res, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }

    if (!strcmp(action, "households")) {
        upl_table *dec = NULL;
        if ((rc = upl_identify_households(res, &dec, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        /* keep the key, area, income, line, exit columns and one column per exit rule */
        out = upl_table_new();
        const upl_eval *ev = upl_identify_eval(res);
        const char *const *levels;
        size_t nl = upl_profile_area_levels(prof, &levels);
        const char *keep[64];
        size_t nk = 0;
        keep[nk++] = upl_profile_household_key(prof);
        for (size_t l = 0; l < nl && nk < 40; l++) keep[nk++] = levels[l];
        const char *tail[] = {"n_members", "income_pc", "line", "poor", "exit_eligible", "exit_failed", "year",
                              "profile", "profile_version", "profile_sha256"};
        for (size_t i = 0; i < sizeof tail / sizeof *tail; i++) keep[nk++] = tail[i];
        for (size_t i = 0; i < nk && !rc; i++) {
            upl_column *c = upl_table_find(dec, keep[i]);
            if (c) rc = upl_table_copy_column(out, c, NULL, &err);
        }
        for (size_t i = 0; i < upl_eval_n_exit_rules(ev) && !rc; i++) {
            upl_column *c;
            char name[256];
            snprintf(name, sizeof name, "exit_%s", upl_eval_exit_rule_id(ev, i));
            rc = upl_table_add_column(out, name, UPL_BOOL, &c, &err);
            const uint8_t *x = upl_eval_exit_rule(ev, i);
            for (size_t g = 0; g < upl_eval_n_households(ev) && !rc; g++)
                rc = x[g] == 2 ? upl_col_push_null(c) : upl_col_push_bool(c, x[g] == 1);
        }
        upl_table_free(dec);
        if (rc) { rc = cli_fail(cmd, rc, &err); goto done; }
    } else if (!strcmp(action, "village") || !strcmp(action, "county")) {
        if ((v = cli_get(opts, n_opts, "metrics"))) {
            upl_read_options ro;
            upl_read_options_init(&ro);
            if ((rc = upl_read_table(v, &ro, &metrics, NULL, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        }
        if ((rc = upl_identify_area_exit(res, action, metrics, &out, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    } else {
        if ((rc = upl_assess_sample(res, &so, &out, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    }
    rc = write_table(cmd, out, cli_get(opts, n_opts, "out"));
done:
    upl_identify_free(res);
    upl_table_free(out);
    upl_table_free(metrics);
    upl_table_free(t);
    upl_profile_free(prof);
    upl_error_clear(&err);
    return rc;
}
