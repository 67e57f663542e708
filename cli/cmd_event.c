/* cmd_event.c — `uplift event`: shocks to a household (illness, disaster,
 * accident, job loss, …) that the monitoring of return to poverty
 * (防返贫监测) follows up: record one, list them, print the kinds. */
#include <stdlib.h>
#include <string.h>
#include "cli_registry.h"

UPL_COMMAND(event, "shocks to households (illness, disaster, accident, job loss): add, list")

static const char usage[] =
    "usage: uplift event add --household CODE --kind KIND --date YYYY-MM-DD [--loss YUAN] [--note TEXT] --db DB\n"
    "       uplift event list [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--household CODE] [--kind KIND]\n"
    "                         [--area PREFIX] [--format csv] --db DB\n"
    "       uplift event kinds\n"
    "\n"
    "Record a shock (风险事件) to a household in your scope: its kind, the date it happened (not in\n"
    "the future) and, when known, the loss in yuan (at most two decimals, stored exactly in fen).\n"
    "Kinds follow the 2021+ risk types (致贫/返贫风险): illness 因病, disability 因残, schooling 因学,\n"
    "disaster 因自然灾害, accident 因意外事故, business_failure 因产业项目失败, job_loss\n"
    "因务工就业不稳, price 价格波动, other 其他 — the Chinese labels are accepted too. Clerk role;\n"
    "audited. `list` shows events in your scope ordered by date, with the loss in fen and yuan.\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE
    "  --household CODE     the household (户编号)\n"
    "  --kind KIND          see above, or `uplift event kinds`\n"
    "  --date YYYY-MM-DD    when it happened\n"
    "  --loss YUAN          loss or extra expense in yuan, e.g. 35000 or 1200.50 (omit: unknown)\n"
    "  --note TEXT          what happened (stored in clear: no ID or bank numbers)\n"
    "  --from, --to         list: dates, inclusive\n"
    "  --area PREFIX        list: area-code prefix inside your scope\n"
    "  --format csv         list as CSV\n";

int cmd_event(int argc, char **argv) {
    cli_opt opts[] = {
        CLI_REGISTRY_OPTS,
        { "household", 0, true, NULL, false },
        { "kind", 0, true, NULL, false },
        { "date", 0, true, NULL, false },
        { "loss", 0, true, NULL, false },
        { "note", 0, true, NULL, false },
        { "from", 0, true, NULL, false },
        { "to", 0, true, NULL, false },
        { "area", 0, true, NULL, false },
        { "format", 0, true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[2];
    size_t n_pos = 0;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    int rc = cli_parse("event", argc, argv, opts, n_opts, pos, 2, &n_pos);
    if (rc) return rc;
    const char *sub = n_pos == 1 ? pos[0] : "";
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "kinds")) {
        cli_error("event", "expected add, list or kinds; see `uplift event --help`");
        return CLI_USAGE;
    }
    if (!strcmp(sub, "kinds")) {
        for (const char *const *k = upl_event_kinds(); *k; k++) printf("%-17s %s\n", *k, upl_event_kind_label(*k));
        return CLI_OK;
    }
    int64_t fen = -1;
    if (!strcmp(sub, "add")) {
        if (!cli_get(opts, n_opts, "household") || !cli_get(opts, n_opts, "kind") || !cli_get(opts, n_opts, "date")) {
            cli_error("event", "`event add` needs --household CODE, --kind KIND and --date YYYY-MM-DD");
            return CLI_USAGE;
        }
        if (!upl_event_kind_label(cli_get(opts, n_opts, "kind"))) {
            cli_error("event", "--kind `%s` is not a kind; `uplift event kinds` lists them", cli_get(opts, n_opts, "kind"));
            return CLI_USAGE;
        }
        const char *loss = cli_get(opts, n_opts, "loss");
        if (loss) {
            int mr = upl_money_parse_fen(loss, &fen);
            if (mr) {
                cli_error("event", "--loss: expected yuan with at most 2 decimals and no separators (e.g. 1200.50), "
                                   "found `%s`%s", loss, mr == UPL_ERANGE ? " (too large)" : "");
                return CLI_USAGE;
            }
        }
    }
    const char *fmt = cli_get(opts, n_opts, "format");
    bool csv = fmt && !strcmp(fmt, "csv");
    upl_registry *reg = NULL;
    rc = cli_registry_open("event", opts, n_opts, false, &reg);
    if (rc) return rc;
    upl_error err = {0};
    upl_table *t = NULL;
    int r;
    if (!strcmp(sub, "add")) {
        int64_t id = 0;
        r = upl_event_add(reg, cli_get(opts, n_opts, "household"), cli_get(opts, n_opts, "kind"),
                          cli_get(opts, n_opts, "date"), fen, cli_get(opts, n_opts, "note"), &id, &err);
        if (!r) {
            char yuan[32] = "unknown / 未知";
            if (fen >= 0) upl_money_format_fen(fen, yuan);
            printf("event %lld recorded for household %s: %s on %s, loss %s / 已记录风险事件\n", (long long)id,
                   cli_get(opts, n_opts, "household"), upl_event_kind_label(cli_get(opts, n_opts, "kind")),
                   cli_get(opts, n_opts, "date"), yuan);
        }
    } else {
        upl_event_filter f = { cli_get(opts, n_opts, "from"), cli_get(opts, n_opts, "to"),
                               cli_get(opts, n_opts, "household"), cli_get(opts, n_opts, "kind"),
                               cli_get(opts, n_opts, "area") };
        r = upl_event_query(reg, &f, &t, &err);
        if (!r) {
            cli_print_table("event", t, csv, stdout);
            if (!csv) printf("%zu event(s) / 风险事件 %zu 条\n", upl_table_n_rows(t), upl_table_n_rows(t));
        }
    }
    int status = r ? cli_fail("event", r, &err) : CLI_OK;
    upl_table_free(t);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}
