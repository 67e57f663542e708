/* assess.c — exit assessment (退出评估): village and county exit checks
 * against the profile's thresholds (incidence below 2 %, 3 % in the west,
 * and the other criteria, DOMAIN.md §1.7), the seeded stratified sample of
 * a third-party assessment (第三方评估), and the assessment rates
 * (wrong-exit, missed identification, recognition) with Wilson and exact
 * Clopper-Pearson confidence intervals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "identify_int.h"

/* ---- areas -------------------------------------------------------------------- */

typedef struct areas {
    size_t n_keys;           /* levels 0..n_keys-1 */
    int32_t *of_hh;          /* area of each household */
    upl_dict *keys;          /* joined key text per area ("a\x1fb\x1f") */
    size_t n;
    size_t *order;           /* areas in sorted key order */
    size_t *first_hh;        /* a household of each area */
} areas;

static void areas_free(areas *a) {
    upl_free(a->of_hh); upl_dict_free(a->keys); upl_free(a->order); upl_free(a->first_hh);
    memset(a, 0, sizeof *a);
}

static int level_index(const upl_profile *p, const char *level, size_t *out, upl_error *err) {
    const char *const *levels;
    size_t n = upl_profile_area_levels(p, &levels);
    for (size_t l = 0; l < n; l++) if (!strcmp(levels[l], level)) { *out = l; return UPL_OK; }
    return upl_error_set(err, UPL_EMISUSE, "the profile has no area level `%s`", level);
}

static int cell(const upl_column *c, size_t row, sbuf *tmp, const char **s, size_t *l) {
    char *buf = tmp->s;
    size_t cap = tmp->cap, len = 0;
    bool ok = upl_col_format(c, row, &buf, &cap, &len);
    tmp->s = buf;
    tmp->cap = cap;
    if (!ok) { *s = ""; *l = 0; return UPL_OK; }
    if (!buf) return UPL_ENOMEM;
    *s = buf;
    *l = len;
    return UPL_OK;
}

static int group_areas(const upl_identify *r, size_t n_keys, areas *a, upl_error *err) {
    const upl_eval *ev = upl_identify_eval(r);
    const char *const *levels;
    upl_profile_area_levels(r->p, &levels);
    size_t G = upl_eval_n_households(ev);
    sbuf key = {0}, tmp = {0};
    int rc = UPL_OK;
    memset(a, 0, sizeof *a);
    a->n_keys = n_keys;
    a->of_hh = upl_malloc((G ? G : 1) * sizeof *a->of_hh);
    a->keys = upl_dict_new();
    if (!a->of_hh || !a->keys) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t g = 0; g < G; g++) {
        size_t fr = upl_eval_household_first_row(ev, g);
        idf_sb_reset(&key);
        for (size_t k = 0; k < n_keys; k++) {
            const upl_column *c = upl_table_find(r->t, levels[k]);
            const char *s = "";
            size_t l = 0;
            if ((c && cell(c, fr, &tmp, &s, &l)) || idf_sb_add(&key, s, l) || idf_sb_add(&key, "\x1f", 1)) {
                rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
                goto fail;
            }
        }
        if (upl_dict_intern(a->keys, key.s ? key.s : "", key.n, &a->of_hh[g])) {
            rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
            goto fail;
        }
    }
    a->n = (size_t)upl_dict_size(a->keys);
    a->order = upl_malloc((a->n ? a->n : 1) * sizeof *a->order);
    a->first_hh = upl_malloc((a->n ? a->n : 1) * sizeof *a->first_hh);
    if (!a->order || !a->first_hh) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < a->n; i++) { a->order[i] = i; a->first_hh[i] = SIZE_MAX; }
    for (size_t g = 0; g < G; g++) if (a->first_hh[a->of_hh[g]] == SIZE_MAX) a->first_hh[a->of_hh[g]] = g;
    for (size_t i = 1; i < a->n; i++) {
        size_t v = a->order[i], j = i;
        while (j > 0 && strcmp(upl_dict_label(a->keys, (int32_t)a->order[j - 1]), upl_dict_label(a->keys, (int32_t)v)) > 0) {
            a->order[j] = a->order[j - 1];
            j--;
        }
        a->order[j] = v;
    }
fail:
    upl_free(key.s);
    upl_free(tmp.s);
    if (rc) areas_free(a);
    return rc;
}

/* the k-th key of area i (borrowed into buf) */
static void area_key(const areas *a, size_t i, size_t k, const char **s, size_t *l) {
    const char *lab = upl_dict_label(a->keys, (int32_t)i);
    for (size_t j = 0; j < k; j++) { const char *e = strchr(lab, '\x1f'); lab = e ? e + 1 : lab + strlen(lab); }
    const char *e = strchr(lab, '\x1f');
    *s = lab;
    *l = e ? (size_t)(e - lab) : strlen(lab);
}

static int compare(double v, const char *op, double t) {
    if (isnan(v) || isnan(t)) return 2;
    if (!strcmp(op, "<")) return v < t;
    if (!strcmp(op, "<=")) return v <= t;
    if (!strcmp(op, ">")) return v > t;
    return v >= t;
}

int upl_identify_area_exit(const upl_identify *r, const char *level, const upl_table *metrics, upl_table **out,
                           upl_error *err) {
    int rc = UPL_OK;
    const upl_profile *p = r->p;
    const upl_eval *ev = r->ev;
    areas a = {0};
    upl_table *o = NULL;
    size_t li;
    sbuf sb = {0}, tmp = {0};
    upl_column **rv = NULL;
    *out = NULL;
    if (!level || (strcmp(level, "village") && strcmp(level, "county")))
        return upl_error_set(err, UPL_EMISUSE, "exit checks are for `village` or `county`, not `%s`", level ? level : "(null)");
    UPL_TRY(level_index(p, level, &li, err));
    size_t nr = upl_profile_n_area_rules(p, level);
    if (nr == 0) return upl_error_set(err, UPL_ENOTFOUND, "profile `%s` has no %s exit rules", upl_profile_name(p), level);
    UPL_TRY(group_areas(r, li + 1, &a, err));
    size_t G = upl_eval_n_households(ev);
    uint64_t *persons = upl_calloc(a.n + 1, sizeof *persons), *poor = upl_calloc(a.n + 1, sizeof *poor),
             *unknown = upl_calloc(a.n + 1, sizeof *unknown);
    rv = upl_calloc(3 * nr + 1, sizeof *rv);
    if (!persons || !poor || !unknown || !rv) { upl_free(persons); upl_free(poor); upl_free(unknown); rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    const uint8_t *po = upl_eval_poor(ev);
    for (size_t g = 0; g < G; g++) {
        uint64_t sz = upl_eval_household_size(ev, g);
        persons[a.of_hh[g]] += sz;
        if (po[g] == 1) poor[a.of_hh[g]] += sz;
        if (po[g] == 2) unknown[a.of_hh[g]] += sz;
    }
    const char *const *levels;
    upl_profile_area_levels(p, &levels);
    const upl_column *mkey = metrics ? upl_table_find(metrics, level) : NULL;
    if (metrics && !mkey) {
        rc = upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, level, "the metrics table needs a `%s` column to match areas", level);
        goto fail_counts;
    }
    o = upl_table_new();
    if (!o) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail_counts; }
    upl_column **kcols = upl_calloc(li + 2, sizeof *kcols);
    upl_column *c_region, *c_persons, *c_poor, *c_unknown, *c_inc, *c_pass, *c_failed;
    if (!kcols) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail_counts; }
    for (size_t k = 0; k <= li && !rc; k++) rc = upl_table_add_column(o, levels[k], UPL_CAT, &kcols[k], err);
    if (!rc) rc = upl_table_add_column(o, "region", UPL_CAT, &c_region, err);
    if (!rc) rc = upl_table_add_column(o, "persons", UPL_I64, &c_persons, err);
    if (!rc) rc = upl_table_add_column(o, "poor_persons", UPL_I64, &c_poor, err);
    if (!rc) rc = upl_table_add_column(o, "unknown_persons", UPL_I64, &c_unknown, err);
    if (!rc) rc = upl_table_add_column(o, "incidence", UPL_F64, &c_inc, err);
    for (size_t i = 0; i < nr && !rc; i++) {
        const upl_profile_area_rule *ar = upl_profile_area_rule_at(p, level, i);
        char name[256];
        snprintf(name, sizeof name, "%s_value", ar->id);
        rc = upl_table_add_column(o, name, UPL_F64, &rv[3 * i], err);
        snprintf(name, sizeof name, "%s_threshold", ar->id);
        if (!rc) rc = upl_table_add_column(o, name, UPL_F64, &rv[3 * i + 1], err);
        snprintf(name, sizeof name, "%s_pass", ar->id);
        if (!rc) rc = upl_table_add_column(o, name, UPL_BOOL, &rv[3 * i + 2], err);
    }
    if (!rc) rc = upl_table_add_column(o, "exit_pass", UPL_BOOL, &c_pass, err);
    if (!rc) rc = upl_table_add_column(o, "failed", UPL_STR, &c_failed, err);
    const char *prov_field = NULL;
    for (size_t k = 0; k < upl_profile_n_fields(p); k++)
        if (!strcmp(upl_profile_field_at(p, k)->name, "province")) prov_field = "province";
    const upl_column *pc = prov_field ? upl_table_find(r->t, prov_field) : NULL;
    for (size_t oi = 0; oi < a.n && !rc; oi++) {
        size_t i = a.order[oi];
        const char *s;
        size_t l;
        for (size_t k = 0; k <= li && !rc; k++) {
            area_key(&a, i, k, &s, &l);
            rc = l ? upl_col_push_cat(kcols[k], s, l) : upl_col_push_null(kcols[k]);
        }
        const char *region = NULL;
        if (pc) {
            size_t fr = upl_eval_household_first_row(ev, a.first_hh[i]);
            if (cell(pc, fr, &tmp, &s, &l) == UPL_OK && l) {
                char *prov = upl_strndup(s, l);
                if (prov) { region = upl_profile_region(p, prov); upl_free(prov); }
            }
        }
        bool is_west = region && !strcmp(region, "west");
        if (!rc) rc = region ? upl_col_push_cat(c_region, region, strlen(region)) : upl_col_push_null(c_region);
        if (!rc) rc = upl_col_push_i64(c_persons, (int64_t)persons[i]);
        if (!rc) rc = upl_col_push_i64(c_poor, (int64_t)poor[i]);
        if (!rc) rc = upl_col_push_i64(c_unknown, (int64_t)unknown[i]);
        /* incidence = poor persons / persons (贫困发生率, DOMAIN.md §1.7); undetermined
         * households make it unknown only if they could cross the threshold, so
         * the value reported is the lower bound and `unknown_persons` is shown */
        double inc = persons[i] ? (double)poor[i] / (double)persons[i] : NAN;
        if (!rc) rc = isnan(inc) ? upl_col_push_null(c_inc) : upl_col_push_f64(c_inc, inc);
        uint8_t all = 1;
        idf_sb_reset(&sb);
        for (size_t ri = 0; ri < nr && !rc; ri++) {
            const upl_profile_area_rule *ar = upl_profile_area_rule_at(p, level, ri);
            double v = NAN;
            if (!strcmp(ar->metric, "incidence")) {
                v = inc;
            } else if (mkey) {
                const upl_column *mc = upl_table_find(metrics, ar->metric);
                area_key(&a, i, li, &s, &l);
                for (size_t mr = 0; mc && mr < upl_table_n_rows(metrics); mr++) {
                    const char *ms;
                    size_t ml;
                    if (cell(mkey, mr, &tmp, &ms, &ml)) break;
                    if (ml == l && !memcmp(ms, s, l)) { if (!upl_col_get_f64(mc, mr, &v)) v = NAN; break; }
                }
            }
            double th = is_west && !isnan(ar->threshold_west) ? ar->threshold_west : ar->threshold;
            int pass = compare(v, ar->op, th);
            /* undetermined households: incidence could be higher; pass only if it
             * passes with them counted as poor */
            if (!strcmp(ar->metric, "incidence") && pass == 1 && unknown[i] &&
                compare((double)(poor[i] + unknown[i]) / (double)persons[i], ar->op, th) != 1)
                pass = 2;
            rc = isnan(v) ? upl_col_push_null(rv[3 * ri]) : upl_col_push_f64(rv[3 * ri], v);
            if (!rc) rc = upl_col_push_f64(rv[3 * ri + 1], th);
            if (!rc) rc = pass == 2 ? upl_col_push_null(rv[3 * ri + 2]) : upl_col_push_bool(rv[3 * ri + 2], pass == 1);
            if (pass == 0) all = 0;
            else if (pass == 2 && all == 1) all = 2;
            if (pass != 1 && !rc) {
                if (sb.n) rc = idf_sb_str(&sb, ";");
                if (!rc) rc = idf_sb_str(&sb, ar->id);
                if (!rc && pass == 2) rc = idf_sb_str(&sb, "?");
            }
        }
        if (!rc) rc = all == 2 ? upl_col_push_null(c_pass) : upl_col_push_bool(c_pass, all == 1);
        if (!rc) rc = sb.n ? upl_col_push_str(c_failed, sb.s, sb.n) : upl_col_push_null(c_failed);
        if (rc && !err->code) upl_error_set(err, rc, "out of memory");
    }
    upl_free(kcols);
    if (rc) goto fail_counts;
    *out = o;
    o = NULL;
fail_counts:
    upl_free(persons); upl_free(poor); upl_free(unknown);
fail:
    upl_table_free(o);
    upl_free(rv);
    areas_free(&a);
    upl_free(sb.s);
    upl_free(tmp.s);
    return rc;
}

/* ---- sampling ------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
static uint64_t hash_text(uint64_t seed, const char *s, size_t l) {
    uint64_t h = 0xcbf29ce484222325ull ^ splitmix64(seed);
    for (size_t i = 0; i < l; i++) { h ^= (unsigned char)s[i]; h *= 0x100000001b3ull; }
    return splitmix64(h);
}

typedef struct draw { uint64_t key; size_t idx; } draw;
static int cmp_draw(const void *x, const void *y) {
    const draw *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* copy rows `rows` of src into a new table */
static int take_rows(const upl_table *src, const size_t *rows, size_t n, upl_table **out, upl_error *err) {
    upl_table *o = upl_table_new();
    int rc = UPL_OK;
    if (!o) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    for (size_t ci = 0; ci < upl_table_n_cols(src) && !rc; ci++) {
        const upl_column *c = upl_table_column(src, ci);
        upl_column *d;
        if ((rc = upl_table_add_column(o, c->name, c->type, &d, err))) break;
        for (size_t k = 0; k < n && !rc; k++) {
            size_t r = rows[k];
            if (!upl_col_is_valid(c, r)) { rc = upl_col_push_null(d); continue; }
            switch (c->type) {
            case UPL_F64: rc = upl_col_push_f64(d, c->v.f64[r]); break;
            case UPL_I64: rc = upl_col_push_i64(d, c->v.i64[r]); break;
            case UPL_BOOL: rc = upl_col_push_bool(d, c->v.b[r]); break;
            case UPL_CAT: rc = upl_col_push_cat(d, upl_dict_label(c->dict, c->v.cat[r]), upl_dict_label_len(c->dict, c->v.cat[r])); break;
            case UPL_STR: { size_t l; const char *s = upl_col_str(c, r, &l); rc = upl_col_push_str(d, s, l); break; }
            }
        }
        if (rc && !err->code) upl_error_set(err, rc, "out of memory");
    }
    if (rc) { upl_table_free(o); return rc; }
    *out = o;
    return UPL_OK;
}

int upl_assess_sample(const upl_identify *r, const upl_assess_sample_options *o, upl_table **out, upl_error *err) {
    int rc = UPL_OK;
    const upl_profile *p = r->p;
    const upl_eval *ev = r->ev;
    const char *stratum = o->stratum ? o->stratum : "county", *cluster = o->cluster ? o->cluster : "village";
    size_t si, ci;
    areas sa = {0}, ca = {0};
    upl_table *dec = NULL, *sample = NULL;
    draw *vd = NULL, *hd = NULL;
    size_t *rows = NULL, *hh_of_cluster_start = NULL, *hh_sorted = NULL;
    double *prob = NULL;
    int64_t *vdraw = NULL, *hdraw = NULL;
    size_t n_rows = 0;
    *out = NULL;
    if (o->n_villages == 0 || o->n_households == 0)
        return upl_error_set(err, UPL_EMISUSE, "sample sizes must be at least 1 (villages per %s, households per %s)", stratum, cluster);
    UPL_TRY(level_index(p, stratum, &si, err));
    UPL_TRY(level_index(p, cluster, &ci, err));
    if (ci <= si) { rc = upl_error_set(err, UPL_EMISUSE, "the cluster level `%s` must lie below the stratum level `%s`", cluster, stratum); goto fail; }
    UPL_TRY(group_areas(r, si + 1, &sa, err));
    UPL_TRY(group_areas(r, ci + 1, &ca, err));
    UPL_TRY(upl_identify_households(r, &dec, err));
    size_t G = upl_eval_n_households(ev);
    const upl_column *key = upl_table_column(dec, 0);
    /* households of each cluster, ordered by their draw key */
    hd = upl_malloc((G ? G : 1) * sizeof *hd);
    vd = upl_malloc((ca.n ? ca.n : 1) * sizeof *vd);
    rows = upl_malloc((G ? G : 1) * sizeof *rows);
    prob = upl_malloc((G ? G : 1) * sizeof *prob);
    vdraw = upl_malloc((G ? G : 1) * sizeof *vdraw);
    hdraw = upl_malloc((G ? G : 1) * sizeof *hdraw);
    if (!hd || !vd || !rows || !prob || !vdraw || !hdraw) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t g = 0; g < G; g++) {
        size_t l;
        const char *s = upl_col_str(key, g, &l);
        /* sort by (cluster, draw key): one pass groups and orders */
        hd[g].key = hash_text(o->seed ^ 0x5EED0001ull, s, l);
        hd[g].idx = g;
    }
    /* cluster draw keys from the cluster's full key text, so the sample does
     * not depend on row order */
    for (size_t c = 0; c < ca.n; c++) {
        const char *lab = upl_dict_label(ca.keys, (int32_t)c);
        vd[c].key = hash_text(o->seed, lab, strlen(lab));
        vd[c].idx = c;
    }
    qsort(vd, ca.n, sizeof *vd, cmp_draw);
    qsort(hd, G, sizeof *hd, cmp_draw);
    /* stratum of each cluster, and counts */
    size_t *cl_stratum = upl_malloc((ca.n ? ca.n : 1) * sizeof *cl_stratum);
    size_t *n_cl_in_stratum = upl_calloc(sa.n + 1, sizeof *n_cl_in_stratum);
    size_t *taken_in_stratum = upl_calloc(sa.n + 1, sizeof *taken_in_stratum);
    size_t *hh_in_cluster = upl_calloc(ca.n + 1, sizeof *hh_in_cluster);
    size_t *taken_in_cluster = upl_calloc(ca.n + 1, sizeof *taken_in_cluster);
    int64_t *cl_draw = upl_malloc((ca.n ? ca.n : 1) * sizeof *cl_draw);
    if (!cl_stratum || !n_cl_in_stratum || !taken_in_stratum || !hh_in_cluster || !taken_in_cluster || !cl_draw) {
        upl_free(cl_stratum); upl_free(n_cl_in_stratum); upl_free(taken_in_stratum); upl_free(hh_in_cluster);
        upl_free(taken_in_cluster); upl_free(cl_draw);
        rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t g = 0; g < G; g++) {
        cl_stratum[ca.of_hh[g]] = (size_t)sa.of_hh[g];
        hh_in_cluster[ca.of_hh[g]]++;
    }
    for (size_t c = 0; c < ca.n; c++) n_cl_in_stratum[cl_stratum[c]]++;
    /* first stage: in each stratum the n_villages clusters with the smallest draw keys */
    for (size_t k = 0; k < ca.n; k++) {
        size_t c = vd[k].idx, s = cl_stratum[c];
        cl_draw[c] = taken_in_stratum[s] < o->n_villages ? (int64_t)++taken_in_stratum[s] : -1;
    }
    /* second stage: in each drawn cluster the n_households smallest household keys */
    for (size_t k = 0; k < G; k++) {
        size_t g = hd[k].idx, c = (size_t)ca.of_hh[g], s = cl_stratum[c];
        if (cl_draw[c] < 0 || taken_in_cluster[c] >= o->n_households) continue;
        taken_in_cluster[c]++;
        double pv = (double)(n_cl_in_stratum[s] < o->n_villages ? n_cl_in_stratum[s] : o->n_villages) / (double)n_cl_in_stratum[s];
        double ph = (double)(hh_in_cluster[c] < o->n_households ? hh_in_cluster[c] : o->n_households) / (double)hh_in_cluster[c];
        rows[n_rows] = g;
        prob[n_rows] = pv * ph;
        vdraw[n_rows] = cl_draw[c];
        hdraw[n_rows] = (int64_t)taken_in_cluster[c];
        n_rows++;
    }
    upl_free(cl_stratum); upl_free(n_cl_in_stratum); upl_free(taken_in_stratum); upl_free(hh_in_cluster);
    upl_free(taken_in_cluster); upl_free(cl_draw);
    /* output in (stratum, village draw, household draw) order */
    for (size_t i = 1; i < n_rows; i++) {
        size_t j = i;
        size_t rr = rows[i]; double pp = prob[i]; int64_t v1 = vdraw[i], h1 = hdraw[i];
        int32_t s_i = sa.of_hh[rr];
        const char *ks = upl_dict_label(sa.keys, s_i);
        while (j > 0) {
            int c = strcmp(upl_dict_label(sa.keys, sa.of_hh[rows[j - 1]]), ks);
            if (c < 0 || (c == 0 && (vdraw[j - 1] < v1 || (vdraw[j - 1] == v1 && hdraw[j - 1] < h1)))) break;
            rows[j] = rows[j - 1]; prob[j] = prob[j - 1]; vdraw[j] = vdraw[j - 1]; hdraw[j] = hdraw[j - 1];
            j--;
        }
        rows[j] = rr; prob[j] = pp; vdraw[j] = v1; hdraw[j] = h1;
    }
    UPL_TRY(take_rows(dec, rows, n_rows, &sample, err));
    upl_column *c_vd, *c_hd, *c_p, *c_w;
    UPL_TRY(upl_table_add_column(sample, "village_draw", UPL_I64, &c_vd, err));
    UPL_TRY(upl_table_add_column(sample, "household_draw", UPL_I64, &c_hd, err));
    UPL_TRY(upl_table_add_column(sample, "inclusion_prob", UPL_F64, &c_p, err));
    UPL_TRY(upl_table_add_column(sample, "weight", UPL_F64, &c_w, err));
    for (size_t i = 0; i < n_rows; i++)
        if (upl_col_push_i64(c_vd, vdraw[i]) || upl_col_push_i64(c_hd, hdraw[i]) || upl_col_push_f64(c_p, prob[i]) ||
            upl_col_push_f64(c_w, 1.0 / prob[i])) {
            rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
            goto fail;
        }
    *out = sample;
    sample = NULL;
fail:
    upl_table_free(dec);
    upl_table_free(sample);
    areas_free(&sa);
    areas_free(&ca);
    upl_free(vd); upl_free(hd); upl_free(rows); upl_free(prob); upl_free(vdraw); upl_free(hdraw);
    upl_free(hh_of_cluster_start); upl_free(hh_sorted);
    return rc;
}

/* ---- rates and confidence intervals ----------------------------------------------- */

/* Regularised incomplete beta I_x(a, b) by the continued fraction (Lentz),
 * Press et al., Numerical Recipes 3rd ed. §6.4. */
static double betacf(double a, double b, double x) {
    const double tiny = 1e-300, eps = 1e-15;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d; if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c; if (fabs(c) < tiny) c = tiny;
        d = 1 / d; h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d; if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c; if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < eps) break;
    }
    return h;
}
static double ibeta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}
/* x with I_x(a, b) = p, by bisection (monotone in x) to 1e-14 */
static double ibeta_inv(double a, double b, double p) {
    double lo = 0, hi = 1;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = 0.5 * (lo + hi);
        if (ibeta(a, b, mid) < p) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}
/* standard normal quantile by bisection on erfc (exact to ~1e-14) */
static double norm_quantile(double p) {
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void upl_rate_ci_compute(uint64_t x, uint64_t n, double level, upl_rate_ci *out) {
    memset(out, 0, sizeof *out);
    out->x = x;
    out->n = n;
    out->threshold = NAN;
    out->pass = -1;
    if (n == 0 || x > n || !(level > 0 && level < 1)) {
        out->rate = out->wilson_lo = out->wilson_hi = out->exact_lo = out->exact_hi = NAN;
        return;
    }
    double nn = (double)n, ph = (double)x / nn, alpha = 1 - level;
    double z = norm_quantile(1 - alpha / 2), z2 = z * z;
    /* Wilson (1927) score interval */
    double den = 1 + z2 / nn, centre = (ph + z2 / (2 * nn)) / den;
    double half = z * sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn)) / den;
    out->rate = ph;
    out->wilson_lo = x == 0 ? 0 : centre - half;
    out->wilson_hi = x == n ? 1 : centre + half;
    /* Clopper-Pearson (1934): Beta quantiles */
    out->exact_lo = x == 0 ? 0 : ibeta_inv((double)x, (double)(n - x) + 1, alpha / 2);
    out->exact_hi = x == n ? 1 : ibeta_inv((double)x + 1, (double)(n - x), 1 - alpha / 2);
}

/* 1 true, 0 false, -1 missing/unreadable */
static int truth(const upl_column *c, size_t r) {
    if (!upl_col_is_valid(c, r)) return -1;
    const char *s = NULL;
    size_t l = 0;
    switch (c->type) {
    case UPL_BOOL: return c->v.b[r] ? 1 : 0;
    case UPL_I64: return c->v.i64[r] == 1 ? 1 : c->v.i64[r] == 0 ? 0 : -1;
    case UPL_F64: return c->v.f64[r] == 1 ? 1 : c->v.f64[r] == 0 ? 0 : -1;
    case UPL_CAT: s = upl_dict_label(c->dict, c->v.cat[r]); l = upl_dict_label_len(c->dict, c->v.cat[r]); break;
    case UPL_STR: s = upl_col_str(c, r, &l); break;
    }
    static const char *const T[] = {"是", "1", "true", "yes", "y", "认可", "满意"};
    static const char *const F[] = {"否", "0", "false", "no", "n", "不认可", "不满意"};
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) if (strlen(T[i]) == l && !strncasecmp(s, T[i], l)) return 1;
    for (size_t i = 0; i < sizeof F / sizeof *F; i++) if (strlen(F[i]) == l && !strncasecmp(s, F[i], l)) return 0;
    return -1;
}

static void set_threshold(const upl_profile *p, const char *name, bool is_max, upl_rate_ci *ci) {
    double t;
    ci->is_max = is_max;
    if (upl_profile_threshold(p, "assessment", name, 0, NULL, &t) == UPL_OK) ci->threshold = t;
    if (isnan(ci->rate) || isnan(ci->threshold)) ci->pass = -1;
    else ci->pass = is_max ? ci->rate < ci->threshold : ci->rate >= ci->threshold;
}

int upl_assess_compute_rates(const upl_profile *p, const upl_table *results, double level, upl_assess_rates *out,
                             upl_error *err) {
    memset(out, 0, sizeof *out);
    if (!p || !results) return upl_error_set(err, UPL_EMISUSE, "upl_assess_compute_rates: NULL argument");
    const upl_column *exited = upl_table_find(results, "exited"), *wrong = upl_table_find(results, "wrongly_exited"),
                     *reg = upl_table_find(results, "registered"), *missed = upl_table_find(results, "missed"),
                     *appr = upl_table_find(results, "approves");
    if (!(exited && wrong) && !(reg && missed) && !appr)
        return upl_error_set(err, UPL_ESCHEMA, "the assessment results need columns exited + wrongly_exited, "
                                               "registered + missed, or approves (true/false or 是/否)");
    size_t n = upl_table_n_rows(results);
    uint64_t we_x = 0, we_n = 0, m_x = 0, m_n = 0, a_x = 0, a_n = 0;
    for (size_t r = 0; r < n; r++) {
        /* 错退率 = wrongly exited / exited persons in the sample */
        if (exited && wrong && truth(exited, r) == 1) { we_n++; if (truth(wrong, r) == 1) we_x++; }
        /* 漏评率 = missed / non-registered rural population of sampled villages */
        if (reg && missed && truth(reg, r) == 0) { m_n++; if (truth(missed, r) == 1) m_x++; }
        /* 群众认可度 = approving / surveyed */
        if (appr) { int v = truth(appr, r); if (v >= 0) { a_n++; a_x += (uint64_t)v; } }
    }
    upl_rate_ci_compute(we_x, we_n, level, &out->wrong_exit);
    upl_rate_ci_compute(m_x, m_n, level, &out->missed);
    upl_rate_ci_compute(a_x, a_n, level, &out->recognition);
    set_threshold(p, "wrong_exit_rate_max", true, &out->wrong_exit);
    set_threshold(p, "missed_rate_max", true, &out->missed);
    set_threshold(p, "recognition_rate_min", false, &out->recognition);
    /* failing any one blocks exit (DOMAIN.md §1.7) */
    int v = 1;
    const upl_rate_ci *all[3] = {&out->wrong_exit, &out->missed, &out->recognition};
    for (int i = 0; i < 3; i++) {
        if (all[i]->pass == 0) { v = 0; break; }
        if (all[i]->pass < 0) v = -1;
    }
    out->verdict = v;
    return UPL_OK;
}
