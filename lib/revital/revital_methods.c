/* revital_methods.c — the composite-index building blocks on plain arrays:
 * normalisation by direction, the epsilon rule, entropy and CRITIC weights,
 * AHP priorities with Saaty's consistency ratio, TOPSIS, coupling
 * coordination and obstacle degree.
 *
 * Sources (DOMAIN.md §3.6): normalisation, entropy and CRITIC follow the
 * mathmodels R package (zhjx19/mathmodels R/preprocess.R, entropy_weight.R,
 * and the mathmodels-book chapters), whose 20-river example is reproduced to
 * its printed digits in tests/unit/test_revital.c; TOPSIS as in Hwang &
 * Yoon (1981) with the book's vector normalisation; coupling coordination
 * as in Wang S. et al. (2021, 自然资源学报 36(3):793) and the 10-level table
 * of Tian et al. (2021, 地理学报 76(4):781); AHP after Saaty (1980). All
 * sums are compensated (Neumaier). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/revital.h"
#include "revital_int.h"

const char *upl_revital_direction_name(int direction) {
    switch (direction) {
    case UPL_REVITAL_BENEFIT: return "benefit";
    case UPL_REVITAL_COST: return "cost";
    case UPL_REVITAL_CENTRE: return "centre";
    case UPL_REVITAL_INTERVAL: return "interval";
    default: return NULL;
    }
}

const char *upl_revital_zero_rule_name(int rule) {
    switch (rule) {
    case UPL_REVITAL_ZERO_EPSILON: return "epsilon";
    case UPL_REVITAL_ZERO_SHIFT: return "shift";
    case UPL_REVITAL_ZERO_LIMIT: return "limit";
    default: return "?";
    }
}

const char *upl_revital_critic_variant_name(int variant) {
    switch (variant) {
    case UPL_REVITAL_CRITIC_STANDARD: return "standard";
    case UPL_REVITAL_CRITIC_ABS: return "abs";
    case UPL_REVITAL_CRITIC_ENTROPY: return "entropy";
    case UPL_REVITAL_CRITIC_SPEARMAN: return "spearman";
    default: return "?";
    }
}

const char *upl_revital_boundary_name(int boundary) {
    return boundary == UPL_REVITAL_RIGHT_CLOSED ? "right-closed (a,b]" : "left-closed [a,b)";
}

/* ---- normalisation --------------------------------------------------------- */

int upl_revital_normalise(const double *x, size_t n, size_t stride, const upl_revital_dirspec *d,
                          double *out, size_t out_stride, bool *is_constant, upl_error *err) {
    if (is_constant) *is_constant = false;
    if (!x || !d || !out || n == 0)
        return upl_error_set(err, UPL_EMISUSE, "normalise: empty input");
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (!isfinite(v)) return upl_error_set(err, UPL_ERANGE, "row %zu: value is not a finite number", i + 1);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    double den = 0;
    switch (d->direction) {
    case UPL_REVITAL_BENEFIT:
    case UPL_REVITAL_COST:
        den = hi - lo;
        break;
    case UPL_REVITAL_CENTRE:
        if (!isfinite(d->best)) return upl_error_set(err, UPL_EMISUSE, "centre-type indicator needs a finite best value");
        for (size_t i = 0; i < n; i++) {
            double a = fabs(x[i * stride] - d->best);
            if (a > den) den = a;
        }
        break;
    case UPL_REVITAL_INTERVAL:
        if (!isfinite(d->lo) || !isfinite(d->hi) || d->lo > d->hi)
            return upl_error_set(err, UPL_EMISUSE, "interval-type indicator needs bounds lo <= hi");
        den = fmax(d->lo - lo, hi - d->hi);
        break;
    default:
        return upl_error_set(err, UPL_EMISUSE, "unknown indicator direction %d", d->direction);
    }
    if (!(den > 0)) {
        /* DOMAIN.md §3.6: a column with no spread normalises to 1 (its
         * entropy and CRITIC weights are then 0). */
        for (size_t i = 0; i < n; i++) out[i * out_stride] = 1.0;
        if (is_constant) *is_constant = true;
        return UPL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride], r;
        switch (d->direction) {
        case UPL_REVITAL_BENEFIT: r = (v - lo) / den; break;
        case UPL_REVITAL_COST: r = (hi - v) / den; break;
        case UPL_REVITAL_CENTRE: r = 1.0 - fabs(v - d->best) / den; break;
        default:
            if (v < d->lo) r = 1.0 - (d->lo - v) / den;
            else if (v > d->hi) r = 1.0 - (v - d->hi) / den;
            else r = 1.0;
            break;
        }
        out[i * out_stride] = r;
    }
    return UPL_OK;
}

void upl_revital_epsilon_rescale(double *z, size_t n, size_t stride, int direction, double eps) {
    bool is_minmax = direction == UPL_REVITAL_BENEFIT || direction == UPL_REVITAL_COST;
    for (size_t i = 0; i < n; i++) {
        double *p = &z[i * stride];
        if (is_minmax) *p = (1.0 - 2.0 * eps) * *p + eps;
        else if (*p == 0.0) *p = eps;
        else if (*p == 1.0) *p = 1.0 - eps;
    }
}

/* ---- entropy --------------------------------------------------------------- */

int upl_revital_entropy(const double *z, size_t n, size_t m, int zero_rule, double param, double *w,
                        double *e, double *d, bool *is_equal_fallback, upl_error *err) {
    if (is_equal_fallback) *is_equal_fallback = false;
    if (!z || !w || m == 0) return upl_error_set(err, UPL_EMISUSE, "entropy: empty input");
    if (n < 2)
        return upl_error_set(err, UPL_EUNDEFINED,
                             "entropy weights need at least 2 units (k = 1/ln n is undefined for n = %zu)", n);
    double shift = zero_rule == UPL_REVITAL_ZERO_SHIFT ? (isnan(param) ? 1e-4 : param) : 0.0;
    double k = 1.0 / log((double)n);
    upl_ksum dsum = {0, 0};
    for (size_t j = 0; j < m; j++) {
        upl_ksum s = {0, 0};
        for (size_t i = 0; i < n; i++) {
            double v = z[i * m + j];
            if (!isfinite(v) || v < 0)
                return upl_error_set(err, UPL_ERANGE,
                                     "entropy: unit %zu, indicator %zu: normalised value %g is not >= 0", i + 1, j + 1, v);
            upl_ksum_add(&s, v + shift);
        }
        double tot = upl_ksum_value(&s), ej = 1.0;
        bool is_flat = true; /* equal values: e = 1 exactly, not 1 - ulp */
        for (size_t i = 1; i < n && is_flat; i++) is_flat = z[i * m + j] == z[j];
        if (tot > 0 && !is_flat) {
            upl_ksum h = {0, 0};
            for (size_t i = 0; i < n; i++) {
                double p = (z[i * m + j] + shift) / tot;
                if (p > 0) upl_ksum_add(&h, p * log(p)); /* 0 ln 0 = 0 */
            }
            ej = -k * upl_ksum_value(&h);
        }
        double dj = 1.0 - ej;
        if (dj < 0 && dj > -1e-12) dj = 0; /* rounding of e_j = 1 */
        if (e) e[j] = ej;
        w[j] = dj;
        upl_ksum_add(&dsum, dj);
    }
    double ds = upl_ksum_value(&dsum);
    for (size_t j = 0; j < m; j++) {
        if (d) d[j] = w[j];
        if (ds > 0) w[j] /= ds;
    }
    if (!(ds > 0)) {
        for (size_t j = 0; j < m; j++) w[j] = 1.0 / (double)m;
        if (is_equal_fallback) *is_equal_fallback = true;
    }
    return UPL_OK;
}

/* ---- CRITIC ------------------------------------------------------------------ */

typedef struct rv_vi { double v; size_t i; } rv_vi;
static int cmp_asc(const void *a, const void *b) {
    const rv_vi *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* Column j of z replaced by average ranks (1..n; ties share the mean of their
 * ranks), for Spearman's correlation = Pearson's on ranks. */
static int rank_columns(const double *z, size_t n, size_t m, double *out) {
    rv_vi *a = upl_malloc(n * sizeof *a);
    if (!a) return UPL_ENOMEM;
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < n; i++) a[i] = (rv_vi){ z[i * m + j], i };
        qsort(a, n, sizeof *a, cmp_asc);
        for (size_t i = 0; i < n;) {
            size_t e = i;
            while (e + 1 < n && a[e + 1].v == a[i].v) e++;
            double avg = (double)(i + e) / 2.0 + 1.0;
            for (size_t k = i; k <= e; k++) out[a[k].i * m + j] = avg;
            i = e + 1;
        }
    }
    upl_free(a);
    return UPL_OK;
}

int upl_revital_critic(const double *z, size_t n, size_t m, int variant, double *w, double *sd_out,
                       double *conflict_out, double *info_out, bool *is_equal_fallback, upl_error *err) {
    int rc = UPL_OK;
    double *mean = NULL, *sd = NULL, *ent = NULL, *rk = NULL, *rmean = NULL, *rsd = NULL;
    if (is_equal_fallback) *is_equal_fallback = false;
    if (!z || !w || m == 0) return upl_error_set(err, UPL_EMISUSE, "CRITIC: empty input");
    if (n < 2) return upl_error_set(err, UPL_EUNDEFINED, "CRITIC weights need at least 2 units (sample SD), got %zu", n);
    mean = upl_calloc(m, sizeof *mean);
    sd = upl_calloc(m, sizeof *sd);
    UPL_FAIL_IF(!mean || !sd, err, UPL_ENOMEM, "out of memory");
    for (size_t j = 0; j < m; j++) {
        upl_ksum s = {0, 0};
        for (size_t i = 0; i < n; i++) {
            double v = z[i * m + j];
            UPL_FAIL_IF(!isfinite(v), err, UPL_ERANGE, "CRITIC: unit %zu, indicator %zu: value is not finite", i + 1, j + 1);
            upl_ksum_add(&s, v);
        }
        mean[j] = upl_ksum_value(&s) / (double)n;
        upl_ksum q = {0, 0};
        for (size_t i = 0; i < n; i++) {
            double dv = z[i * m + j] - mean[j];
            upl_ksum_add(&q, dv * dv);
        }
        sd[j] = sqrt(upl_ksum_value(&q) / (double)(n - 1));
    }
    if (variant == UPL_REVITAL_CRITIC_ENTROPY) {
        ent = upl_calloc(m, sizeof *ent);
        UPL_FAIL_IF(!ent, err, UPL_ENOMEM, "out of memory");
        double *dd = upl_calloc(m, sizeof *dd);
        UPL_FAIL_IF(!dd, err, UPL_ENOMEM, "out of memory");
        rc = upl_revital_entropy(z, n, m, UPL_REVITAL_ZERO_LIMIT, NAN, ent, NULL, dd, NULL, err);
        memcpy(ent, dd, m * sizeof *ent);
        upl_free(dd);
        if (rc) goto fail;
    }
    /* the matrix the correlations are taken on: z itself, or its ranks */
    const double *cz = z, *cmean = mean, *csd = sd;
    if (variant == UPL_REVITAL_CRITIC_SPEARMAN) {
        rk = upl_malloc(n * m * sizeof *rk);
        rmean = upl_calloc(m, sizeof *rmean);
        rsd = upl_calloc(m, sizeof *rsd);
        UPL_FAIL_IF(!rk || !rmean || !rsd || rank_columns(z, n, m, rk), err, UPL_ENOMEM, "out of memory");
        for (size_t j = 0; j < m; j++) {
            upl_ksum s1 = {0, 0}, s2 = {0, 0};
            for (size_t i = 0; i < n; i++) upl_ksum_add(&s1, rk[i * m + j]);
            rmean[j] = upl_ksum_value(&s1) / (double)n;
            for (size_t i = 0; i < n; i++) upl_ksum_add(&s2, (rk[i * m + j] - rmean[j]) * (rk[i * m + j] - rmean[j]));
            rsd[j] = sqrt(upl_ksum_value(&s2) / (double)(n - 1));
        }
        cz = rk;
        cmean = rmean;
        csd = rsd;
    }
    upl_ksum csum = {0, 0};
    for (size_t j = 0; j < m; j++) {
        double s = variant == UPL_REVITAL_CRITIC_ENTROPY ? ent[j] : sd[j];
        upl_ksum r = {0, 0};
        if (sd[j] > 0) {
            for (size_t k = 0; k < m; k++) {
                if (k == j || !(sd[k] > 0)) continue; /* constant columns: r undefined, left out */
                upl_ksum sxy = {0, 0};
                for (size_t i = 0; i < n; i++)
                    upl_ksum_add(&sxy, (cz[i * m + j] - cmean[j]) * (cz[i * m + k] - cmean[k]));
                double rr = upl_ksum_value(&sxy) / ((double)(n - 1) * csd[j] * csd[k]);
                if (rr > 1) rr = 1;
                if (rr < -1) rr = -1;
                upl_ksum_add(&r, 1.0 - (variant == UPL_REVITAL_CRITIC_ABS ? fabs(rr) : rr));
            }
        }
        double rj = upl_ksum_value(&r);
        double cj = sd[j] > 0 ? s * rj : 0.0;
        if (sd_out) sd_out[j] = s;
        if (conflict_out) conflict_out[j] = rj;
        if (info_out) info_out[j] = cj;
        w[j] = cj;
        upl_ksum_add(&csum, cj);
    }
    double cs = upl_ksum_value(&csum);
    for (size_t j = 0; j < m; j++) w[j] = cs > 0 ? w[j] / cs : 1.0 / (double)m;
    if (!(cs > 0) && is_equal_fallback) *is_equal_fallback = true;
fail:
    upl_free(mean);
    upl_free(sd);
    upl_free(ent);
    upl_free(rk);
    upl_free(rmean);
    upl_free(rsd);
    return rc;
}

/* ---- AHP ------------------------------------------------------------------------ */

/* Saaty's random index for k = 1..15 as reprinted in AHP textbooks
 * (Saaty 1980, The Analytic Hierarchy Process; values for k > 10 from
 * Saaty's later simulations) [from memory — verify against the book]. */
static const double saaty_ri[16] = {
    NAN, 0.00, 0.00, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59
};

double upl_revital_ahp_ri(size_t k) {
    return (k >= 1 && k <= 15) ? saaty_ri[k] : NAN;
}

int upl_revital_ahp(const double *a, size_t k, double *w, double *lambda_max, double *ci, double *cr,
                    upl_error *err) {
    int rc = UPL_OK;
    double *v = NULL, *nv = NULL;
    if (!a || !w || k == 0) return upl_error_set(err, UPL_EMISUSE, "AHP: empty matrix");
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double x = a[i * k + j], y = a[j * k + i];
            if (!(x > 0) || !isfinite(x))
                return upl_error_set(err, UPL_ERANGE, "AHP matrix row %zu, column %zu: %g is not a positive number", i + 1, j + 1, x);
            if (i == j && fabs(x - 1.0) > 1e-9)
                return upl_error_set(err, UPL_ERANGE, "AHP matrix row %zu, column %zu: the diagonal must be 1, found %g", i + 1, j + 1, x);
            if (fabs(x * y - 1.0) > 1e-6)
                return upl_error_set(err, UPL_ERANGE,
                                     "AHP matrix row %zu, column %zu: %g is not the reciprocal of row %zu, column %zu (%g)",
                                     i + 1, j + 1, x, j + 1, i + 1, y);
        }
    v = upl_malloc(k * sizeof *v);
    nv = upl_malloc(k * sizeof *nv);
    UPL_FAIL_IF(!v || !nv, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) v[i] = 1.0 / (double)k;
    /* Power iteration: a positive matrix has a simple dominant eigenvalue
     * with a positive eigenvector (Perron), so this converges. */
    double lambda = (double)k;
    for (int it = 0; it < 10000; it++) {
        upl_ksum tot = {0, 0};
        for (size_t i = 0; i < k; i++) {
            upl_ksum s = {0, 0};
            for (size_t j = 0; j < k; j++) upl_ksum_add(&s, a[i * k + j] * v[j]);
            nv[i] = upl_ksum_value(&s);
            upl_ksum_add(&tot, nv[i]);
        }
        double t = upl_ksum_value(&tot); /* = lambda, since sum v = 1 */
        double delta = 0;
        for (size_t i = 0; i < k; i++) {
            nv[i] /= t;
            delta = fmax(delta, fabs(nv[i] - v[i]));
            v[i] = nv[i];
        }
        lambda = t;
        if (delta < 1e-15) break;
    }
    memcpy(w, v, k * sizeof *w);
    if (lambda_max) *lambda_max = lambda;
    double c = k > 1 ? (lambda - (double)k) / (double)(k - 1) : 0.0;
    if (c < 0 && c > -1e-12) c = 0;
    if (ci) *ci = c;
    if (cr) *cr = k <= 2 ? 0.0 : (k <= 15 ? c / saaty_ri[k] : NAN);
fail:
    upl_free(v);
    upl_free(nv);
    return rc;
}

/* ---- TOPSIS ------------------------------------------------------------------------ */

int upl_revital_topsis(const double *a, size_t n, size_t m, const double *w, const bool *is_cost, int norm,
                       double *dplus, double *dminus, double *closeness, upl_error *err) {
    int rc = UPL_OK;
    double *scale = NULL, *best = NULL, *worst = NULL;
    if (!a || !w || !closeness || n == 0 || m == 0) return upl_error_set(err, UPL_EMISUSE, "TOPSIS: empty input");
    scale = upl_malloc(m * sizeof *scale);
    best = upl_malloc(m * sizeof *best);
    worst = upl_malloc(m * sizeof *worst);
    UPL_FAIL_IF(!scale || !best || !worst, err, UPL_ENOMEM, "out of memory");
    for (size_t j = 0; j < m; j++) {
        scale[j] = w[j];
        if (norm == UPL_REVITAL_TOPSIS_VECTOR) {
            upl_ksum s = {0, 0};
            for (size_t i = 0; i < n; i++) upl_ksum_add(&s, a[i * m + j] * a[i * m + j]);
            double nn = sqrt(upl_ksum_value(&s));
            scale[j] = nn > 0 ? w[j] / nn : 0.0;
        }
        double hi = -INFINITY, lo = INFINITY;
        for (size_t i = 0; i < n; i++) {
            double c = a[i * m + j];
            UPL_FAIL_IF(!isfinite(c), err, UPL_ERANGE, "TOPSIS: unit %zu, indicator %zu: value is not finite", i + 1, j + 1);
            c *= scale[j];
            if (c > hi) hi = c;
            if (c < lo) lo = c;
        }
        bool cost = is_cost && is_cost[j];
        best[j] = cost ? lo : hi;
        worst[j] = cost ? hi : lo;
    }
    for (size_t i = 0; i < n; i++) {
        upl_ksum p = {0, 0}, q = {0, 0};
        for (size_t j = 0; j < m; j++) {
            double c = a[i * m + j] * scale[j];
            upl_ksum_add(&p, (c - best[j]) * (c - best[j]));
            upl_ksum_add(&q, (c - worst[j]) * (c - worst[j]));
        }
        double dp = sqrt(upl_ksum_value(&p)), dm = sqrt(upl_ksum_value(&q));
        if (dplus) dplus[i] = dp;
        if (dminus) dminus[i] = dm;
        closeness[i] = (dp + dm) > 0 ? dm / (dp + dm) : 0.5;
    }
fail:
    upl_free(scale);
    upl_free(best);
    upl_free(worst);
    return rc;
}

/* ---- coupling coordination ------------------------------------------------------------ */

static const char *const ccd_en[10] = {
    "extreme imbalance", "serious imbalance", "moderate imbalance", "mild imbalance",
    "on the verge of imbalance", "barely coordinated", "primary coordination",
    "intermediate coordination", "good coordination", "high-quality coordination"
};
static const char *const ccd_zh[10] = {
    "极度失调", "严重失调", "中度失调", "轻度失调", "濒临失调",
    "勉强协调", "初级协调", "中级协调", "良好协调", "优质协调"
};

const char *upl_revital_ccd_level_name(int level, bool is_zh) {
    if (level < 0 || level > 9) return is_zh ? "无效" : "invalid";
    return is_zh ? ccd_zh[level] : ccd_en[level];
}

int upl_revital_ccd_level(double d, int boundary) {
    if (!(d >= 0 && d <= 1)) return -1;
    /* Band edges 0.1, 0.2, ... compared exactly as the decimals people
     * write: round 10 D to 12 digits first so D = 0.3 computed as
     * 0.30000000000000004 still sits on the edge. */
    double t = round(d * 10.0 * 1e12) / 1e12;
    int lev;
    if (boundary == UPL_REVITAL_RIGHT_CLOSED) {
        lev = (int)ceil(t) - 1;      /* (a, b]: D = 0.5 -> class 4 */
        if (lev < 0) lev = 0;        /* D = 0 belongs to the bottom class */
    } else {
        lev = (int)floor(t);         /* [a, b): D = 0.5 -> class 5 */
        if (lev > 9) lev = 9;        /* D = 1 belongs to the top class */
    }
    return lev;
}

int upl_revital_ccd_compute(const double *u, size_t k, const double *alpha, bool is_modified, int boundary,
                            double lag_threshold, upl_revital_ccd *out, upl_error *err) {
    if (!u || !out || k < 2) return upl_error_set(err, UPL_EMISUSE, "coupling coordination needs at least 2 subsystems");
    upl_ksum s = {0, 0}, t = {0, 0}, lp = {0, 0}, as = {0, 0};
    double mx = -INFINITY, mn = INFINITY;
    size_t imin = 0;
    bool any_zero = false;
    for (size_t i = 0; i < k; i++) {
        double x = u[i];
        if (!(x >= 0 && x <= 1))
            return upl_error_set(err, UPL_ERANGE, "coupling coordination: subsystem %zu score %g is outside [0, 1]", i + 1, x);
        double a = alpha ? alpha[i] : 1.0 / (double)k;
        if (!(a >= 0)) return upl_error_set(err, UPL_ERANGE, "coupling coordination: weight %zu is negative", i + 1);
        upl_ksum_add(&as, a);
        upl_ksum_add(&s, x);
        upl_ksum_add(&t, a * x);
        if (x > 0) upl_ksum_add(&lp, log(x));
        else any_zero = true;
        if (x > mx) mx = x;
        if (x < mn) { mn = x; imin = i; }
    }
    if (alpha && fabs(upl_ksum_value(&as) - 1.0) > 1e-9)
        return upl_error_set(err, UPL_ERANGE, "coupling coordination: subsystem weights sum to %.12g, not 1", upl_ksum_value(&as));
    double sum = upl_ksum_value(&s), c;
    if (!is_modified) {
        /* C = (prod U)^(1/k) / (sum U / k); computed in logs so k large
         * does not underflow. Any U = 0 gives C = 0 (also the 0/0 case). */
        c = (any_zero || !(sum > 0)) ? 0.0 : exp(upl_ksum_value(&lp) / (double)k) / (sum / (double)k);
    } else {
        /* Wang et al. (2021): C = sqrt{[1 - sum_{i>j}|U_i - U_j| / sum_{m=1}^{k-1} m]
         *                             * [prod U_i / max U_i]^{1/(k-1)}} */
        upl_ksum g = {0, 0};
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < i; j++) upl_ksum_add(&g, fabs(u[i] - u[j]));
        double pairs = (double)k * (double)(k - 1) / 2.0;
        double f1 = 1.0 - upl_ksum_value(&g) / pairs;
        double f2 = (any_zero || !(mx > 0)) ? 0.0 : exp((upl_ksum_value(&lp) - log(mx)) / (double)(k - 1));
        c = sqrt(fmax(0.0, f1 * f2));
    }
    if (c > 1 && c < 1 + 1e-12) c = 1;
    out->c = c;
    out->t = upl_ksum_value(&t);
    out->d = sqrt(c * out->t);
    out->level = upl_revital_ccd_level(out->d, boundary);
    out->gap = mx - mn;
    out->relative = mx > 0 ? mn / mx : NAN;
    out->lagging = (out->gap > lag_threshold + 1e-12) ? (int)imin : -1;
    return UPL_OK;
}

/* ---- obstacle degree ------------------------------------------------------------------- */

int upl_revital_obstacle(const double *z, size_t n, size_t m, const double *f, double *o_norm, double *o_plain,
                         upl_error *err) {
    if (!z || !f || n == 0 || m == 0) return upl_error_set(err, UPL_EMISUSE, "obstacle degree: empty input");
    for (size_t i = 0; i < n; i++) {
        upl_ksum s = {0, 0};
        for (size_t j = 0; j < m; j++) {
            double v = f[j] * (1.0 - z[i * m + j]);
            if (!isfinite(v))
                return upl_error_set(err, UPL_ERANGE, "obstacle degree: unit %zu, indicator %zu: value is not finite", i + 1, j + 1);
            if (o_plain) o_plain[i * m + j] = v;
            upl_ksum_add(&s, v);
        }
        double tot = upl_ksum_value(&s);
        if (o_norm)
            for (size_t j = 0; j < m; j++)
                o_norm[i * m + j] = tot > 0 ? 100.0 * f[j] * (1.0 - z[i * m + j]) / tot : 0.0;
    }
    return UPL_OK;
}
