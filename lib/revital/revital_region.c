/* revital_region.c — regional differences and convergence of area scores:
 * the Dagum (1997) Gini decomposition by region (within, net between,
 * transvariation), the Theil T within/between decomposition (DOMAIN.md
 * §3.4), sigma-convergence statistics, OLS with classical standard errors
 * for beta-convergence regressions, and Gaussian kernel densities with
 * Silverman's bandwidth for the dynamic-distribution plots papers show.
 *
 * Dagum, C. (1997) "A new approach to the decomposition of the Gini income
 * inequality ratio", Empirical Economics 22: 515–531. The pairwise sums
 * are computed from sorted groups with prefix sums, O(n k log n), so
 * township panels (40,000 units) are as quick as county ones. */
#include <math.h>
#include <string.h>
#include "uplift/revital.h"
#include "revital_int.h"

void upl_revital_dagum_free(upl_revital_dagum *d) {
    if (!d) return;
    upl_free(d->n_group);
    upl_free(d->mean);
    upl_free(d->g_within);
    upl_free(d->g_between);
    upl_free(d->d_between);
    memset(d, 0, sizeof *d);
}

int upl_revital_dagum_compute(const double *y, const int32_t *group, size_t n, size_t k,
                              upl_revital_dagum *out, upl_error *err) {
    int rc = UPL_OK;
    upl_ksum *pos = NULL; /* k*k: sum over pairs of max(y_j - y_h, 0) */
    upl_ksum *abs_s = NULL;
    double *sorted = NULL, *prefix = NULL;
    size_t *start = NULL;
    if (!y || !group || !out || n == 0 || k == 0) return upl_error_set(err, UPL_EMISUSE, "Dagum Gini: empty input");
    memset(out, 0, sizeof *out);
    out->k = k;
    out->n_group = upl_calloc(k, sizeof *out->n_group);
    out->mean = upl_calloc(k, sizeof *out->mean);
    out->g_within = upl_calloc(k, sizeof *out->g_within);
    out->g_between = upl_calloc(k * k, sizeof *out->g_between);
    out->d_between = upl_calloc(k * k, sizeof *out->d_between);
    pos = upl_calloc(k * k, sizeof *pos);
    abs_s = upl_calloc(k * k, sizeof *abs_s);
    UPL_FAIL_IF(!out->n_group || !out->mean || !out->g_within || !out->g_between || !out->d_between || !pos || !abs_s,
                err, UPL_ENOMEM, "out of memory");
    upl_ksum tot = {0, 0};
    upl_ksum *gs = upl_calloc(k, sizeof *gs);
    UPL_FAIL_IF(!gs, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (group[i] < 0 || (size_t)group[i] >= k || !isfinite(y[i])) {
            upl_free(gs);
            UPL_FAIL_IF(true, err, UPL_ERANGE, "Dagum Gini: unit %zu has a missing group or value", i + 1);
        }
        out->n_group[group[i]]++;
        upl_ksum_add(&gs[group[i]], y[i]);
        upl_ksum_add(&tot, y[i]);
    }
    double mu = upl_ksum_value(&tot) / (double)n;
    for (size_t g = 0; g < k; g++)
        out->mean[g] = out->n_group[g] ? upl_ksum_value(&gs[g]) / (double)out->n_group[g] : NAN;
    upl_free(gs);
    UPL_FAIL_IF(!(mu > 0), err, UPL_EUNDEFINED, "Dagum Gini: the mean is not positive (%g)", mu);
    /* Pairwise sums in O(n k log n): each group's values sorted with
     * prefix sums; for a value y against group h, the c values below y
     * contribute c y - (their sum) to the positive part and the g values
     * above it (their sum) - g y to the negative part; ties contribute 0. */
    sorted = upl_malloc(n * sizeof *sorted);
    prefix = upl_malloc((n + k) * sizeof *prefix);
    start = upl_calloc(k + 1, sizeof *start);
    UPL_FAIL_IF(!sorted || !prefix || !start, err, UPL_ENOMEM, "out of memory");
    for (size_t g = 0; g < k; g++) start[g + 1] = start[g] + out->n_group[g];
    {
        size_t *fill = upl_calloc(k, sizeof *fill);
        UPL_FAIL_IF(!fill, err, UPL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) sorted[start[group[i]] + fill[group[i]]++] = y[i];
        upl_free(fill);
    }
    for (size_t g = 0; g < k; g++) {
        size_t ng = out->n_group[g];
        UPL_TRY(upl_sort_f64(sorted + start[g], ng));
        upl_ksum acc = {0, 0};
        double *pre = prefix + start[g] + g; /* ng + 1 entries */
        pre[0] = 0;
        for (size_t q = 0; q < ng; q++) {
            upl_ksum_add(&acc, sorted[start[g] + q]);
            pre[q + 1] = upl_ksum_value(&acc);
        }
    }
    for (size_t a = 0; a < n; a++) {
        double v = y[a];
        size_t j = (size_t)group[a];
        for (size_t h = 0; h < k; h++) {
            size_t nh = out->n_group[h];
            if (!nh) continue;
            const double *sv = sorted + start[h], *pre = prefix + start[h] + h;
            size_t lo = 0, hi = nh; /* first index with sv >= v */
            while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (sv[mid] < v) lo = mid + 1; else hi = mid; }
            size_t below = lo;
            hi = nh; /* first index with sv > v */
            while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (sv[mid] <= v) lo = mid + 1; else hi = mid; }
            size_t above_from = lo;
            double p = (double)below * v - pre[below];
            double q2 = (pre[nh] - pre[above_from]) - (double)(nh - above_from) * v;
            upl_ksum_add(&pos[j * k + h], p);
            upl_ksum_add(&abs_s[j * k + h], p + q2);
        }
    }
    upl_ksum all = {0, 0}, gw = {0, 0}, gnb = {0, 0}, gt = {0, 0};
    for (size_t j = 0; j < k; j++)
        for (size_t h = 0; h < k; h++) upl_ksum_merge(&all, &abs_s[j * k + h]);
    out->gini = upl_ksum_value(&all) / (2.0 * (double)n * (double)n * mu);
    for (size_t j = 0; j < k; j++) {
        double nj = (double)out->n_group[j];
        for (size_t h = 0; h < k; h++) {
            out->g_between[j * k + h] = NAN;
            out->d_between[j * k + h] = NAN;
        }
        if (!out->n_group[j]) { out->g_within[j] = NAN; continue; }
        double pj = nj / (double)n, sj = nj * out->mean[j] / ((double)n * mu);
        out->g_within[j] = out->mean[j] > 0 ? upl_ksum_value(&abs_s[j * k + j]) / (2.0 * nj * nj * out->mean[j]) : 0.0;
        upl_ksum_add(&gw, out->g_within[j] * pj * sj);
    }
    for (size_t j = 0; j < k; j++) {
        if (!out->n_group[j]) continue;
        double nj = (double)out->n_group[j], pj = nj / (double)n, sj = nj * out->mean[j] / ((double)n * mu);
        for (size_t h = 0; h < k; h++) {
            if (h == j || !out->n_group[h]) continue;
            double nh = (double)out->n_group[h], ph = nh / (double)n, sh = nh * out->mean[h] / ((double)n * mu);
            double msum = out->mean[j] + out->mean[h];
            double gjh = msum > 0 ? upl_ksum_value(&abs_s[j * k + h]) / (nj * nh * msum) : 0.0;
            /* d_jh: expected positive difference of the richer group over
             * the poorer; p_jh: the reverse (first-order moment of
             * transvariation). D_jh = (d - p)/(d + p) in [0, 1]. */
            bool j_richer = out->mean[j] >= out->mean[h];
            double dd = upl_ksum_value(j_richer ? &pos[j * k + h] : &pos[h * k + j]);
            double pp = upl_ksum_value(j_richer ? &pos[h * k + j] : &pos[j * k + h]);
            double djh = (dd + pp) > 0 ? (dd - pp) / (dd + pp) : 0.0;
            out->g_between[j * k + h] = gjh;
            out->d_between[j * k + h] = djh;
            if (h < j) {
                double wgt = gjh * (pj * sh + ph * sj);
                upl_ksum_add(&gnb, wgt * djh);
                upl_ksum_add(&gt, wgt * (1.0 - djh));
            }
        }
    }
    out->within = upl_ksum_value(&gw);
    out->between = upl_ksum_value(&gnb);
    out->transvariation = upl_ksum_value(&gt);
fail:
    upl_free(pos);
    upl_free(abs_s);
    upl_free(sorted);
    upl_free(prefix);
    upl_free(start);
    if (rc) upl_revital_dagum_free(out);
    return rc;
}

int upl_revital_theil(const double *y, const double *v, const int32_t *group, size_t n, size_t k, double *total,
                      double *within, double *between, double *group_t, double *group_share, upl_error *err) {
    int rc = UPL_OK;
    upl_ksum *vy = NULL, *vv = NULL, *tl = NULL;
    if (!y || !group || n == 0 || k == 0) return upl_error_set(err, UPL_EMISUSE, "Theil: empty input");
    vy = upl_calloc(k, sizeof *vy);
    vv = upl_calloc(k, sizeof *vv);
    tl = upl_calloc(k, sizeof *tl);
    UPL_FAIL_IF(!vy || !vv || !tl, err, UPL_ENOMEM, "out of memory");
    upl_ksum sy = {0, 0}, sv = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double w = v ? v[i] : 1.0;
        UPL_FAIL_IF(!(y[i] >= 0) || !isfinite(y[i]), err, UPL_ERANGE, "Theil: unit %zu: value %g is negative or missing", i + 1, y[i]);
        UPL_FAIL_IF(!(w >= 0) || !isfinite(w), err, UPL_ERANGE, "Theil: unit %zu: weight %g is negative or missing", i + 1, w);
        UPL_FAIL_IF(group[i] < 0 || (size_t)group[i] >= k, err, UPL_ERANGE, "Theil: unit %zu has no group", i + 1);
        upl_ksum_add(&vy[group[i]], w * y[i]);
        upl_ksum_add(&vv[group[i]], w);
        upl_ksum_add(&sy, w * y[i]);
        upl_ksum_add(&sv, w);
    }
    double V = upl_ksum_value(&sv), Y = upl_ksum_value(&sy);
    UPL_FAIL_IF(!(V > 0) || !(Y > 0), err, UPL_EUNDEFINED, "Theil: total weight or mean is not positive");
    double mu = Y / V;
    for (size_t i = 0; i < n; i++) {
        double w = v ? v[i] : 1.0;
        int32_t g = group[i];
        double mg = upl_ksum_value(&vy[g]) / upl_ksum_value(&vv[g]);
        if (y[i] > 0 && w > 0) upl_ksum_add(&tl[g], w * (y[i] / mg) * log(y[i] / mg));
    }
    upl_ksum tw = {0, 0}, tb = {0, 0};
    for (size_t g = 0; g < k; g++) {
        double vg = upl_ksum_value(&vv[g]), yg = upl_ksum_value(&vy[g]);
        double tg = NAN, sg = 0;
        if (vg > 0) {
            sg = yg / Y;
            double mg = yg / vg;
            tg = mg > 0 ? upl_ksum_value(&tl[g]) / vg : 0.0;
            upl_ksum_add(&tw, sg * tg);
            if (sg > 0) upl_ksum_add(&tb, sg * log(mg / mu));
        }
        if (group_t) group_t[g] = tg;
        if (group_share) group_share[g] = vg > 0 ? sg : NAN;
    }
    if (within) *within = upl_ksum_value(&tw);
    if (between) *between = upl_ksum_value(&tb);
    if (total) *total = upl_ksum_value(&tw) + upl_ksum_value(&tb);
fail:
    upl_free(vy);
    upl_free(vv);
    upl_free(tl);
    return rc;
}

int upl_revital_sigma(const double *y, size_t n, double *sd, double *cv, double *sd_log, upl_error *err) {
    if (!y || n == 0) return upl_error_set(err, UPL_EMISUSE, "sigma: empty input");
    upl_ksum s = {0, 0}, sl = {0, 0};
    bool is_pos = true;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) return upl_error_set(err, UPL_ERANGE, "sigma: unit %zu: value is not finite", i + 1);
        upl_ksum_add(&s, y[i]);
        if (y[i] > 0) upl_ksum_add(&sl, log(y[i]));
        else is_pos = false;
    }
    double m = upl_ksum_value(&s) / (double)n, ml = upl_ksum_value(&sl) / (double)n;
    upl_ksum q = {0, 0}, ql = {0, 0};
    for (size_t i = 0; i < n; i++) {
        upl_ksum_add(&q, (y[i] - m) * (y[i] - m));
        if (is_pos) upl_ksum_add(&ql, (log(y[i]) - ml) * (log(y[i]) - ml));
    }
    double s_ = sqrt(upl_ksum_value(&q) / (double)n);
    if (sd) *sd = s_;
    if (cv) *cv = m != 0 ? s_ / m : NAN;
    if (sd_log) *sd_log = is_pos ? sqrt(upl_ksum_value(&ql) / (double)n) : NAN;
    return UPL_OK;
}

/* OLS through the normal equations with a Cholesky factor. The regressors
 * of a beta-convergence model are few (intercept, ln y, a handful of
 * controls), so forming X'X costs nothing and its condition is checked by
 * the pivot test below. */
int upl_revital_ols(const double *x, const double *y, size_t n, size_t k, double *b, double *se, double *r2,
                    double *s2, upl_error *err) {
    int rc = UPL_OK;
    double *xtx = NULL, *xty = NULL, *l = NULL, *inv = NULL, *col = NULL;
    if (!x || !y || !b || !se || k == 0) return upl_error_set(err, UPL_EMISUSE, "OLS: empty input");
    if (n <= k)
        return upl_error_set(err, UPL_EUNDEFINED, "OLS: %zu observations for %zu coefficients; need more observations than coefficients", n, k);
    xtx = upl_calloc(k * k, sizeof *xtx);
    xty = upl_calloc(k, sizeof *xty);
    l = upl_calloc(k * k, sizeof *l);
    inv = upl_calloc(k * k, sizeof *inv);
    col = upl_calloc(k, sizeof *col);
    UPL_FAIL_IF(!xtx || !xty || !l || !inv || !col, err, UPL_ENOMEM, "out of memory");
    for (size_t a = 0; a < k; a++) {
        for (size_t c = 0; c <= a; c++) {
            upl_ksum s = {0, 0};
            for (size_t i = 0; i < n; i++) upl_ksum_add(&s, x[i * k + a] * x[i * k + c]);
            xtx[a * k + c] = xtx[c * k + a] = upl_ksum_value(&s);
        }
        upl_ksum s = {0, 0};
        for (size_t i = 0; i < n; i++) {
            UPL_FAIL_IF(!isfinite(x[i * k + a]) || !isfinite(y[i]), err, UPL_ERANGE, "OLS: observation %zu is not finite", i + 1);
            upl_ksum_add(&s, x[i * k + a] * y[i]);
        }
        xty[a] = upl_ksum_value(&s);
    }
    for (size_t a = 0; a < k; a++) {
        for (size_t c = 0; c <= a; c++) {
            double s = xtx[a * k + c];
            for (size_t p = 0; p < c; p++) s -= l[a * k + p] * l[c * k + p];
            if (a == c) {
                UPL_FAIL_IF(!(s > 1e-12 * (xtx[a * k + a] > 0 ? xtx[a * k + a] : 1.0)), err, UPL_EUNDEFINED,
                            "OLS: regressor %zu is collinear with the others (or constant)", a + 1);
                l[a * k + a] = sqrt(s);
            } else {
                l[a * k + c] = s / l[c * k + c];
            }
        }
    }
    /* inverse of X'X column by column: solve L L' x = e_c */
    for (size_t c = 0; c < k; c++) {
        for (size_t a = 0; a < k; a++) {
            double s = a == c ? 1.0 : 0.0;
            for (size_t p = 0; p < a; p++) s -= l[a * k + p] * col[p];
            col[a] = s / l[a * k + a];
        }
        for (size_t a = k; a-- > 0;) {
            double s = col[a];
            for (size_t p = a + 1; p < k; p++) s -= l[p * k + a] * inv[p * k + c];
            inv[a * k + c] = s / l[a * k + a];
        }
    }
    for (size_t a = 0; a < k; a++) {
        upl_ksum s = {0, 0};
        for (size_t c = 0; c < k; c++) upl_ksum_add(&s, inv[a * k + c] * xty[c]);
        b[a] = upl_ksum_value(&s);
    }
    upl_ksum rss = {0, 0}, ys = {0, 0};
    for (size_t i = 0; i < n; i++) upl_ksum_add(&ys, y[i]);
    double ym = upl_ksum_value(&ys) / (double)n;
    upl_ksum tss = {0, 0};
    for (size_t i = 0; i < n; i++) {
        upl_ksum f = {0, 0};
        for (size_t a = 0; a < k; a++) upl_ksum_add(&f, x[i * k + a] * b[a]);
        double e = y[i] - upl_ksum_value(&f);
        upl_ksum_add(&rss, e * e);
        upl_ksum_add(&tss, (y[i] - ym) * (y[i] - ym));
    }
    double sig2 = upl_ksum_value(&rss) / (double)(n - k);
    for (size_t a = 0; a < k; a++) se[a] = sqrt(sig2 * inv[a * k + a]);
    if (s2) *s2 = sig2;
    if (r2) *r2 = upl_ksum_value(&tss) > 0 ? 1.0 - upl_ksum_value(&rss) / upl_ksum_value(&tss) : NAN;
fail:
    upl_free(xtx);
    upl_free(xty);
    upl_free(l);
    upl_free(inv);
    upl_free(col);
    return rc;
}

static double quantile7(const double *sorted, size_t n, double p) {
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n) return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

int upl_revital_silverman(const double *y, size_t n, double *h, upl_error *err) {
    int rc = UPL_OK;
    double *s = NULL;
    *h = NAN;
    if (!y || n < 2) return upl_error_set(err, UPL_EUNDEFINED, "Silverman bandwidth needs at least 2 values");
    s = upl_malloc(n * sizeof *s);
    UPL_FAIL_IF(!s, err, UPL_ENOMEM, "out of memory");
    upl_ksum m = {0, 0};
    for (size_t i = 0; i < n; i++) {
        UPL_FAIL_IF(!isfinite(y[i]), err, UPL_ERANGE, "kernel density: value %zu is not finite", i + 1);
        s[i] = y[i];
        upl_ksum_add(&m, y[i]);
    }
    double mean = upl_ksum_value(&m) / (double)n;
    upl_ksum q = {0, 0};
    for (size_t i = 0; i < n; i++) upl_ksum_add(&q, (y[i] - mean) * (y[i] - mean));
    double sd = sqrt(upl_ksum_value(&q) / (double)(n - 1));
    UPL_FAIL_IF(!(sd > 0), err, UPL_EUNDEFINED, "Silverman bandwidth is undefined: all values are equal");
    UPL_TRY(upl_sort_f64(s, n));
    double iqr = quantile7(s, n, 0.75) - quantile7(s, n, 0.25);
    double a = iqr > 0 ? fmin(sd, iqr / 1.34) : sd;
    *h = 0.9 * a * pow((double)n, -0.2);
fail:
    upl_free(s);
    return rc;
}

int upl_revital_kde(const double *y, size_t n, double h, const double *grid, size_t n_grid, double *density,
                    double *h_used, upl_error *err) {
    int rc = UPL_OK;
    if (!y || !grid || !density || n == 0) return upl_error_set(err, UPL_EMISUSE, "kernel density: empty input");
    if (!(h > 0)) UPL_TRY(upl_revital_silverman(y, n, &h, err));
    if (h_used) *h_used = h;
    const double c = 1.0 / (sqrt(2.0 * M_PI) * (double)n * h);
    for (size_t g = 0; g < n_grid; g++) {
        upl_ksum s = {0, 0};
        for (size_t i = 0; i < n; i++) {
            double u = (grid[g] - y[i]) / h;
            upl_ksum_add(&s, exp(-0.5 * u * u));
        }
        density[g] = c * upl_ksum_value(&s);
    }
fail:
    return rc;
}
