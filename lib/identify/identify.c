/* identify.c — household identification under a profile: runs the
 * profile's compiled rules (lib/profile) over a person table and turns the
 * per-household arrays into the decision table a county office reads —
 * every criterion with its evidence, the exact score, poor, category,
 * causes, exit eligibility, and the profile name/version/hash on every row
 * — plus summaries by area level. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "identify_int.h"

void upl_identify_options_init(upl_identify_options *o) {
    memset(o, 0, sizeof *o);
    o->has_evidence = true;
}

int upl_identify_run(const upl_profile *p, const upl_table *persons, const upl_identify_options *o,
                     upl_identify **out, upl_error *err) {
    int rc;
    *out = NULL;
    if (!p || !persons || !o) return upl_error_set(err, UPL_EMISUSE, "upl_identify_run: NULL argument");
    upl_identify *r = upl_calloc(1, sizeof *r);
    if (!r) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    r->p = p;
    r->t = persons;
    r->opt = *o;
    upl_eval_options eo = {.year = o->year, .n_threads = o->n_threads};
    UPL_TRY(upl_eval_new(p, persons, &eo, &r->ev, err));
    UPL_TRY(upl_eval_run(r->ev, err));
    *out = r;
    return UPL_OK;
fail:
    upl_identify_free(r);
    return rc;
}

void upl_identify_free(upl_identify *r) {
    if (!r) return;
    upl_eval_free(r->ev);
    upl_free(r);
}

const upl_eval *upl_identify_eval(const upl_identify *r) { return r->ev; }

/* ---- small string builder ---------------------------------------------------- */
void idf_sb_reset(sbuf *b) { b->n = 0; if (b->s) b->s[0] = 0; }
int idf_sb_add(sbuf *b, const char *s, size_t l) {
    if (b->n + l + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + l + 1) nc *= 2;
        char *ns = upl_realloc(b->s, nc);
        if (!ns) return UPL_ENOMEM;
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, l);
    b->n += l;
    b->s[b->n] = 0;
    return UPL_OK;
}
int idf_sb_str(sbuf *b, const char *s) { return idf_sb_add(b, s, strlen(s)); }

static int push_b3(upl_column *c, uint8_t v) {
    return v == 2 ? upl_col_push_null(c) : upl_col_push_bool(c, v == 1);
}
static int push_f64(upl_column *c, double v) {
    return isnan(v) ? upl_col_push_null(c) : upl_col_push_f64(c, v);
}

static int64_t gcd64(int64_t a, int64_t b) { while (b) { int64_t t = a % b; a = b; b = t; } return a < 0 ? -a : a; }

void idf_frac_text(int64_t num, int64_t den, char *buf, size_t size) {
    if (num == 0) { snprintf(buf, size, "0"); return; }
    int64_t g = gcd64(num, den);
    if (g == 0) g = 1;
    if (den / g == 1) snprintf(buf, size, "%lld", (long long)(num / g));
    else snprintf(buf, size, "%lld/%lld", (long long)(num / g), (long long)(den / g));
}

/* value of column c at row as text (missing = "") */
static int cell_text(const upl_column *c, size_t row, sbuf *tmp, const char **out, size_t *len) {
    char *buf = tmp->s;
    size_t cap = tmp->cap, l = 0;
    bool ok = upl_col_format(c, row, &buf, &cap, &l);
    tmp->s = buf;
    tmp->cap = cap;
    if (!ok) { *out = ""; *len = 0; return UPL_OK; }
    if (!buf) return UPL_ENOMEM;
    *out = buf;
    *len = l;
    return UPL_OK;
}

typedef struct outcols {
    upl_column *key, **area, *n_members, *income, *line, *income_poor;
    upl_column **ind, **ind_member, **ind_evidence;
    upl_column *score, *score_exact, *poor, *category, *category_zh, *main_cause, *main_cause_code,
        *secondary, *exit_ok, *exit_failed, *year, *prof, *prof_ver, *prof_sha;
} outcols;

static int add_col(upl_table *t, const char *name, upl_type type, upl_column **out, upl_error *err) {
    return upl_table_add_column(t, name, type, out, err);
}

int upl_identify_households(const upl_identify *r, upl_table **out, upl_error *err) {
    int rc = UPL_OK;
    const upl_profile *p = r->p;
    const upl_eval *ev = r->ev;
    const upl_table *t = r->t;
    size_t G = upl_eval_n_households(ev), ni = upl_profile_n_indicators(p);
    upl_table *o = NULL;
    outcols c = {0};
    sbuf sb = {0}, tmp = {0}, tmp2 = {0};
    const char *const *levels;
    size_t n_levels = upl_profile_area_levels(p, &levels);
    const upl_column **area_src = NULL;
    *out = NULL;
    o = upl_table_new();
    area_src = upl_calloc(n_levels + 1, sizeof *area_src);
    c.area = upl_calloc(n_levels + 1, sizeof *c.area);
    c.ind = upl_calloc(ni + 1, sizeof *c.ind);
    c.ind_member = upl_calloc(ni + 1, sizeof *c.ind_member);
    c.ind_evidence = upl_calloc(ni + 1, sizeof *c.ind_evidence);
    if (!o || !area_src || !c.area || !c.ind || !c.ind_member || !c.ind_evidence) {
        rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        goto fail;
    }
    const upl_column *key = upl_table_find(t, upl_profile_household_key(p));
    /* members are named by the person code (registry) or person id (surveys) */
    const upl_column *person_code = upl_table_find(t, "person_code");
    if (!person_code) person_code = upl_table_find(t, "person_id");
    UPL_TRY(add_col(o, upl_profile_household_key(p), UPL_STR, &c.key, err));
    for (size_t l = 0; l < n_levels; l++) {
        area_src[l] = upl_table_find(t, levels[l]);
        if (area_src[l]) UPL_TRY(add_col(o, levels[l], UPL_CAT, &c.area[l], err));
    }
    UPL_TRY(add_col(o, "n_members", UPL_I64, &c.n_members, err));
    UPL_TRY(add_col(o, "income_pc", UPL_F64, &c.income, err));
    UPL_TRY(add_col(o, "line", UPL_F64, &c.line, err));
    UPL_TRY(add_col(o, "income_poor", UPL_BOOL, &c.income_poor, err));
    for (size_t i = 0; i < ni; i++) {
        const upl_profile_indicator *ind = upl_profile_indicator_at(p, i);
        char name[256];
        UPL_TRY(add_col(o, ind->id, UPL_BOOL, &c.ind[i], err));
        if (r->opt.has_evidence) {
            snprintf(name, sizeof name, "%s_member", ind->id);
            UPL_TRY(add_col(o, name, UPL_STR, &c.ind_member[i], err));
            snprintf(name, sizeof name, "%s_evidence", ind->id);
            UPL_TRY(add_col(o, name, UPL_STR, &c.ind_evidence[i], err));
        }
    }
    UPL_TRY(add_col(o, "score", UPL_F64, &c.score, err));
    UPL_TRY(add_col(o, "score_exact", UPL_STR, &c.score_exact, err));
    UPL_TRY(add_col(o, "poor", UPL_BOOL, &c.poor, err));
    UPL_TRY(add_col(o, "category", UPL_CAT, &c.category, err));
    UPL_TRY(add_col(o, "category_zh", UPL_CAT, &c.category_zh, err));
    UPL_TRY(add_col(o, "main_cause", UPL_CAT, &c.main_cause, err));
    UPL_TRY(add_col(o, "main_cause_code", UPL_I64, &c.main_cause_code, err));
    UPL_TRY(add_col(o, "secondary_causes", UPL_STR, &c.secondary, err));
    UPL_TRY(add_col(o, "exit_eligible", UPL_BOOL, &c.exit_ok, err));
    UPL_TRY(add_col(o, "exit_failed", UPL_STR, &c.exit_failed, err));
    UPL_TRY(add_col(o, "year", UPL_I64, &c.year, err));
    UPL_TRY(add_col(o, "profile", UPL_CAT, &c.prof, err));
    UPL_TRY(add_col(o, "profile_version", UPL_CAT, &c.prof_ver, err));
    UPL_TRY(add_col(o, "profile_sha256", UPL_CAT, &c.prof_sha, err));

    for (size_t ci = 0; ci < upl_table_n_cols(o); ci++)
        if (upl_col_reserve(upl_table_column(o, ci), G, 0)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    const double *income = upl_eval_income(ev), *line = upl_eval_line(ev);
    const uint8_t *ip = upl_eval_income_poor(ev), *poor = upl_eval_poor(ev), *exit_ok = upl_eval_exit_eligible(ev);
    const int64_t *lo = upl_eval_score_lo(ev), *hi = upl_eval_score_hi(ev);
    int64_t den = upl_eval_score_den(ev);
    const int32_t *cat = upl_eval_category(ev), *mc = upl_eval_main_cause(ev);
    const uint64_t *sec = upl_eval_secondary_causes(ev);
    size_t n_exit = upl_eval_n_exit_rules(ev);
    const char *pname = upl_profile_name(p), *pver = upl_profile_version(p), *psha = upl_profile_sha256(p);
#define CK(x) do { if ((x) != UPL_OK) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory building the decision table"); goto fail; } } while (0)
    /* category-like outputs: intern every label once, then push codes */
    int32_t code;
    for (size_t a = 0; a < n_levels; a++)
        if (area_src[a] && area_src[a]->type == UPL_CAT)
            for (int32_t k = 0; k < upl_dict_size(area_src[a]->dict); k++)
                CK(upl_dict_intern(c.area[a]->dict, upl_dict_label(area_src[a]->dict, k),
                                   upl_dict_label_len(area_src[a]->dict, k), &code));
    for (size_t i = 0; i < upl_profile_n_categories(p); i++) {
        const char *id = upl_profile_category_id(p, i), *zh = upl_profile_category_label(p, i, true);
        CK(upl_dict_intern(c.category->dict, id, strlen(id), &code));
        CK(upl_dict_intern(c.category_zh->dict, zh, strlen(zh), &code));
    }
    int32_t *cause_code = upl_malloc((upl_profile_n_causes(p) + 1) * sizeof *cause_code);
    if (!cause_code) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < upl_profile_n_causes(p); i++) {
        const char *zh = upl_profile_cause_at(p, i)->label_zh;
        if (upl_dict_intern(c.main_cause->dict, zh, strlen(zh), &cause_code[i])) { upl_free(cause_code); CK(UPL_ENOMEM); }
    }
    int32_t code_name, code_ver, code_sha;
    if (upl_dict_intern(c.prof->dict, pname, strlen(pname), &code_name) ||
        upl_dict_intern(c.prof_ver->dict, pver, strlen(pver), &code_ver) ||
        upl_dict_intern(c.prof_sha->dict, psha, strlen(psha), &code_sha)) { upl_free(cause_code); CK(UPL_ENOMEM); }
#undef CK
#define CK(x) do { if ((x) != UPL_OK) { upl_free(cause_code); rc = upl_error_set(err, UPL_ENOMEM, "out of memory building the decision table"); goto fail; } } while (0)
    int64_t last_lo = -1, last_hi = -1;
    char score_txt[160] = "";
    size_t score_len = 0;
    for (size_t g = 0; g < G; g++) {
        size_t fr = upl_eval_household_first_row(ev, g);
        const char *s;
        size_t l;
        if (key->type == UPL_STR) s = upl_col_str(key, fr, &l);
        else CK(cell_text(key, fr, &tmp, &s, &l));
        CK(upl_col_push_str(c.key, s, l));
        for (size_t a = 0; a < n_levels; a++) {
            if (!area_src[a]) continue;
            if (area_src[a]->type == UPL_CAT) {
                CK(upl_col_is_valid(area_src[a], fr) ? upl_col_push_code(c.area[a], area_src[a]->v.cat[fr])
                                                     : upl_col_push_null(c.area[a]));
                continue;
            }
            CK(cell_text(area_src[a], fr, &tmp, &s, &l));
            CK(l ? upl_col_push_cat(c.area[a], s, l) : upl_col_push_null(c.area[a]));
        }
        CK(upl_col_push_i64(c.n_members, (int64_t)upl_eval_household_size(ev, g)));
        CK(push_f64(c.income, income[g]));
        CK(push_f64(c.line, line[g]));
        CK(push_b3(c.income_poor, ip[g]));
        for (size_t i = 0; i < ni; i++) {
            const uint8_t *d = upl_eval_indicator(ev, i);
            CK(push_b3(c.ind[i], d[g]));
            if (!r->opt.has_evidence) continue;
            const uint8_t *raw = upl_eval_indicator_raw(ev, i);
            const int64_t *wit = upl_eval_witness(ev, i);
            int64_t w = wit ? wit[g] : -1;
            /* evidence for deprived and undetermined households; a witness
             * member is named only when the rule went through members */
            if (d[g] == 0 && raw[g] == 0) {
                CK(upl_col_push_null(c.ind_member[i]));
                CK(upl_col_push_null(c.ind_evidence[i]));
                continue;
            }
            if (w >= 0) {
                if (person_code && upl_col_is_valid(person_code, (size_t)w)) {
                    CK(cell_text(person_code, (size_t)w, &tmp, &s, &l));
                    CK(upl_col_push_str(c.ind_member[i], s, l));
                } else {
                    char rb[32];
                    int rl = snprintf(rb, sizeof rb, "row %lld", (long long)w + 1);
                    CK(upl_col_push_str(c.ind_member[i], rb, (size_t)rl));
                }
            } else {
                CK(upl_col_push_null(c.ind_member[i]));
            }
            CK(idf_evidence(r, i, g, w, &sb, &tmp2));
            CK(upl_col_push_str(c.ind_evidence[i], sb.s ? sb.s : "", sb.n));
        }
        double sc = lo[g] == hi[g] ? (double)lo[g] / (double)den : NAN;
        CK(push_f64(c.score, sc));
        /* score text: few distinct (lo, hi) pairs, formatted once each */
        if (lo[g] != last_lo || hi[g] != last_hi) {
            char f1[64], f2[64];
            idf_frac_text(lo[g], den, f1, sizeof f1);
            if (lo[g] == hi[g]) snprintf(score_txt, sizeof score_txt, "%s", f1);
            else { idf_frac_text(hi[g], den, f2, sizeof f2); snprintf(score_txt, sizeof score_txt, "%s..%s", f1, f2); }
            score_len = strlen(score_txt);
            last_lo = lo[g];
            last_hi = hi[g];
        }
        CK(upl_col_push_str(c.score_exact, score_txt, score_len));
        CK(push_b3(c.poor, poor[g]));
        if (cat[g] >= 0) {
            CK(upl_col_push_code(c.category, cat[g]));
            CK(upl_col_push_code(c.category_zh, cat[g]));
        } else {
            CK(upl_col_push_null(c.category));
            CK(upl_col_push_null(c.category_zh));
        }
        if (mc[g] >= 0) {
            const upl_profile_cause *cs = upl_profile_cause_at(p, (size_t)mc[g]);
            CK(upl_col_push_code(c.main_cause, cause_code[mc[g]]));
            CK(upl_col_push_i64(c.main_cause_code, cs->code));
        } else {
            CK(upl_col_push_null(c.main_cause));
            CK(upl_col_push_null(c.main_cause_code));
        }
        idf_sb_reset(&sb);
        for (size_t i = 0; i < upl_profile_n_causes(p) && i < 64; i++)
            if (sec[g] >> i & 1) {
                if (sb.n) CK(idf_sb_str(&sb, ";"));
                CK(idf_sb_str(&sb, upl_profile_cause_at(p, i)->label_zh));
            }
        CK(sb.n ? upl_col_push_str(c.secondary, sb.s, sb.n) : upl_col_push_null(c.secondary));
        CK(n_exit ? push_b3(c.exit_ok, exit_ok[g]) : upl_col_push_null(c.exit_ok));
        idf_sb_reset(&sb);
        for (size_t i = 0; i < n_exit; i++) {
            uint8_t v = upl_eval_exit_rule(ev, i)[g];
            if (v == 1) continue;
            if (sb.n) CK(idf_sb_str(&sb, ";"));
            CK(idf_sb_str(&sb, upl_eval_exit_rule_id(ev, i)));
            if (v == 2) CK(idf_sb_str(&sb, "?"));
        }
        CK(sb.n ? upl_col_push_str(c.exit_failed, sb.s, sb.n) : upl_col_push_null(c.exit_failed));
        CK(upl_col_push_i64(c.year, r->opt.year));
        CK(upl_col_push_code(c.prof, code_name));
        CK(upl_col_push_code(c.prof_ver, code_ver));
        CK(upl_col_push_code(c.prof_sha, code_sha));
    }
    upl_free(cause_code);
#undef CK
    UPL_TRY(upl_table_set_meta(o, "profile", pname));
    UPL_TRY(upl_table_set_meta(o, "profile_version", pver));
    UPL_TRY(upl_table_set_meta(o, "profile_sha256", psha));
    *out = o;
    o = NULL;
fail:
    upl_table_free(o);
    upl_free(area_src);
    upl_free(c.area); upl_free(c.ind); upl_free(c.ind_member); upl_free(c.ind_evidence);
    upl_free(sb.s); upl_free(tmp.s); upl_free(tmp2.s);
    return rc;
}

/* Evidence text for indicator i of household g: the fields its rule reads,
 * at the witness member's row (person fields) or the household's first row,
 * plus the built-ins it uses. Sensitive fields are masked in public mode. */
int idf_evidence(const upl_identify *r, size_t i, size_t g, int64_t witness, sbuf *sb, sbuf *tmp) {
    const upl_profile *p = r->p;
    const upl_eval *ev = r->ev;
    const char *const *refs;
    size_t n = upl_profile_indicator_refs(p, i, &refs);
    size_t fr = upl_eval_household_first_row(ev, g);
    char num[64];
    idf_sb_reset(sb);
    for (size_t k = 0; k < n; k++) {
        const char *name = refs[k];
        const upl_profile_field *f = upl_profile_field_find(p, name);
        const char *val = NULL;
        size_t vl = 0;
        if (f) {
            const upl_column *c = upl_table_find(r->t, name);
            if (!c) continue;
            size_t row = f->level == UPL_LEVEL_PERSON ? (witness >= 0 ? (size_t)witness : SIZE_MAX) : fr;
            if (row == SIZE_MAX) {
                /* no single member decided the rule (e.g. "no member has ..."):
                 * list every member's value, in row order, joined by / */
                size_t rows[32];
                size_t nm = upl_eval_member_rows(ev, g, rows, 32);
                if (nm > 32) nm = 32;
                if (sb->n && idf_sb_str(sb, "; ")) return UPL_ENOMEM;
                if (idf_sb_str(sb, name) || idf_sb_str(sb, "=")) return UPL_ENOMEM;
                for (size_t m = 0; m < nm; m++) {
                    if (m && idf_sb_str(sb, "/")) return UPL_ENOMEM;
                    if (f->is_sensitive && r->opt.is_public) { val = "***"; vl = 3; }
                    else if (!upl_col_is_valid(c, rows[m])) { val = "(missing)"; vl = 9; }
                    else if (cell_text(c, rows[m], tmp, &val, &vl)) return UPL_ENOMEM;
                    if (idf_sb_add(sb, val, vl)) return UPL_ENOMEM;
                }
                continue;
            }
            if (f->is_sensitive && r->opt.is_public) { val = "***"; vl = 3; }
            else if (cell_text(c, row, tmp, &val, &vl)) return UPL_ENOMEM;
            if (!upl_col_is_valid(c, row)) { val = "(missing)"; vl = strlen(val); }
        } else if (!strcmp(name, "line") || !strcmp(name, "income_pc") || !strcmp(name, "n_members")) {
            double v = !strcmp(name, "line") ? upl_eval_line(ev)[g]
                     : !strcmp(name, "income_pc") ? upl_eval_income(ev)[g] : (double)upl_eval_household_size(ev, g);
            if (isnan(v)) snprintf(num, sizeof num, "(missing)");
            else snprintf(num, sizeof num, "%.15g", v);
            val = num;
            vl = strlen(num);
        } else {
            continue;
        }
        if (sb->n && idf_sb_str(sb, "; ")) return UPL_ENOMEM;
        if (idf_sb_str(sb, name) || idf_sb_str(sb, "=") || idf_sb_add(sb, val, vl)) return UPL_ENOMEM;
    }
    return UPL_OK;
}

/* ---- summary by area level ------------------------------------------------- */

int upl_identify_summary(const upl_identify *r, const char *level, upl_table **out, upl_error *err) {
    int rc = UPL_OK;
    const upl_profile *p = r->p;
    const upl_eval *ev = r->ev;
    size_t G = upl_eval_n_households(ev), ni = upl_profile_n_indicators(p);
    size_t nc = upl_profile_n_categories(p), ncause = upl_profile_n_causes(p);
    const char *const *levels;
    size_t n_levels = upl_profile_area_levels(p, &levels);
    size_t n_keys = 0;
    const upl_column **kc = NULL;
    int32_t *grp = NULL;
    upl_dict *combo = NULL;
    upl_table *o = NULL;
    sbuf key = {0}, tmp = {0};
    uint64_t *acc = NULL;
    double *dacc = NULL;
    *out = NULL;
    if (level && strcmp(level, "all")) {
        size_t li = SIZE_MAX;
        for (size_t l = 0; l < n_levels; l++) if (!strcmp(levels[l], level)) li = l;
        if (li == SIZE_MAX) {
            sbuf lv = {0};
            for (size_t l = 0; l < n_levels; l++) { if (l) idf_sb_str(&lv, ", "); idf_sb_str(&lv, levels[l]); }
            rc = upl_error_set(err, UPL_EMISUSE, "unknown area level `%s` (the profile's levels: %s; or all)", level,
                               lv.s ? lv.s : "none");
            upl_free(lv.s);
            return rc;
        }
        n_keys = li + 1;
    }
    kc = upl_calloc(n_keys + 1, sizeof *kc);
    grp = upl_malloc((G ? G : 1) * sizeof *grp);
    combo = upl_dict_new();
    if (!kc || !grp || !combo) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t k = 0; k < n_keys; k++) kc[k] = upl_table_find(r->t, levels[k]);
    /* group households by the joined key text (unit separator between levels) */
    for (size_t g = 0; g < G; g++) {
        size_t fr = upl_eval_household_first_row(ev, g);
        idf_sb_reset(&key);
        for (size_t k = 0; k < n_keys; k++) {
            const char *s = "";
            size_t l = 0;
            if (kc[k] && cell_text(kc[k], fr, &tmp, &s, &l)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
            if (idf_sb_add(&key, s, l) || idf_sb_add(&key, "\x1f", 1)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        }
        if (upl_dict_intern(combo, key.s ? key.s : "", key.n, &grp[g])) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    }
    size_t NG = (size_t)upl_dict_size(combo);
    /* accumulators: households, persons, poor_hh, poor_persons, unknown, exit, then per indicator, category, cause */
    size_t width = 6 + ni + nc + ncause;
    acc = upl_calloc(NG * width + 1, sizeof *acc);
    if (!acc) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    const uint8_t *poor = upl_eval_poor(ev), *ex = upl_eval_exit_eligible(ev);
    const int32_t *cat = upl_eval_category(ev), *mc = upl_eval_main_cause(ev);
    /* Alkire-Foster intensity and M0 over persons of determined households:
     * A = sum_poor size*c / sum_poor size, M0 = sum_poor size*c / determined persons */
    const int64_t *slo = upl_eval_score_lo(ev);
    double sden = (double)upl_eval_score_den(ev);
    dacc = upl_calloc(2 * NG + 1, sizeof *dacc);
    if (!dacc) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t g = 0; g < G; g++) {
        uint64_t *a = acc + (size_t)grp[g] * width;
        uint64_t sz = upl_eval_household_size(ev, g);
        if (poor[g] != 2) dacc[2 * (size_t)grp[g]] += (double)sz;
        if (poor[g] == 1) dacc[2 * (size_t)grp[g] + 1] += (double)sz * (double)slo[g] / sden;
        a[0]++;
        a[1] += sz;
        if (poor[g] == 1) { a[2]++; a[3] += sz; }
        if (poor[g] == 2) a[4]++;
        if (ex[g] == 1) a[5]++;
        for (size_t i = 0; i < ni; i++) a[6 + i] += upl_eval_indicator(ev, i)[g] == 1;
        if (cat[g] >= 0) a[6 + ni + (size_t)cat[g]]++;
        if (mc[g] >= 0 && poor[g] == 1) a[6 + ni + nc + (size_t)mc[g]]++;
    }
    /* output, groups in sorted key order */
    size_t *order = upl_malloc((NG ? NG : 1) * sizeof *order);
    if (!order) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < NG; i++) order[i] = i;
    for (size_t i = 1; i < NG; i++) {   /* insertion sort by key bytes; NG is small (areas) */
        size_t v = order[i], j = i;
        while (j > 0 && strcmp(upl_dict_label(combo, (int32_t)order[j - 1]), upl_dict_label(combo, (int32_t)v)) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    o = upl_table_new();
    if (!o) { upl_free(order); rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    upl_column **kcols = upl_calloc(n_keys + 1, sizeof *kcols);
    upl_column **vcols = upl_calloc(width + 1, sizeof *vcols);
    upl_column *inc = NULL, *c_int = NULL, *c_m0 = NULL;
    if (!kcols || !vcols) { upl_free(order); upl_free(kcols); upl_free(vcols); rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t k = 0; k < n_keys && !rc; k++) rc = upl_table_add_column(o, levels[k], UPL_CAT, &kcols[k], err);
    static const char *const base[] = {"households", "persons", "poor_households", "poor_persons", "unknown_households", "exit_eligible"};
    for (size_t v = 0; v < 6 && !rc; v++) {
        rc = upl_table_add_column(o, base[v], UPL_I64, &vcols[v], err);
        if (!rc && v == 4) rc = upl_table_add_column(o, "incidence", UPL_F64, &inc, err);
    }
    if (!rc) rc = upl_table_add_column(o, "intensity", UPL_F64, &c_int, err);
    if (!rc) rc = upl_table_add_column(o, "m0", UPL_F64, &c_m0, err);
    for (size_t i = 0; i < ni && !rc; i++) {
        char name[256];
        snprintf(name, sizeof name, "failed_%s", upl_profile_indicator_at(p, i)->id);
        rc = upl_table_add_column(o, name, UPL_I64, &vcols[6 + i], err);
    }
    for (size_t i = 0; i < nc && !rc; i++) {
        char name[256];
        snprintf(name, sizeof name, "category_%s", upl_profile_category_id(p, i));
        rc = upl_table_add_column(o, name, UPL_I64, &vcols[6 + ni + i], err);
    }
    for (size_t i = 0; i < ncause && !rc; i++) {
        char name[256];
        const upl_profile_cause *cs = upl_profile_cause_at(p, i);
        snprintf(name, sizeof name, "cause_%d_%s", cs->code, cs->label_zh);
        rc = upl_table_add_column(o, name, UPL_I64, &vcols[6 + ni + nc + i], err);
    }
    for (size_t oi = 0; oi < NG && !rc; oi++) {
        size_t gi = order[oi];
        const char *lab = upl_dict_label(combo, (int32_t)gi);
        for (size_t k = 0; k < n_keys && !rc; k++) {
            const char *end = strchr(lab, '\x1f');
            size_t l = end ? (size_t)(end - lab) : strlen(lab);
            rc = l ? upl_col_push_cat(kcols[k], lab, l) : upl_col_push_null(kcols[k]);
            lab = end ? end + 1 : lab + l;
        }
        const uint64_t *a = acc + gi * width;
        for (size_t v = 0; v < width && !rc; v++) rc = upl_col_push_i64(vcols[v], (int64_t)a[v]);
        if (!rc) rc = a[1] ? upl_col_push_f64(inc, (double)a[3] / (double)a[1]) : upl_col_push_null(inc);
        if (!rc) rc = a[3] ? upl_col_push_f64(c_int, dacc[2 * gi + 1] / (double)a[3]) : upl_col_push_null(c_int);
        if (!rc) rc = dacc[2 * gi] > 0 ? upl_col_push_f64(c_m0, dacc[2 * gi + 1] / dacc[2 * gi]) : upl_col_push_null(c_m0);
        if (rc && rc != UPL_OK && !err->code) upl_error_set(err, rc, "out of memory");
    }
    upl_free(order); upl_free(kcols); upl_free(vcols);
    if (rc) goto fail;
    *out = o;
    o = NULL;
fail:
    upl_table_free(o);
    upl_free(kc); upl_free(grp); upl_free(acc); upl_free(dacc);
    upl_dict_free(combo);
    upl_free(key.s); upl_free(tmp.s);
    return rc;
}
