/* registry_review.c — review and correction: what an import could not decide
 * alone comes back to people here.
 *
 * Conflicts (the same person — blind index — in two households) get a
 * decision from a fixed list with a required note: moved, duplicate
 * registration, data entry error (final, by a reviewer whose scope covers
 * both households), or escalated to the reviewer of the lowest area covering
 * both (RELIABILITY.md §5 item 8). A decision never edits households: the
 * registry's members change only through a correction import, so what the
 * data says and what a reviewer decided stay separately visible, and the
 * list shows whether the correction has arrived (follow_up). Why these
 * decisions: docs/decisions/0008-conflict-review.md.
 *
 * Quarantined households (rows refused whole at import) are listed, read
 * back with the raw row decrypted but ID, phone and bank masked, and closed:
 * automatically when a later import has brought the household in for the
 * same wave (superseded), or by a reviewer with a reason.
 *
 * Scope: a conflict is visible to an actor whose scope covers either
 * household, and only the households inside the scope are shown in detail.
 * A quarantined row without an area (unreadable, or refused as out of
 * scope) is visible to full-scope actors only: its raw content belongs to
 * an area nobody narrower may read. Every change runs in one transaction
 * with its audit entry; refusals by role or scope are audited too. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry_int.h"

static const char *const decisions[] = { "moved", "duplicate_registration", "data_entry_error", "escalated", NULL };
static const char *const conflict_kinds[] = { "same_person_two_households", "same_person_two_areas", NULL };
static const char *const conflict_states[] = { "open", "escalated", "resolved", NULL };
static const char *const quarantine_states[] = { "open", "superseded", "closed", NULL };

const char *const *upl_conflict_decisions(void) { return decisions; }

static bool in_list(const char *const *list, const char *s) {
    for (; s && *list; list++) if (!strcmp(*list, s)) return true;
    return false;
}

static const char *or_empty(const char *s) { return s ? s : ""; }

/* Prepare and bind (spec as upl_db_run). */
static int prep(upl_registry *r, const char *sql, upl_stmt **st, upl_error *err, const char *spec, ...) {
    int rc = r->db->vt->prepare(r->db, sql, st, err);
    if (rc) return rc;
    va_list ap;
    va_start(ap, spec);
    rc = upl_db_bindv(r->db, *st, spec, ap);
    va_end(ap);
    if (rc) {
        r->db->vt->finalize(*st);
        *st = NULL;
        return upl_error_set(err, rc, "cannot bind parameters: %s", upl_errstr(rc));
    }
    return UPL_OK;
}

/* ---- shared helpers ------------------------------------------------------------ */
int upl_reg_check_note(const char *note, bool required, const char *what, upl_error *err) {
    size_t n = note ? strlen(note) : 0, run = 0;
    bool blank = true;
    for (size_t i = 0; i < n; i++) if (!isspace((unsigned char)note[i])) blank = false;
    if (blank && required)
        return upl_error_set(err, UPL_EMISUSE, "%s needs a note saying why (--note TEXT) / 请填写说明", what);
    if (n > 2000)
        return upl_error_set(err, UPL_ELIMIT, "the note of %s has %zu bytes; keep it under 2000", what, n);
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? note[i] : 0;
        if ((c >= '0' && c <= '9') || ((c == 'X' || c == 'x') && run >= 14)) { run++; continue; }
        if (run >= 15)
            return upl_error_set(err, UPL_EMISUSE, "the note of %s holds a number of %zu digits (an ID or bank "
                                 "account?): notes are stored and audited in clear, so refer to a person by "
                                 "person code or masked ID (110105********002X) / 说明中不得含身份证号或银行账号",
                                 what, run);
        run = 0;
    }
    return UPL_OK;
}

void upl_reg_audit_denied(upl_registry *r, const char *object, const char *what) {
    upl_error e = {0};
    upl_sbuf a = {0};
    upl_sbuf_str(&a, "{\"refused\":");
    upl_sbuf_json(&a, what);
    upl_sbuf_str(&a, ",\"role\":");
    upl_sbuf_json(&a, upl_role_name(r->role));
    upl_sbuf_str(&a, "}");
    if (!a.failed && r->db->vt->begin(r->db, &e) == UPL_OK) {
        if (upl_reg_audit(r, "auth.denied", object, NULL, a.s, &e) == UPL_OK && r->db->vt->commit(r->db, &e) == UPL_OK) {
            /* recorded */
        } else {
            r->db->vt->rollback(r->db);
        }
    }
    upl_sbuf_free(&a);
    upl_error_clear(&e);
}

/* ---- conflicts ------------------------------------------------------------------- */
/* The household whose record a decision says must change: the other one for
 * moved / duplicate_registration, the named one for data_entry_error. The
 * follow-up is done when the person (blind index) is no longer listed in
 * that household's latest wave. */
#define CONFLICT_COLUMNS \
    "c.id, c.kind, c.id_masked, c.household_a, c.household_b, c.area_a, c.area_b, c.escalate_to, c.status," \
    " c.resolution AS decision, c.resolution_household AS decision_household, c.resolved_by, c.resolved_at," \
    " CASE WHEN c.status <> 'resolved' THEN '' WHEN EXISTS (SELECT 1 FROM member m" \
    "  JOIN household h ON h.id = m.household_id JOIN member_wave mw ON mw.member_id = m.id" \
    "  WHERE m.id_blind = c.id_blind AND h.household_code = CASE WHEN c.resolution = 'data_entry_error'" \
    "  THEN c.resolution_household WHEN c.resolution_household = c.household_a THEN c.household_b" \
    "  ELSE c.household_a END AND mw.wave = (SELECT MAX(w.wave) FROM household_wave w WHERE w.household_id = h.id))" \
    " THEN 'pending' ELSE 'done' END AS follow_up, c.created_at"

static int conflict_query(upl_registry *r, const upl_conflict_filter *f, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    char *like = NULL;
    const char *prefix = NULL;
    const char *status = f ? or_empty(f->status) : "", *kind = f ? or_empty(f->kind) : "";
    int64_t id = f ? f->id : 0;
    *out = NULL;
    UPL_FAIL_IF(*status && !in_list(conflict_states, status), err, UPL_EMISUSE,
                "conflict status must be open, escalated or resolved, not `%s`", status);
    UPL_FAIL_IF(*kind && !in_list(conflict_kinds, kind), err, UPL_EMISUSE,
                "conflict kind must be same_person_two_households or same_person_two_areas, not `%s`", kind);
    UPL_TRY(upl_reg_area_prefix(r, f ? f->area : NULL, &prefix, err));
    like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(prep(r, "SELECT " CONFLICT_COLUMNS " FROM conflict c WHERE (c.area_a LIKE ? OR c.area_b LIKE ?)"
                    " AND (CAST(? AS TEXT) = '' OR c.status = ?) AND (CAST(? AS TEXT) = '' OR c.kind = ?)"
                    " AND (CAST(? AS BIGINT) = 0 OR c.id = ?) ORDER BY c.id",
                 &st, err, "ssssssii", like, like, status, status, kind, kind, id, id));
    UPL_TRY(upl_db_to_table(r->db, st, "id", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    upl_free(like);
    return rc;
}

int upl_conflict_list(upl_registry *r, const upl_conflict_filter *f, upl_table **out, upl_error *err) {
    return conflict_query(r, f, out, err);
}

typedef struct conflict_row {
    int64_t id;
    char *kind, *blind, *masked, *ha, *hb, *aa, *ab, *esc, *status, *resolution, *resolved_by, *resolved_at;
} conflict_row;

static void conflict_row_free(conflict_row *c) {
    char **all[] = { &c->kind, &c->blind, &c->masked, &c->ha, &c->hb, &c->aa, &c->ab, &c->esc, &c->status,
                     &c->resolution, &c->resolved_by, &c->resolved_at };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) { upl_free(*all[i]); *all[i] = NULL; }
}

/* Read one conflict; UPL_ENOTFOUND when absent or invisible to the actor
 * (the two are not told apart: existence outside the scope is not shown). */
static int load_conflict(upl_registry *r, int64_t id, conflict_row *c, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    bool row = false;
    memset(c, 0, sizeof *c);
    UPL_TRY(prep(r, "SELECT kind, id_blind, id_masked, household_a, household_b, area_a, area_b, escalate_to,"
                    " status, resolution, resolved_by, resolved_at FROM conflict WHERE id = ?", &st, err, "i", id));
    UPL_TRY(r->db->vt->step(st, &row, err));
    if (row) {
        char **dst[] = { &c->kind, &c->blind, &c->masked, &c->ha, &c->hb, &c->aa, &c->ab, &c->esc, &c->status,
                         &c->resolution, &c->resolved_by, &c->resolved_at };
        for (int i = 0; i < 12; i++) {
            const char *v = r->db->vt->col_text(st, i, NULL);
            *dst[i] = upl_strdup(v ? v : "");
            UPL_FAIL_IF(!*dst[i], err, UPL_ENOMEM, "out of memory");
        }
        c->id = id;
    }
    UPL_FAIL_IF(!row || (!upl_registry_in_scope(r, c->aa) && !upl_registry_in_scope(r, c->ab)), err, UPL_ENOTFOUND,
                "no conflict %lld in your scope; `uplift case conflicts` lists them", (long long)id);
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    if (rc) conflict_row_free(c);
    return rc;
}

int upl_conflict_show(upl_registry *r, int64_t id, upl_table **conflict, upl_table **members, upl_table **history,
                      upl_error *err) {
    int rc;
    conflict_row c;
    upl_stmt *st = NULL;
    char *like = NULL;
    upl_table *t1 = NULL, *t2 = NULL, *t3 = NULL;
    bool loaded = false;
    if (conflict) *conflict = NULL;
    if (members) *members = NULL;
    if (history) *history = NULL;
    UPL_TRY(load_conflict(r, id, &c, err));
    loaded = true;
    upl_conflict_filter f = { NULL, NULL, NULL, id };
    UPL_TRY(conflict_query(r, &f, &t1, err));
    like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    /* Members of each household's latest wave, and the person in conflict even
     * where a correction has since dropped them (involved = 1, in_latest_wave = 0). */
    /* The latest wave as a correlated MAX over the (household_id, wave) key:
     * two index probes per household, never a pass over all waves. */
    UPL_TRY(prep(r, "SELECT CASE WHEN h.household_code = ? THEN 'A' ELSE 'B' END AS side, h.household_code,"
                    " h.area_code, h.head_name,"
                    " (SELECT MAX(w.wave) FROM household_wave w WHERE w.household_id = h.id) AS latest_wave,"
                    " m.person_code, m.name, mw.relation_to_head,"
                    " m.id_masked, CASE WHEN m.id_blind = ? THEN 1 ELSE 0 END AS involved,"
                    " CASE WHEN mw.member_id IS NULL THEN 0 ELSE 1 END AS in_latest_wave"
                    " FROM member m JOIN household h ON h.id = m.household_id"
                    " LEFT JOIN member_wave mw ON mw.member_id = m.id"
                    "  AND mw.wave = (SELECT MAX(w.wave) FROM household_wave w WHERE w.household_id = h.id)"
                    " WHERE h.household_code IN (?, ?) AND h.area_code LIKE ?"
                    " AND (mw.member_id IS NOT NULL OR m.id_blind = ?)"
                    " ORDER BY 1, CASE WHEN mw.relation_to_head = '户主' THEN 0 ELSE 1 END, m.id",
                 &st, err, "ssssss", c.ha, c.blind, c.ha, c.hb, like, c.blind));
    UPL_TRY(upl_db_to_table(r->db, st, "latest_wave,involved,in_latest_wave", &t2, err));
    r->db->vt->finalize(st);
    st = NULL;
    UPL_TRY(prep(r, "SELECT at, actor, decision, household, note FROM conflict_review WHERE conflict_id = ?"
                    " ORDER BY id", &st, err, "i", id));
    UPL_TRY(upl_db_to_table(r->db, st, "", &t3, err));
    if (conflict) { *conflict = t1; t1 = NULL; }
    if (members) { *members = t2; t2 = NULL; }
    if (history) { *history = t3; t3 = NULL; }
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    if (loaded) conflict_row_free(&c);
    upl_free(like);
    upl_table_free(t1); upl_table_free(t2); upl_table_free(t3);
    return rc;
}

int upl_conflict_resolve(upl_registry *r, int64_t id, const char *decision, const char *household, const char *note,
                         upl_error *err) {
    int rc;
    conflict_row c;
    bool loaded = false, in_tx = false, escalate = decision && !strcmp(decision, "escalated");
    upl_sbuf before = {0}, after = {0};
    char now[32], obj[300];
    snprintf(obj, sizeof obj, "conflict:%lld", (long long)id);
    rc = upl_reg_require_role(r, UPL_ROLE_REVIEWER, "deciding a conflict", err);
    if (rc) { upl_reg_audit_denied(r, obj, "conflict.resolve"); return rc; }
    UPL_FAIL_IF(!in_list(decisions, decision), err, UPL_EMISUSE,
                "decision must be moved, duplicate_registration, data_entry_error or escalated, not `%s`",
                or_empty(decision));
    if (escalate)
        UPL_FAIL_IF(household && *household, err, UPL_EMISUSE,
                    "an escalation names no household: the reviewer of the higher level decides");
    else
        UPL_FAIL_IF(!household || !*household, err, UPL_EMISUSE,
                    "`%s` needs the household it concerns (--household CODE): %s", decision,
                    !strcmp(decision, "moved") ? "where the person lives now"
                    : !strcmp(decision, "duplicate_registration") ? "the record to keep"
                                                                  : "the household whose ID number was wrong");
    UPL_TRY(upl_reg_check_note(note, true, "a conflict decision", err));
    UPL_TRY(r->db->vt->begin(r->db, err));
    in_tx = true;
    UPL_TRY(load_conflict(r, id, &c, err));
    loaded = true;
    /* The audit object names the pair as conflict.open did, so one grep finds a conflict's whole story. */
    snprintf(obj, sizeof obj, "conflict:%.120s:%.120s", c.ha, c.hb);
    UPL_FAIL_IF(!strcmp(c.status, "resolved"), err, UPL_EEXISTS,
                "conflict %lld was decided already (%s, by %s at %s); decisions are final — if the data changed, "
                "a correction import records it", (long long)id, c.resolution, c.resolved_by, c.resolved_at);
    bool covers_both = upl_registry_in_scope(r, c.aa) && upl_registry_in_scope(r, c.ab);
    if (escalate) {
        UPL_FAIL_IF(!strcmp(c.status, "escalated"), err, UPL_EEXISTS,
                    "conflict %lld is already escalated to the reviewers of %s", (long long)id, c.esc);
        UPL_FAIL_IF(covers_both, err, UPL_EMISUSE,
                    "conflict %lld lies inside your scope (%s and %s): decide it with moved, duplicate_registration "
                    "or data_entry_error", (long long)id, c.aa, c.ab);
    } else {
        if (!covers_both) {
            rc = upl_error_set(err, UPL_EAUTH, "conflict %lld spans %s and %s: it is decided at %s, which your scope "
                               "%s does not cover; record `escalated` to pass it up / 跨辖区冲突请上报",
                               (long long)id, c.aa, c.ab, c.esc, r->scope[0] ? r->scope : "(all)");
            r->db->vt->rollback(r->db);
            in_tx = false;
            upl_reg_audit_denied(r, obj, "conflict.resolve");
            goto fail;
        }
        UPL_FAIL_IF(strcmp(household, c.ha) && strcmp(household, c.hb), err, UPL_EMISUSE,
                    "household `%s` is not part of conflict %lld (%s, %s)", household, (long long)id, c.ha, c.hb);
    }
    upl_reg_now(now);
    const char *new_status = escalate ? "escalated" : "resolved";
    int64_t got = 0;
    bool found = false;
    /* The status read is the condition: a concurrent decision makes this one fail, not overwrite it. */
    if (escalate)
        UPL_TRY(upl_db_query_i64(r->db, "UPDATE conflict SET status = 'escalated' WHERE id = ? AND status = ?"
                                        " RETURNING id", &got, &found, err, "is", id, c.status));
    else
        UPL_TRY(upl_db_query_i64(r->db, "UPDATE conflict SET status = 'resolved', resolution = ?,"
                                        " resolution_household = ?, resolution_note = ?, resolved_by = ?,"
                                        " resolved_at = ? WHERE id = ? AND status = ? RETURNING id",
                                 &got, &found, err, "sssssis", decision, household, note, r->actor, now, id,
                                 c.status));
    UPL_FAIL_IF(!found, err, UPL_EEXISTS, "conflict %lld was decided by someone else meanwhile; look again with "
                "`uplift case conflicts show %lld`", (long long)id, (long long)id);
    UPL_TRY(upl_db_run(r->db, "INSERT INTO conflict_review (conflict_id, decision, household, note, actor, at)"
                              " VALUES (?, ?, ?, ?, ?, ?)", err, "iszsss", id, decision, escalate ? NULL : household,
                       note, r->actor, now));
    upl_sbuf_fmt(&before, "{\"conflict\":%lld,\"kind\":", (long long)id);
    upl_sbuf_json(&before, c.kind);
    upl_sbuf_str(&before, ",\"id\":");
    upl_sbuf_json(&before, c.masked);
    upl_sbuf_str(&before, ",\"status\":");
    upl_sbuf_json(&before, c.status);
    upl_sbuf_str(&before, "}");
    upl_sbuf_str(&after, "{\"status\":");
    upl_sbuf_json(&after, new_status);
    upl_sbuf_str(&after, ",\"decision\":");
    upl_sbuf_json(&after, decision);
    if (!escalate) {
        upl_sbuf_str(&after, ",\"household\":");
        upl_sbuf_json(&after, household);
    } else {
        upl_sbuf_str(&after, ",\"escalate_to\":");
        upl_sbuf_json(&after, c.esc);
    }
    upl_sbuf_str(&after, ",\"note\":");
    upl_sbuf_json(&after, note);
    upl_sbuf_str(&after, "}");
    UPL_FAIL_IF(before.failed || after.failed, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(upl_reg_audit(r, escalate ? "conflict.escalate" : "conflict.resolve", obj, before.s, after.s, err));
    UPL_TRY(r->db->vt->commit(r->db, err));
    in_tx = false;
    rc = UPL_OK;
fail:
    if (in_tx) r->db->vt->rollback(r->db);
    if (loaded) conflict_row_free(&c);
    upl_sbuf_free(&before);
    upl_sbuf_free(&after);
    return rc;
}

/* ---- quarantine ------------------------------------------------------------------ */
/* Visibility: area under the prefix, or no area and a full-scope prefix. */
#define QUARANTINE_VISIBLE "(q.area_code LIKE ? OR (q.area_code IS NULL AND CAST(? AS TEXT) = ''))"

static int quarantine_query(upl_registry *r, const upl_quarantine_filter *f, int64_t id, bool detail,
                            upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    char *like = NULL;
    const char *prefix = NULL;
    const char *status = f ? or_empty(f->status) : "", *code = f ? or_empty(f->code) : "",
               *hh = f ? or_empty(f->household_code) : "";
    int64_t imp = f ? f->import_id : 0;
    *out = NULL;
    UPL_FAIL_IF(*status && !in_list(quarantine_states, status), err, UPL_EMISUSE,
                "quarantine status must be open, superseded or closed, not `%s`", status);
    UPL_FAIL_IF(imp < 0, err, UPL_EMISUSE, "import id must be positive");
    UPL_TRY(upl_reg_area_prefix(r, f ? f->area : NULL, &prefix, err));
    like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    const char *sql = detail
        ? "SELECT q.id, q.import_id, f.wave, q.line, q.household_code, q.area_code, q.code, q.field, q.status,"
          " q.message, f.source, f.at AS imported_at, f.actor AS imported_by, q.closed_by, q.closed_at,"
          " q.close_note, q.superseded_by FROM quarantine q JOIN import_file f ON f.id = q.import_id"
          " WHERE " QUARANTINE_VISIBLE " AND (CAST(? AS TEXT) = '' OR q.status = ?)"
          " AND (CAST(? AS TEXT) = '' OR q.code = ?) AND (CAST(? AS TEXT) = '' OR q.household_code = ?)"
          " AND (CAST(? AS BIGINT) = 0 OR q.import_id = ?) AND (CAST(? AS BIGINT) = 0 OR q.id = ?) ORDER BY q.id"
        : "SELECT q.id, q.import_id, f.wave, q.line, q.household_code, q.area_code, q.code, q.field, q.status,"
          " q.message FROM quarantine q JOIN import_file f ON f.id = q.import_id"
          " WHERE " QUARANTINE_VISIBLE " AND (CAST(? AS TEXT) = '' OR q.status = ?)"
          " AND (CAST(? AS TEXT) = '' OR q.code = ?) AND (CAST(? AS TEXT) = '' OR q.household_code = ?)"
          " AND (CAST(? AS BIGINT) = 0 OR q.import_id = ?) AND (CAST(? AS BIGINT) = 0 OR q.id = ?) ORDER BY q.id";
    UPL_TRY(prep(r, sql, &st, err, "ssssssssiiii", like, prefix, status, status, code, code, hh, hh, imp, imp, id, id));
    UPL_TRY(upl_db_to_table(r->db, st, "id,import_id,wave,line,superseded_by", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    upl_free(like);
    return rc;
}

int upl_quarantine_list(upl_registry *r, const upl_quarantine_filter *f, upl_table **out, upl_error *err) {
    return quarantine_query(r, f, 0, false, out, err);
}

/* Mask by UTF-8 code points, keeping `head` and `tail` of them; short values
 * keep only the last 2 (as upl_reg_mask_digits does for phones). */
static char *mask_cp(const char *s, size_t head, size_t tail) {
    size_t n = strlen(s), ncp = 0;
    for (size_t i = 0; i < n; i++) if (((unsigned char)s[i] & 0xC0) != 0x80) ncp++;
    if (ncp <= head + tail) { head = 0; tail = ncp > 2 ? 2 : 0; }
    char *m = upl_malloc(n + 1);
    if (!m) return NULL;
    size_t o = 0, cp = 0;
    for (size_t i = 0; i < n;) {
        size_t len = 1;
        while (i + len < n && ((unsigned char)s[i + len] & 0xC0) == 0x80) len++;
        if (cp < head || cp + tail >= ncp) { memcpy(m + o, s + i, len); o += len; }
        else m[o++] = '*';
        i += len;
        cp++;
    }
    m[o] = 0;
    return m;
}

static char *mask_value(const char *field, const char *v) {
    if (!strcmp(field, "id_number")) {
        upl_id_result id;
        if (upl_id_check(v, strlen(v), UPL_ID_ALLOW_15, 0, &id) == UPL_ID_OK) return upl_strdup(id.masked);
        return mask_cp(v, 6, 4);
    }
    if (!strcmp(field, "household_phone") || !strcmp(field, "person_phone") || !strcmp(field, "bank_account"))
        return mask_cp(v, 3, 4);
    return upl_strdup(v);
}

/* Append one UTF-8 code point. */
static void put_utf8(upl_sbuf *b, unsigned cp) {
    char u[4];
    if (cp < 0x80) { u[0] = (char)cp; upl_sbuf_add(b, u, 1); }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); upl_sbuf_add(b, u, 2); }
    else { u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[2] = (char)(0x80 | (cp & 0x3F));
           upl_sbuf_add(b, u, 3); }
}

/* One JSON string at *p (after its opening quote) into b; advances past the closing quote. */
static bool json_string(const char **p, upl_sbuf *b) {
    const char *s = *p;
    while (*s && *s != '"') {
        if (*s != '\\') { upl_sbuf_add(b, s, 1); s++; continue; }
        s++;
        switch (*s) {
        case '"': case '\\': case '/': upl_sbuf_add(b, s, 1); break;
        case 'n': upl_sbuf_add(b, "\n", 1); break;
        case 't': upl_sbuf_add(b, "\t", 1); break;
        case 'r': upl_sbuf_add(b, "\r", 1); break;
        case 'b': upl_sbuf_add(b, "\b", 1); break;
        case 'f': upl_sbuf_add(b, "\f", 1); break;
        case 'u': {
            unsigned cp = 0;
            for (int k = 1; k <= 4; k++) {
                char h = s[k];
                if (h >= '0' && h <= '9') cp = cp * 16 + (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f') cp = cp * 16 + (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F') cp = cp * 16 + (unsigned)(h - 'A' + 10);
                else return false;
            }
            put_utf8(b, cp);
            s += 4;
            break;
        }
        default: return false;
        }
        s++;
    }
    if (*s != '"') return false;
    *p = s + 1;
    return true;
}

/* The raw row (a flat JSON object of strings, written by the import) as a
 * field/value table, sensitive values masked. */
static int raw_table(const char *json, upl_table **out, upl_error *err) {
    int rc;
    upl_table *t = upl_table_new();
    upl_column *cf = NULL, *cv = NULL;
    upl_sbuf k = {0}, v = {0};
    char *masked = NULL;
    *out = NULL;
    UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(upl_table_add_column(t, "field", UPL_STR, &cf, err));
    UPL_TRY(upl_table_add_column(t, "value", UPL_STR, &cv, err));
    const char *p = json;
    while (isspace((unsigned char)*p)) p++;
    UPL_FAIL_IF(*p++ != '{', err, UPL_ECORRUPT, "quarantined row is not a JSON object");
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (*p == '}') break;
        k.len = 0; v.len = 0;
        UPL_FAIL_IF(*p++ != '"' || !json_string(&p, &k), err, UPL_ECORRUPT, "quarantined row: bad field name");
        while (isspace((unsigned char)*p)) p++;
        UPL_FAIL_IF(*p++ != ':', err, UPL_ECORRUPT, "quarantined row: ':' expected");
        while (isspace((unsigned char)*p)) p++;
        UPL_FAIL_IF(*p++ != '"' || !json_string(&p, &v), err, UPL_ECORRUPT, "quarantined row: bad value");
        UPL_FAIL_IF(k.failed || v.failed, err, UPL_ENOMEM, "out of memory");
        char *ks = upl_strndup(k.s ? k.s : "", k.len), *vs = upl_strndup(v.s ? v.s : "", v.len);
        masked = ks && vs ? mask_value(ks, vs) : NULL;
        rc = masked ? upl_col_push_str(cf, ks, strlen(ks)) : UPL_ENOMEM;
        if (!rc) rc = upl_col_push_str(cv, masked, strlen(masked));
        upl_free(ks);
        upl_free(vs);
        upl_free(masked);
        masked = NULL;
        UPL_FAIL_IF(rc, err, UPL_ENOMEM, "out of memory");
        while (isspace((unsigned char)*p)) p++;
        if (*p == ',') { p++; continue; }
        UPL_FAIL_IF(*p != '}', err, UPL_ECORRUPT, "quarantined row: ',' or '}' expected");
    }
    *out = t;
    t = NULL;
    rc = UPL_OK;
fail:
    upl_sbuf_free(&k);
    upl_sbuf_free(&v);
    upl_table_free(t);
    return rc;
}

int upl_quarantine_show(upl_registry *r, int64_t id, upl_table **item, upl_table **raw, upl_error *err) {
    int rc;
    upl_table *t = NULL, *rt = NULL;
    char *enc = NULL, *plain = NULL;
    if (item) *item = NULL;
    if (raw) *raw = NULL;
    UPL_TRY(quarantine_query(r, NULL, id, true, &t, err));
    UPL_FAIL_IF(id <= 0 || upl_table_n_rows(t) != 1, err, UPL_ENOTFOUND,
                "no quarantined row %lld in your scope; `uplift quarantine list` lists them", (long long)id);
    if (raw) {
        UPL_TRY(upl_db_query_text(r->db, "SELECT raw_enc FROM quarantine WHERE id = ?", &enc, err, "i", id));
        if (enc) {
            size_t len = 0;
            UPL_TRY(upl_reg_decrypt(r, "quarantine.raw", enc, &plain, &len, err));
            UPL_TRY(raw_table(plain, &rt, err));
        } else {
            UPL_TRY(raw_table("{}", &rt, err));
        }
    }
    if (item) { *item = t; t = NULL; }
    if (raw) { *raw = rt; rt = NULL; }
    rc = UPL_OK;
fail:
    if (plain) { memset(plain, 0, strlen(plain)); upl_free(plain); }
    upl_free(enc);
    upl_table_free(t);
    upl_table_free(rt);
    return rc;
}

typedef struct sweep_hit { int64_t id, import_id, by; char *household; } sweep_hit;

int upl_quarantine_sweep(upl_registry *r, const char *area, upl_table **out, uint64_t *n_closed, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    char *like = NULL, now[32];
    const char *prefix = NULL;
    sweep_hit *hits = NULL;
    size_t n = 0, cap = 0;
    bool in_tx = false, row = false;
    upl_table *t = NULL;
    upl_column *c_id = NULL, *c_hh = NULL, *c_imp = NULL, *c_by = NULL;
    if (out) *out = NULL;
    *n_closed = 0;
    rc = upl_reg_require_role(r, UPL_ROLE_CLERK, "closing superseded quarantine items", err);
    if (rc) { upl_reg_audit_denied(r, "quarantine", "quarantine.sweep"); return rc; }
    UPL_TRY(upl_reg_area_prefix(r, area, &prefix, err));
    like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    upl_reg_now(now);
    UPL_TRY(r->db->vt->begin(r->db, err));
    in_tx = true;
    /* Superseded: the household's wave of the quarantining import was written
     * by a later import (household_wave.import_id is the last import that
     * accepted it). An earlier acceptance does not count: the registry then
     * holds the old data while the newer rows were refused. */
    UPL_TRY(prep(r, "SELECT q.id, q.household_code, q.import_id, hw.import_id FROM quarantine q"
                    " JOIN import_file f ON f.id = q.import_id"
                    " JOIN household h ON h.household_code = q.household_code"
                    " JOIN household_wave hw ON hw.household_id = h.id AND hw.wave = f.wave"
                    " WHERE q.status = 'open' AND hw.import_id > q.import_id AND h.area_code LIKE ?"
                    " AND (q.area_code IS NULL OR q.area_code LIKE ?) ORDER BY q.id",
                 &st, err, "ss", like, like));
    UPL_TRY(r->db->vt->step(st, &row, err));
    while (row) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            sweep_hit *p = upl_reallocarray(hits, cap, sizeof *p);
            UPL_FAIL_IF(!p, err, UPL_ENOMEM, "out of memory");
            hits = p;
        }
        sweep_hit *h = &hits[n++];
        h->id = r->db->vt->col_i64(st, 0);
        h->household = upl_strdup(or_empty(r->db->vt->col_text(st, 1, NULL)));
        h->import_id = r->db->vt->col_i64(st, 2);
        h->by = r->db->vt->col_i64(st, 3);
        UPL_FAIL_IF(!h->household, err, UPL_ENOMEM, "out of memory");
        UPL_TRY(r->db->vt->step(st, &row, err));
    }
    r->db->vt->finalize(st);
    st = NULL;
    if (out) {
        t = upl_table_new();
        UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
        UPL_TRY(upl_table_add_column(t, "id", UPL_I64, &c_id, err));
        UPL_TRY(upl_table_add_column(t, "household_code", UPL_STR, &c_hh, err));
        UPL_TRY(upl_table_add_column(t, "import_id", UPL_I64, &c_imp, err));
        UPL_TRY(upl_table_add_column(t, "superseded_by", UPL_I64, &c_by, err));
    }
    for (size_t i = 0; i < n; i++) {
        const sweep_hit *h = &hits[i];
        char note[160], obj[64], after[400], before[300];
        snprintf(note, sizeof note, "household imported by import %lld / 已由第 %lld 次导入补录", (long long)h->by,
                 (long long)h->by);
        UPL_TRY(upl_db_run(r->db, "UPDATE quarantine SET status = 'superseded', superseded_by = ?, closed_by = ?,"
                                  " closed_at = ?, close_note = ? WHERE id = ? AND status = 'open'", err, "isssi",
                           h->by, r->actor, now, note, h->id));
        snprintf(obj, sizeof obj, "quarantine:%lld", (long long)h->id);
        upl_sbuf hb = {0};
        upl_sbuf_json(&hb, h->household);
        UPL_FAIL_IF(hb.failed, err, UPL_ENOMEM, "out of memory");
        snprintf(before, sizeof before, "{\"status\":\"open\",\"household\":%.200s,\"import\":%lld}", hb.s,
                 (long long)h->import_id);
        snprintf(after, sizeof after, "{\"status\":\"superseded\",\"superseded_by\":%lld}", (long long)h->by);
        upl_sbuf_free(&hb);
        UPL_TRY(upl_reg_audit(r, "quarantine.superseded", obj, before, after, err));
        if (t) {
            UPL_FAIL_IF(upl_col_push_i64(c_id, h->id) || upl_col_push_str(c_hh, h->household, strlen(h->household)) ||
                        upl_col_push_i64(c_imp, h->import_id) || upl_col_push_i64(c_by, h->by),
                        err, UPL_ENOMEM, "out of memory");
        }
    }
    UPL_TRY(r->db->vt->commit(r->db, err));
    in_tx = false;
    *n_closed = n;
    if (out) { *out = t; t = NULL; }
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    if (in_tx) r->db->vt->rollback(r->db);
    for (size_t i = 0; i < n; i++) upl_free(hits[i].household);
    upl_free(hits);
    upl_free(like);
    upl_table_free(t);
    return rc;
}

int upl_quarantine_close(upl_registry *r, int64_t id, const char *reason, upl_error *err) {
    int rc;
    upl_table *t = NULL;
    upl_sbuf before = {0}, after = {0};
    bool in_tx = false;
    char obj[64], now[32];
    snprintf(obj, sizeof obj, "quarantine:%lld", (long long)id);
    rc = upl_reg_require_role(r, UPL_ROLE_REVIEWER, "closing a quarantined row by hand", err);
    if (rc) { upl_reg_audit_denied(r, obj, "quarantine.close"); return rc; }
    UPL_TRY(upl_reg_check_note(reason, true, "closing a quarantined row", err));
    UPL_TRY(r->db->vt->begin(r->db, err));
    in_tx = true;
    UPL_TRY(quarantine_query(r, NULL, id, true, &t, err));
    UPL_FAIL_IF(id <= 0 || upl_table_n_rows(t) != 1, err, UPL_ENOTFOUND,
                "no quarantined row %lld in your scope; `uplift quarantine list` lists them", (long long)id);
    size_t n;
    const char *status = upl_col_str(upl_table_find(t, "status"), 0, &n);
    UPL_FAIL_IF(n != 4 || memcmp(status, "open", 4), err, UPL_EEXISTS,
                "quarantined row %lld is %.*s already; `uplift quarantine show %lld` says by whom", (long long)id,
                (int)n, status, (long long)id);
    upl_column *hc = upl_table_find(t, "household_code"), *cc = upl_table_find(t, "code");
    size_t hn = 0, cn = 0;
    const char *hs = upl_col_is_valid(hc, 0) ? upl_col_str(hc, 0, &hn) : "";
    const char *cs = upl_col_str(cc, 0, &cn);
    char *hh = upl_strndup(hs, hn), *code = upl_strndup(cs, cn);
    if (hh && code) {
        upl_sbuf_str(&before, "{\"status\":\"open\",\"household\":");
        upl_sbuf_json(&before, hh);
        upl_sbuf_str(&before, ",\"code\":");
        upl_sbuf_json(&before, code);
        upl_sbuf_str(&before, "}");
    } else {
        before.failed = true;
    }
    upl_free(hh);
    upl_free(code);
    upl_sbuf_str(&after, "{\"status\":\"closed\",\"reason\":");
    upl_sbuf_json(&after, reason);
    upl_sbuf_str(&after, "}");
    UPL_FAIL_IF(before.failed || after.failed, err, UPL_ENOMEM, "out of memory");
    upl_reg_now(now);
    int64_t got = 0;
    bool found = false;
    UPL_TRY(upl_db_query_i64(r->db, "UPDATE quarantine SET status = 'closed', closed_by = ?, closed_at = ?,"
                                    " close_note = ? WHERE id = ? AND status = 'open' RETURNING id", &got, &found, err,
                             "sssi", r->actor, now, reason, id));
    UPL_FAIL_IF(!found, err, UPL_EEXISTS, "quarantined row %lld was closed by someone else meanwhile", (long long)id);
    UPL_TRY(upl_reg_audit(r, "quarantine.close", obj, before.s, after.s, err));
    UPL_TRY(r->db->vt->commit(r->db, err));
    in_tx = false;
    rc = UPL_OK;
fail:
    if (in_tx) r->db->vt->rollback(r->db);
    upl_table_free(t);
    upl_sbuf_free(&before);
    upl_sbuf_free(&after);
    return rc;
}
