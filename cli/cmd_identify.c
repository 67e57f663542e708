/* cmd_identify.c — `uplift identify FILE --profile P`: apply a policy
 * profile to a registry export (one row per person, household columns
 * repeated) and write one decision row per household: income against the
 * line, every criterion with its evidence, score, poor, category, causes,
 * exit eligibility, and the profile name/version/SHA-256 on every row.
 * Prints a summary by area level. The work is in lib/identify and
 * lib/profile; this file reads arguments, files and prints. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

UPL_COMMAND(identify, "apply a policy profile: who is poor, in which criteria, for which causes")

static const char usage[] =
    "usage: uplift identify (FILE | --db DB) --profile P [--year Y] [-o OUT] [--summary-by LEVEL] [options]\n"
    "\n"
    "Identify poor households (精准识别) in a registry export: one row per person with the household\n"
    "columns repeated (CSV/TSV, .dta, .sav or .upl); rows are grouped by the household code. Headers are\n"
    "matched to canonical fields through the profile's column mapping (Chinese or English, full- or\n"
    "half-width, with or without a unit such as （元）).\n"
    "按政策配置识别贫困户：逐户给出收入与各项标准的判定、依据（哪条规则、哪位成员、什么值）、致贫原因与类别。\n"
    "\n"
    "options:\n"
    "  --profile P        profile file, or a shipped profile name: china-2014-targeted,\n"
    "                     china-2021-monitoring, global-mpi-2018\n"
    "  --year Y           identification year (poverty line, age reference date); default: the data's\n"
    "                     record_year when it has one value\n"
    "  -o, --out OUT      decisions, one row per household: .csv (default stdout), .json or .upl\n"
    "  --summary-by LEVEL summary by area level (province, city, county, township, village, all);\n"
    "                     default all\n"
    "  --summary-out FILE write the summary as CSV instead of printing it\n"
    "  --public           mask sensitive fields (ID, phone, health...) in the evidence columns\n"
    "  --no-evidence      leave out the <criterion>_member and _evidence columns\n"
    "  --encoding E       input text encoding (default auto: UTF-8, else GB18030)\n"
    "  --threads N        reader and evaluation threads (default: all cores for reading, 1 for\n"
    "                     evaluation); results are identical for any N\n"
    "  --households FILE  household table to join onto FILE's member rows by household code (for\n"
    "                     sources that keep households and members apart, e.g. `uplift synth` output)\n"
    "  --db DB            read the --year wave from the registry instead of a file (SQLite path or\n"
    "                     postgresql:// URI; money in yuan, IDs masked, within the account's scope)\n"
    "\n"
    "output columns: household_code, area levels, n_members, income_pc, line, income_poor, per criterion\n"
    "<id>, <id>_member, <id>_evidence; score, score_exact, poor, category, category_zh, main_cause,\n"
    "main_cause_code, secondary_causes, exit_eligible, exit_failed, year, profile, profile_version,\n"
    "profile_sha256. A blank logical value means unknown (missing data; docs/expressions.md).\n"
    "\n"
    "example:\n"
    "  uplift identify export.csv --profile china-2014-targeted --year 2016 -o decisions.csv --summary-by county\n";

static int write_table(const char *cmd, const upl_table *t, const char *path) {
    upl_error err = {0};
    int rc;
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && !strcmp(dot, ".upl")) {
        rc = upl_snapshot_write(t, path, &err);
    } else if (dot && !strcmp(dot, ".json")) {
        FILE *f = cli_open_out(cmd, path);
        if (!f) return CLI_FAIL;
        rc = upl_write_json(t, f, &err);
        int crc = cli_close_out(cmd, f, path);
        if (!rc && crc) return crc;
    } else {
        FILE *f = cli_open_out(cmd, path);
        if (!f) return CLI_FAIL;
        rc = upl_write_csv(t, f, &err);
        int crc = cli_close_out(cmd, f, path);
        if (!rc && crc) return crc;
    }
    if (rc) return cli_fail(cmd, rc, &err);
    return CLI_OK;
}

static void print_summary(FILE *f, const upl_profile *p, const upl_table *s, int year) {
    size_t nc = upl_table_n_cols(s), nr = upl_table_n_rows(s);
    size_t first_val = 0;
    while (first_val < nc && strcmp(upl_table_column(s, first_val)->name, "households")) first_val++;
    fprintf(f, "profile %s %s (sha256 %.12s…), year %d\n", upl_profile_name(p), upl_profile_version(p),
            upl_profile_sha256(p), year);
    fprintf(f, "%-28s %10s %10s %10s %10s %9s", "area 地区", "households", "persons", "poor hh", "poor pers", "incid.%");
    fprintf(f, "  criteria failed (households) 未达标户数\n");
    char *buf = NULL;
    size_t cap = 0, len;
    for (size_t r = 0; r < nr; r++) {
        char area[256] = "";
        for (size_t k = 0; k < first_val; k++) {
            if (upl_col_format(upl_table_column(s, k), r, &buf, &cap, &len)) {
                if (area[0]) strncat(area, "/", sizeof area - strlen(area) - 1);
                strncat(area, buf, sizeof area - strlen(area) - 1);
            }
        }
        if (!first_val) snprintf(area, sizeof area, "total 合计");
        double v[5] = {0};
        const char *names[] = {"households", "persons", "poor_households", "poor_persons", "incidence"};
        for (int k = 0; k < 5; k++) {
            upl_column *c = upl_table_find(s, names[k]);
            if (!c || !upl_col_get_f64(c, r, &v[k])) v[k] = NAN;
        }
        fprintf(f, "%-28s %10.0f %10.0f %10.0f %10.0f %9.2f ", area, v[0], v[1], v[2], v[3], 100 * v[4]);
        for (size_t c = 0; c < nc; c++) {
            const upl_column *col = upl_table_column(s, c);
            if (strncmp(col->name, "failed_", 7)) continue;
            double x;
            if (upl_col_get_f64(col, r, &x)) fprintf(f, " %s=%.0f", col->name + 7, x);
        }
        fputc('\n', f);
        if (r == nr - 1 || nr == 1) {
            /* cause distribution of the last row (the total when no level is given) */
            bool any = false;
            for (size_t c = 0; c < nc; c++) {
                const upl_column *col = upl_table_column(s, c);
                double x;
                if (strncmp(col->name, "cause_", 6) || !upl_col_get_f64(col, r, &x) || x == 0) continue;
                if (!any) fprintf(f, "%-28s", nr == 1 ? "  main causes 主要致贫原因:" : "  main causes (last row):");
                const char *lab = strchr(col->name + 6, '_');
                fprintf(f, " %s %.0f", lab ? lab + 1 : col->name, x);
                any = true;
            }
            if (any) fputc('\n', f);
        }
    }
    free(buf);
}

int cmd_identify(int argc, char **argv) {
    static const char *cmd = "identify";
    cli_opt opts[] = {
        {"profile", 0, true, NULL, false}, {"year", 0, true, NULL, false}, {"out", 'o', true, NULL, false},
        {"summary-by", 0, true, NULL, false}, {"summary-out", 0, true, NULL, false}, {"public", 0, false, NULL, false},
        {"no-evidence", 0, false, NULL, false}, {"encoding", 0, true, NULL, false}, {"threads", 0, true, NULL, false},
        {"db", 0, true, NULL, false}, {"verbose", 'v', false, NULL, false}, {"households", 0, true, NULL, false},
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[2];
    size_t n_pos = 0;
    int rc = CLI_OK;
    upl_profile *prof = NULL;
    upl_table *t = NULL, *dec = NULL, *sum = NULL;
    upl_identify *res = NULL;
    upl_error err = {0};
    upl_profile_map_report rep = {0};

    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    if (cli_parse(cmd, argc, argv, opts, n_opts, pos, 2, &n_pos)) return CLI_USAGE;
    cli_install_log(cmd, cli_has(opts, n_opts, "verbose"));
    const char *db = cli_get(opts, n_opts, "db");
    if (db && n_pos != 0) { cli_error(cmd, "give either an input file or --db, not both"); return CLI_USAGE; }
    if (db && !cli_has(opts, n_opts, "year")) { cli_error(cmd, "--db needs --year (the registry wave)"); return CLI_USAGE; }
    if (db && cli_has(opts, n_opts, "households")) { cli_error(cmd, "--households applies to a file, not to --db"); return CLI_USAGE; }
    if (!db && n_pos != 1) { cli_error(cmd, "expected one input file (or --db DB)"); return cli_usage(usage, false); }
    const char *pname = cli_get(opts, n_opts, "profile");
    if (!pname) { cli_error(cmd, "--profile is required (e.g. --profile china-2014-targeted)"); return CLI_USAGE; }
    long long year = 0, threads = 0;
    const char *v;
    if ((v = cli_get(opts, n_opts, "year")) && cli_int(cmd, "year", v, 1900, 2200, &year)) return CLI_USAGE;
    if ((v = cli_get(opts, n_opts, "threads")) && cli_int(cmd, "threads", v, 1, 256, &threads)) return CLI_USAGE;

    if ((rc = upl_profile_load_named(pname, &prof, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }

    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.encoding = cli_get(opts, n_opts, "encoding");
    ro.n_threads = (int)threads;
    if (db) {
        /* the wave as the registry holds it, within the acting account's scope */
        upl_registry *reg = NULL;
        upl_registry_options rgo;
        upl_registry_options_init(&rgo);
        if ((rc = upl_registry_open(db, &rgo, &reg, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        rc = upl_registry_wave_table(reg, (int)year, NULL, &t, &err);
        upl_registry_close(reg);
        if (rc) { rc = cli_fail(cmd, rc, &err); goto done; }
        if (upl_table_n_rows(t) == 0) {
            cli_error(cmd, "%s holds no members for wave %lld in your scope (import the wave with `uplift import --wave`)",
                      db, year);
            rc = CLI_FAIL;
            goto done;
        }
    } else if ((rc = upl_read_table(pos[0], &ro, &t, NULL, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    if ((v = cli_get(opts, n_opts, "households"))) {
        upl_table *h = NULL;
        size_t unmatched = 0;
        upl_profile_map_report hrep = {0};
        if ((rc = upl_read_table(v, &ro, &h, NULL, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
        /* map both tables first so the key has its canonical name in each */
        int hrc = upl_profile_map_table(prof, h, &hrep, &err);
        upl_profile_map_report_free(&hrep);
        if (hrc && hrc != UPL_ESCHEMA) { upl_table_free(h); rc = cli_fail(cmd, hrc, &err); goto done; }
        upl_error_clear(&err);
        upl_profile_map_report prep = {0};
        int prc = upl_profile_map_table(prof, t, &prep, &err);
        upl_profile_map_report_free(&prep);
        if (prc && prc != UPL_ESCHEMA) { upl_table_free(h); rc = cli_fail(cmd, prc, &err); goto done; }
        upl_error_clear(&err);
        rc = upl_identify_join(t, h, upl_profile_household_key(prof), &unmatched, &err);
        upl_table_free(h);
        if (rc) { rc = cli_fail(cmd, rc, &err); goto done; }
        if (unmatched) fprintf(stderr, "uplift identify: warning: %zu member rows have no household in %s\n", unmatched, v);
    }
    int mrc = upl_profile_map_table(prof, t, &rep, &err);
    if (cli_has(opts, n_opts, "verbose") || mrc) {
        fprintf(stderr, "uplift identify: column mapping: %zu renamed, %zu kept as they are", rep.n_mapped, rep.n_unmapped);
        for (size_t i = 0; i < rep.n_mapped && i < 40; i++) fprintf(stderr, "%s%s → %s", i ? ", " : " (", rep.mapped_from[i], rep.mapped_to[i]);
        fprintf(stderr, "%s\n", rep.n_mapped ? ")" : "");
    }
    if (rep.n_duplicates)
        for (size_t i = 0; i < rep.n_duplicates; i++)
            fprintf(stderr, "uplift identify: warning: column `%s` maps to a field already taken; left as it is\n", rep.duplicates[i]);
    if (mrc) { rc = cli_fail(cmd, mrc, &err); goto done; }

    if (!year) {
        upl_column *ry = upl_table_find(t, "record_year");
        double y0 = NAN, y;
        bool uniform = ry != NULL;
        for (size_t r = 0; ry && r < ry->n_rows; r++) {
            if (!upl_col_get_f64(ry, r, &y)) continue;
            if (isnan(y0)) y0 = y;
            else if (y != y0) { uniform = false; break; }
        }
        if (uniform && !isnan(y0)) year = (long long)y0;
        else {
            int first, last;
            upl_profile_years(prof, &first, &last);
            cli_error(cmd, "give --year (the data has no single record_year; the profile covers %d-%d)", first, last);
            rc = CLI_USAGE;
            goto done;
        }
    }
    upl_identify_options io;
    upl_identify_options_init(&io);
    io.year = (int)year;
    io.n_threads = (int)threads;
    io.is_public = cli_has(opts, n_opts, "public");
    io.has_evidence = !cli_has(opts, n_opts, "no-evidence");
    if ((rc = upl_identify_run(prof, t, &io, &res, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    const upl_eval *ev = upl_identify_eval(res);
    const char *const *absent;
    size_t n_absent = upl_eval_absent_fields(ev, &absent);
    if (n_absent) {
        fprintf(stderr, "uplift identify: note: fields used by the rules but absent from the data (read as missing):");
        for (size_t i = 0; i < n_absent; i++) fprintf(stderr, " %s", absent[i]);
        fputc('\n', stderr);
    }
    if (upl_eval_n_rows_without_key(ev))
        fprintf(stderr, "uplift identify: warning: %zu rows have no household code and were not evaluated\n",
                upl_eval_n_rows_without_key(ev));
    if (upl_eval_n_inconsistent(ev))
        fprintf(stderr, "uplift identify: warning: %zu households have household fields that differ between member "
                        "rows (the first row's values were used)\n", upl_eval_n_inconsistent(ev));
    if ((rc = upl_identify_households(res, &dec, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    const char *out = cli_get(opts, n_opts, "out");
    if ((rc = write_table(cmd, dec, out))) goto done;
    const char *level = cli_get(opts, n_opts, "summary-by");
    const char *sum_out = cli_get(opts, n_opts, "summary-out");
    if ((rc = upl_identify_summary(res, level ? level : "all", &sum, &err))) { rc = cli_fail(cmd, rc, &err); goto done; }
    if (sum_out) rc = write_table(cmd, sum, sum_out);
    else print_summary(out && strcmp(out, "-") ? stdout : stderr, prof, sum, (int)year);
done:
    upl_profile_map_report_free(&rep);
    upl_identify_free(res);
    upl_table_free(dec);
    upl_table_free(sum);
    upl_table_free(t);
    upl_profile_free(prof);
    upl_error_clear(&err);
    return rc;
}
