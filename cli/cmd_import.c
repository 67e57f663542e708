/* cmd_import.c — `uplift import`: validate county exports and load them
 * into the registry, one transaction per file. */
#include <stdlib.h>
#include <string.h>
#include "cli_registry.h"

UPL_COMMAND(import, "validate and load household files into the registry (rejects file for bad rows)")

static const char usage[] =
    "usage: uplift import FILE... --db DB [--profile P] [--wave YEAR] [options]\n"
    "\n"
    "Validate and load county registry exports (CSV/TSV, Stata .dta, SPSS .sav; one row per person,\n"
    "household columns repeated) into the registry. Each file is one transaction: it is imported\n"
    "whole or not at all, and the same file (same SHA-256) is never imported twice.\n"
    "校验并导入建档立卡数据；每个文件一个事务，同一文件不会重复导入。\n"
    "\n"
    "A household whose member rows disagree with its declared size, that has zero or two heads, or\n"
    "whose ID numbers are invalid or damaged by a spreadsheet is quarantined whole; its rows go to\n"
    "the rejects file (FILE.rejects.csv) with line, field, code and message. Warnings (sex against\n"
    "the ID, implausible ages) go to FILE.warnings.csv. A person already registered in another\n"
    "household becomes a conflict record (`uplift case conflicts`).\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE
    "  --profile P          map Chinese/English headers to canonical names with profile P\n"
    "  --wave YEAR          the record year (else the record_year column)\n"
    "  --rejects PATH       rejects file (default FILE.rejects.csv; only with one FILE)\n"
    "  --no-legacy-15       refuse 15-digit ID numbers instead of converting them (flagged)\n"
    "  --sex-mismatch-error quarantine households whose sex disagrees with the ID (default: warning)\n"
    "  --today YYYYMMDD     reference date for future-date and age checks (default: today, UTC)\n"
    "\n"
    "exit status: 0 all rows imported; 1 some rows not imported (see rejects) or an error; 2 misuse\n";

int cmd_import(int argc, char **argv) {
    cli_opt opts[] = {
        CLI_REGISTRY_OPTS,
        { "profile", 0, true, NULL, false },
        { "wave", 0, true, NULL, false },
        { "rejects", 0, true, NULL, false },
        { "no-legacy-15", 0, false, NULL, false },
        { "sex-mismatch-error", 0, false, NULL, false },
        { "today", 0, true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *files[256];
    size_t n_files = 0;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    int rc = cli_parse("import", argc, argv, opts, n_opts, files, 256, &n_files);
    if (rc) return rc;
    if (n_files == 0) {
        cli_error("import", "no input files; see `uplift import --help`");
        return CLI_USAGE;
    }
    upl_import_options io;
    upl_import_options_init(&io);
    long long v;
    if (cli_get(opts, n_opts, "wave")) {
        if (cli_int("import", "wave", cli_get(opts, n_opts, "wave"), 1980, 2200, &v)) return CLI_USAGE;
        io.wave = (int)v;
    }
    if (cli_get(opts, n_opts, "today")) {
        if (cli_int("import", "today", cli_get(opts, n_opts, "today"), 19000101, 22001231, &v)) return CLI_USAGE;
        io.today = (int)v;
    }
    io.profile_path = cli_get(opts, n_opts, "profile");
    io.rejects_path = cli_get(opts, n_opts, "rejects");
    if (io.rejects_path && n_files > 1) {
        cli_error("import", "--rejects works with one input file only");
        return CLI_USAGE;
    }
    io.allow_legacy_15 = !cli_has(opts, n_opts, "no-legacy-15");
    io.sex_mismatch_is_error = cli_has(opts, n_opts, "sex-mismatch-error");
    cli_install_log("import", false);
    upl_registry *reg = NULL;
    rc = cli_registry_open("import", opts, n_opts, true, &reg);
    if (rc) return rc;
    int status = CLI_OK;
    for (size_t i = 0; i < n_files; i++) {
        upl_error err = {0};
        upl_import_summary sum;
        int r = upl_registry_import(reg, files[i], &io, &sum, &err);
        if (r) {
            status = cli_fail("import", r, &err);
            upl_error_clear(&err);
            fprintf(stderr, "uplift import: %s: nothing imported / 未导入\n", files[i]);
            break;
        }
        printf("%s:\n", files[i]);
        upl_import_summary_print(&sum, stdout);
        if (!sum.already_imported && sum.rows_quarantined) status = CLI_FAIL;
    }
    upl_registry_close(reg);
    return status;
}
