/* revital_panel.c — the revitalization analysis over an area x year panel:
 * picks the indicator columns an indicator system names, applies the
 * missing-value policy, normalises (pooled over years or per year),
 * weighs (entropy, CRITIC, given, AHP, or a combination), scores and ranks,
 * and, on request, TOPSIS, coupling coordination between the dimensions,
 * obstacle degrees, regional Gini/Theil decompositions, sigma- and
 * beta-convergence and kernel densities. Every choice that changes a number
 * goes into the "settings" table so a result can be reproduced from its own
 * output. Formulas: revital_methods.c and revital_region.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/revital.h"
#include "revital_int.h"

typedef struct run {
    const upl_table *panel;
    const upl_revital_system *sys;
    const upl_revital_options *opt;
    upl_error *err;
    upl_revital_result *res;
    size_t m, n, nd;          /* indicators, kept rows, dimensions */
    upl_column **cols;        /* m indicator columns */
    double *x, *z, *zs;       /* n x m: raw, normalised, score matrix */
    size_t *prow;             /* kept row -> panel row */
    int32_t *unit, *year, *region;
    upl_groupby *gu, *gy, *gr;
    int32_t n_years, n_regions;
    size_t n_scopes;
    int32_t *scope_of;        /* kept row -> scope */
    double *w;                /* n_scopes x m final weights */
    double *wsub, *wobj;      /* m and n_scopes x m (combined) */
    double *e, *d, *sd, *conf, *info, *lo, *hi; /* n_scopes x m diagnostics */
    bool *is_const;           /* n_scopes x m */
    bool *is_fallback;        /* n_scopes */
    double *dim_w_ahp_cr;     /* nd + 1: CR of each dimension's matrix, last = dimensions matrix */
    double *score, *dimidx, *tc, *tdp, *tdm;
    int64_t *rank, *trank;
    int zero_rule;
    double zero_param;
    size_t dropped;
    bool has_dim_fallback;
    const char *given_mode;
} run;

#define R_ERR(code, ...) upl_error_set(r->err, (code), __VA_ARGS__)

static int add_result(run *r, const char *name, upl_table *t) {
    upl_revital_result *res = r->res;
    char **nn = upl_reallocarray(res->names, res->n_tables + 1, sizeof *nn);
    if (nn) res->names = nn;
    upl_table **nt = nn ? upl_reallocarray(res->tables, res->n_tables + 1, sizeof *nt) : NULL;
    if (nt) res->tables = nt;
    char *s = nt ? upl_strdup(name) : NULL;
    if (!s) {
        upl_table_free(t);
        return upl_error_set(r->err, UPL_ENOMEM, "out of memory");
    }
    res->names[res->n_tables] = s;
    res->tables[res->n_tables++] = t;
    return UPL_OK;
}

static const char *label_of(const upl_groupby *g, int32_t id) {
    return (g && id >= 0) ? g->labels[id][0] : "";
}
static const char *year_label(run *r, size_t row) {
    return r->gy ? label_of(r->gy, r->year[row]) : "all";
}
static const char *scope_label(run *r, size_t s) {
    return r->opt->scope == UPL_REVITAL_PER_YEAR && r->gy ? label_of(r->gy, (int32_t)s) : "pooled";
}

/* ---- rows and columns ---------------------------------------------------------- */

static int key_groups(run *r, const char *col, upl_groupby **out, const char *what) {
    int rc;
    upl_column *c = upl_table_find(r->panel, col);
    if (!c) {
        upl_column *dummy;
        return upl_table_require(r->panel, col, UPL_MASK(UPL_STR), &dummy, r->err);
    }
    const char *keys[1] = { col };
    rc = upl_groupby_build(r->panel, keys, 1, out, r->err);
    if (rc) rv_error_wrap(r->err, rc, "%s column `%s`", what, col);
    return rc;
}

static int select_rows(run *r) {
    int rc = UPL_OK;
    const upl_revital_options *o = r->opt;
    size_t nr = upl_table_n_rows(r->panel);
    r->m = r->sys->n_inds;
    r->nd = r->sys->n_dims;
    r->cols = upl_calloc(r->m, sizeof *r->cols);
    if (!r->cols) return R_ERR(UPL_ENOMEM, "out of memory");
    for (size_t j = 0; j < r->m; j++)
        if ((rc = upl_table_require(r->panel, r->sys->inds[j].column, UPL_MASK_NUMERIC, &r->cols[j], r->err))) {
            rv_error_wrap(r->err, rc, "indicator `%s` (%s:%llu)", r->sys->inds[j].name, r->sys->path,
                          (unsigned long long)r->sys->inds[j].line);
            return rc;
        }
    if (!o->unit_col) return R_ERR(UPL_EMISUSE, "the unit (area) column is not set");
    if ((rc = key_groups(r, o->unit_col, &r->gu, "unit"))) return rc;
    if (o->year_col && (rc = key_groups(r, o->year_col, &r->gy, "year"))) return rc;
    if (o->region_col && (rc = key_groups(r, o->region_col, &r->gr, "region"))) return rc;
    r->n_years = r->gy ? r->gy->n_groups : 1;
    r->n_regions = r->gr ? r->gr->n_groups : 0;
    r->x = upl_malloc((nr ? nr : 1) * r->m * sizeof *r->x);
    r->prow = upl_malloc((nr ? nr : 1) * sizeof *r->prow);
    r->unit = upl_malloc((nr ? nr : 1) * sizeof *r->unit);
    r->year = upl_malloc((nr ? nr : 1) * sizeof *r->year);
    r->region = upl_malloc((nr ? nr : 1) * sizeof *r->region);
    if (!r->x || !r->prow || !r->unit || !r->year || !r->region) return R_ERR(UPL_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < nr; i++) {
        const char *why = NULL, *field = NULL;
        int32_t u = r->gu->group_of_row[i], y = r->gy ? r->gy->group_of_row[i] : 0;
        int32_t g = r->gr ? r->gr->group_of_row[i] : 0;
        if (u < 0) { why = "missing unit identifier"; field = o->unit_col; }
        else if (y < 0) { why = "missing year"; field = o->year_col; }
        else if (g < 0) { why = "missing region"; field = o->region_col; }
        for (size_t j = 0; !why && j < r->m; j++) {
            double v;
            if (!upl_col_get_f64(r->cols[j], i, &v) || !isfinite(v)) { why = "missing value"; field = r->sys->inds[j].column; }
            else r->x[k * r->m + j] = v;
        }
        for (size_t c = 0; !why && c < o->n_controls; c++) {
            upl_column *cc = upl_table_find(r->panel, o->controls[c]);
            double v;
            if (cc && (!upl_col_get_f64(cc, i, &v) || !isfinite(v))) { why = "missing control"; field = o->controls[c]; }
        }
        if (why) {
            if (o->missing == UPL_REVITAL_MISSING_DROP) { r->dropped++; continue; }
            return upl_error_at(r->err, UPL_ERANGE, upl_table_meta(r->panel, "source"), i + 2, 0, field,
                                "%s for unit `%s`%s%s (data row %zu); use --missing drop to leave such rows out",
                                why, label_of(r->gu, u), r->gy ? ", year " : "", r->gy ? label_of(r->gy, y) : "", i + 1);
        }
        r->prow[k] = i;
        r->unit[k] = u;
        r->year[k] = y;
        r->region[k] = g;
        k++;
    }
    r->n = k;
    if (k == 0) return R_ERR(UPL_EUNDEFINED, "no complete rows in the panel (%zu rows, %zu dropped)", nr, r->dropped);
    /* one row per unit and year */
    int32_t nu = r->gu->n_groups;
    int64_t *seen = upl_malloc((size_t)nu * (size_t)r->n_years * sizeof *seen);
    if (!seen) return R_ERR(UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < (size_t)nu * (size_t)r->n_years; i++) seen[i] = -1;
    for (size_t i = 0; i < k; i++) {
        size_t cell = (size_t)r->unit[i] * (size_t)r->n_years + (size_t)r->year[i];
        if (seen[cell] >= 0) {
            rc = upl_error_at(r->err, UPL_ECONFLICT, upl_table_meta(r->panel, "source"), r->prow[i] + 2, 0, o->unit_col,
                              "unit `%s`%s%s appears twice (data rows %lld and %zu)", label_of(r->gu, r->unit[i]),
                              r->gy ? " in year " : "", r->gy ? label_of(r->gy, r->year[i]) : "",
                              (long long)r->prow[seen[cell]] + 1, r->prow[i] + 1);
            break;
        }
        seen[cell] = (int64_t)i;
    }
    upl_free(seen);
    return rc;
}

/* ---- weights -------------------------------------------------------------------- */

static int subjective_weights(run *r, int kind, double *w) {
    int rc = UPL_OK;
    const upl_revital_system *s = r->sys;
    size_t m = r->m;
    if (kind == UPL_REVITAL_GIVEN) {
        bool all_ind = true, all_dim = true, any_ind = false;
        for (size_t j = 0; j < m; j++) {
            if (isnan(s->inds[j].weight)) all_ind = false;
            else any_ind = true;
        }
        for (size_t d = 0; d < r->nd; d++) if (isnan(s->dims[d].weight)) all_dim = false;
        if (!all_ind && !(all_dim && !any_ind)) {
            for (size_t j = 0; j < m; j++)
                if (isnan(s->inds[j].weight))
                    return upl_error_at(r->err, UPL_EPROFILE, s->path, s->inds[j].line, s->inds[j].column_no, "weight",
                                        "method `given` needs a weight for indicator `%s` (or dimension weights only)", s->inds[j].name);
        }
        for (size_t d = 0; d < r->nd; d++) {
            upl_ksum t = {0, 0};
            size_t cnt = 0;
            for (size_t j = 0; j < m; j++)
                if (s->inds[j].dimension == d) { upl_ksum_add(&t, all_ind ? s->inds[j].weight : 1.0); cnt++; }
            double tot = upl_ksum_value(&t);
            for (size_t j = 0; j < m; j++) {
                if (s->inds[j].dimension != d) continue;
                double local = all_ind ? s->inds[j].weight : 1.0;
                if (all_dim) w[j] = s->dims[d].weight * (tot > 0 ? local / tot : 1.0 / (double)cnt);
                else w[j] = local;
            }
        }
        r->given_mode = all_dim ? (all_ind ? "two-level: dimension weight x indicator weight within dimension"
                                           : "dimension weights, equal within dimension")
                                : "indicator weights";
    } else {
        /* AHP: dimension priorities x indicator priorities within the dimension. */
        double *dw = upl_calloc(r->nd, sizeof *dw);
        if (!dw) return R_ERR(UPL_ENOMEM, "out of memory");
        if (r->nd == 1) dw[0] = 1.0;
        else if (!s->ahp) { upl_free(dw); return upl_error_at(r->err, UPL_EPROFILE, s->path, 0, 0, "ahp", "method `ahp` needs a top-level `ahp:` pairwise matrix over the %zu dimensions", r->nd); }
        else {
            rc = upl_revital_ahp(s->ahp, r->nd, dw, NULL, NULL, &r->dim_w_ahp_cr[r->nd], r->err);
            if (rc) { upl_free(dw); rv_error_wrap(r->err, rc, "%s: dimensions' AHP matrix", s->path); return rc; }
        }
        for (size_t d = 0; d < r->nd && !rc; d++) {
            size_t cnt = 0, first = 0;
            for (size_t j = 0; j < m; j++) if (s->inds[j].dimension == d) { if (!cnt) first = j; cnt++; }
            if (cnt == 1) { w[first] = dw[d]; r->dim_w_ahp_cr[d] = 0; continue; }
            if (!s->dims[d].ahp) {
                rc = upl_error_at(r->err, UPL_EPROFILE, s->path, 0, 0, "ahp", "method `ahp` needs an `ahp:` matrix in dimension `%s` (%zu indicators)", s->dims[d].name, cnt);
                break;
            }
            rc = upl_revital_ahp(s->dims[d].ahp, cnt, &w[first], NULL, NULL, &r->dim_w_ahp_cr[d], r->err);
            if (rc) { rv_error_wrap(r->err, rc, "%s: dimension `%s` AHP matrix", s->path, s->dims[d].name); break; }
            for (size_t j = first; j < first + cnt; j++) w[j] *= dw[d];
        }
        upl_free(dw);
        if (rc) return rc;
    }
    upl_ksum t = {0, 0};
    for (size_t j = 0; j < m; j++) upl_ksum_add(&t, w[j]);
    double tot = upl_ksum_value(&t);
    if (!(tot > 0)) return R_ERR(UPL_EPROFILE, "%s: the given weights sum to 0", s->path);
    for (size_t j = 0; j < m; j++) w[j] /= tot;
    return UPL_OK;
}

static int objective_weights(run *r, int kind, size_t sc, const double *zsub, size_t ns, double *w) {
    size_t m = r->m;
    bool fb = false;
    int rc;
    if (kind == UPL_REVITAL_ENTROPY)
        rc = upl_revital_entropy(zsub, ns, m, r->zero_rule, r->zero_param, w, &r->e[sc * m], &r->d[sc * m], &fb, r->err);
    else
        rc = upl_revital_critic(zsub, ns, m, r->opt->critic_variant, w, &r->sd[sc * m], &r->conf[sc * m],
                                &r->info[sc * m], &fb, r->err);
    if (rc) {
        rv_error_wrap(r->err, rc, "%s%s", r->opt->scope == UPL_REVITAL_PER_YEAR ? "year " : "",
                      r->opt->scope == UPL_REVITAL_PER_YEAR ? scope_label(r, sc) : "pooled sample");
        return rc;
    }
    r->is_fallback[sc] |= fb;
    return UPL_OK;
}

static int normalise_and_weigh(run *r) {
    int rc = UPL_OK;
    const upl_revital_options *o = r->opt;
    size_t m = r->m, n = r->n;
    double *zsub = NULL, *xsub = NULL, *zsub2 = NULL;
    size_t *rows = NULL;
    r->n_scopes = o->scope == UPL_REVITAL_PER_YEAR ? (size_t)r->n_years : 1;
    size_t S = r->n_scopes;
    r->scope_of = upl_malloc(n * sizeof *r->scope_of);
    r->z = upl_malloc(n * m * sizeof *r->z);
    r->zs = upl_malloc(n * m * sizeof *r->zs);
#define ALLOC_SM(p) ((p) = upl_calloc(S * m, sizeof *(p)))
    ALLOC_SM(r->w); ALLOC_SM(r->wobj); ALLOC_SM(r->e); ALLOC_SM(r->d); ALLOC_SM(r->sd); ALLOC_SM(r->conf);
    ALLOC_SM(r->info); ALLOC_SM(r->lo); ALLOC_SM(r->hi); ALLOC_SM(r->is_const);
    r->wsub = upl_calloc(m, sizeof *r->wsub);
    r->is_fallback = upl_calloc(S, sizeof *r->is_fallback);
    r->dim_w_ahp_cr = upl_malloc((r->nd + 1) * sizeof *r->dim_w_ahp_cr);
    rows = upl_malloc(n * sizeof *rows);
    zsub = upl_malloc(n * m * sizeof *zsub);
    xsub = upl_malloc(n * m * sizeof *xsub);
    zsub2 = upl_malloc(m * sizeof *zsub2);
    if (!r->scope_of || !r->z || !r->zs || !r->w || !r->wobj || !r->e || !r->d || !r->sd || !r->conf || !r->info ||
        !r->lo || !r->hi || !r->is_const || !r->wsub || !r->is_fallback || !r->dim_w_ahp_cr || !rows || !zsub || !xsub || !zsub2) {
        rc = R_ERR(UPL_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t j = 0; j < S * m; j++) r->e[j] = r->d[j] = r->sd[j] = r->conf[j] = r->info[j] = NAN;
    for (size_t d = 0; d <= r->nd; d++) r->dim_w_ahp_cr[d] = NAN;
    for (size_t i = 0; i < n; i++) r->scope_of[i] = S == 1 ? 0 : r->year[i];
    int method = o->method;
    int subj = method == UPL_REVITAL_COMBINED ? o->subjective : method;
    int obj = method == UPL_REVITAL_COMBINED ? o->objective : method;
    bool has_subj = subj == UPL_REVITAL_GIVEN || subj == UPL_REVITAL_AHP;
    bool has_obj = obj == UPL_REVITAL_ENTROPY || obj == UPL_REVITAL_CRITIC;
    if (method == UPL_REVITAL_COMBINED && (!has_subj || !has_obj)) {
        rc = R_ERR(UPL_EMISUSE, "combined weights need a subjective method (given or ahp) and an objective one (entropy or critic)");
        goto fail;
    }
    if (has_subj && (rc = subjective_weights(r, subj, r->wsub))) goto fail;
    for (size_t sc = 0; sc < S; sc++) {
        size_t ns = 0;
        for (size_t i = 0; i < n; i++) if ((size_t)r->scope_of[i] == sc) rows[ns++] = i;
        if (ns == 0) continue;
        for (size_t k = 0; k < ns; k++) memcpy(&xsub[k * m], &r->x[rows[k] * m], m * sizeof *xsub);
        for (size_t j = 0; j < m; j++) {
            const upl_revital_indicator *ind = &r->sys->inds[j];
            double lo = INFINITY, hi = -INFINITY;
            for (size_t k = 0; k < ns; k++) { lo = fmin(lo, xsub[k * m + j]); hi = fmax(hi, xsub[k * m + j]); }
            r->lo[sc * m + j] = lo;
            r->hi[sc * m + j] = hi;
            rc = upl_revital_normalise(&xsub[j], ns, m, &ind->dir, &zsub[j], m, &r->is_const[sc * m + j], r->err);
            if (rc) {
                rv_error_wrap(r->err, rc, "indicator `%s`", ind->name);
                goto fail;
            }
            for (size_t k = 0; k < ns; k++) r->z[rows[k] * m + j] = zsub[k * m + j];
            if (r->zero_rule == UPL_REVITAL_ZERO_EPSILON)
                upl_revital_epsilon_rescale(&zsub[j], ns, m, ind->dir.direction, r->zero_param);
            for (size_t k = 0; k < ns; k++) r->zs[rows[k] * m + j] = zsub[k * m + j];
        }
        double *w = &r->w[sc * m];
        if (has_obj && (rc = objective_weights(r, obj, sc, zsub, ns, &r->wobj[sc * m]))) goto fail;
        if (method == UPL_REVITAL_COMBINED) {
            upl_ksum t = {0, 0};
            for (size_t j = 0; j < m; j++) {
                w[j] = o->combine == UPL_REVITAL_COMBINE_LINEAR
                           ? o->combine_alpha * r->wsub[j] + (1.0 - o->combine_alpha) * r->wobj[sc * m + j]
                           : r->wsub[j] * r->wobj[sc * m + j];
                upl_ksum_add(&t, w[j]);
            }
            double tot = upl_ksum_value(&t);
            for (size_t j = 0; j < m; j++) w[j] = tot > 0 ? w[j] / tot : 1.0 / (double)m;
            if (!(tot > 0)) r->is_fallback[sc] = true;
        } else if (has_obj) {
            memcpy(w, &r->wobj[sc * m], m * sizeof *w);
        } else {
            memcpy(w, r->wsub, m * sizeof *w);
        }
    }
fail:
    upl_free(rows);
    upl_free(zsub);
    upl_free(xsub);
    upl_free(zsub2);
    return rc;
}

/* ---- scores ------------------------------------------------------------------------ */

static int compute_scores(run *r) {
    int rc = UPL_OK;
    size_t n = r->n, m = r->m, nd = r->nd;
    double *a = NULL, *wv = NULL;
    bool *is_cost = NULL;
    size_t *rows = NULL;
    r->score = upl_malloc(n * sizeof *r->score);
    r->dimidx = upl_malloc(n * nd * sizeof *r->dimidx);
    r->rank = upl_calloc(n, sizeof *r->rank);
    rows = upl_malloc(n * sizeof *rows);
    if (!r->score || !r->dimidx || !r->rank || !rows) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < n; i++) {
        const double *w = &r->w[(size_t)r->scope_of[i] * m];
        upl_ksum s = {0, 0};
        for (size_t j = 0; j < m; j++) upl_ksum_add(&s, w[j] * r->zs[i * m + j]);
        r->score[i] = 100.0 * upl_ksum_value(&s);
        for (size_t d = 0; d < nd; d++) {
            upl_ksum num = {0, 0}, den = {0, 0}, eq = {0, 0};
            size_t cnt = 0;
            for (size_t j = 0; j < m; j++) {
                if (r->sys->inds[j].dimension != d) continue;
                upl_ksum_add(&num, w[j] * r->zs[i * m + j]);
                upl_ksum_add(&den, w[j]);
                upl_ksum_add(&eq, r->zs[i * m + j]);
                cnt++;
            }
            double dd = upl_ksum_value(&den);
            if (dd > 0) r->dimidx[i * nd + d] = upl_ksum_value(&num) / dd;
            else { r->dimidx[i * nd + d] = upl_ksum_value(&eq) / (double)cnt; r->has_dim_fallback = true; }
        }
    }
    for (int32_t y = 0; y < r->n_years; y++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) if (r->year[i] == y) rows[k++] = i;
        if (rv_rank_desc(r->score, rows, k, r->rank)) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    }
    if (r->opt->topsis) {
        r->tc = upl_malloc(n * sizeof *r->tc);
        r->tdp = upl_malloc(n * sizeof *r->tdp);
        r->tdm = upl_malloc(n * sizeof *r->tdm);
        r->trank = upl_calloc(n, sizeof *r->trank);
        a = upl_malloc(n * m * sizeof *a);
        is_cost = upl_calloc(m, sizeof *is_cost);
        double *cl = upl_malloc(n * 3 * sizeof *cl);
        if (!r->tc || !r->tdp || !r->tdm || !r->trank || !a || !is_cost || !cl) { upl_free(cl); rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        bool vec = r->opt->topsis == UPL_REVITAL_TOPSIS_VECTOR;
        for (size_t sc = 0; sc < r->n_scopes && !rc; sc++) {
            size_t ns = 0;
            for (size_t i = 0; i < n; i++) if ((size_t)r->scope_of[i] == sc) rows[ns++] = i;
            if (!ns) continue;
            for (size_t k = 0; k < ns; k++)
                for (size_t j = 0; j < m; j++) {
                    int dir = r->sys->inds[j].dir.direction;
                    bool raw = vec && (dir == UPL_REVITAL_BENEFIT || dir == UPL_REVITAL_COST);
                    /* vector mode: benefit/cost raw (cost ideal = min), centre and
                     * interval normalised first (DOMAIN.md §3.6; the river example) */
                    a[k * m + j] = raw ? r->x[rows[k] * m + j] : (vec ? r->z : r->zs)[rows[k] * m + j];
                    is_cost[j] = raw && dir == UPL_REVITAL_COST;
                }
            rc = upl_revital_topsis(a, ns, m, &r->w[sc * m], is_cost, vec ? UPL_REVITAL_TOPSIS_VECTOR : UPL_REVITAL_TOPSIS_NONE,
                                    cl, cl + n, cl + 2 * n, r->err);
            for (size_t k = 0; !rc && k < ns; k++) {
                r->tdp[rows[k]] = cl[k];
                r->tdm[rows[k]] = cl[n + k];
                r->tc[rows[k]] = cl[2 * n + k];
            }
        }
        upl_free(cl);
        for (int32_t y = 0; !rc && y < r->n_years; y++) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) if (r->year[i] == y) rows[k++] = i;
            if (rv_rank_desc(r->tc, rows, k, r->trank)) rc = R_ERR(UPL_ENOMEM, "out of memory");
        }
    }
fail:
    upl_free(a);
    upl_free(wv);
    upl_free(is_cost);
    upl_free(rows);
    return rc;
}

/* ---- output tables -------------------------------------------------------------------- */

typedef struct kv { upl_table *t; upl_column *k, *v, *zh; } kv;

static int kv_add(kv *s, const char *key, const char *value, const char *zh) {
    int rc = rv_push_text(s->k, key);
    if (!rc) rc = rv_push_text(s->v, value);
    if (!rc) rc = rv_push_text(s->zh, zh);
    return rc;
}

static int settings_table(run *r) {
    int rc = UPL_OK;
    const upl_revital_options *o = r->opt;
    kv s = {0};
    char buf[256];
    s.t = upl_table_new();
    if (!s.t) return R_ERR(UPL_ENOMEM, "out of memory");
    if ((rc = rv_add_col(s.t, "setting", UPL_STR, "设置", &s.k, r->err)) ||
        (rc = rv_add_col(s.t, "value", UPL_STR, "取值", &s.v, r->err)) ||
        (rc = rv_add_col(s.t, "meaning_zh", UPL_STR, "说明", &s.zh, r->err)))
        goto fail;
#define KV(k, v, z) do { if ((rc = kv_add(&s, (k), (v), (z)))) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; } } while (0)
    KV("uplift_version", UPL_VERSION_STRING, "软件版本");
    if (upl_table_meta(r->panel, "source")) KV("panel_file", upl_table_meta(r->panel, "source"), "面板数据文件");
    KV("system", r->sys->name, r->sys->label_zh ? r->sys->label_zh : "指标体系");
    KV("system_file", r->sys->path, "指标体系文件");
    snprintf(buf, sizeof buf, "%zu indicators in %zu dimensions", r->m, r->nd);
    KV("indicators", buf, "指标数与维度数");
    size_t n_unv = 0;
    for (size_t j = 0; j < r->m; j++)
        n_unv += !r->sys->inds[j].is_verified || !r->sys->inds[j].is_baseline_verified || !r->sys->inds[j].is_target_verified;
    if (n_unv) {
        snprintf(buf, sizeof buf, "%zu indicator(s) with a definition, baseline or target marked unverified in the system file", n_unv);
        KV("unverified", buf, "指标体系中含未核实的数值或定义");
    }
    if (o->do_targets)
        KV("targets", "achieved by the relation written with the target (>, >=, <, <=; plain = at least for benefit, at most for cost); "
                      "achievement % = value/target (benefit), target/value (cost)", "目标达成：按目标值的关系符判断");
    KV("unit_column", o->unit_col, "地区列");
    KV("year_column", o->year_col ? o->year_col : "(none: one cross-section)", "年份列");
    snprintf(buf, sizeof buf, "%zu", r->n);
    KV("rows_used", buf, "参与计算的地区-年份行数");
    KV("missing_values", o->missing == UPL_REVITAL_MISSING_DROP ? "drop (listwise)" : "error", "缺失值处理：报错或整行剔除");
    snprintf(buf, sizeof buf, "%zu", r->dropped);
    KV("rows_dropped", buf, "因缺失被剔除的行数");
    KV("normalisation", o->scope == UPL_REVITAL_PER_YEAR ? "per-year" : "pooled",
       o->scope == UPL_REVITAL_PER_YEAR ? "逐年标准化与赋权" : "全局（跨年混合）标准化与赋权");
    KV("normalisation_formulas", "benefit (x-min)/(max-min); cost (max-x)/(max-min); centre 1-|x-best|/max|x-best|; interval 1-dist/M; constant column = 1",
       "正向、负向、中间型、区间型标准化；常数列取1");
    if (r->zero_rule == UPL_REVITAL_ZERO_EPSILON) snprintf(buf, sizeof buf, "epsilon %.17g (benefit/cost rescaled to [eps, 1-eps]; centre/interval 0->eps, 1->1-eps)", r->zero_param);
    else if (r->zero_rule == UPL_REVITAL_ZERO_SHIFT) snprintf(buf, sizeof buf, "shift %.17g (entropy p_ij from x'+delta; scores use x')", r->zero_param);
    else snprintf(buf, sizeof buf, "limit (0 ln 0 = 0)");
    KV("zero_rule", buf, "零值处理（熵权法）");
    KV("method", upl_revital_method_name(o->method), "赋权方法");
    if (o->method == UPL_REVITAL_CRITIC || (o->method == UPL_REVITAL_COMBINED && o->objective == UPL_REVITAL_CRITIC))
        KV("critic_variant", upl_revital_critic_variant_name(o->critic_variant), "CRITIC 变体（Pearson 相关，样本标准差 n-1）");
    if (o->method == UPL_REVITAL_COMBINED) {
        snprintf(buf, sizeof buf, "%s x %s, %s", upl_revital_method_name(o->subjective), upl_revital_method_name(o->objective),
                 o->combine == UPL_REVITAL_COMBINE_LINEAR ? "linear" : "product w_s w_o / sum");
        KV("combination", buf, "组合赋权：主观 x 客观");
        if (o->combine == UPL_REVITAL_COMBINE_LINEAR) {
            snprintf(buf, sizeof buf, "%.17g", o->combine_alpha);
            KV("combination_alpha", buf, "线性组合中主观权重的系数");
        }
    }
    if (r->given_mode) KV("given_weights", r->given_mode, "给定权重的层次");
    if (!isnan(r->dim_w_ahp_cr[r->nd]) || o->method == UPL_REVITAL_AHP || (o->method == UPL_REVITAL_COMBINED && o->subjective == UPL_REVITAL_AHP))
        KV("ahp", "principal eigenvector (power iteration); CR = CI/RI, RI: Saaty 1980 table", "层次分析法：特征向量法，一致性比率 CR");
    bool any_fb = false;
    for (size_t sc = 0; sc < r->n_scopes; sc++) any_fb |= r->is_fallback[sc];
    KV("equal_weight_fallback", any_fb ? "yes: every indicator carried no information (all d_j = 0); equal weights used" : "no",
       "全部指标无信息（d_j 全为 0）时改用等权");
    KV("score", "100 * sum_j w_j z_ij (z after the zero rule); rank 1 = best within year, ties share the smallest rank",
       "综合得分 = 100 × Σ 权重 × 标准化值；同年内排名");
    KV("dimension_index", r->has_dim_fallback ? "sum_{j in d} w_j z_ij / sum_{j in d} w_j; some dimension had all weights 0: plain mean used"
                                              : "sum_{j in d} w_j z_ij / sum_{j in d} w_j (0..1)",
       "维度指数（维度内权重归一）");
    if (o->topsis)
        KV("topsis", o->topsis == UPL_REVITAL_TOPSIS_VECTOR ? "vector normalisation of raw benefit/cost values (cost ideal = min); centre/interval normalised first"
                                                           : "min-max normalised values (after the zero rule), all benefit",
           "TOPSIS 规范化方式；贴近度 C = D- / (D+ + D-)");
    if (o->do_ccd) {
        KV("ccd_coupling", o->is_ccd_modified ? "modified C (Wang et al. 2021) [formula from memory]" : "C = (prod U)^(1/n) / (mean U)",
           "耦合度公式");
        KV("ccd_boundary", upl_revital_boundary_name(o->ccd_boundary), "协调等级区间端点约定");
        if (o->ccd_alpha && o->n_ccd_alpha == r->nd) {
            size_t len = 0;
            buf[0] = 0;
            for (size_t d = 0; d < r->nd && len < sizeof buf; d++)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%.17g", d ? ", " : "", r->sys->dims[d].name, o->ccd_alpha[d]);
            KV("ccd_alpha", buf, "综合发展指数 T 中各子系统的权重");
        } else {
            KV("ccd_alpha", "equal (1/n each)", "综合发展指数 T 中各子系统的权重");
        }
        snprintf(buf, sizeof buf, "|max U - min U| <= %g is synchronous; else the lowest dimension lags", o->lag_threshold);
        KV("ccd_lag_threshold", buf, "相对发展度：同步或滞后判定");
    }
    if (o->do_obstacle) {
        KV("obstacle", "normalised O = 100 w_j (1-z_ij) / sum_j w_j (1-z_ij); plain P = w_j (1-z_ij); F_j = final weight",
           "障碍度：归一化形式与未归一化形式");
        snprintf(buf, sizeof buf, "%zu", o->obstacle_top);
        KV("obstacle_top", o->obstacle_top ? buf : "all", "每个地区-年份保留的最大障碍因子数");
    }
    if (o->region_col) {
        KV("region_column", o->region_col, "区域列");
        KV("regional_gini", "Dagum (1997) decomposition of scores, unweighted units", "Dagum 基尼系数分解（区域内、区域间、超变密度）");
    }
    if (o->do_convergence && o->scope == UPL_REVITAL_PER_YEAR)
        KV("convergence_note", "scores normalised per year measure positions within each year; convergence then describes relative, not absolute, gaps",
           "逐年标准化的得分只反映年内相对位置，收敛结果为相对差距");
    if (o->do_convergence) {
        KV("sigma", "population SD (divisor n), CV = SD/mean, SD of ln score", "σ 收敛：标准差、变异系数");
        KV("beta", "OLS with classical SE: ln(S_t+1/S_t) = a + b ln S_t (+ controls); long: ln(S_T/S_0)/T = a + b ln S_0; lambda = -ln(1+bT)/T",
           "β 收敛：最小二乘，常规标准误");
    }
    if (o->do_kde) {
        snprintf(buf, sizeof buf, "Gaussian kernel, Silverman bandwidth 0.9 min(s, IQR/1.34) n^-1/5, %zu points", o->kde_points);
        KV("density", buf, "核密度估计");
    }
#undef KV
    return add_result(r, "settings", s.t);
fail:
    upl_table_free(s.t);
    return rc;
}

static int weights_table(run *r) {
    int rc = UPL_OK;
    upl_column *c[20];
    upl_table *t = upl_table_new();
    if (!t) return R_ERR(UPL_ENOMEM, "out of memory");
    const upl_revital_options *o = r->opt;
    int obj = o->method == UPL_REVITAL_COMBINED ? o->objective : o->method;
    bool ent = obj == UPL_REVITAL_ENTROPY, cri = obj == UPL_REVITAL_CRITIC;
    bool sub = o->method == UPL_REVITAL_COMBINED;
    size_t nc = 0;
#define COL(name, type, zh) do { if ((rc = rv_add_col(t, name, type, zh, &c[nc++], r->err))) goto fail; } while (0)
    COL("scope", UPL_STR, "范围");
    COL("dimension", UPL_STR, "维度");
    COL("indicator", UPL_STR, "指标");
    COL("label_zh", UPL_STR, "指标名称");
    COL("direction", UPL_STR, "方向");
    COL("min", UPL_F64, "最小值");
    COL("max", UPL_F64, "最大值");
    COL("constant", UPL_BOOL, "常数列");
    if (ent) { COL("entropy", UPL_F64, "信息熵 e"); COL("divergence", UPL_F64, "差异系数 d"); }
    if (cri) { COL("spread", UPL_F64, "对比强度 S"); COL("conflict", UPL_F64, "冲突性 R"); COL("information", UPL_F64, "信息量 C"); }
    if (sub) { COL("weight_subjective", UPL_F64, "主观权重"); COL("weight_objective", UPL_F64, "客观权重"); }
    COL("weight", UPL_F64, "权重");
#undef COL
    for (size_t sc = 0; sc < r->n_scopes; sc++)
        for (size_t j = 0; j < r->m; j++) {
            const upl_revital_indicator *ind = &r->sys->inds[j];
            size_t q = sc * r->m + j, k = 0;
            rc = rv_push_text(c[k++], scope_label(r, sc));
            if (!rc) rc = rv_push_text(c[k++], r->sys->dims[ind->dimension].name);
            if (!rc) rc = rv_push_text(c[k++], ind->name);
            if (!rc) rc = rv_push_text(c[k++], ind->label_zh ? ind->label_zh : "");
            if (!rc) rc = rv_push_text(c[k++], upl_revital_direction_name(ind->dir.direction));
            if (!rc) rc = rv_push_f64(c[k++], r->lo[q]);
            if (!rc) rc = rv_push_f64(c[k++], r->hi[q]);
            if (!rc) rc = upl_col_push_bool(c[k++], r->is_const[q]);
            if (ent) { if (!rc) rc = rv_push_f64(c[k++], r->e[q]); if (!rc) rc = rv_push_f64(c[k++], r->d[q]); }
            if (cri) { if (!rc) rc = rv_push_f64(c[k++], r->sd[q]); if (!rc) rc = rv_push_f64(c[k++], r->conf[q]); if (!rc) rc = rv_push_f64(c[k++], r->info[q]); }
            if (sub) { if (!rc) rc = rv_push_f64(c[k++], r->wsub[j]); if (!rc) rc = rv_push_f64(c[k++], r->wobj[q]); }
            if (!rc) rc = rv_push_f64(c[k++], r->w[q]);
            if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        }
    rc = add_result(r, "weights", t);
    t = NULL;
    if (rc) return rc;
    /* dimension weights */
    upl_column *dc[6];
    t = upl_table_new();
    if (!t) return R_ERR(UPL_ENOMEM, "out of memory");
    if ((rc = rv_add_col(t, "scope", UPL_STR, "范围", &dc[0], r->err)) || (rc = rv_add_col(t, "dimension", UPL_STR, "维度", &dc[1], r->err)) ||
        (rc = rv_add_col(t, "label_zh", UPL_STR, "维度名称", &dc[2], r->err)) || (rc = rv_add_col(t, "indicators", UPL_I64, "指标数", &dc[3], r->err)) ||
        (rc = rv_add_col(t, "weight", UPL_F64, "维度权重（指标权重之和）", &dc[4], r->err)))
        goto fail;
    bool has_cr = false;
    for (size_t d = 0; d <= r->nd; d++) has_cr |= !isnan(r->dim_w_ahp_cr[d]);
    dc[5] = NULL;
    if (has_cr && (rc = rv_add_col(t, "ahp_cr", UPL_F64, "AHP 一致性比率 CR", &dc[5], r->err))) goto fail;
    for (size_t sc = 0; sc < r->n_scopes; sc++)
        for (size_t d = 0; d < r->nd; d++) {
            upl_ksum s = {0, 0};
            int64_t cnt = 0;
            for (size_t j = 0; j < r->m; j++) if (r->sys->inds[j].dimension == d) { upl_ksum_add(&s, r->w[sc * r->m + j]); cnt++; }
            rc = rv_push_text(dc[0], scope_label(r, sc));
            if (!rc) rc = rv_push_text(dc[1], r->sys->dims[d].name);
            if (!rc) rc = rv_push_text(dc[2], r->sys->dims[d].label_zh ? r->sys->dims[d].label_zh : "");
            if (!rc) rc = upl_col_push_i64(dc[3], cnt);
            if (!rc) rc = rv_push_f64(dc[4], upl_ksum_value(&s));
            if (!rc && dc[5]) rc = rv_push_f64(dc[5], r->dim_w_ahp_cr[d]);
            if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        }
    if (!isnan(r->dim_w_ahp_cr[r->nd])) {
        rc = rv_push_text(dc[0], "all");
        if (!rc) rc = rv_push_text(dc[1], "(dimensions matrix)");
        if (!rc) rc = rv_push_text(dc[2], "准则层判断矩阵");
        if (!rc) rc = upl_col_push_i64(dc[3], (int64_t)r->m);
        if (!rc) rc = rv_push_f64(dc[4], 1.0);
        if (!rc) rc = rv_push_f64(dc[5], r->dim_w_ahp_cr[r->nd]);  /* has_cr holds here */
        if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    }
    return add_result(r, "dimension_weights", t);
fail:
    upl_table_free(t);
    return rc;
}

static int unit_year_cols(run *r, upl_table *t, upl_column **cu, upl_column **cy) {
    int rc = rv_add_col(t, r->opt->unit_col, UPL_STR, "地区", cu, r->err);
    *cy = NULL; /* one cross-section: no year column */
    if (!rc && r->gy) rc = rv_add_col(t, r->opt->year_col, UPL_STR, "年份", cy, r->err);
    return rc;
}

static int push_unit_year(run *r, size_t i, upl_column *cu, upl_column *cy) {
    int rc = rv_push_text(cu, label_of(r->gu, r->unit[i]));
    if (!rc && cy) rc = rv_push_text(cy, year_label(r, i));
    return rc;
}

static int scores_table(run *r) {
    int rc = UPL_OK;
    upl_column *cu, *cy, *cs, *cr, *cg = NULL, **cd = NULL, *ct[4] = {0};
    upl_table *t = upl_table_new();
    cd = upl_calloc(r->nd, sizeof *cd);
    if (!t || !cd) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    if ((rc = unit_year_cols(r, t, &cu, &cy))) goto fail;
    if (r->gr && strcmp(r->opt->region_col, r->opt->unit_col) && (!r->opt->year_col || strcmp(r->opt->region_col, r->opt->year_col)) &&
        (rc = rv_add_col(t, r->opt->region_col, UPL_STR, "区域", &cg, r->err)))
        goto fail;
    if ((rc = rv_add_col(t, "score", UPL_F64, "综合得分", &cs, r->err)) || (rc = rv_add_col(t, "rank", UPL_I64, "排名", &cr, r->err)))
        goto fail;
    for (size_t d = 0; d < r->nd; d++) {
        char *nm = upl_asprintf("index_%s", r->sys->dims[d].name);
        char *zh = upl_asprintf("%s指数", r->sys->dims[d].label_zh ? r->sys->dims[d].label_zh : r->sys->dims[d].name);
        if (!nm || !zh) rc = R_ERR(UPL_ENOMEM, "out of memory");
        else rc = rv_add_col(t, nm, UPL_F64, zh, &cd[d], r->err);
        upl_free(nm);
        upl_free(zh);
        if (rc) goto fail;
    }
    if (r->opt->topsis &&
        ((rc = rv_add_col(t, "topsis_d_plus", UPL_F64, "到正理想解距离 D+", &ct[0], r->err)) ||
         (rc = rv_add_col(t, "topsis_d_minus", UPL_F64, "到负理想解距离 D-", &ct[1], r->err)) ||
         (rc = rv_add_col(t, "topsis_closeness", UPL_F64, "贴近度", &ct[2], r->err)) ||
         (rc = rv_add_col(t, "topsis_rank", UPL_I64, "贴近度排名", &ct[3], r->err))))
        goto fail;
    for (size_t i = 0; i < r->n; i++) {
        rc = push_unit_year(r, i, cu, cy);
        if (!rc && cg) rc = rv_push_text(cg, label_of(r->gr, r->region[i]));
        if (!rc) rc = rv_push_f64(cs, r->score[i]);
        if (!rc) rc = upl_col_push_i64(cr, r->rank[i]);
        for (size_t d = 0; !rc && d < r->nd; d++) rc = rv_push_f64(cd[d], r->dimidx[i * r->nd + d]);
        if (!rc && r->opt->topsis) {
            rc = rv_push_f64(ct[0], r->tdp[i]);
            if (!rc) rc = rv_push_f64(ct[1], r->tdm[i]);
            if (!rc) rc = rv_push_f64(ct[2], r->tc[i]);
            if (!rc) rc = upl_col_push_i64(ct[3], r->trank[i]);
        }
        if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    }
    upl_free(cd);
    return add_result(r, "scores", t);
fail:
    upl_free(cd);
    upl_table_free(t);
    return rc;
}

static int ccd_table(run *r) {
    int rc = UPL_OK;
    upl_column *cu, *cy, *c[9];
    if (r->nd < 2) return R_ERR(UPL_EMISUSE, "coupling coordination needs at least 2 dimensions; `%s` has %zu", r->sys->name, r->nd);
    if (r->opt->ccd_alpha && r->opt->n_ccd_alpha != r->nd)
        return R_ERR(UPL_EMISUSE, "%zu coupling weights given for %zu dimensions", r->opt->n_ccd_alpha, r->nd);
    upl_table *t = upl_table_new();
    if (!t) return R_ERR(UPL_ENOMEM, "out of memory");
    if ((rc = unit_year_cols(r, t, &cu, &cy)) || (rc = rv_add_col(t, "C", UPL_F64, "耦合度", &c[0], r->err)) ||
        (rc = rv_add_col(t, "T", UPL_F64, "综合发展指数", &c[1], r->err)) || (rc = rv_add_col(t, "D", UPL_F64, "耦合协调度", &c[2], r->err)) ||
        (rc = rv_add_col(t, "level", UPL_I64, "等级(0-9)", &c[3], r->err)) || (rc = rv_add_col(t, "class", UPL_STR, "class", &c[4], r->err)) ||
        (rc = rv_add_col(t, "class_zh", UPL_STR, "协调类型", &c[5], r->err)) || (rc = rv_add_col(t, "relative_development", UPL_F64, "相对发展度(min/max)", &c[6], r->err)) ||
        (rc = rv_add_col(t, "lagging", UPL_STR, "滞后子系统", &c[7], r->err)) ||
        (rc = rv_add_col(t, "lagging_zh", UPL_STR, "滞后子系统名称", &c[8], r->err)))
        goto fail;
    for (size_t i = 0; i < r->n; i++) {
        upl_revital_ccd o;
        if ((rc = upl_revital_ccd_compute(&r->dimidx[i * r->nd], r->nd, r->opt->ccd_alpha, r->opt->is_ccd_modified, r->opt->ccd_boundary,
                                          r->opt->lag_threshold, &o, r->err)))
            goto fail;
        rc = push_unit_year(r, i, cu, cy);
        if (!rc) rc = rv_push_f64(c[0], o.c);
        if (!rc) rc = rv_push_f64(c[1], o.t);
        if (!rc) rc = rv_push_f64(c[2], o.d);
        if (!rc) rc = upl_col_push_i64(c[3], o.level);
        if (!rc) rc = rv_push_text(c[4], upl_revital_ccd_level_name(o.level, false));
        if (!rc) rc = rv_push_text(c[5], upl_revital_ccd_level_name(o.level, true));
        if (!rc) rc = rv_push_f64(c[6], o.relative);
        if (!rc) rc = rv_push_text(c[7], o.lagging < 0 ? "synchronous" : r->sys->dims[o.lagging].name);
        if (!rc) rc = rv_push_text(c[8], o.lagging < 0 ? "同步"
                                         : r->sys->dims[o.lagging].label_zh ? r->sys->dims[o.lagging].label_zh
                                                                            : r->sys->dims[o.lagging].name);
        if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    }
    return add_result(r, "ccd", t);
fail:
    upl_table_free(t);
    return rc;
}

static int obstacle_tables(run *r) {
    int rc = UPL_OK;
    size_t n = r->n, m = r->m, nd = r->nd;
    upl_table *t = NULL, *t2 = NULL;
    double *on = upl_malloc(n * m * sizeof *on), *op = upl_malloc(n * m * sizeof *op);
    double *dn = upl_malloc((m > nd ? m : nd) * sizeof *dn), *dp = upl_malloc(nd * sizeof *dp);
    int64_t *rk = upl_malloc((m > nd ? m : nd) * sizeof *rk);
    size_t *idx = upl_malloc((m > nd ? m : nd) * sizeof *idx);
    size_t *ord = upl_malloc((m > nd ? m : nd) * sizeof *ord);
    upl_column *cu, *cy, *c[6], *cu2, *cy2, *d[4];
    if (!on || !op || !dn || !dp || !rk || !idx || !ord) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < n; i++) {
        const double *w = &r->w[(size_t)r->scope_of[i] * m];
        if ((rc = upl_revital_obstacle(&r->zs[i * m], 1, m, w, &on[i * m], &op[i * m], r->err))) goto fail;
    }
    t = upl_table_new();
    t2 = upl_table_new();
    if (!t || !t2) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    if ((rc = unit_year_cols(r, t, &cu, &cy)) || (rc = rv_add_col(t, "indicator", UPL_STR, "指标", &c[0], r->err)) ||
        (rc = rv_add_col(t, "dimension", UPL_STR, "维度", &c[1], r->err)) || (rc = rv_add_col(t, "deviation", UPL_F64, "指标偏离度 1-z", &c[2], r->err)) ||
        (rc = rv_add_col(t, "obstacle_pct", UPL_F64, "障碍度(%)", &c[3], r->err)) ||
        (rc = rv_add_col(t, "obstacle_plain", UPL_F64, "障碍度(未归一)", &c[4], r->err)) || (rc = rv_add_col(t, "rank", UPL_I64, "排序", &c[5], r->err)))
        goto fail;
    if ((rc = unit_year_cols(r, t2, &cu2, &cy2)) || (rc = rv_add_col(t2, "dimension", UPL_STR, "维度", &d[0], r->err)) ||
        (rc = rv_add_col(t2, "obstacle_pct", UPL_F64, "障碍度(%)", &d[1], r->err)) ||
        (rc = rv_add_col(t2, "obstacle_plain", UPL_F64, "障碍度(未归一)", &d[2], r->err)) || (rc = rv_add_col(t2, "rank", UPL_I64, "排序", &d[3], r->err)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < m; j++) idx[j] = j;
        if (rv_rank_desc(&on[i * m], idx, m, rk)) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        size_t top = r->opt->obstacle_top;
        /* rows in rank order (ties in indicator order): ranks are 1..m */
        size_t k = 0;
        for (int64_t want = 1; want <= (int64_t)m; want++)
            for (size_t j = 0; j < m; j++) if (rk[j] == want) ord[k++] = j;
        for (size_t q = 0; q < m && !rc; q++) {
            size_t j = ord[q];
            if (top && rk[j] > (int64_t)top) continue;
            rc = push_unit_year(r, i, cu, cy);
            if (!rc) rc = rv_push_text(c[0], r->sys->inds[j].name);
            if (!rc) rc = rv_push_text(c[1], r->sys->dims[r->sys->inds[j].dimension].name);
            if (!rc) rc = rv_push_f64(c[2], 1.0 - r->zs[i * m + j]);
            if (!rc) rc = rv_push_f64(c[3], on[i * m + j]);
            if (!rc) rc = rv_push_f64(c[4], op[i * m + j]);
            if (!rc) rc = upl_col_push_i64(c[5], rk[j]);
        }
        for (size_t q = 0; q < nd; q++) {
            upl_ksum a = {0, 0}, b = {0, 0};
            for (size_t j = 0; j < m; j++)
                if (r->sys->inds[j].dimension == q) { upl_ksum_add(&a, on[i * m + j]); upl_ksum_add(&b, op[i * m + j]); }
            dn[q] = upl_ksum_value(&a);
            dp[q] = upl_ksum_value(&b);
            idx[q] = q;
        }
        if (rv_rank_desc(dn, idx, nd, rk)) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        k = 0;
        for (int64_t want = 1; want <= (int64_t)nd; want++)
            for (size_t q = 0; q < nd; q++) if (rk[q] == want) ord[k++] = q;
        for (size_t qq = 0; qq < nd && !rc; qq++) {
            size_t q = ord[qq];
            if (top && rk[q] > (int64_t)top) continue;
            rc = push_unit_year(r, i, cu2, cy2);
            if (!rc) rc = rv_push_text(d[0], r->sys->dims[q].name);
            if (!rc) rc = rv_push_f64(d[1], dn[q]);
            if (!rc) rc = rv_push_f64(d[2], dp[q]);
            if (!rc) rc = upl_col_push_i64(d[3], rk[q]);
        }
        if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    }
    rc = add_result(r, "obstacle_indicator", t);
    t = NULL;
    if (!rc) {
        rc = add_result(r, "obstacle_dimension", t2);
        t2 = NULL;
    }
fail:
    upl_table_free(t);
    upl_table_free(t2);
    upl_free(on); upl_free(op); upl_free(dn); upl_free(dp); upl_free(rk); upl_free(idx); upl_free(ord);
    return rc;
}

/* rows of year y (all rows when there is no year column) */
static size_t rows_of_year(run *r, int32_t y, size_t *rows) {
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) if (r->year[i] == y) rows[k++] = i;
    return k;
}

typedef struct regcols { upl_column *y, *measure, *comp, *ra, *rb, *v, *share; } regcols;
static int reg_push(run *r, regcols *c, const char *yl, const char *meas, const char *comp, const char *ra, const char *rb,
                    double v, double share) {
    int rc = rv_push_text(c->y, yl);
    if (!rc) rc = rv_push_text(c->measure, meas);
    if (!rc) rc = rv_push_text(c->comp, comp);
    if (!rc) rc = rv_push_text(c->ra, ra);
    if (!rc) rc = rv_push_text(c->rb, rb);
    if (!rc) rc = rv_push_f64(c->v, v);
    if (!rc) rc = rv_push_f64(c->share, share);
    return rc ? upl_error_set(r->err, UPL_ENOMEM, "out of memory") : UPL_OK;
}

static int regional_table(run *r) {
    int rc = UPL_OK;
    size_t k = (size_t)r->n_regions;
    upl_table *t = upl_table_new();
    size_t *rows = upl_malloc(r->n * sizeof *rows);
    double *y = upl_malloc(r->n * sizeof *y), *gt = upl_malloc(k * sizeof *gt), *gs = upl_malloc(k * sizeof *gs);
    int32_t *g = upl_malloc(r->n * sizeof *g);
    upl_revital_dagum dg = {0};
    regcols c;
    if (!t || !rows || !y || !g || !gt || !gs) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    if ((rc = rv_add_col(t, r->opt->year_col ? r->opt->year_col : "year", UPL_STR, "年份", &c.y, r->err)) ||
        (rc = rv_add_col(t, "measure", UPL_STR, "指标", &c.measure, r->err)) || (rc = rv_add_col(t, "component", UPL_STR, "分解项", &c.comp, r->err)) ||
        (rc = rv_add_col(t, "region", UPL_STR, "区域", &c.ra, r->err)) || (rc = rv_add_col(t, "region_b", UPL_STR, "区域(对)", &c.rb, r->err)) ||
        (rc = rv_add_col(t, "value", UPL_F64, "数值", &c.v, r->err)) || (rc = rv_add_col(t, "contribution_pct", UPL_F64, "贡献率(%)", &c.share, r->err)))
        goto fail;
    for (int32_t yr = 0; yr < r->n_years; yr++) {
        size_t nn = rows_of_year(r, yr, rows);
        if (!nn) continue;
        for (size_t q = 0; q < nn; q++) { y[q] = r->score[rows[q]]; g[q] = r->region[rows[q]]; }
        const char *yl = year_label(r, rows[0]);
        if ((rc = upl_revital_dagum_compute(y, g, nn, k, &dg, r->err))) goto fail;
        double G = dg.gini;
        if ((rc = reg_push(r, &c, yl, "dagum_gini", "total", "", "", G, 100.0)) ||
            (rc = reg_push(r, &c, yl, "dagum_gini", "within", "", "", dg.within, 100.0 * dg.within / G)) ||
            (rc = reg_push(r, &c, yl, "dagum_gini", "between_net", "", "", dg.between, 100.0 * dg.between / G)) ||
            (rc = reg_push(r, &c, yl, "dagum_gini", "transvariation", "", "", dg.transvariation, 100.0 * dg.transvariation / G)))
            goto fail;
        for (size_t a = 0; a < k; a++) {
            if (!dg.n_group[a]) continue;
            if ((rc = reg_push(r, &c, yl, "dagum_gini", "within_region", label_of(r->gr, (int32_t)a), "", dg.g_within[a], NAN))) goto fail;
            for (size_t b = 0; b < a; b++) {
                if (!dg.n_group[b]) continue;
                if ((rc = reg_push(r, &c, yl, "dagum_gini", "between_regions", label_of(r->gr, (int32_t)a), label_of(r->gr, (int32_t)b),
                                   dg.g_between[a * k + b], NAN)) ||
                    (rc = reg_push(r, &c, yl, "dagum_gini", "relative_affluence_D", label_of(r->gr, (int32_t)a), label_of(r->gr, (int32_t)b),
                                   dg.d_between[a * k + b], NAN)))
                    goto fail;
            }
        }
        upl_revital_dagum_free(&dg);
        double tt, tw, tb;
        if ((rc = upl_revital_theil(y, NULL, g, nn, k, &tt, &tw, &tb, gt, gs, r->err))) goto fail;
        if ((rc = reg_push(r, &c, yl, "theil", "total", "", "", tt, 100.0)) ||
            (rc = reg_push(r, &c, yl, "theil", "within", "", "", tw, tt > 0 ? 100.0 * tw / tt : NAN)) ||
            (rc = reg_push(r, &c, yl, "theil", "between", "", "", tb, tt > 0 ? 100.0 * tb / tt : NAN)))
            goto fail;
        for (size_t a = 0; a < k; a++)
            if (!isnan(gt[a]) && (rc = reg_push(r, &c, yl, "theil", "within_region", label_of(r->gr, (int32_t)a), "", gt[a],
                                                 tt > 0 ? 100.0 * gs[a] * gt[a] / tt : NAN)))
                goto fail;
    }
    rc = add_result(r, "regional", t);
    t = NULL;
fail:
    upl_revital_dagum_free(&dg);
    upl_table_free(t);
    upl_free(rows); upl_free(y); upl_free(g); upl_free(gt); upl_free(gs);
    return rc;
}

static double year_value(run *r, int32_t y) {
    double v;
    const char *s = label_of(r->gy, y);
    char *end;
    v = strtod(s, &end);
    return (end != s && !*end) ? v : (double)y;
}

typedef struct betacols { upl_column *group, *model, *term, *est, *se, *t, *n, *r2; } betacols;
static int beta_push(run *r, betacols *c, const char *group, const char *model, const char *term, double est, double se,
                     size_t n, double r2) {
    int rc = rv_push_text(c->group, group);
    if (!rc) rc = rv_push_text(c->model, model);
    if (!rc) rc = rv_push_text(c->term, term);
    if (!rc) rc = rv_push_f64(c->est, est);
    if (!rc) rc = rv_push_f64(c->se, se);
    if (!rc) rc = rv_push_f64(c->t, se > 0 ? est / se : NAN);
    if (!rc) rc = upl_col_push_i64(c->n, (int64_t)n);
    if (!rc) rc = rv_push_f64(c->r2, r2);
    return rc ? upl_error_set(r->err, UPL_ENOMEM, "out of memory") : UPL_OK;
}

static int convergence_tables(run *r) {
    int rc = UPL_OK;
    const upl_revital_options *o = r->opt;
    size_t n = r->n, kx = 2 + o->n_controls;
    int32_t nu = r->gu->n_groups, ny = r->n_years;
    upl_table *t = upl_table_new(), *tb = NULL;
    size_t *rows = upl_malloc(n * sizeof *rows);
    double *y = upl_malloc(n * sizeof *y), *X = upl_malloc(n * kx * sizeof *X), *Y = upl_malloc(n * sizeof *Y);
    int64_t *cell = upl_malloc((size_t)nu * (size_t)ny * sizeof *cell);
    double *b = upl_malloc(kx * sizeof *b), *se = upl_malloc(kx * sizeof *se);
    double *X2 = upl_malloc(n * kx * sizeof *X2), *Y2 = upl_malloc(n * sizeof *Y2);
    int32_t *obs_unit = upl_malloc(n * sizeof *obs_unit), *obs_year = upl_malloc(n * sizeof *obs_year);
    size_t ngs = (size_t)(nu > ny ? nu : ny);
    double *gsum = upl_malloc(ngs * sizeof *gsum);
    size_t *gcnt = upl_malloc(ngs * sizeof *gcnt);
    upl_column **ctl = upl_calloc(o->n_controls ? o->n_controls : 1, sizeof *ctl);
    upl_column *c[7];
    if (!t || !rows || !y || !X || !Y || !cell || !b || !se || !ctl || !X2 || !Y2 || !obs_unit || !obs_year || !gsum || !gcnt) {
        rc = R_ERR(UPL_ENOMEM, "out of memory");
        goto fail;
    }
    if (kx > 64) { rc = R_ERR(UPL_ELIMIT, "at most 62 control variables"); goto fail; }
    if ((rc = rv_add_col(t, o->year_col ? o->year_col : "year", UPL_STR, "年份", &c[0], r->err)) ||
        (rc = rv_add_col(t, "group", UPL_STR, "组别", &c[1], r->err)) || (rc = rv_add_col(t, "n", UPL_I64, "地区数", &c[2], r->err)) ||
        (rc = rv_add_col(t, "mean", UPL_F64, "均值", &c[3], r->err)) || (rc = rv_add_col(t, "sd", UPL_F64, "标准差 σ", &c[4], r->err)) ||
        (rc = rv_add_col(t, "cv", UPL_F64, "变异系数", &c[5], r->err)) || (rc = rv_add_col(t, "sd_log", UPL_F64, "对数标准差", &c[6], r->err)))
        goto fail;
    for (int32_t yr = 0; yr < ny; yr++) {
        size_t nn = rows_of_year(r, yr, rows);
        if (!nn) continue;
        for (int32_t grp = -1; grp < r->n_regions; grp++) {
            size_t q = 0;
            for (size_t i = 0; i < nn; i++) if (grp < 0 || r->region[rows[i]] == grp) y[q++] = r->score[rows[i]];
            if (!q) continue;
            double sd, cv, sl;
            upl_ksum s = {0, 0};
            for (size_t i = 0; i < q; i++) upl_ksum_add(&s, y[i]);
            if ((rc = upl_revital_sigma(y, q, &sd, &cv, &sl, r->err))) goto fail;
            rc = rv_push_text(c[0], year_label(r, rows[0]));
            if (!rc) rc = rv_push_text(c[1], grp < 0 ? "all" : label_of(r->gr, grp));
            if (!rc) rc = upl_col_push_i64(c[2], (int64_t)q);
            if (!rc) rc = rv_push_f64(c[3], upl_ksum_value(&s) / (double)q);
            if (!rc) rc = rv_push_f64(c[4], sd);
            if (!rc) rc = rv_push_f64(c[5], cv);
            if (!rc) rc = rv_push_f64(c[6], sl);
            if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        }
    }
    rc = add_result(r, "sigma", t);
    t = NULL;
    if (rc) goto fail;
    if (!r->gy || ny < 2) goto fail; /* no beta without two years */
    for (size_t i = 0; i < (size_t)nu * (size_t)ny; i++) cell[i] = -1;
    for (size_t i = 0; i < n; i++) {
        if (!(r->score[i] > 0)) {
            rc = upl_error_set(r->err, UPL_EUNDEFINED, "beta-convergence needs positive scores: unit `%s`, year %s has %g",
                               label_of(r->gu, r->unit[i]), year_label(r, i), r->score[i]);
            goto fail;
        }
        cell[(size_t)r->unit[i] * (size_t)ny + (size_t)r->year[i]] = (int64_t)i;
    }
    for (size_t q = 0; q < o->n_controls; q++)
        if ((rc = upl_table_require(r->panel, o->controls[q], UPL_MASK_NUMERIC, &ctl[q], r->err))) goto fail;
    tb = upl_table_new();
    betacols bc;
    if (!tb) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    if ((rc = rv_add_col(tb, "group", UPL_STR, "组别", &bc.group, r->err)) ||
        (rc = rv_add_col(tb, "model", UPL_STR, "模型", &bc.model, r->err)) || (rc = rv_add_col(tb, "term", UPL_STR, "变量", &bc.term, r->err)) ||
        (rc = rv_add_col(tb, "estimate", UPL_F64, "估计值", &bc.est, r->err)) || (rc = rv_add_col(tb, "std_error", UPL_F64, "标准误", &bc.se, r->err)) ||
        (rc = rv_add_col(tb, "t_value", UPL_F64, "t 值", &bc.t, r->err)) || (rc = rv_add_col(tb, "n_obs", UPL_I64, "样本量", &bc.n, r->err)) ||
        (rc = rv_add_col(tb, "r2", UPL_F64, "R²", &bc.r2, r->err)))
        goto fail;
    for (int32_t grp = -1; grp < r->n_regions; grp++) {
        const char *gname = grp < 0 ? "all" : label_of(r->gr, grp);
        for (int model = 0; model < 5; model++) {
            /* 0 absolute_annual, 1 conditional_annual (controls), 2 absolute_long,
             * 3 fe_annual: unit fixed effects by the within transformation,
             * 4 twfe_annual: unit and year fixed effects (alternating projections) */
            bool annual = model != 2, fe = model >= 3, two_way = model == 4, with_ctl = model == 1 || model >= 3;
            size_t kk = (fe ? 1 : 2) + (with_ctl ? o->n_controls : 0), q = 0, off = fe ? 0 : 1;
            if (model == 1 && o->n_controls == 0) continue;
            double span = 1.0;
            if (annual) {
                /* wave-to-wave growth on the level at the start */
                for (int32_t u = 0; u < nu; u++)
                    for (int32_t yr = 0; yr + 1 < ny; yr++) {
                        int64_t a = cell[(size_t)u * (size_t)ny + (size_t)yr], bb = cell[(size_t)u * (size_t)ny + (size_t)yr + 1];
                        if (a < 0 || bb < 0 || (grp >= 0 && r->region[a] != grp)) continue;
                        Y[q] = log(r->score[bb] / r->score[a]);
                        if (!fe) X[q * kk] = 1.0;
                        X[q * kk + off] = log(r->score[a]);
                        for (size_t cc = 0; with_ctl && cc < o->n_controls; cc++) {
                            double v = NAN;
                            (void)upl_col_get_f64(ctl[cc], r->prow[a], &v);
                            X[q * kk + off + 1 + cc] = v;
                        }
                        obs_unit[q] = u;
                        obs_year[q] = yr;
                        q++;
                    }
            } else {
                span = year_value(r, ny - 1) - year_value(r, 0);
                if (!(span > 0)) continue;
                for (int32_t u = 0; u < nu; u++) {
                    int64_t a = cell[(size_t)u * (size_t)ny], bb = cell[(size_t)u * (size_t)ny + (size_t)ny - 1];
                    if (a < 0 || bb < 0 || (grp >= 0 && r->region[a] != grp)) continue;
                    Y[q] = log(r->score[bb] / r->score[a]) / span;
                    X[q * kk] = 1.0;
                    X[q * kk + 1] = log(r->score[a]);
                    q++;
                }
            }
            size_t n_fe = 0, n_years_fe = 1;
            if (fe) {
                /* demean within unit (a unit's observations are contiguous: they
                 * were generated unit by unit); units seen once carry no within
                 * variation and are dropped */
                size_t w = 0;
                for (size_t i0 = 0; i0 < q;) {
                    size_t i1 = i0;
                    while (i1 < q && obs_unit[i1] == obs_unit[i0]) i1++;
                    size_t cnt = i1 - i0;
                    if (cnt >= 2) {
                        upl_ksum my = {0, 0}, mx[64];
                        memset(mx, 0, sizeof mx);
                        for (size_t i = i0; i < i1; i++) {
                            upl_ksum_add(&my, Y[i]);
                            for (size_t c2 = 0; c2 < kk; c2++) upl_ksum_add(&mx[c2], X[i * kk + c2]);
                        }
                        n_fe++;
                        for (size_t i = i0; i < i1; i++, w++) {
                            obs_year[w] = obs_year[i]; /* w <= i: safe in place */
                            obs_unit[w] = obs_unit[i];
                            Y2[w] = Y[i] - upl_ksum_value(&my) / (double)cnt;
                            for (size_t c2 = 0; c2 < kk; c2++) X2[w * kk + c2] = X[i * kk + c2] - upl_ksum_value(&mx[c2]) / (double)cnt;
                        }
                    }
                    i0 = i1;
                }
                memcpy(Y, Y2, w * sizeof *Y);
                memcpy(X, X2, w * kk * sizeof *X);
                q = w;
                if (two_way && q > 0) {
                    /* Year effects on top: alternate year and unit demeaning
                     * until nothing moves (Gaure 2013; exact for balanced
                     * panels after one round, converges otherwise). */
                    n_years_fe = 0;
                    for (int32_t yr = 0; yr < ny; yr++) {
                        bool any = false;
                        for (size_t i = 0; i < q && !any; i++) any = obs_year[i] == yr;
                        n_years_fe += any;
                    }
                    for (int it = 0; it < 10000; it++) {
                        double moved = 0;
                        for (size_t c2 = 0; c2 <= kk; c2++) {
                            /* column c2 < kk of X, or Y when c2 == kk */
                            for (int pass = 0; pass < 2; pass++) {
                                size_t ng = pass == 0 ? (size_t)ny : (size_t)nu;
                                for (size_t g = 0; g < ng; g++) { gsum[g] = 0; gcnt[g] = 0; }
                                for (size_t i = 0; i < q; i++) {
                                    size_t g = pass == 0 ? (size_t)obs_year[i] : (size_t)obs_unit[i];
                                    gsum[g] += c2 < kk ? X[i * kk + c2] : Y[i];
                                    gcnt[g]++;
                                }
                                for (size_t i = 0; i < q; i++) {
                                    size_t g = pass == 0 ? (size_t)obs_year[i] : (size_t)obs_unit[i];
                                    double mv = gsum[g] / (double)gcnt[g];
                                    if (c2 < kk) X[i * kk + c2] -= mv;
                                    else Y[i] -= mv;
                                    if (fabs(mv) > moved) moved = fabs(mv);
                                }
                            }
                        }
                        if (moved < 1e-14) break;
                    }
                }
            }
            static const char *const mnames[5] = {"absolute_annual", "conditional_annual", "absolute_long", "fe_annual",
                                                  "twfe_annual"};
            const char *mname = mnames[model];
            double r2, s2;
            upl_error e2 = {0};
            size_t absorbed = n_fe + (n_years_fe - 1);
            int mrc = (fe && q <= kk + absorbed) ? UPL_EUNDEFINED : upl_revital_ols(X, Y, q, kk, b, se, &r2, &s2, &e2);
            upl_error_clear(&e2);
            if (mrc == UPL_EUNDEFINED || mrc == UPL_ERANGE) {
                /* too few observations or collinear for this model and group: say so in the table */
                if ((rc = beta_push(r, &bc, gname, mname, "not estimable", NAN, NAN, q, NAN))) goto fail;
                continue;
            }
            if (mrc) { rc = upl_error_set(r->err, mrc, "beta-convergence (%s, %s) failed", mname, gname); goto fail; }
            if (fe) {
                /* the within regression used q - kk degrees of freedom; the unit
                 * means cost n_fe more (LSDV-equivalent standard errors) */
                double adj = sqrt((double)(q - kk) / (double)(q - kk - absorbed));
                for (size_t c2 = 0; c2 < kk; c2++) se[c2] *= adj;
            }
            if (!fe && (rc = beta_push(r, &bc, gname, mname, "intercept", b[0], se[0], q, r2))) goto fail;
            if ((rc = beta_push(r, &bc, gname, mname, "beta (ln score)", b[off], se[off], q, r2))) goto fail;
            for (size_t cc = 0; with_ctl && cc < o->n_controls; cc++)
                if ((rc = beta_push(r, &bc, gname, mname, o->controls[cc], b[off + 1 + cc], se[off + 1 + cc], q, r2))) goto fail;
            /* Barro & Sala-i-Martin: b = -(1 - e^{-lambda T})/T  =>  lambda = -ln(1 + b T)/T */
            double T = model == 2 ? span : 1.0;
            double lam = (1.0 + b[off] * T) > 0 ? -log(1.0 + b[off] * T) / T : NAN;
            if ((rc = beta_push(r, &bc, gname, mname, "convergence speed lambda", lam, NAN, q, NAN)) ||
                (rc = beta_push(r, &bc, gname, mname, "half-life", lam > 0 ? log(2.0) / lam : NAN, NAN, q, NAN)))
                goto fail;
        }
    }
    rc = add_result(r, "beta", tb);
    tb = NULL;
fail:
    upl_table_free(t);
    upl_table_free(tb);
    upl_free(rows); upl_free(y); upl_free(X); upl_free(Y); upl_free(cell); upl_free(b); upl_free(se); upl_free(ctl);
    upl_free(X2); upl_free(Y2); upl_free(obs_unit); upl_free(obs_year); upl_free(gsum); upl_free(gcnt);
    return rc;
}

static int density_table(run *r) {
    int rc = UPL_OK;
    size_t np = r->opt->kde_points < 2 ? 101 : r->opt->kde_points;
    upl_table *t = upl_table_new();
    size_t *rows = upl_malloc(r->n * sizeof *rows);
    double *y = upl_malloc(r->n * sizeof *y), *grid = upl_malloc(np * sizeof *grid), *dens = upl_malloc(np * sizeof *dens);
    double *hs = upl_calloc((size_t)r->n_years, sizeof *hs);
    upl_column *c[4];
    if (!t || !rows || !y || !grid || !dens || !hs) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
    double lo = INFINITY, hi = -INFINITY, hmax = 0;
    for (int32_t yr = 0; yr < r->n_years; yr++) {
        size_t nn = rows_of_year(r, yr, rows);
        for (size_t q = 0; q < nn; q++) { y[q] = r->score[rows[q]]; lo = fmin(lo, y[q]); hi = fmax(hi, y[q]); }
        upl_error e2 = {0};
        if (nn < 2 || upl_revital_silverman(y, nn, &hs[yr], &e2)) hs[yr] = NAN;
        upl_error_clear(&e2);
        if (hs[yr] > hmax) hmax = hs[yr];
    }
    /* one grid for every year so the curves overlay: range +- 3 h */
    for (size_t g = 0; g < np; g++) grid[g] = (lo - 3 * hmax) + (hi - lo + 6 * hmax) * (double)g / (double)(np - 1);
    if ((rc = rv_add_col(t, r->opt->year_col ? r->opt->year_col : "year", UPL_STR, "年份", &c[0], r->err)) ||
        (rc = rv_add_col(t, "score", UPL_F64, "综合得分", &c[1], r->err)) || (rc = rv_add_col(t, "density", UPL_F64, "核密度", &c[2], r->err)) ||
        (rc = rv_add_col(t, "bandwidth", UPL_F64, "带宽", &c[3], r->err)))
        goto fail;
    for (int32_t yr = 0; yr < r->n_years; yr++) {
        size_t nn = rows_of_year(r, yr, rows);
        if (!nn || isnan(hs[yr])) continue; /* fewer than 2 units or no spread: no density */
        for (size_t q = 0; q < nn; q++) y[q] = r->score[rows[q]];
        if ((rc = upl_revital_kde(y, nn, hs[yr], grid, np, dens, NULL, r->err))) goto fail;
        for (size_t g = 0; g < np; g++) {
            rc = rv_push_text(c[0], year_label(r, rows[0]));
            if (!rc) rc = rv_push_f64(c[1], grid[g]);
            if (!rc) rc = rv_push_f64(c[2], dens[g]);
            if (!rc) rc = rv_push_f64(c[3], hs[yr]);
            if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        }
    }
    rc = add_result(r, "density", t);
    t = NULL;
fail:
    upl_table_free(t);
    upl_free(rows); upl_free(y); upl_free(grid); upl_free(dens); upl_free(hs);
    return rc;
}

/* Targets (e.g. the 2022 targets of the 2018-2022 plan): the relation
 * written with the target decides "achieved": ">6" strictly greater,
 * ">=" / "<=" / "<" as written; a plain number means at least the target
 * for benefit indicators and at most for cost indicators, and is not
 * judged for centre/interval indicators. */
static int targets_table(run *r) {
    int rc = UPL_OK;
    upl_column *cu, *cy, *c[8];
    upl_table *t = upl_table_new();
    if (!t) return R_ERR(UPL_ENOMEM, "out of memory");
    if ((rc = unit_year_cols(r, t, &cu, &cy)) || (rc = rv_add_col(t, "indicator", UPL_STR, "指标", &c[0], r->err)) ||
        (rc = rv_add_col(t, "value", UPL_F64, "实际值", &c[1], r->err)) || (rc = rv_add_col(t, "target", UPL_STR, "目标值", &c[2], r->err)) ||
        (rc = rv_add_col(t, "target_year", UPL_I64, "目标年份", &c[3], r->err)) ||
        (rc = rv_add_col(t, "achieved", UPL_BOOL, "是否达标", &c[4], r->err)) ||
        (rc = rv_add_col(t, "achievement_pct", UPL_F64, "目标实现程度(%)", &c[5], r->err)) ||
        (rc = rv_add_col(t, "target_verified", UPL_BOOL, "目标值已核实", &c[6], r->err)) ||
        (rc = rv_add_col(t, "unit", UPL_STR, "单位", &c[7], r->err)))
        goto fail;
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = 0; j < r->m; j++) {
            const upl_revital_indicator *ind = &r->sys->inds[j];
            if (isnan(ind->target)) continue;
            double v = r->x[i * r->m + j], tg = ind->target;
            const char *tt = ind->target_text ? ind->target_text : "";
            while (*tt == ' ') tt++;
            int ach = -1; /* unknown */
            if (!strncmp(tt, ">=", 2)) ach = v >= tg;
            else if (!strncmp(tt, "<=", 2)) ach = v <= tg;
            else if (tt[0] == '>') ach = v > tg;
            else if (tt[0] == '<') ach = v < tg;
            else if (ind->dir.direction == UPL_REVITAL_BENEFIT) ach = v >= tg;
            else if (ind->dir.direction == UPL_REVITAL_COST) ach = v <= tg;
            double pct = NAN;
            if (ind->dir.direction == UPL_REVITAL_BENEFIT && tg != 0) pct = 100.0 * v / tg;
            else if (ind->dir.direction == UPL_REVITAL_COST && v != 0) pct = 100.0 * tg / v;
            rc = push_unit_year(r, i, cu, cy);
            if (!rc) rc = rv_push_text(c[0], ind->name);
            if (!rc) rc = rv_push_f64(c[1], v);
            if (!rc) rc = rv_push_text(c[2], ind->target_text);
            if (!rc) rc = ind->target_year ? upl_col_push_i64(c[3], ind->target_year) : upl_col_push_null(c[3]);
            if (!rc) rc = ach < 0 ? upl_col_push_null(c[4]) : upl_col_push_bool(c[4], ach == 1);
            if (!rc) rc = rv_push_f64(c[5], pct);
            if (!rc) rc = upl_col_push_bool(c[6], ind->is_target_verified);
            if (!rc) rc = rv_push_text(c[7], ind->unit);
            if (rc) { rc = R_ERR(UPL_ENOMEM, "out of memory"); goto fail; }
        }
    return add_result(r, "targets", t);
fail:
    upl_table_free(t);
    return rc;
}

int upl_revital_run(const upl_table *panel, const upl_revital_system *sys, const upl_revital_options *opt,
                    upl_revital_result **out, upl_error *err) {
    int rc = UPL_OK;
    run rr;
    run *r = &rr;
    memset(r, 0, sizeof *r);
    *out = NULL;
    if (!panel || !sys || !opt) return upl_error_set(err, UPL_EMISUSE, "revital: missing panel, system or options");
    r->panel = panel;
    r->sys = sys;
    r->opt = opt;
    r->err = err;
    bool uses_entropy = opt->method == UPL_REVITAL_ENTROPY ||
                        (opt->method == UPL_REVITAL_COMBINED && opt->objective == UPL_REVITAL_ENTROPY);
    r->zero_rule = opt->zero_rule ? opt->zero_rule : (uses_entropy ? UPL_REVITAL_ZERO_EPSILON : UPL_REVITAL_ZERO_LIMIT);
    r->zero_param = opt->zero_param;
    if (isnan(r->zero_param)) r->zero_param = r->zero_rule == UPL_REVITAL_ZERO_EPSILON ? 0.002 : r->zero_rule == UPL_REVITAL_ZERO_SHIFT ? 1e-4 : 0;
    if (r->zero_rule == UPL_REVITAL_ZERO_EPSILON && !(r->zero_param >= 0 && r->zero_param < 0.5))
        return upl_error_set(err, UPL_EMISUSE, "epsilon must be in [0, 0.5), got %g", r->zero_param);
    if (r->zero_rule == UPL_REVITAL_ZERO_SHIFT && !(r->zero_param > 0))
        return upl_error_set(err, UPL_EMISUSE, "the shift must be > 0, got %g", r->zero_param);
    if (opt->do_convergence && !opt->year_col)
        return upl_error_set(err, UPL_EMISUSE, "convergence needs a year column");
    r->res = upl_calloc(1, sizeof *r->res);
    if (!r->res) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    if ((rc = select_rows(r))) goto fail;
    if ((rc = normalise_and_weigh(r))) goto fail;
    if ((rc = compute_scores(r))) goto fail;
    if ((rc = settings_table(r))) goto fail;
    if ((rc = weights_table(r))) goto fail;
    if ((rc = scores_table(r))) goto fail;
    if (opt->do_ccd && (rc = ccd_table(r))) goto fail;
    if (opt->do_obstacle && (rc = obstacle_tables(r))) goto fail;
    if (r->gr && (rc = regional_table(r))) goto fail;
    if (opt->do_convergence && (rc = convergence_tables(r))) goto fail;
    if (opt->do_kde && (rc = density_table(r))) goto fail;
    if (opt->do_targets && (rc = targets_table(r))) goto fail;
    *out = r->res;
    r->res = NULL;
fail:
    upl_revital_result_free(r->res);
    upl_groupby_free(r->gu); upl_groupby_free(r->gy); upl_groupby_free(r->gr);
    upl_free(r->cols); upl_free(r->x); upl_free(r->z); upl_free(r->zs); upl_free(r->prow);
    upl_free(r->unit); upl_free(r->year); upl_free(r->region); upl_free(r->scope_of);
    upl_free(r->w); upl_free(r->wsub); upl_free(r->wobj); upl_free(r->e); upl_free(r->d); upl_free(r->sd);
    upl_free(r->conf); upl_free(r->info); upl_free(r->lo); upl_free(r->hi); upl_free(r->is_const);
    upl_free(r->is_fallback); upl_free(r->dim_w_ahp_cr);
    upl_free(r->score); upl_free(r->dimidx); upl_free(r->rank); upl_free(r->tc); upl_free(r->tdp); upl_free(r->tdm);
    upl_free(r->trank);
    return rc;
}
