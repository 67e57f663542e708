/* cmd_assist.c — `uplift assist`: assistance measures per household, plans,
 * and the coverage report (causes without a matching measure). */
#include <stdlib.h>
#include <string.h>
#include "cli_registry.h"

UPL_COMMAND(assist, "assistance measures and plans per household; coverage of poverty causes")

static const char usage[] =
    "usage: uplift assist add --household CODE --wave YEAR --kind KIND --date YYYY-MM-DD\n"
    "                         [--amount YUAN] [--cadre NAME] [--note TEXT] [--plan] --db DB\n"
    "       uplift assist list --wave YEAR [--format csv] --db DB\n"
    "       uplift assist coverage --wave YEAR [--format csv] --db DB\n"
    "       uplift assist kinds\n"
    "\n"
    "Record measures (帮扶措施) given to a household: kind (the measure families of the five\n"
    "batches 五个一批), amount in yuan, date and responsible cadre; --plan records a planned\n"
    "measure. `coverage` lists households of the wave (not exited) whose main or other poverty\n"
    "causes have no matching delivered measure, with the kinds that would answer each cause.\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE;

int cmd_assist(int argc, char **argv) {
    cli_opt opts[] = {
        CLI_REGISTRY_OPTS,
        { "household", 0, true, NULL, false },
        { "wave", 0, true, NULL, false },
        { "kind", 0, true, NULL, false },
        { "date", 0, true, NULL, false },
        { "amount", 0, true, NULL, false },
        { "cadre", 0, true, NULL, false },
        { "note", 0, true, NULL, false },
        { "plan", 0, false, NULL, false },
        { "format", 0, true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[2];
    size_t n_pos = 0;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    int rc = cli_parse("assist", argc, argv, opts, n_opts, pos, 2, &n_pos);
    if (rc) return rc;
    const char *sub = n_pos == 1 ? pos[0] : "";
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "coverage") && strcmp(sub, "kinds")) {
        cli_error("assist", "expected add, list, coverage or kinds; see `uplift assist --help`");
        return CLI_USAGE;
    }
    if (!strcmp(sub, "kinds")) {
        for (const char *const *k = upl_assist_kinds(); *k; k++) printf("%s\n", *k);
        return CLI_OK;
    }
    long long wave = 0;
    int64_t fen = -1;
    if (!cli_get(opts, n_opts, "wave")) {
        cli_error("assist", "--wave YEAR is required");
        return CLI_USAGE;
    }
    if (cli_int("assist", "wave", cli_get(opts, n_opts, "wave"), 1980, 2200, &wave)) return CLI_USAGE;
    if (!strcmp(sub, "add")) {
        if (!cli_get(opts, n_opts, "household") || !cli_get(opts, n_opts, "kind") || !cli_get(opts, n_opts, "date")) {
            cli_error("assist", "`assist add` needs --household, --kind and --date");
            return CLI_USAGE;
        }
        const char *a = cli_get(opts, n_opts, "amount");
        int mr = a ? upl_money_parse_fen(a, &fen) : UPL_OK;
        if (mr) {
            cli_error("assist", "--amount: expected yuan with at most 2 decimals and no separators (e.g. 1200.50), "
                                "found `%s`%s", a, mr == UPL_ERANGE ? " (too large)" : "");
            return CLI_USAGE;
        }
    }
    const char *fmt = cli_get(opts, n_opts, "format");
    upl_registry *reg = NULL;
    rc = cli_registry_open("assist", opts, n_opts, false, &reg);
    if (rc) return rc;
    upl_error err = {0};
    upl_table *t = NULL;
    int r;
    if (!strcmp(sub, "add")) {
        upl_measure m = { cli_get(opts, n_opts, "household"), (int)wave, cli_get(opts, n_opts, "kind"), fen,
                          cli_get(opts, n_opts, "date"), cli_get(opts, n_opts, "cadre"), cli_get(opts, n_opts, "note"),
                          cli_has(opts, n_opts, "plan") };
        int64_t id = 0;
        r = upl_assist_add(reg, &m, &id, &err);
        if (!r) printf("measure %lld recorded for household %s / 已记录帮扶措施\n", (long long)id, m.household_code);
    } else {
        r = !strcmp(sub, "list") ? upl_assist_list(reg, (int)wave, &t, &err) : upl_assist_coverage(reg, (int)wave, &t, &err);
        if (!r) {
            cli_print_table("assist", t, fmt && !strcmp(fmt, "csv"), stdout);
            if (!strcmp(sub, "coverage") && !(fmt && !strcmp(fmt, "csv")))
                printf("%zu cause(s) without a matching measure / 无对应措施的致贫原因\n", upl_table_n_rows(t));
        }
    }
    int status = r ? cli_fail("assist", r, &err) : CLI_OK;
    upl_table_free(t);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}
