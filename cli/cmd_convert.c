/* cmd_convert.c — `uplift convert IN OUT`: read any supported file (CSV/TSV,
 * Stata, SPSS, .upl) with the strict reader and write it as an uplift
 * snapshot (.upl, so later analysis never parses text again), CSV or JSON.
 * Rejected rows go to a rejects file (default OUT.rejects.csv); the summary
 * says how many rows were read, loaded and rejected, per reason. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

UPL_COMMAND(convert, "convert CSV/DTA/SAV/UPL to .upl snapshot, CSV or JSON, with a rejects file")

static const char usage[] =
    "usage: uplift convert IN OUT [options]\n"
    "\n"
    "Read IN (CSV/TSV, Stata .dta, SPSS .sav, uplift .upl) and write OUT as an uplift\n"
    "snapshot (.upl), CSV (.csv) or JSON (.json), chosen by OUT's extension or --to.\n"
    "Rows that cannot be loaded go to the rejects file with line, column and reason.\n"
    "转换数据文件；无法载入的行写入拒收文件（含行号、列与原因）。\n"
    "\n"
    "options:\n"
    "  --to F            upl, csv or json (default: from OUT's extension)\n"
    "  --encoding E      text encoding (default auto: strict UTF-8, else GB18030)\n"
    "  --delimiter C     , ; | or tab (default: sniffed from the header)\n"
    "  --schema SPEC     name:type[:required|notnull|id],...  or @file (types f64 i64 bool cat str id)\n"
    "  --strict-schema   load only the columns named in --schema\n"
    "  --missing LIST    extra tokens meaning missing, comma-separated (e.g. NA,-99)\n"
    "  --rejects FILE    rejects file (default: OUT.rejects.csv, written when rows are rejected)\n"
    "  --threads N       parser threads (default: all cores)\n"
    "  -q, --quiet       no summary on stderr\n"
    "\n"
    "examples:\n"
    "  uplift convert households.csv households.upl\n"
    "  uplift convert old.dta old.csv --encoding gbk\n"
    "  uplift convert members.csv members.upl --schema id_number:id:required,age:i64\n";



static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int cmd_convert(int argc, char **argv) {
    const char *cmd = "convert";
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    cli_opt opts[] = {
        { "encoding", 0, true, NULL, false }, { "delimiter", 0, true, NULL, false },
        { "schema", 0, true, NULL, false }, { "strict-schema", 0, false, NULL, false },
        { "missing", 0, true, NULL, false }, { "rejects", 0, true, NULL, false },
        { "threads", 0, true, NULL, false }, { "to", 0, true, NULL, false },
        { "quiet", 'q', false, NULL, false }, { "verbose", 'v', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof *opts;
    const char *pos[2];
    size_t n_pos = 0;
    if (cli_parse(cmd, argc, argv, opts, n_opts, pos, 2, &n_pos)) return CLI_USAGE;
    if (n_pos != 2) { cli_error(cmd, "expected IN and OUT; see `uplift convert --help`"); return CLI_USAGE; }
    const char *in = pos[0], *outp = pos[1];
    const char *to = cli_get(opts, n_opts, "to");
    if (!to) {
        if (ends_with(outp, ".upl")) to = "upl";
        else if (ends_with(outp, ".csv")) to = "csv";
        else if (ends_with(outp, ".json")) to = "json";
        else { cli_error(cmd, "cannot tell the output format from `%s`; use --to upl|csv|json", outp); return CLI_USAGE; }
    }
    if (strcmp(to, "upl") && strcmp(to, "csv") && strcmp(to, "json")) {
        cli_error(cmd, "--to: expected upl, csv or json, found `%s`", to);
        return CLI_USAGE;
    }
    if (!strcmp(in, outp)) { cli_error(cmd, "IN and OUT are the same file"); return CLI_USAGE; }
    cli_install_log(cmd, cli_has(opts, n_opts, "verbose"));
    cli_read_opts r;
    memset(&r, 0, sizeof r);
    int rc = cli_read_opts_parse(cmd, opts, n_opts, &r);
    if (rc) { cli_read_opts_free(&r); return rc; }
    char *rej_default = NULL;
    const char *rej = cli_get(opts, n_opts, "rejects");
    if (!rej) {
        rej_default = malloc(strlen(outp) + 16);
        if (!rej_default) { cli_read_opts_free(&r); cli_error(cmd, "out of memory"); return CLI_FAIL; }
        sprintf(rej_default, "%s.rejects.csv", outp);
        remove(rej_default);   /* never leave a stale rejects file from an earlier run */
        r.o.rejects_path = NULL;
    } else {
        r.o.rejects_path = rej;
    }
    upl_error err = { 0 };
    upl_table *t = NULL;
    upl_read_summary s;
    /* The library's default rejects path is next to the input; the CLI's is next to the output. */
    if (!rej) r.o.rejects_path = rej_default;
    upl_read_options o = r.o;
    int lrc = upl_read_table(in, &o, &t, &s, &err);
    if (!lrc) {
        if (!strcmp(to, "upl")) lrc = upl_snapshot_write(t, outp, &err);
        else if (!strcmp(to, "csv")) lrc = upl_write_csv_path(t, outp, &err);
        else {
            FILE *f = cli_open_out(cmd, outp);
            if (!f) lrc = UPL_EIO;
            else {
                lrc = upl_write_json(t, f, &err);
                if (cli_close_out(cmd, f, outp) && !lrc) lrc = UPL_EIO;
            }
        }
    }
    if (lrc) {
        rc = cli_fail(cmd, lrc, &err);
    } else {
        if (!cli_has(opts, n_opts, "quiet")) {
            upl_read_summary_print(&s, stderr);
            fprintf(stderr, "wrote 写入: %s (%zu rows, %zu columns)\n", outp, upl_table_n_rows(t), upl_table_n_cols(t));
        }
        if (s.rows_rejected)
            fprintf(stderr, "uplift convert: %llu rows rejected; see %s (%llu 行被拒收，详见拒收文件)\n",
                    (unsigned long long)s.rows_rejected, rej ? rej : rej_default, (unsigned long long)s.rows_rejected);
        else if (rej_default) remove(rej_default);
        rc = CLI_OK;
    }
    upl_error_clear(&err);
    upl_table_free(t);
    free(rej_default);
    cli_read_opts_free(&r);
    return rc;
}
