/* registry_case.c — the case workflow: identification (识别), exit (退出),
 * monitoring identification (防返贫监测对象识别) and risk elimination (风险消除).
 *
 * Each kind is a fixed sequence of steps (DOMAIN.md §1.7, REGISTRY_FIELDS.md
 * §2 workflow facts [P4]):
 *   identify:  application → village_appraisal → data_comparison → first_notice
 *              → township_review → second_notice → county_approval → registered
 *   exit:      proposal → verification → household_consent → notice
 *              → township_review → county_approval → removed
 *   monitor:   application → village_appraisal → data_comparison → notice
 *              → township_review → county_approval → registered
 *   eliminate: proposal → verification → notice → township_review
 *              → county_approval → eliminated
 * Steps are recorded in order, each with actor, date and outcome. A notice
 * (公示) runs 7 days (5 for monitoring, "村内公示不少于5天" [P4]); the step
 * after it is refused before the period has run. An objection during a
 * notice holds the case until an objection_review step (pass: continue;
 * fail: the case is closed). A fail outcome closes the case. Reviews and
 * approvals need the reviewer role; approvals a county-level scope (≤ 6
 * digits). Monitoring identification has a 15-day deadline from opening
 * [P4]. The final step writes its effect to the household's wave (exit
 * status, monitoring category, risk elimination), audited with before/after.
 *
 * Public notices list household code, head name, village and the decision
 * only — never ID, phone, bank or health data [P4]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "uplift/io.h"
#include "registry_int.h"

static const char *const steps_identify[] = { "application", "village_appraisal", "data_comparison", "first_notice",
                                              "township_review", "second_notice", "county_approval", "registered", NULL };
static const char *const steps_exit[] = { "proposal", "verification", "household_consent", "notice", "township_review",
                                          "county_approval", "removed", NULL };
static const char *const steps_monitor[] = { "application", "village_appraisal", "data_comparison", "notice",
                                             "township_review", "county_approval", "registered", NULL };
static const char *const steps_eliminate[] = { "proposal", "verification", "notice", "township_review",
                                               "county_approval", "eliminated", NULL };
static const char *const kind_names[] = { NULL, "identify", "exit", "monitor", "eliminate" };
static const char *const kind_labels[] = { NULL, "贫困户识别 identification", "贫困户退出 exit",
                                           "监测对象识别 monitoring", "风险消除 risk elimination" };

const char *const *upl_case_steps(int kind) {
    switch (kind) {
    case UPL_CASE_IDENTIFY: return steps_identify;
    case UPL_CASE_EXIT: return steps_exit;
    case UPL_CASE_MONITOR: return steps_monitor;
    case UPL_CASE_ELIMINATE: return steps_eliminate;
    default: return NULL;
    }
}
const char *upl_case_kind_name(int kind) {
    return (kind >= UPL_CASE_IDENTIFY && kind <= UPL_CASE_ELIMINATE) ? kind_names[kind] : "unknown";
}
int upl_case_kind_parse(const char *name, int *out) {
    for (int k = UPL_CASE_IDENTIFY; k <= UPL_CASE_ELIMINATE; k++)
        if (name && !strcmp(name, kind_names[k])) { *out = k; return UPL_OK; }
    return UPL_EPARSE;
}

static bool is_notice(const char *step) { return step && strstr(step, "notice") != NULL; }
static int notice_days(int kind) { return kind == UPL_CASE_MONITOR ? 5 : 7; }
static int step_count(const char *const *s) { int n = 0; while (s[n]) n++; return n; }

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
static void civil_from_days(long z, int *y, int *m, int *d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}
static bool parse_iso_date(const char *s, long *days) {
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(s) != 10) return false;
    static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1 || y < 1900 || y > 2200) return false;
    int lim = md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
    if (d > lim) return false;
    *days = days_from_civil(y, m, d);
    return true;
}
static void format_days(long days, char out[16]) {
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

/* Household id, area and head name for a code, scope-checked. */
static int find_household(upl_registry *r, const char *code, int64_t *id, char area[16], upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    bool row = false;
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT id, area_code FROM household WHERE household_code = ?", &st, err));
    UPL_FAIL_IF(r->db->vt->bind_text(st, 1, code, (size_t)-1), err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->step(st, &row, err));
    UPL_FAIL_IF(!row, err, UPL_ENOTFOUND, "no household `%s` in the registry", code);
    *id = r->db->vt->col_i64(st, 0);
    snprintf(area, 16, "%s", r->db->vt->col_text(st, 1, NULL));
    /* Outside the scope it does not exist for this actor (no existence oracle). */
    UPL_FAIL_IF(!upl_registry_in_scope(r, area), err, UPL_ENOTFOUND, "no household `%s` in your scope", code);
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}

static const char *monitor_categories[] = { "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", NULL };

int upl_case_open(upl_registry *r, int kind, const char *household_code, int wave, const char *note,
                  int64_t *case_id, upl_error *err) {
    int rc;
    int64_t hh = 0, open = 0;
    bool found = false;
    char area[16], now[32], today[16], deadline[16] = "", obj[64], *after = NULL;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "opening cases", err));
    UPL_FAIL_IF(!upl_case_steps(kind), err, UPL_EMISUSE, "unknown case kind %d", kind);
    UPL_FAIL_IF(!household_code || !*household_code, err, UPL_EMISUSE, "a case needs a household code");
    if (kind == UPL_CASE_MONITOR) {
        bool ok = false;
        for (int i = 0; monitor_categories[i]; i++) if (note && !strcmp(note, monitor_categories[i])) ok = true;
        UPL_FAIL_IF(!ok, err, UPL_EMISUSE, "a monitoring case needs its category as the note: 脱贫不稳定户, "
                                           "边缘易致贫户 or 突发严重困难户");
    }
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = find_household(r, household_code, &hh, area, err);
    if (!rc) rc = upl_db_query_i64(r->db, "SELECT COUNT(*) FROM household_wave WHERE household_id = ? AND wave = ?",
                                   &open, &found, err, "ii", hh, (int64_t)wave);
    if (!rc && open == 0) rc = upl_error_set(err, UPL_ENOTFOUND, "household %s has no wave %d", household_code, wave);
    if (!rc) rc = upl_db_query_i64(r->db, "SELECT COUNT(*) FROM case_file WHERE household_id = ? AND kind = ?"
                                          " AND closed_at IS NULL", &open, &found, err, "is", hh, upl_case_kind_name(kind));
    if (!rc && open) rc = upl_error_set(err, UPL_EEXISTS, "household %s already has an open %s case",
                                        household_code, upl_case_kind_name(kind));
    if (rc) goto fail_tx;
    upl_reg_now(now);
    memcpy(today, now, 10); today[10] = 0;
    if (kind == UPL_CASE_MONITOR) {
        long d;
        if (parse_iso_date(today, &d)) format_days(d + 15, deadline);
    }
    rc = upl_db_run(r->db, "INSERT INTO case_file (kind, household_id, wave, state, step_index, deadline, opened_by,"
                           " opened_at, note) VALUES (?, ?, ?, 'open', 0, ?, ?, ?, ?)", err, "siizssz",
                    upl_case_kind_name(kind), hh, (int64_t)wave, deadline, r->actor, now, note);
    if (!rc) rc = upl_db_query_i64(r->db, "SELECT MAX(id) FROM case_file WHERE household_id = ?", case_id, &found,
                                   err, "i", hh);
    if (rc) goto fail_tx;
    snprintf(obj, sizeof obj, "case:%lld", (long long)*case_id);
    after = upl_asprintf("{\"kind\":\"%s\",\"household\":\"%s\",\"wave\":%d}", upl_case_kind_name(kind),
                         household_code, wave);
    if (!after) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail_tx; }
    rc = upl_reg_audit(r, "case.open", obj, NULL, after, err);
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) goto fail_tx;
    upl_free(after);
    return UPL_OK;
fail_tx:
    r->db->vt->rollback(r->db);
fail:
    upl_free(after);
    return rc;
}

typedef struct case_row {
    int64_t id, household_id, step_index;
    int kind, wave;
    char state[32], notice_date[16], area[16], code[128];
} case_row;

static int load_case(upl_registry *r, int64_t case_id, case_row *c, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    bool row = false;
    memset(c, 0, sizeof *c);
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT c.id, c.household_id, c.step_index, c.kind, c.wave, c.state,"
                                      " c.notice_date, h.area_code, h.household_code FROM case_file c"
                                      " JOIN household h ON h.id = c.household_id WHERE c.id = ?", &st, err));
    UPL_FAIL_IF(r->db->vt->bind_i64(st, 1, case_id), err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->step(st, &row, err));
    UPL_FAIL_IF(!row, err, UPL_ENOTFOUND, "no case %lld", (long long)case_id);
    const upl_db_vt *vt = r->db->vt;
    c->id = vt->col_i64(st, 0);
    c->household_id = vt->col_i64(st, 1);
    c->step_index = vt->col_i64(st, 2);
    UPL_FAIL_IF(upl_case_kind_parse(vt->col_text(st, 3, NULL), &c->kind), err, UPL_ECORRUPT, "case %lld has an unknown kind",
                (long long)case_id);
    c->wave = (int)vt->col_i64(st, 4);
    snprintf(c->state, sizeof c->state, "%s", vt->col_text(st, 5, NULL));
    const char *nd = vt->col_text(st, 6, NULL);
    snprintf(c->notice_date, sizeof c->notice_date, "%s", nd ? nd : "");
    snprintf(c->area, sizeof c->area, "%s", vt->col_text(st, 7, NULL));
    snprintf(c->code, sizeof c->code, "%s", vt->col_text(st, 8, NULL));
    UPL_FAIL_IF(!upl_registry_in_scope(r, c->area), err, UPL_ENOTFOUND, "no case %lld in your scope", (long long)case_id);
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}

/* The final step's effect on the household's wave, audited. */
static int apply_effect(upl_registry *r, const case_row *c, const char *date, const char *note, upl_error *err) {
    char obj[200], before[256] = "", after[256];
    const char *sql = NULL;
    int rc;
    char *old = NULL;
    snprintf(obj, sizeof obj, "household:%.120s:%d", c->code, c->wave);
    switch (c->kind) {
    case UPL_CASE_IDENTIFY:
        UPL_TRY(upl_db_query_text(r->db, "SELECT exit_status FROM household_wave WHERE household_id = ? AND wave = ?",
                                  &old, err, "ii", c->household_id, (int64_t)c->wave));
        sql = "UPDATE household_wave SET exit_status = '未脱贫', updated_at = ? WHERE household_id = ? AND wave = ?";
        snprintf(before, sizeof before, "{\"exit_status\":\"%.60s\"}", old ? old : "");
        snprintf(after, sizeof after, "{\"exit_status\":\"未脱贫\"}");
        break;
    case UPL_CASE_EXIT:
        UPL_TRY(upl_db_query_text(r->db, "SELECT exit_status FROM household_wave WHERE household_id = ? AND wave = ?",
                                  &old, err, "ii", c->household_id, (int64_t)c->wave));
        sql = "UPDATE household_wave SET exit_status = '脱贫', exit_year = wave, updated_at = ?"
              " WHERE household_id = ? AND wave = ?";
        snprintf(before, sizeof before, "{\"exit_status\":\"%.60s\"}", old ? old : "");
        snprintf(after, sizeof after, "{\"exit_status\":\"脱贫\",\"exit_year\":%d}", c->wave);
        break;
    case UPL_CASE_MONITOR: {
        char *cat = NULL;
        UPL_TRY(upl_db_query_text(r->db, "SELECT note FROM case_file WHERE id = ?", &cat, err, "i", c->id));
        UPL_TRY(upl_db_query_text(r->db, "SELECT monitoring_category FROM household_wave WHERE household_id = ?"
                                         " AND wave = ?", &old, err, "ii", c->household_id, (int64_t)c->wave));
        snprintf(before, sizeof before, "{\"monitoring_category\":\"%.60s\"}", old ? old : "");
        snprintf(after, sizeof after, "{\"monitoring_category\":\"%.60s\",\"identified_month\":\"%.7s\"}",
                 cat ? cat : "", date);
        char month[8];
        snprintf(month, sizeof month, "%.7s", date);
        rc = upl_db_run(r->db, "UPDATE household_wave SET monitoring_category = ?, identified_month = ?,"
                               " risk_eliminated = 0, updated_at = ? WHERE household_id = ? AND wave = ?", err,
                        "sssii", cat ? cat : "", month, date, c->household_id, (int64_t)c->wave);
        upl_free(cat);
        UPL_TRY(rc);
        break;
    }
    case UPL_CASE_ELIMINATE: {
        const char *method = (note && !strcmp(note, "自然消除")) ? "自然消除" : "帮扶消除";
        char month[8];
        snprintf(month, sizeof month, "%.7s", date);
        snprintf(before, sizeof before, "{\"risk_eliminated\":0}");
        snprintf(after, sizeof after, "{\"risk_eliminated\":1,\"elimination_method\":\"%s\",\"eliminated_month\":\"%s\"}",
                 method, month);
        UPL_TRY(upl_db_run(r->db, "UPDATE household_wave SET risk_eliminated = 1, elimination_method = ?,"
                                  " eliminated_month = ?, updated_at = ? WHERE household_id = ? AND wave = ?", err,
                           "sssii", method, month, date, c->household_id, (int64_t)c->wave));
        break;
    }
    }
    if (sql) UPL_TRY(upl_db_run(r->db, sql, err, "sii", date, c->household_id, (int64_t)c->wave));
    UPL_TRY(upl_reg_audit(r, "household.case_effect", obj, before, after, err));
    rc = UPL_OK;
fail:
    upl_free(old);
    return rc;
}

static int record_step(upl_registry *r, case_row *c, const char *step, const char *outcome, const char *date,
                       const char *note, bool data_check_flagged, upl_error *err) {
    int rc;
    const char *const *steps = upl_case_steps(c->kind);
    int n_steps = step_count(steps);
    char now[32], obj[64], *after = NULL;
    long d = 0, nd = 0;
    upl_reg_now(now);
    UPL_FAIL_IF(!parse_iso_date(date, &d), err, UPL_EPARSE, "date `%s` must be YYYY-MM-DD", date);
    UPL_FAIL_IF(strcmp(c->state, "open") && strcmp(c->state, "objection"), err, UPL_EMISUSE,
                "case %lld is %s", (long long)c->id, c->state);
    UPL_FAIL_IF(strcmp(outcome, "pass") && strcmp(outcome, "fail") && strcmp(outcome, "objection"), err,
                UPL_EMISUSE, "outcome must be pass, fail or objection");
    bool objection_review = !strcmp(c->state, "objection");
    const char *expected = objection_review ? "objection_review" : steps[c->step_index];
    UPL_FAIL_IF(!expected || strcmp(step, expected), err, UPL_EMISUSE,
                "case %lld expects step `%s`, not `%s` (steps are recorded in order)", (long long)c->id,
                expected ? expected : "(none: finished)", step);
    UPL_FAIL_IF(!strcmp(outcome, "objection") && !(is_notice(step) || objection_review), err, UPL_EMISUSE,
                "objections are raised during a notice");
    /* Roles: reviews and approvals need a reviewer; approvals a county scope. */
    if (strstr(step, "review") || strstr(step, "approval") || objection_review)
        UPL_TRY(upl_reg_require_role(r, UPL_ROLE_REVIEWER, step, err));
    if (strstr(step, "county_approval"))
        UPL_FAIL_IF(strlen(r->scope) > 6, err, UPL_EAUTH, "county approval needs a county-level account (scope ≤ 6 digits)");
    /* The step after a notice waits for the notice period. */
    if (c->notice_date[0] && !is_notice(step) && !objection_review) {
        UPL_FAIL_IF(!parse_iso_date(c->notice_date, &nd), err, UPL_ECORRUPT, "bad notice date");
        if (d < nd + notice_days(c->kind)) {
            char end[16];
            format_days(nd + notice_days(c->kind), end);
            rc = upl_error_set(err, UPL_ERANGE, "the notice of %s runs %d days: `%s` can be recorded from %s",
                               c->notice_date, notice_days(c->kind), step, end);
            goto fail;
        }
    }
    UPL_TRY(upl_db_run(r->db, "INSERT INTO case_step (case_id, step, outcome, actor, date, at, note)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)", err, "isssssz",
                       c->id, step, data_check_flagged ? "flagged" : outcome, r->actor, date, now, note));
    const char *new_state = "open";
    int64_t next = c->step_index;
    const char *notice = c->notice_date[0] ? c->notice_date : NULL;
    bool closed = false;
    if (data_check_flagged) {
        /* stays at data_comparison until a reviewer passes it */
    } else if (!strcmp(outcome, "fail")) {
        new_state = "rejected";
        closed = true;
    } else if (!strcmp(outcome, "objection")) {
        new_state = "objection";
    } else {
        if (!objection_review) next = c->step_index + 1;
        notice = is_notice(step) ? date : (objection_review ? notice : NULL);
        if (next >= n_steps) { new_state = "completed"; closed = true; }
    }
    UPL_TRY(upl_db_run(r->db, "UPDATE case_file SET state = ?, step_index = ?, notice_date = ?, closed_at = ?"
                              " WHERE id = ?", err, "sizzi", new_state, next, notice ? notice : "",
                       closed ? now : "", c->id));
    if (!strcmp(new_state, "completed")) UPL_TRY(apply_effect(r, c, date, note, err));
    snprintf(obj, sizeof obj, "case:%lld", (long long)c->id);
    after = upl_asprintf("{\"step\":\"%s\",\"outcome\":\"%s\",\"date\":\"%s\",\"state\":\"%s\"}", step,
                         data_check_flagged ? "flagged" : outcome, date, new_state);
    UPL_FAIL_IF(!after, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(upl_reg_audit(r, "case.step", obj, NULL, after, err));
    rc = UPL_OK;
fail:
    upl_free(after);
    return rc;
}

int upl_case_step(upl_registry *r, int64_t case_id, const char *step, const char *outcome, const char *date,
                  const char *note, upl_error *err) {
    int rc;
    case_row c;
    char today[32];
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "recording case steps", err));
    UPL_FAIL_IF(!step || !outcome, err, UPL_EMISUSE, "a step needs a name and an outcome");
    if (!date) { upl_reg_now(today); today[10] = 0; date = today; }
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = load_case(r, case_id, &c, err);
    /* A data comparison that flagged hits is passed only by a reviewer. */
    if (!rc && !strcmp(step, "data_comparison") && !strcmp(outcome, "pass")) {
        int64_t flagged = 0;
        bool found = false;
        rc = upl_db_query_i64(r->db, "SELECT COUNT(*) FROM case_step WHERE case_id = ? AND step = 'data_comparison'"
                                     " AND outcome = 'flagged'", &flagged, &found, err, "i", case_id);
        if (!rc && flagged) rc = upl_reg_require_role(r, UPL_ROLE_REVIEWER, "passing a flagged data comparison", err);
    }
    if (!rc) rc = record_step(r, &c, step, outcome, date, note, false, err);
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) r->db->vt->rollback(r->db);
fail:
    return rc;
}

/* Blind indexes of the IDs in a list file (column id_number). */
static int load_list(upl_registry *r, const char *path, char (**out)[33], size_t *n_out, upl_error *err) {
    int rc;
    upl_table *t = NULL;
    upl_read_options ro;
    static const upl_schema_field sch[] = { { "id_number", UPL_STR, true, false, true } };
    char (*list)[33] = NULL;
    size_t n = 0;
    upl_read_options_init(&ro);
    ro.schema = sch;
    ro.n_schema = 1;
    ro.rejects_path = "/dev/null";
    *out = NULL; *n_out = 0;
    UPL_TRY(upl_read_table(path, &ro, &t, NULL, err));
    upl_column *c = upl_table_find(t, "id_number");
    size_t nr = upl_table_n_rows(t);
    list = upl_calloc(nr ? nr : 1, sizeof *list);
    UPL_FAIL_IF(!list, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < nr; i++) {
        if (!upl_col_is_valid(c, i)) continue;
        size_t len;
        const char *s = upl_col_str(c, i, &len);
        upl_id_result id;
        if (upl_id_check(s, len, UPL_ID_ALLOW_15, 0, &id) != UPL_ID_OK) continue;
        upl_reg_blind(r, id.person, list[n++]);
    }
    *out = list; *n_out = n;
    list = NULL;
    rc = UPL_OK;
fail:
    upl_free(list);
    upl_table_free(t);
    return rc;
}

int upl_case_compare(upl_registry *r, int64_t case_id, const char *const *paths, size_t n_paths, uint64_t *hits,
                     upl_error *err) {
    int rc;
    case_row c;
    upl_stmt *st = NULL;
    upl_sbuf note = {0};
    char (*list)[33] = NULL;
    size_t n_list = 0;
    bool in_tx = false;
    *hits = 0;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "data comparison", err));
    UPL_TRY(r->db->vt->begin(r->db, err));
    in_tx = true;
    UPL_TRY(load_case(r, case_id, &c, err));
    const char *const *steps = upl_case_steps(c.kind);
    UPL_FAIL_IF(!steps[c.step_index] || strcmp(steps[c.step_index], "data_comparison"), err, UPL_EMISUSE,
                "case %lld is not at its data comparison step", (long long)case_id);
    for (size_t p = 0; p < n_paths; p++) {
        UPL_TRY(load_list(r, paths[p], &list, &n_list, err));
        UPL_TRY(r->db->vt->prepare(r->db, "SELECT m.id_blind, m.id_masked FROM member_wave mw JOIN member m"
                                          " ON m.id = mw.member_id WHERE mw.household_id = ? AND mw.wave = ?", &st, err));
        UPL_FAIL_IF(r->db->vt->bind_i64(st, 1, c.household_id) || r->db->vt->bind_i64(st, 2, c.wave), err, UPL_ENOMEM,
                    "out of memory");
        bool row = false;
        UPL_TRY(r->db->vt->step(st, &row, err));
        while (row) {
            const char *b = r->db->vt->col_text(st, 0, NULL), *m = r->db->vt->col_text(st, 1, NULL);
            for (size_t i = 0; b && i < n_list; i++) {
                if (sodium_memcmp(b, list[i], 32) != 0) continue;
                (*hits)++;
                const char *base = strrchr(paths[p], '/') ? strrchr(paths[p], '/') + 1 : paths[p];
                upl_sbuf_fmt(&note, "%s%s: %s", note.len ? "; " : "", base, m ? m : "");
                break;
            }
            UPL_TRY(r->db->vt->step(st, &row, err));
        }
        r->db->vt->finalize(st);
        st = NULL;
        upl_free(list);
        list = NULL;
    }
    UPL_FAIL_IF(note.failed, err, UPL_ENOMEM, "out of memory");
    char today[32];
    upl_reg_now(today);
    today[10] = 0;
    UPL_TRY(record_step(r, &c, "data_comparison", *hits ? "fail" : "pass", today,
                        *hits ? note.s : "no matches in the lists / 比对无异常", *hits > 0, err));
    UPL_TRY(r->db->vt->commit(r->db, err));
    in_tx = false;
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    if (in_tx) r->db->vt->rollback(r->db);
    upl_free(list);
    upl_sbuf_free(&note);
    return rc;
}

int upl_case_list(upl_registry *r, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    upl_table *t = NULL;
    *out = NULL;
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT c.id, c.kind, h.household_code, h.area_code, c.state, c.step_index,"
                                      " c.notice_date, c.deadline, c.opened_at FROM case_file c"
                                      " JOIN household h ON h.id = c.household_id WHERE h.area_code LIKE ?"
                                      " ORDER BY c.id", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_text(st, 1, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "id,step_index", &t, err));
    /* Add next_step as text (derived from kind and step_index). */
    upl_column *next = NULL;
    UPL_TRY(upl_table_add_column(t, "next_step", UPL_STR, &next, err));
    upl_column *kind = upl_table_find(t, "kind"), *idx = upl_table_find(t, "step_index"),
               *state = upl_table_find(t, "state");
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        size_t n, sn;
        const char *k = upl_col_str(kind, i, &n);
        const char *s = upl_col_str(state, i, &sn);
        char kb[16];
        snprintf(kb, sizeof kb, "%.*s", (int)n, k);
        int kk = 0;
        const char *ns = "";
        if (sn == 9 && !memcmp(s, "objection", 9)) ns = "objection_review";
        else if (sn == 4 && !memcmp(s, "open", 4) && upl_case_kind_parse(kb, &kk) == UPL_OK) {
            const char *const *steps = upl_case_steps(kk);
            int64_t ix = idx->v.i64[i];
            if (ix >= 0 && ix < step_count(steps)) ns = steps[ix];
        }
        UPL_FAIL_IF(upl_col_push_str(next, ns, strlen(ns)), err, UPL_ENOMEM, "out of memory");
    }
    *out = t;
    t = NULL;
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    upl_table_free(t);
    return rc;
}

int upl_case_history(upl_registry *r, int64_t case_id, upl_table **out, upl_error *err) {
    int rc;
    case_row c;
    upl_stmt *st = NULL;
    *out = NULL;
    UPL_TRY(load_case(r, case_id, &c, err));
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT step, outcome, actor, date, note FROM case_step WHERE case_id = ?"
                                      " ORDER BY id", &st, err));
    UPL_FAIL_IF(r->db->vt->bind_i64(st, 1, case_id), err, UPL_ENOMEM, "out of memory");
    UPL_TRY(upl_db_to_table(r->db, st, "", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}

static void html_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

int upl_case_notice(upl_registry *r, const char *area, const char *format, FILE *f, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    bool html = format && !strcmp(format, "html");
    UPL_FAIL_IF(format && strcmp(format, "csv") && strcmp(format, "html"), err, UPL_EMISUSE,
                "notice format must be csv or html");
    const char *prefix = r->scope;
    if (area && *area) {
        for (const char *q = area; *q; q++)
            UPL_FAIL_IF(*q < '0' || *q > '9' || q - area >= 12, err, UPL_EMISUSE,
                        "area `%s` must be an area-code prefix (up to 12 digits)", area);
        UPL_FAIL_IF(strncmp(area, r->scope, strlen(r->scope)) != 0, err, UPL_EAUTH, "area %s is outside your scope", area);
        prefix = area;
    }
    /* Only public columns are selected: the query itself cannot leak a sensitive field. */
    UPL_TRY(r->db->vt->prepare(r->db,
        "SELECT c.kind, h.household_code, h.head_name, h.village, h.area_code, w.household_size,"
        " w.main_poverty_cause, w.monitoring_category, c.notice_date FROM case_file c"
        " JOIN household h ON h.id = c.household_id"
        " JOIN household_wave w ON w.household_id = c.household_id AND w.wave = c.wave"
        " WHERE c.state IN ('open', 'objection') AND c.notice_date IS NOT NULL AND c.notice_date <> ''"
        " AND h.area_code LIKE ? ORDER BY h.area_code, h.household_code", &st, err));
    char *like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_text(st, 1, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    bool row = false;
    UPL_TRY(r->db->vt->step(st, &row, err));
    if (html) {
        fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
              "<title>公示 Public notice</title><style>body{font-family:sans-serif;margin:2em}"
              "table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:4px 8px}"
              "@media print{body{margin:1cm}}</style></head><body>\n"
              "<h1>公示 / Public notice</h1>\n<p>以下农户拟按所列事项办理，现予公示。公示期内如有异议，请向村委会或乡镇反映。"
              "<br>The households below are proposed for the decisions listed. Objections may be raised with the "
              "village committee or the township during the notice period.</p>\n<table><thead><tr>"
              "<th>户编号 Household</th><th>户主 Head</th><th>村 Village</th><th>人口 Size</th>"
              "<th>事项 Decision</th><th>类别/原因 Category or cause</th><th>公示期 Notice period</th>"
              "</tr></thead><tbody>\n", f);
    } else {
        fputs("household_code,head_name,village,area_code,household_size,decision,category_or_cause,notice_start,notice_end\n", f);
    }
    size_t n_rows = 0;
    while (row) {
        const upl_db_vt *vt = r->db->vt;
        const char *kind = vt->col_text(st, 0, NULL);
        int k = 0;
        upl_case_kind_parse(kind, &k);
        const char *code = vt->col_text(st, 1, NULL), *head = vt->col_text(st, 2, NULL),
                   *village = vt->col_text(st, 3, NULL), *areac = vt->col_text(st, 4, NULL),
                   *cause = vt->col_text(st, 6, NULL), *cat = vt->col_text(st, 7, NULL),
                   *nd = vt->col_text(st, 8, NULL);
        int64_t size = vt->col_i64(st, 5);
        long d0 = 0;
        char end[16] = "";
        if (parse_iso_date(nd, &d0)) format_days(d0 + notice_days(k), end);
        const char *label = k ? kind_labels[k] : kind;
        const char *what = (k == UPL_CASE_MONITOR || k == UPL_CASE_ELIMINATE) ? (cat ? cat : "") : (cause ? cause : "");
        if (html) {
            fputs("<tr><td>", f); html_escape(f, code);
            fputs("</td><td>", f); html_escape(f, head);
            fputs("</td><td>", f); html_escape(f, village ? village : areac);
            fprintf(f, "</td><td>%lld</td><td>", (long long)size); html_escape(f, label);
            fputs("</td><td>", f); html_escape(f, what);
            fputs("</td><td>", f); html_escape(f, nd); fputs(" – ", f); html_escape(f, end);
            fputs("</td></tr>\n", f);
        } else {
            const char *cells[] = { code, head, village, areac };
            for (int i = 0; i < 4; i++) { upl_csv_put_field(f, cells[i] ? cells[i] : "", cells[i] ? strlen(cells[i]) : 0); fputc(',', f); }
            fprintf(f, "%lld,", (long long)size);
            upl_csv_put_field(f, label, strlen(label)); fputc(',', f);
            upl_csv_put_field(f, what, strlen(what)); fputc(',', f);
            fprintf(f, "%s,%s\n", nd ? nd : "", end);
        }
        n_rows++;
        UPL_TRY(vt->step(st, &row, err));
    }
    if (html) fprintf(f, "</tbody></table>\n<p>%zu 户 households.</p></body></html>\n", n_rows);
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}
