/* cmd_case.c — `uplift case`: identification, exit, monitoring and
 * risk-elimination cases, their steps, public notices, and the review of
 * conflicts (the same person in two households): list, show, decide. */
#include <stdlib.h>
#include <string.h>
#include "cli_registry.h"

UPL_COMMAND(case, "case workflow: identification, exit, monitoring; steps, notices, conflicts")

static const char usage[] =
    "usage: uplift case open --kind KIND --household CODE --wave YEAR [--note TEXT] --db DB\n"
    "       uplift case step CASE STEP --outcome pass|fail|objection [--date YYYY-MM-DD] [--note TEXT]\n"
    "       uplift case compare CASE LIST.csv...     data comparison against lists of ID numbers\n"
    "       uplift case list | show CASE | steps --kind KIND\n"
    "       uplift case notice [--area PREFIX] [--format csv|html] [-o FILE]\n"
    "       uplift case conflicts [list] [--status S] [--kind K] [--area PREFIX] [--format csv]\n"
    "       uplift case conflicts show ID\n"
    "       uplift case conflicts resolve ID --decision D [--household CODE] --note TEXT\n"
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
    "Conflicts (冲突核查): the import records the same person (ID number) found in two households\n"
    "as a conflict and merges nothing. `conflicts` lists those in your scope (--status open,\n"
    "escalated or resolved; --kind same_person_two_households or same_person_two_areas; --area);\n"
    "`show` prints both households' members (IDs masked) and the decisions so far; `resolve`\n"
    "records a decision with a required note (reviewer role):\n"
    "  moved                   the person lives in --household now (moved, household split or\n"
    "                          merged): import a corrected file for the other household 迁移/分户\n"
    "  duplicate_registration  one family registered twice; --household is the record to keep 重复建档\n"
    "  data_entry_error        two different people; the ID in --household was mistyped: import a\n"
    "                          corrected file for it 录入错误\n"
    "  escalated               pass it to the reviewers of the area covering both households 上报\n"
    "A final decision needs a scope covering both households; otherwise escalate. Decisions are\n"
    "final and audited; re-importing the same data does not reopen them. follow_up in the list\n"
    "says whether the correction has arrived (pending/done).\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE
    "  --kind KIND, --household CODE, --wave YEAR, --note TEXT, --outcome O, --date D\n"
    "  --decision D         conflicts resolve: moved, duplicate_registration, data_entry_error, escalated\n"
    "  --status S           conflicts: open, escalated or resolved (--kind: the conflict kind)\n"
    "  --area PREFIX        notice for this area only\n"
    "  --format csv|html    notice format (default csv); list/show: text or csv\n"
    "  -o, --output FILE    write the notice to FILE\n";

static bool cell_eq(const upl_table *t, const char *col, const char *want) {
    upl_column *c = upl_table_find(t, col);
    size_t n = 0;
    if (!c || !upl_col_is_valid(c, 0)) return false;
    const char *v = upl_col_str(c, 0, &n);
    return n == strlen(want) && !memcmp(v, want, n);
}

/* `case conflicts [list] | show ID | resolve ID`. */
static int conflicts(cli_opt *opts, size_t n_opts, const char **pos, size_t n_pos) {
    const char *what = n_pos ? pos[0] : "list";
    long long id = 0;
    if (strcmp(what, "list") && strcmp(what, "show") && strcmp(what, "resolve")) {
        cli_error("case", "`case conflicts` takes list, show ID or resolve ID, not `%s`; see `uplift case --help`", what);
        return CLI_USAGE;
    }
    if (!strcmp(what, "list") && n_pos > 1) {
        cli_error("case", "unexpected argument `%s`", pos[1]);
        return CLI_USAGE;
    }
    if (strcmp(what, "list")) {
        if (n_pos != 2) {
            cli_error("case", "`case conflicts %s` needs one conflict ID (from `uplift case conflicts`)", what);
            return CLI_USAGE;
        }
        if (cli_int("case", "conflict", pos[1], 1, INT64_MAX, &id)) return CLI_USAGE;
    }
    const char *decision = cli_get(opts, n_opts, "decision");
    if (!strcmp(what, "resolve")) {
        bool known = false;
        for (const char *const *d = upl_conflict_decisions(); *d; d++) if (decision && !strcmp(decision, *d)) known = true;
        if (!known) {
            cli_error("case", "--decision must be moved, duplicate_registration, data_entry_error or escalated");
            return CLI_USAGE;
        }
        if (!cli_get(opts, n_opts, "note")) {
            cli_error("case", "--note TEXT is required: say what was checked and why / 请用 --note 说明核查情况");
            return CLI_USAGE;
        }
    }
    const char *fmt = cli_get(opts, n_opts, "format");
    bool csv = fmt && !strcmp(fmt, "csv");
    upl_registry *reg = NULL;
    int rc = cli_registry_open("case", opts, n_opts, false, &reg);
    if (rc) return rc;
    upl_error err = {0};
    upl_table *t = NULL, *mem = NULL, *hist = NULL;
    int r;
    if (!strcmp(what, "list")) {
        upl_conflict_filter f = { cli_get(opts, n_opts, "status"), cli_get(opts, n_opts, "kind"),
                                  cli_get(opts, n_opts, "area"), 0 };
        r = upl_conflict_list(reg, &f, &t, &err);
        if (!r) {
            cli_print_table("case", t, csv, stdout);
            if (!csv) printf("%zu conflict(s) / 冲突 %zu 条\n", upl_table_n_rows(t), upl_table_n_rows(t));
        }
    } else if (!strcmp(what, "show")) {
        r = upl_conflict_show(reg, id, &t, &mem, &hist, &err);
        if (!r) {
            printf("Conflict %lld / 冲突 %lld\n", id, id);
            cli_field_line(t, "kind", "kind / 类型", 30);
            cli_field_line(t, "id_masked", "person / 身份证号(脱敏)", 30);
            cli_field_line(t, "household_a", "household A / 户A", 30);
            cli_field_line(t, "area_a", "area A / 地区A", 30);
            cli_field_line(t, "household_b", "household B / 户B", 30);
            cli_field_line(t, "area_b", "area B / 地区B", 30);
            cli_field_line(t, "escalate_to", "decided at / 决定层级", 30);
            cli_field_line(t, "status", "status / 状态", 30);
            if (cell_eq(t, "status", "resolved")) {
                cli_field_line(t, "decision", "decision / 处理结论", 30);
                cli_field_line(t, "decision_household", "household / 涉及户", 30);
                cli_field_line(t, "resolved_by", "by / 处理人", 30);
                cli_field_line(t, "resolved_at", "at / 时间", 30);
                cli_field_line(t, "follow_up", "follow-up / 更正导入", 30);
            }
            cli_field_line(t, "created_at", "found / 发现时间", 30);
            printf("\nMembers, latest wave (in your scope) / 成员（最近年度，本辖区）:\n");
            cli_print_table("case", mem, csv, stdout);
            printf("\nDecisions / 处理记录:\n");
            if (upl_table_n_rows(hist)) cli_print_table("case", hist, csv, stdout);
            else printf("  none yet / 暂无\n");
        }
    } else {
        const char *hh = cli_get(opts, n_opts, "household");
        r = upl_conflict_resolve(reg, id, decision, hh, cli_get(opts, n_opts, "note"), &err);
        if (!r && !strcmp(decision, "escalated")) {
            printf("conflict %lld escalated to the reviewers of the area covering both households / 已上报\n", id);
        } else if (!r) {
            printf("conflict %lld resolved: %s (household %s) / 冲突已处理\n", id, decision, hh);
            if (!upl_conflict_show(reg, id, &t, NULL, NULL, &err)) {
                upl_column *a = upl_table_find(t, "household_a"), *b = upl_table_find(t, "household_b");
                size_t na, nb;
                const char *sa = upl_col_str(a, 0, &na), *sb = upl_col_str(b, 0, &nb);
                bool is_a = strlen(hh) == na && !memcmp(hh, sa, na);
                if (!strcmp(decision, "moved"))
                    printf("next: import a corrected file for household %.*s without this person; `uplift case "
                           "conflicts` shows follow_up done once it is in / 下一步：导入不含此人的更正数据\n",
                           (int)(is_a ? nb : na), is_a ? sb : sa);
                else if (!strcmp(decision, "data_entry_error"))
                    printf("next: import a corrected file for household %s with the right ID number / "
                           "下一步：导入身份证号更正后的数据\n", hh);
                else
                    printf("next: household %.*s is the duplicate record; uplift has no deregistration yet, so it "
                           "stays until the county system removes it / 重复户需在系统中注销\n",
                           (int)(is_a ? nb : na), is_a ? sb : sa);
            }
            upl_error_clear(&err);
        }
    }
    int status = r ? cli_fail("case", r, &err) : CLI_OK;
    upl_table_free(t);
    upl_table_free(mem);
    upl_table_free(hist);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}

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
        { "decision", 0, true, NULL, false },
        { "status", 0, true, NULL, false },
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
    if (!strcmp(sub, "conflicts")) return conflicts(opts, n_opts, pos + 1, n_pos - 1);
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
        else r = upl_case_history(reg, case_id, &t, &err);
        if (!r) cli_print_table("case", t, fmt && !strcmp(fmt, "csv"), stdout);
    }
    if (r) status = cli_fail("case", r, &err);
    upl_table_free(t);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}
