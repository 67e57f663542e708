/* cmd_quarantine.c — `uplift quarantine`: households the import refused
 * whole (暂存待核): list them, read one (raw row decrypted, ID, phone and
 * bank masked), close those a later import has brought in (sweep), and close
 * others by hand with a reason. */
#include <stdlib.h>
#include <string.h>
#include "cli_registry.h"

UPL_COMMAND(quarantine, "households refused at import: list, show (masked), sweep superseded, close")

static const char usage[] =
    "usage: uplift quarantine list [--status S] [--import N] [--code CODE] [--household CODE]\n"
    "                              [--area PREFIX] [--format csv] --db DB\n"
    "       uplift quarantine show ID --db DB\n"
    "       uplift quarantine sweep [--area PREFIX] --db DB\n"
    "       uplift quarantine close ID... --reason TEXT --db DB\n"
    "\n"
    "An import refuses an inconsistent household whole (size mismatch, two heads, an invalid or\n"
    "Excel-mangled ID, …): its rows go to the rejects file and, encrypted, to the registry's\n"
    "quarantine (暂存待核). `list` shows the items in your scope with their reason; `show` prints\n"
    "one with the row as imported — ID number, phones and bank account masked. After the county\n"
    "corrects the export and you import it again, `sweep` closes every item whose household the\n"
    "later import accepted for the same wave (status superseded, 已补录). `close` closes items by\n"
    "hand with a reason, e.g. a household that no longer exists (reviewer role; status closed).\n"
    "Every closure is audited. Rows without an area (unreadable rows, rows outside the importing\n"
    "account's scope) are visible to full-scope accounts only.\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE
    "  --status S           open, superseded or closed\n"
    "  --import N           items of import N (the number the import printed)\n"
    "  --code CODE          finding code, e.g. SIZE_MISMATCH, HEAD_COUNT, ID_INVALID\n"
    "  --household CODE     items of one household\n"
    "  --area PREFIX        area-code prefix inside your scope\n"
    "  --reason TEXT        close: why (stored and audited; no ID or bank numbers)\n"
    "  --format csv         list as CSV\n";

int cmd_quarantine(int argc, char **argv) {
    cli_opt opts[] = {
        CLI_REGISTRY_OPTS,
        { "status", 0, true, NULL, false },
        { "import", 0, true, NULL, false },
        { "code", 0, true, NULL, false },
        { "household", 0, true, NULL, false },
        { "area", 0, true, NULL, false },
        { "reason", 0, true, NULL, false },
        { "format", 0, true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[256];
    size_t n_pos = 0;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    int rc = cli_parse("quarantine", argc, argv, opts, n_opts, pos, 256, &n_pos);
    if (rc) return rc;
    const char *sub = n_pos ? pos[0] : "";
    if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "sweep") && strcmp(sub, "close")) {
        cli_error("quarantine", "expected list, show, sweep or close; see `uplift quarantine --help`");
        return CLI_USAGE;
    }
    long long imp = 0;
    long long ids[255];
    size_t n_ids = 0;
    if (!strcmp(sub, "show") || !strcmp(sub, "close")) {
        if (n_pos < 2 || (!strcmp(sub, "show") && n_pos != 2)) {
            cli_error("quarantine", "`quarantine %s` needs %s (from `uplift quarantine list`)", sub,
                      !strcmp(sub, "show") ? "one item ID" : "item IDs");
            return CLI_USAGE;
        }
        for (size_t i = 1; i < n_pos; i++)
            if (cli_int("quarantine", "item", pos[i], 1, INT64_MAX, &ids[n_ids++])) return CLI_USAGE;
        if (!strcmp(sub, "close") && !cli_get(opts, n_opts, "reason")) {
            cli_error("quarantine", "--reason TEXT is required: say why the household will not be imported / "
                                    "请用 --reason 说明原因");
            return CLI_USAGE;
        }
    } else if (n_pos != 1) {
        cli_error("quarantine", "unexpected argument `%s`", pos[1]);
        return CLI_USAGE;
    }
    if (cli_get(opts, n_opts, "import") &&
        cli_int("quarantine", "import", cli_get(opts, n_opts, "import"), 1, INT64_MAX, &imp))
        return CLI_USAGE;
    const char *fmt = cli_get(opts, n_opts, "format");
    bool csv = fmt && !strcmp(fmt, "csv");
    upl_registry *reg = NULL;
    rc = cli_registry_open("quarantine", opts, n_opts, false, &reg);
    if (rc) return rc;
    upl_error err = {0};
    upl_table *t = NULL, *raw = NULL;
    int r = UPL_OK, status = CLI_OK;
    if (!strcmp(sub, "list")) {
        upl_quarantine_filter f = { imp, cli_get(opts, n_opts, "code"), cli_get(opts, n_opts, "area"),
                                    cli_get(opts, n_opts, "status"), cli_get(opts, n_opts, "household") };
        r = upl_quarantine_list(reg, &f, &t, &err);
        if (!r) {
            cli_print_table("quarantine", t, csv, stdout);
            if (!csv) printf("%zu item(s) / 暂存 %zu 条\n", upl_table_n_rows(t), upl_table_n_rows(t));
        }
    } else if (!strcmp(sub, "show")) {
        r = upl_quarantine_show(reg, ids[0], &t, &raw, &err);
        if (!r) {
            printf("Quarantined row %lld / 暂存记录 %lld\n", ids[0], ids[0]);
            cli_field_line(t, "household_code", "household / 户编号", 24);
            cli_field_line(t, "area_code", "area / 地区", 24);
            cli_field_line(t, "code", "code / 问题代码", 24);
            cli_field_line(t, "field", "field / 字段", 24);
            cli_field_line(t, "message", "reason / 原因", 24);
            cli_field_line(t, "import_id", "import / 导入批次", 24);
            cli_field_line(t, "source", "file / 文件", 24);
            cli_field_line(t, "line", "line / 行号", 24);
            cli_field_line(t, "wave", "wave / 年度", 24);
            cli_field_line(t, "imported_at", "imported at / 导入时间", 24);
            cli_field_line(t, "status", "status / 状态", 24);
            upl_column *st = upl_table_find(t, "status");
            size_t n = 0;
            const char *sv = upl_col_str(st, 0, &n);
            if (!(n == 4 && !memcmp(sv, "open", 4))) {
                cli_field_line(t, "closed_by", "closed by / 关闭人", 24);
                cli_field_line(t, "closed_at", "closed at / 关闭时间", 24);
                cli_field_line(t, "close_note", "why / 说明", 24);
            }
            printf("\nRow as imported (ID, phone, bank masked) / 原始记录（已脱敏）:\n");
            cli_print_table("quarantine", raw, false, stdout);
        }
    } else if (!strcmp(sub, "sweep")) {
        uint64_t n = 0;
        r = upl_quarantine_sweep(reg, cli_get(opts, n_opts, "area"), &t, &n, &err);
        if (!r) {
            if (n) cli_print_table("quarantine", t, csv, stdout);
            printf("%llu item(s) superseded by a later import / 已补录 %llu 条\n", (unsigned long long)n,
                   (unsigned long long)n);
        }
    } else {
        size_t ok = 0;
        for (size_t i = 0; i < n_ids; i++) {
            r = upl_quarantine_close(reg, ids[i], cli_get(opts, n_opts, "reason"), &err);
            if (r) {
                status = cli_fail("quarantine", r, &err);
                upl_error_clear(&err);
                continue;
            }
            printf("item %lld closed / 已关闭\n", ids[i]);
            ok++;
        }
        r = UPL_OK;
        if (n_ids > 1) printf("%zu of %zu item(s) closed / 已关闭 %zu 条\n", ok, n_ids, ok);
    }
    if (r) status = cli_fail("quarantine", r, &err);
    upl_table_free(t);
    upl_table_free(raw);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}
