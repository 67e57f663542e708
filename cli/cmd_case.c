/* cmd_case.c — `uplift case`: identification, exit, monitoring and
 * risk-elimination cases, their steps, public notices, and conflicts. */
#include <stdlib.h>
#include <string.h>
#include "cli_registry.h"

UPL_COMMAND(case, "case workflow: identification, exit, monitoring; steps, notices, conflicts")

static const char usage[] =
    "usage: uplift case open --kind KIND --household CODE --wave YEAR [--note TEXT] --db DB\n"
    "       uplift case step CASE STEP --outcome pass|fail|objection [--date YYYY-MM-DD] [--note TEXT]\n"
    "       uplift case compare CASE LIST.csv...     data comparison against lists of ID numbers\n"
    "       uplift case list | show CASE | steps --kind KIND | conflicts\n"
    "       uplift case notice [--area PREFIX] [--format csv|html] [-o FILE]\n"
    "\n"
    "Kinds and their steps, recorded in order, each with actor and date (识别/退出/监测/风险消除):\n"
    "  identify   application, village_appraisal, data_comparison, first_notice, township_review,\n"
    "             second_notice, county_approval, registered\n"
    "  exit       proposal, verification, household_consent, notice, township_review,\n"
    "             county_approval, removed\n"
    "  monitor    application, village_appraisal, data_comparison, notice, township_review,\n"
    "             county_approval, registered   (--note gives the category: 脱贫不稳定户,\n"
    "             边缘易致贫户 or 突发严重困难户; 15-day deadline)\n"
    "  eliminate  proposal, verification, notice, township_review, county_approval, eliminated\n"
    "A notice runs 7 days (monitoring: 5); the next step is refused earlier. An objection during a\n"
    "notice holds the case until `objection_review` passes or fails it. Reviews and approvals need\n"
    "the reviewer role; county_approval a county-level scope.\n"
    "\n"
    "`compare` checks the household's members against lists given as files (column id_number:\n"
    "vehicle owners, property, public-payroll staff); matches are recorded masked and hold the\n"
    "case until a reviewer passes the data_comparison step.\n"
    "`notice` prints the public notice of cases in a notice period: household code, head, village,\n"
    "decision and dates — never ID, phone, bank or health data. 公示不含身份证、电话、银行、健康信息。\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE
    "  --kind KIND, --household CODE, --wave YEAR, --note TEXT, --outcome O, --date D\n"
    "  --area PREFIX        notice for this area only\n"
    "  --format csv|html    notice format (default csv); list/show: text or csv\n"
    "  -o, --output FILE    write the notice to FILE\n";

int cmd_case(int argc, char **argv) {
    cli_opt opts[] = {
        CLI_REGISTRY_OPTS,
        { "kind", 0, true, NULL, false },
        { "household", 0, true, NULL, false },
        { "wave", 0, true, NULL, false },
        { "note", 0, true, NULL, false },
        { "outcome", 0, true, NULL, false },
        { "date", 0, true, NULL, false },
        { "area", 0, true, NULL, false },
        { "format", 0, true, NULL, false },
        { "output", 'o', true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[64];
    size_t n_pos = 0;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    int rc = cli_parse("case", argc, argv, opts, n_opts, pos, 64, &n_pos);
    if (rc) return rc;
    const char *sub = n_pos ? pos[0] : "";
    static const char *subs[] = { "open", "step", "compare", "list", "show", "steps", "conflicts", "notice", NULL };
    bool known = false;
    for (int i = 0; subs[i]; i++) if (!strcmp(sub, subs[i])) known = true;
    if (!known) {
        cli_error("case", "expected open, step, compare, list, show, steps, conflicts or notice; see `uplift case --help`");
        return CLI_USAGE;
    }
    int kind = 0;
    const char *ks = cli_get(opts, n_opts, "kind");
    if ((!strcmp(sub, "open") || !strcmp(sub, "steps")) && (!ks || upl_case_kind_parse(ks, &kind) != UPL_OK)) {
        cli_error("case", "--kind must be identify, exit, monitor or eliminate");
        return CLI_USAGE;
    }
    if (!strcmp(sub, "steps")) {
        for (const char *const *s = upl_case_steps(kind); *s; s++) printf("%s\n", *s);
        return CLI_OK;
    }
    long long case_id = 0, wave = 0;
    if (!strcmp(sub, "step") || !strcmp(sub, "compare") || !strcmp(sub, "show")) {
        size_t need = !strcmp(sub, "step") ? 3 : 2;
        if (n_pos < need || (strcmp(sub, "compare") && n_pos != need)) {
            cli_error("case", "`case %s` needs %s; see `uplift case --help`", sub,
                      !strcmp(sub, "step") ? "CASE STEP" : !strcmp(sub, "compare") ? "CASE LIST..." : "CASE");
            return CLI_USAGE;
        }
        if (cli_int("case", "case", pos[1], 1, INT64_MAX, &case_id)) return CLI_USAGE;
        if (!strcmp(sub, "step") && !cli_get(opts, n_opts, "outcome")) {
            cli_error("case", "--outcome pass|fail|objection is required");
            return CLI_USAGE;
        }
    } else if (n_pos != 1) {
        cli_error("case", "unexpected argument `%s`", pos[1]);
        return CLI_USAGE;
    }
    if (!strcmp(sub, "open")) {
        if (!cli_get(opts, n_opts, "household") || !cli_get(opts, n_opts, "wave")) {
            cli_error("case", "`case open` needs --household CODE and --wave YEAR");
            return CLI_USAGE;
        }
        if (cli_int("case", "wave", cli_get(opts, n_opts, "wave"), 1980, 2200, &wave)) return CLI_USAGE;
    }
    const char *fmt = cli_get(opts, n_opts, "format");
    upl_registry *reg = NULL;
    rc = cli_registry_open("case", opts, n_opts, false, &reg);
    if (rc) return rc;
    upl_error err = {0};
    upl_table *t = NULL;
    int r = UPL_OK, status = CLI_OK;
    if (!strcmp(sub, "open")) {
        int64_t id = 0;
        r = upl_case_open(reg, kind, cli_get(opts, n_opts, "household"), (int)wave, cli_get(opts, n_opts, "note"), &id, &err);
        if (!r) printf("case %lld opened (%s, household %s); next step: %s / 已立案\n", (long long)id,
                       upl_case_kind_name(kind), cli_get(opts, n_opts, "household"), upl_case_steps(kind)[0]);
    } else if (!strcmp(sub, "step")) {
        r = upl_case_step(reg, case_id, pos[2], cli_get(opts, n_opts, "outcome"), cli_get(opts, n_opts, "date"),
                          cli_get(opts, n_opts, "note"), &err);
        if (!r) printf("case %lld: %s recorded (%s) / 已记录\n", case_id, pos[2], cli_get(opts, n_opts, "outcome"));
    } else if (!strcmp(sub, "compare")) {
        uint64_t hits = 0;
        r = upl_case_compare(reg, case_id, pos + 2, n_pos - 2, &hits, &err);
        if (!r && hits) printf("case %lld: %llu member(s) found in the lists; a reviewer must pass the data "
                               "comparison / 比对发现 %llu 人，需审核\n", case_id, (unsigned long long)hits,
                               (unsigned long long)hits);
        else if (!r) printf("case %lld: no member found in the lists; data comparison passed / 比对通过\n", case_id);
    } else if (!strcmp(sub, "notice")) {
        FILE *f = cli_open_out("case", cli_get(opts, n_opts, "output"));
        if (!f) { upl_registry_close(reg); return CLI_FAIL; }
        r = upl_case_notice(reg, cli_get(opts, n_opts, "area"), fmt ? fmt : "csv", f, &err);
        if (cli_close_out("case", f, cli_get(opts, n_opts, "output")) != CLI_OK && !r) status = CLI_FAIL;
    } else {
        if (!strcmp(sub, "list")) r = upl_case_list(reg, &t, &err);
        else if (!strcmp(sub, "show")) r = upl_case_history(reg, case_id, &t, &err);
        else r = upl_registry_conflicts(reg, &t, &err);
        if (!r) cli_print_table("case", t, fmt && !strcmp(fmt, "csv"), stdout);
    }
    if (r) status = cli_fail("case", r, &err);
    upl_table_free(t);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}
