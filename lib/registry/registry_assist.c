/* registry_assist.c — assistance measures (帮扶措施) per household, plans,
 * and the coverage report: households whose poverty causes have no matching
 * delivered measure.
 *
 * Measure kinds follow the families in DOMAIN.md §1.6, each tied to one of
 * the "five batches" (五个一批, 2015) where it belongs to one. Which kinds
 * answer which cause (致贫原因, national list) is our own reading of the
 * policy documents, written down in the table below and in docs/registry.md;
 * it is a review aid (which household may have been left without a fitting
 * measure), not a rule from a source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry_int.h"

typedef struct kind_def { const char *kind, *label, *batch; } kind_def;
static const kind_def kinds[] = {
    { "industry", "产业扶贫 industry", "发展生产脱贫一批" },
    { "employment", "就业扶贫 employment/transfer", "发展生产脱贫一批" },
    { "public_welfare_job", "公益岗位 public-welfare job", "发展生产脱贫一批" },
    { "microcredit", "扶贫小额信贷 micro-credit", "发展生产脱贫一批" },
    { "asset_income", "资产收益扶贫 asset income", "发展生产脱贫一批" },
    { "relocation", "易地扶贫搬迁 relocation", "易地搬迁脱贫一批" },
    { "eco_compensation", "生态补偿 ecological compensation", "生态补偿脱贫一批" },
    { "education", "教育扶贫 education", "发展教育脱贫一批" },
    { "skills_training", "技能培训 skills training", "发展教育脱贫一批" },
    { "dibao", "低保兜底 dibao safety net", "社会保障兜底一批" },
    { "medical", "健康扶贫 health/medical assistance", "社会保障兜底一批" },
    { "housing", "危房改造 housing safety", NULL },
    { "drinking_water", "饮水安全 drinking water", NULL },
    { "infrastructure", "基础设施 infrastructure", NULL },
    { "social", "社会帮扶 social assistance", NULL },
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const char *const *upl_assist_kinds(void) {
    static const char *names[N_KINDS + 1];
    if (!names[0]) for (size_t i = 0; i < N_KINDS; i++) names[i] = kinds[i].kind;
    return names;
}

static const kind_def *find_kind(const char *k) {
    for (size_t i = 0; i < N_KINDS; i++) if (k && !strcmp(kinds[i].kind, k)) return &kinds[i];
    return NULL;
}

/* Cause (label as exported) -> kinds that answer it. */
typedef struct cause_map { const char *cause; const char *kinds; } cause_map;
static const cause_map cause_maps[] = {
    { "因病", "medical,dibao" },
    { "因残", "medical,dibao,public_welfare_job" },
    { "因学", "education" },
    { "因灾", "housing,relocation,industry,social" },
    { "缺土地", "industry,employment,relocation,asset_income" },
    { "缺水", "drinking_water,infrastructure,industry" },
    { "缺技术", "skills_training,employment,industry" },
    { "缺劳力", "dibao,public_welfare_job,asset_income" },
    { "缺劳动力", "dibao,public_welfare_job,asset_income" },
    { "缺资金", "microcredit,industry,asset_income" },
    { "交通条件落后", "infrastructure,relocation" },
    { "自身发展动力不足", "employment,skills_training,industry,public_welfare_job" },
    { "因婚", "dibao,social" },
    { "因丧", "dibao,social" },
};

static const char *kinds_for(const char *cause, size_t n) {
    for (size_t i = 0; i < sizeof cause_maps / sizeof cause_maps[0]; i++)
        if (strlen(cause_maps[i].cause) == n && !memcmp(cause_maps[i].cause, cause, n)) return cause_maps[i].kinds;
    return NULL;   /* 其他 and unknown labels: no expectation */
}

static bool in_kinds(const char *list, const char *k) {
    size_t n = strlen(k);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, k, n)) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

int upl_assist_add(upl_registry *r, const upl_measure *m, int64_t *id, upl_error *err) {
    int rc;
    int64_t hh = 0, n = 0;
    bool found = false;
    char *area = NULL, now[32], obj[160], *after = NULL;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "recording assistance", err));
    const kind_def *k = find_kind(m->kind);
    UPL_FAIL_IF(!k, err, UPL_EMISUSE, "unknown measure kind `%s` (see `uplift assist kinds`)", m->kind ? m->kind : "");
    UPL_FAIL_IF(!m->household_code || !m->date || strlen(m->date) != 10, err, UPL_EMISUSE,
                "a measure needs a household code and a date YYYY-MM-DD");
    UPL_FAIL_IF(m->amount_fen < -1, err, UPL_ERANGE, "amount must not be negative");
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = upl_db_query_i64(r->db, "SELECT id FROM household WHERE household_code = ?", &hh, &found, err, "s",
                          m->household_code);
    if (!rc && found) rc = upl_db_query_text(r->db, "SELECT area_code FROM household WHERE id = ?", &area, err, "i", hh);
    if (!rc && (!found || !area || !upl_registry_in_scope(r, area)))
        rc = upl_error_set(err, UPL_ENOTFOUND, "no household `%s` in your scope", m->household_code);
    if (!rc) rc = upl_db_query_i64(r->db, "SELECT COUNT(*) FROM household_wave WHERE household_id = ? AND wave = ?",
                                   &n, &found, err, "ii", hh, (int64_t)m->wave);
    if (!rc && n == 0) rc = upl_error_set(err, UPL_ENOTFOUND, "household %s has no wave %d", m->household_code, m->wave);
    upl_reg_now(now);
    if (!rc) {
        if (m->amount_fen >= 0)
            rc = upl_db_run(r->db, "INSERT INTO measure (household_id, wave, kind, batch, amount_fen, date, cadre, note,"
                                   " is_plan, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err,
                            "iiszisz" "ziss", hh, (int64_t)m->wave, m->kind, k->batch, m->amount_fen, m->date,
                            m->cadre, m->note, (int64_t)(m->is_plan ? 1 : 0), r->actor, now);
        else
            rc = upl_db_run(r->db, "INSERT INTO measure (household_id, wave, kind, batch, amount_fen, date, cadre, note,"
                                   " is_plan, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err,
                            "iisznsz" "ziss", hh, (int64_t)m->wave, m->kind, k->batch, m->date, m->cadre, m->note,
                            (int64_t)(m->is_plan ? 1 : 0), r->actor, now);
    }
    if (!rc) rc = upl_db_query_i64(r->db, "SELECT MAX(id) FROM measure WHERE household_id = ?", id, &found, err, "i", hh);
    if (!rc) {
        snprintf(obj, sizeof obj, "household:%.120s:%d", m->household_code, m->wave);
        after = upl_asprintf("{\"measure\":%lld,\"kind\":\"%s\",\"amount_fen\":%lld,\"date\":\"%s\",\"planned\":%s}",
                             (long long)*id, m->kind, (long long)m->amount_fen, m->date, m->is_plan ? "true" : "false");
        rc = after ? upl_reg_audit(r, "measure.add", obj, NULL, after, err) : upl_error_set(err, UPL_ENOMEM, "out of memory");
    }
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) r->db->vt->rollback(r->db);
fail:
    upl_free(area);
    upl_free(after);
    return rc;
}

int upl_assist_list(upl_registry *r, int wave, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    *out = NULL;
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT m.id, h.household_code, h.area_code, m.kind, m.batch, m.amount_fen,"
                                      " m.date, m.cadre, m.is_plan AS planned, m.note FROM measure m"
                                      " JOIN household h ON h.id = m.household_id WHERE m.wave = ? AND h.area_code LIKE ?"
                                      " ORDER BY h.household_code, m.date, m.id", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_i64(st, 1, wave);
    if (!rc) rc = r->db->vt->bind_text(st, 2, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "id,amount_fen,planned", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}

typedef struct hm { int64_t hh; char *kinds; } hm;   /* delivered kinds per household, comma-joined */

int upl_assist_coverage(upl_registry *r, int wave, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    upl_table *t = NULL;
    upl_column *c_code, *c_area, *c_cause, *c_expect;
    hm *delivered = NULL;
    size_t n_del = 0, cap_del = 0;
    char *like = NULL;
    *out = NULL;
    like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    /* Delivered (not planned) measures of the wave, grouped by household. */
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT m.household_id, m.kind FROM measure m JOIN household h ON h.id = m.household_id"
                                      " WHERE m.wave = ? AND m.is_plan = 0 AND h.area_code LIKE ? ORDER BY m.household_id",
                               &st, err));
    UPL_FAIL_IF(r->db->vt->bind_i64(st, 1, wave) || r->db->vt->bind_text(st, 2, like, (size_t)-1), err, UPL_ENOMEM,
                "out of memory");
    bool row = false;
    UPL_TRY(r->db->vt->step(st, &row, err));
    while (row) {
        int64_t hh = r->db->vt->col_i64(st, 0);
        const char *k = r->db->vt->col_text(st, 1, NULL);
        if (!n_del || delivered[n_del - 1].hh != hh) {
            if (n_del == cap_del) {
                cap_del = cap_del ? cap_del * 2 : 64;
                hm *p = upl_reallocarray(delivered, cap_del, sizeof *p);
                UPL_FAIL_IF(!p, err, UPL_ENOMEM, "out of memory");
                delivered = p;
            }
            delivered[n_del].hh = hh;
            delivered[n_del].kinds = upl_strdup(k ? k : "");
            UPL_FAIL_IF(!delivered[n_del].kinds, err, UPL_ENOMEM, "out of memory");
            n_del++;
        } else {
            char *p = upl_asprintf("%s,%s", delivered[n_del - 1].kinds, k ? k : "");
            UPL_FAIL_IF(!p, err, UPL_ENOMEM, "out of memory");
            upl_free(delivered[n_del - 1].kinds);
            delivered[n_del - 1].kinds = p;
        }
        UPL_TRY(r->db->vt->step(st, &row, err));
    }
    r->db->vt->finalize(st);
    st = NULL;
    t = upl_table_new();
    UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(upl_table_add_column(t, "household_code", UPL_STR, &c_code, err));
    UPL_TRY(upl_table_add_column(t, "area_code", UPL_STR, &c_area, err));
    UPL_TRY(upl_table_add_column(t, "cause", UPL_STR, &c_cause, err));
    UPL_TRY(upl_table_add_column(t, "expected_kinds", UPL_STR, &c_expect, err));
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT h.id, h.household_code, h.area_code, w.main_poverty_cause,"
                                      " w.other_poverty_causes FROM household_wave w JOIN household h ON h.id = w.household_id"
                                      " WHERE w.wave = ? AND h.area_code LIKE ? AND (w.exit_status IS NULL OR w.exit_status <> '脱贫')"
                                      " ORDER BY h.id", &st, err));
    UPL_FAIL_IF(r->db->vt->bind_i64(st, 1, wave) || r->db->vt->bind_text(st, 2, like, (size_t)-1), err, UPL_ENOMEM,
                "out of memory");
    UPL_TRY(r->db->vt->step(st, &row, err));
    size_t di = 0;
    while (row) {
        int64_t hh = r->db->vt->col_i64(st, 0);
        while (di < n_del && delivered[di].hh < hh) di++;
        const char *have = (di < n_del && delivered[di].hh == hh) ? delivered[di].kinds : "";
        const char *code = r->db->vt->col_text(st, 1, NULL), *area = r->db->vt->col_text(st, 2, NULL);
        for (int col = 3; col <= 4; col++) {
            const char *causes = r->db->vt->col_text(st, col, NULL);
            for (const char *p = causes; p && *p;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                const char *expect = kinds_for(p, len);
                bool covered = !expect;
                for (const char *q = expect; q && *q && !covered;) {
                    const char *qe = strchr(q, ',');
                    char k[32];
                    size_t kl = qe ? (size_t)(qe - q) : strlen(q);
                    snprintf(k, sizeof k, "%.*s", (int)kl, q);
                    if (in_kinds(have, k)) covered = true;
                    q = qe ? qe + 1 : NULL;
                }
                if (!covered) {
                    rc = upl_col_push_str(c_code, code, strlen(code));
                    if (!rc) rc = upl_col_push_str(c_area, area, strlen(area));
                    if (!rc) rc = upl_col_push_str(c_cause, p, len);
                    if (!rc) rc = upl_col_push_str(c_expect, expect, strlen(expect));
                    UPL_FAIL_IF(rc, err, UPL_ENOMEM, "out of memory");
                }
                p = e ? e + 1 : NULL;
            }
        }
        UPL_TRY(r->db->vt->step(st, &row, err));
    }
    *out = t;
    t = NULL;
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    for (size_t i = 0; i < n_del; i++) upl_free(delivered[i].kinds);
    upl_free(delivered);
    upl_free(like);
    upl_table_free(t);
    return rc;
}

/* ---- money ------------------------------------------------------------------------ */
int upl_money_parse_fen(const char *s, int64_t *fen) {
    int64_t v = 0, frac = 0;
    int nf = 0;
    const char *p = s;
    if (!s || !*s) return UPL_EPARSE;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > 10000000000000LL) return UPL_ERANGE;    /* 10^13 yuan: no household loss or measure is that */
    }
    if (p == s) return UPL_EPARSE;
    if (*p == '.') {
        const char *q = ++p;
        for (; *p >= '0' && *p <= '9'; p++) { if (++nf > 2) return UPL_EPARSE; frac = frac * 10 + (*p - '0'); }
        if (p == q) return UPL_EPARSE;                 /* "12." */
    }
    if (*p) return UPL_EPARSE;
    while (nf++ < 2) frac *= 10;
    *fen = v * 100 + frac;
    return UPL_OK;
}

void upl_money_format_fen(int64_t fen, char *buf) {
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(buf, 32, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long)(a / 100), (unsigned long long)(a % 100));
}

/* ---- events (shocks) ----------------------------------------------------------- */
/* Kinds follow the shocks of the monitoring mechanism (DOMAIN.md §1.8 risk
 * triggers; the 2021+ risk types 致贫/返贫风险 of REGISTRY_FIELDS.md §4, code list
 * 100A27): each kind also accepts its Chinese label and risk-type labels, so
 * a clerk can type what the form says. "price" (price shocks to farm
 * produce) has no risk type of its own. */
typedef struct event_kind { const char *kind, *label, *aliases; } event_kind;
static const event_kind event_kinds[] = {
    { "illness", "因病 illness", "因病|病|疾病|大病|重病" },
    { "disability", "因残 disability", "因残|残|残疾" },
    { "schooling", "因学 schooling costs", "因学|学|上学" },
    { "disaster", "因自然灾害 natural disaster", "因自然灾害|自然灾害|因灾|灾害|受灾" },
    { "accident", "因意外事故 accident", "因意外事故|意外事故|意外|事故" },
    { "business_failure", "因产业项目失败 failed business or farm project", "因产业项目失败|产业项目失败|产业失败" },
    { "job_loss", "因务工就业不稳 job loss, unstable work", "因务工就业不稳|务工就业不稳|失业|unemployment" },
    { "price", "价格波动 price shock", "价格波动|价格" },
    { "other", "其他 other", "其他|其它" },
};
#define N_EVENT_KINDS (sizeof event_kinds / sizeof event_kinds[0])

const char *const *upl_event_kinds(void) {
    static const char *names[N_EVENT_KINDS + 1];
    if (!names[0]) for (size_t i = 0; i < N_EVENT_KINDS; i++) names[i] = event_kinds[i].kind;
    return names;
}

/* The kind's English name for a name, label or alias; NULL if none. */
static const event_kind *event_kind_find(const char *s) {
    if (!s || !*s) return NULL;
    size_t n = strlen(s);
    for (size_t i = 0; i < N_EVENT_KINDS; i++) {
        if (!strcmp(s, event_kinds[i].kind)) return &event_kinds[i];
        for (const char *p = event_kinds[i].aliases; p && *p;) {
            const char *e = strchr(p, '|');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == n && !memcmp(p, s, n)) return &event_kinds[i];
            p = e ? e + 1 : NULL;
        }
    }
    return NULL;
}

const char *upl_event_kind_label(const char *kind) {
    const event_kind *k = event_kind_find(kind);
    return k ? k->label : NULL;
}

/* A real calendar date YYYY-MM-DD from 1949 to today (UTC). */
static int check_event_date(const char *d, const char *what, upl_error *err) {
    static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool shape = d && strlen(d) == 10 && d[4] == '-' && d[7] == '-';
    for (int i = 0; shape && i < 10; i++) if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9')) shape = false;
    if (!shape) return upl_error_set(err, UPL_EPARSE, "%s `%s` must be a date YYYY-MM-DD", what, d ? d : "");
    int y = atoi(d), m = atoi(d + 5), day = atoi(d + 8);
    int lim = (m >= 1 && m <= 12) ? md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0)) : 0;
    if (day < 1 || day > lim || y < 1949)
        return upl_error_set(err, UPL_ERANGE, "%s `%s` is not a date of the calendar (1949 or later)", what, d);
    char today[32];
    upl_reg_now(today);
    today[10] = 0;
    if (strcmp(d, today) > 0)
        return upl_error_set(err, UPL_ERANGE, "%s %s is in the future (today is %s UTC): record events once they "
                             "happened", what, d, today);
    return UPL_OK;
}

int upl_event_add(upl_registry *r, const char *code, const char *kind, const char *date, int64_t loss_fen,
                  const char *note, int64_t *id, upl_error *err) {
    int rc;
    int64_t hh = 0;
    bool found = false, in_tx = false;
    char *area = NULL, now[32], obj[160];
    upl_sbuf after = {0};
    const event_kind *k = event_kind_find(kind);
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "recording events", err));
    UPL_FAIL_IF(!k, err, UPL_EMISUSE, "event kind `%s` is not in the list: illness, disability, schooling, disaster, "
                "accident, business_failure, job_loss, price or other (or their Chinese labels; "
                "`uplift event kinds`)", kind ? kind : "");
    UPL_FAIL_IF(!code || !*code, err, UPL_EMISUSE, "an event needs a household code");
    UPL_TRY(check_event_date(date, "event date", err));
    UPL_FAIL_IF(loss_fen < -1, err, UPL_ERANGE, "loss must not be negative");
    UPL_TRY(upl_reg_check_note(note, false, "an event", err));
    UPL_TRY(r->db->vt->begin(r->db, err));
    in_tx = true;
    UPL_TRY(upl_db_query_i64(r->db, "SELECT id FROM household WHERE household_code = ?", &hh, &found, err, "s", code));
    if (found) UPL_TRY(upl_db_query_text(r->db, "SELECT area_code FROM household WHERE id = ?", &area, err, "i", hh));
    /* Outside the scope reads as absent: existence elsewhere is not disclosed. */
    UPL_FAIL_IF(!found || !area || !upl_registry_in_scope(r, area), err, UPL_ENOTFOUND,
                "no household `%s` in your scope; check the household code (户编号) against the export", code);
    upl_reg_now(now);
    if (loss_fen >= 0)
        UPL_TRY(upl_db_query_i64(r->db, "INSERT INTO event (household_id, kind, date, loss_fen, note, created_by,"
                                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", id, &found, err,
                                 "issizss", hh, k->kind, date, loss_fen, note, r->actor, now));
    else
        UPL_TRY(upl_db_query_i64(r->db, "INSERT INTO event (household_id, kind, date, loss_fen, note, created_by,"
                                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", id, &found, err,
                                 "issnzss", hh, k->kind, date, note, r->actor, now));
    UPL_FAIL_IF(!found, err, UPL_EDB, "the event was not stored");
    snprintf(obj, sizeof obj, "household:%.120s", code);
    upl_sbuf_fmt(&after, "{\"event\":%lld,\"kind\":\"%s\",\"date\":\"%s\",\"loss_fen\":", (long long)*id, k->kind, date);
    if (loss_fen >= 0) upl_sbuf_fmt(&after, "%lld", (long long)loss_fen);
    else upl_sbuf_str(&after, "null");
    upl_sbuf_str(&after, ",\"note\":");
    if (note && *note) upl_sbuf_json(&after, note);
    else upl_sbuf_str(&after, "null");
    upl_sbuf_str(&after, "}");
    UPL_FAIL_IF(after.failed, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(upl_reg_audit(r, "event.add", obj, NULL, after.s, err));
    UPL_TRY(r->db->vt->commit(r->db, err));
    in_tx = false;
    rc = UPL_OK;
fail:
    if (in_tx) r->db->vt->rollback(r->db);
    upl_free(area);
    upl_sbuf_free(&after);
    return rc;
}

int upl_event_query(upl_registry *r, const upl_event_filter *f, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    upl_table *t = NULL;
    char *like = NULL;
    const char *prefix = NULL, *kind = "";
    const char *from = f && f->from && *f->from ? f->from : NULL, *to = f && f->to && *f->to ? f->to : NULL;
    const char *hh = f && f->household_code ? f->household_code : "";
    *out = NULL;
    if (f && f->kind && *f->kind) {
        const event_kind *k = event_kind_find(f->kind);
        UPL_FAIL_IF(!k, err, UPL_EMISUSE, "event kind `%s` is not in the list (`uplift event kinds`)", f->kind);
        kind = k->kind;
    }
    /* Dates are compared as text, so they must have the one shape that sorts (the future is fine here). */
    for (int i = 0; i < 2; i++) {
        const char *d = i ? to : from;
        bool ok = !d || (strlen(d) == 10 && d[4] == '-' && d[7] == '-');
        for (int j = 0; d && ok && j < 10; j++) if (j != 4 && j != 7 && (d[j] < '0' || d[j] > '9')) ok = false;
        UPL_FAIL_IF(!ok, err, UPL_EPARSE, "--%s `%s` must be a date YYYY-MM-DD", i ? "to" : "from", d);
    }
    UPL_TRY(upl_reg_area_prefix(r, f ? f->area : NULL, &prefix, err));
    like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT e.id, h.household_code, h.area_code, e.kind, e.date, e.loss_fen, e.note,"
                                      " e.created_by, e.created_at FROM event e JOIN household h ON h.id = e.household_id"
                                      " WHERE h.area_code LIKE ? AND e.date >= ? AND e.date <= ?"
                                      " AND (CAST(? AS TEXT) = '' OR h.household_code = ?)"
                                      " AND (CAST(? AS TEXT) = '' OR e.kind = ?) ORDER BY e.date, e.id", &st, err));
    rc = r->db->vt->bind_text(st, 1, like, (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 2, from ? from : "0000-00-00", (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 3, to ? to : "9999-99-99", (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 4, hh, (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 5, hh, (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 6, kind, (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 7, kind, (size_t)-1);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "id,loss_fen", &t, err));
    /* loss_yuan next to loss_fen: exact decimal text, for people. */
    upl_column *fen = upl_table_find(t, "loss_fen"), *yuan = NULL;
    upl_table *t2 = upl_table_new();
    UPL_FAIL_IF(!t2, err, UPL_ENOMEM, "out of memory");
    for (size_t j = 0; j < upl_table_n_cols(t); j++) {
        upl_column *c = upl_table_column(t, j);
        rc = upl_table_copy_column(t2, c, c->name, err);
        if (!rc && c == fen) rc = upl_table_add_column(t2, "loss_yuan", UPL_STR, &yuan, err);
        if (rc) { upl_table_free(t2); goto fail; }
    }
    for (size_t i = 0; i < upl_table_n_rows(t); i++) {
        char buf[32];
        if (upl_col_is_valid(fen, i)) {
            upl_money_format_fen(fen->v.i64[i], buf);
            rc = upl_col_push_str(yuan, buf, strlen(buf));
        } else {
            rc = upl_col_push_null(yuan);
        }
        if (rc) { upl_table_free(t2); UPL_FAIL_IF(true, err, rc, "out of memory"); }
    }
    upl_table_free(t);
    t = t2;
    *out = t;
    t = NULL;
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    upl_free(like);
    upl_table_free(t);
    return rc;
}

int upl_event_list(upl_registry *r, const char *from, const char *to, upl_table **out, upl_error *err) {
    upl_event_filter f = { from, to, NULL, NULL, NULL };
    return upl_event_query(r, &f, out, err);
}
