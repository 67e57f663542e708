/* measure_design.c — standard errors under a complex survey design.
 *
 * Taylor linearisation as in R's survey package (Lumley 2004, 2010):
 * ultimate-cluster, with-replacement variance of the PSU totals of the
 * linearised values within strata, with R's finite population correction
 * and lonely-PSU options (survey:::onestrat, survey 4.1):
 *   v = sum_h (1 - f_h) n_h/(n_h - 1) sum_{i in h} (z_hi - zbar_h)^2.
 * For a ratio R = Y/X the linearised value is u = (y - R x)/X (svyratio);
 * a mean is the ratio with x = 1 (svymean). Domains are estimated by
 * zeroing u outside the domain while keeping every PSU in the design
 * (svyby / design[subset, ]), never by dropping rows.
 * Rao & Wu (1988) rescaling bootstrap replicate weights for the measures
 * that are not smooth totals (Gini, quantiles). */
#include <math.h>
#include <string.h>
#include "measure_int.h"

int upl_lonely_psu_parse(const char *s, upl_lonely_psu *out) {
    if (!strcmp(s, "fail")) *out = UPL_LONELY_FAIL;
    else if (!strcmp(s, "remove")) *out = UPL_LONELY_REMOVE;
    else if (!strcmp(s, "adjust")) *out = UPL_LONELY_ADJUST;
    else if (!strcmp(s, "certainty")) *out = UPL_LONELY_CERTAINTY;
    else return UPL_EMISUSE;
    return UPL_OK;
}

/* Acklam's inverse normal CDF, refined by one Halley step on erfc: exact to
 * double precision for the levels used in CIs. */
static double qnorm_upper(double p) { /* x with P(Z > x) = p, 0 < p < 0.5 */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double dd[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    double q = 1 - p, x;
    if (q < 0.97575) {
        double r = q - 0.5, s = r * r;
        x = (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r /
            (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    } else {
        double r = sqrt(-2 * log(p));
        x = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
            ((((dd[0] * r + dd[1]) * r + dd[2]) * r + dd[3]) * r + 1);
    }
    for (int it = 0; it < 2; it++) {
        double e = 0.5 * erfc(x / sqrt(2.0)) - p; /* upper tail minus target */
        double u = -e * sqrt(2 * M_PI) * exp(x * x / 2);
        x = x - u / (1 + x * u / 2);
    }
    return x;
}

double upl_design_zcrit(double conf_level) {
    if (conf_level <= 0 || conf_level >= 1) conf_level = 0.95;
    return qnorm_upper((1 - conf_level) / 2);
}

/* ---- int64 -> dense id hash (open addressing) ----------------------------------- */
typedef struct idmap { uint64_t *keys; uint32_t *vals; uint8_t *used; size_t cap, n; } idmap;

static uint64_t mix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    return x;
}
static int idmap_init(idmap *m, size_t expect) {
    size_t cap = 16;
    while (cap < expect * 2) cap <<= 1;
    m->cap = cap;
    m->n = 0;
    m->keys = upl_malloc(cap * sizeof *m->keys);
    m->vals = upl_malloc(cap * sizeof *m->vals);
    m->used = upl_calloc(cap, 1);
    return (m->keys && m->vals && m->used) ? UPL_OK : UPL_ENOMEM;
}
static void idmap_free(idmap *m) { upl_free(m->keys); upl_free(m->vals); upl_free(m->used); }
static int idmap_grow(idmap *m) {
    idmap nm;
    if (idmap_init(&nm, m->cap) != UPL_OK) { idmap_free(&nm); return UPL_ENOMEM; }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i]) continue;
        size_t j = mix(m->keys[i]) & (nm.cap - 1);
        while (nm.used[j]) j = (j + 1) & (nm.cap - 1);
        nm.used[j] = 1; nm.keys[j] = m->keys[i]; nm.vals[j] = m->vals[i]; nm.n++;
    }
    idmap_free(m);
    *m = nm;
    return UPL_OK;
}
/* id of key, inserting the next dense id when new (*is_new set). */
static int idmap_get(idmap *m, uint64_t key, uint32_t *id, bool *is_new) {
    if ((m->n + 1) * 2 > m->cap && idmap_grow(m) != UPL_OK) return UPL_ENOMEM;
    size_t j = mix(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) { *id = m->vals[j]; *is_new = false; return UPL_OK; }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1; m->keys[j] = key; m->vals[j] = (uint32_t)m->n; m->n++;
    *id = m->vals[j];
    *is_new = true;
    return UPL_OK;
}

void design_index_free(design_index *x) {
    upl_free(x->stratum_of_row);
    upl_free(x->psu_of_row);
    upl_free(x->stratum_of_psu);
    upl_free(x->psus_in_stratum);
    upl_free(x->fraction);
    upl_free(x->stratum_label);
    memset(x, 0, sizeof *x);
}

int design_index_build(const upl_design *d, size_t n, design_index *out, upl_error *err) {
    int rc = UPL_OK;
    idmap sm = {0}, pm = {0}, gm = {0};
    double *fpc_of = NULL;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->stratum_of_row = upl_malloc((n ? n : 1) * sizeof(int32_t));
    UPL_FAIL_IF(!out->stratum_of_row, err, UPL_ENOMEM, "out of memory");
    UPL_FAIL_IF(idmap_init(&sm, 64) != UPL_OK, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t id;
        bool is_new;
        UPL_FAIL_IF(idmap_get(&sm, d->strata ? (uint64_t)d->strata[i] : 0, &id, &is_new) != UPL_OK, err,
                    UPL_ENOMEM, "out of memory");
        out->stratum_of_row[i] = (int32_t)id;
    }
    out->n_strata = (int32_t)sm.n;
    out->psus_in_stratum = upl_calloc(sm.n ? sm.n : 1, sizeof(uint64_t));
    out->fraction = upl_calloc(sm.n ? sm.n : 1, sizeof(double));
    out->stratum_label = upl_calloc(sm.n ? sm.n : 1, sizeof(int64_t));
    fpc_of = upl_malloc((sm.n ? sm.n : 1) * sizeof(double));
    UPL_FAIL_IF(!out->psus_in_stratum || !out->fraction || !out->stratum_label || !fpc_of, err, UPL_ENOMEM,
                "out of memory");
    for (size_t h = 0; h < sm.n; h++) fpc_of[h] = NAN;
    for (size_t i = 0; i < n; i++) out->stratum_label[out->stratum_of_row[i]] = d->strata ? d->strata[i] : 0;
    if (d->psu) {
        out->psu_of_row = upl_malloc((n ? n : 1) * sizeof(uint32_t));
        UPL_FAIL_IF(!out->psu_of_row, err, UPL_ENOMEM, "out of memory");
        UPL_FAIL_IF(idmap_init(&pm, 1024) != UPL_OK || idmap_init(&gm, 1024) != UPL_OK, err, UPL_ENOMEM,
                    "out of memory");
        size_t cap = 1024;
        out->stratum_of_psu = upl_malloc(cap * sizeof(int32_t));
        UPL_FAIL_IF(!out->stratum_of_psu, err, UPL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            int32_t h = out->stratum_of_row[i];
            /* nested: a PSU is (stratum, id); the key mixes both */
            uint64_t key = (uint64_t)d->psu[i] * 0x9e3779b97f4a7c15ull ^ mix((uint64_t)h + 1);
            uint32_t id;
            bool is_new;
            UPL_FAIL_IF(idmap_get(&pm, key, &id, &is_new) != UPL_OK, err, UPL_ENOMEM, "out of memory");
            if (is_new) {
                if (id >= cap) {
                    cap *= 2;
                    int32_t *s2 = upl_reallocarray(out->stratum_of_psu, cap, sizeof(int32_t));
                    UPL_FAIL_IF(!s2, err, UPL_ENOMEM, "out of memory");
                    out->stratum_of_psu = s2;
                }
                out->stratum_of_psu[id] = h;
                out->psus_in_stratum[h]++;
                if (!d->is_nested) {
                    uint32_t gid;
                    bool g_new;
                    UPL_FAIL_IF(idmap_get(&gm, (uint64_t)d->psu[i], &gid, &g_new) != UPL_OK, err, UPL_ENOMEM,
                                "out of memory");
                    UPL_FAIL_IF(!g_new, err, UPL_ERANGE,
                                "row %zu: PSU %lld appears in more than one stratum (clusters not nested in "
                                "strata); declare the PSU ids nested within strata",
                                i + 1, (long long)d->psu[i]);
                }
            }
            out->psu_of_row[i] = id;
        }
        out->n_psu = pm.n;
    } else {
        for (size_t i = 0; i < n; i++) out->psus_in_stratum[out->stratum_of_row[i]]++;
    }
    if (d->fpc) {
        for (size_t i = 0; i < n; i++) {
            int32_t h = out->stratum_of_row[i];
            double f = d->fpc[i];
            UPL_FAIL_IF(!(f > 0) || !isfinite(f), err, UPL_ERANGE, "row %zu: fpc %g is not a positive number",
                        i + 1, f);
            if (isnan(fpc_of[h])) fpc_of[h] = f;
            else UPL_FAIL_IF(fpc_of[h] != f, err, UPL_ERANGE,
                             "row %zu: fpc %g differs from %g elsewhere in stratum %lld (it must be constant "
                             "within a stratum)", i + 1, f, fpc_of[h], (long long)out->stratum_label[h]);
        }
        for (int32_t h = 0; h < out->n_strata; h++) {
            double nh = (double)out->psus_in_stratum[h];
            double f = fpc_of[h];
            if (f <= 1) {
                out->fraction[h] = f; /* a sampling fraction */
            } else {
                UPL_FAIL_IF(f < nh, err, UPL_ERANGE,
                            "stratum %lld: fpc %g is smaller than the %g sampled %s (more than 100%% sampling)",
                            (long long)out->stratum_label[h], f, nh, d->psu ? "PSUs" : "units");
                out->fraction[h] = nh / f;
            }
        }
    }
    idmap_free(&sm);
    idmap_free(&pm);
    idmap_free(&gm);
    upl_free(fpc_of);
    return UPL_OK;
fail:
    idmap_free(&sm);
    idmap_free(&pm);
    idmap_free(&gm);
    upl_free(fpc_of);
    design_index_free(out);
    return rc;
}

/* Variance of the totals of z (one column per domain) given per-PSU totals
 * T[p * G + g] (or per-row values when rows are PSUs, in which case the
 * caller passes the per-stratum sums). */
static int strat_var(const design_index *x, const upl_design *d, int32_t h, double ss_centered, double ss_raw,
                     double *out, upl_error *err) {
    uint64_t nh = x->psus_in_stratum[h];
    double f = x->fraction[h];
    if (nh > 1) {
        *out = (1 - f) * (double)nh / (double)(nh - 1) * ss_centered;
        return UPL_OK;
    }
    switch (d->lonely) {
    case UPL_LONELY_FAIL:
        return upl_error_set(err, UPL_EUNDEFINED,
                             "stratum %lld has only one PSU (lonely PSU); choose a lonely-PSU policy: remove, "
                             "adjust or certainty", (long long)x->stratum_label[h]);
    case UPL_LONELY_REMOVE:
    case UPL_LONELY_CERTAINTY:
        *out = 0;
        return UPL_OK;
    case UPL_LONELY_ADJUST:
        *out = (1 - f) * ss_raw; /* centred at 0, not at its own total */
        return UPL_OK;
    }
    return upl_error_set(err, UPL_EMISUSE, "unknown lonely-PSU policy");
}

int upl_design_ratio(const upl_design *d, size_t n, const double *w, const double *y, const double *x,
                     const int32_t *group, int32_t n_groups, double *est, double *se, upl_error *err) {
    int rc = UPL_OK;
    design_index ix = {0};
    upl_ksum *num = NULL, *den = NULL;
    double *T = NULL, *m1 = NULL;
    upl_ksum *s1 = NULL, *s2 = NULL;
    uint64_t *cnt = NULL;
    int32_t G = group ? n_groups : 1;
    UPL_FAIL_IF(G <= 0, err, UPL_EMISUSE, "upl_design_ratio: no domains");
    UPL_TRY(design_index_build(d, n, &ix, err));
    num = upl_calloc((size_t)G, sizeof *num);
    den = upl_calloc((size_t)G, sizeof *den);
    UPL_FAIL_IF(!num || !den, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int32_t g = group ? group[i] : 0;
        double xi = x ? x[i] : 1.0;
        double wi = w ? w[i] : 1.0;
        if (g < 0 || isnan(y[i]) || isnan(xi) || isnan(wi)) continue; /* outside every domain */
        UPL_FAIL_IF(g >= G, err, UPL_EMISUSE, "row %zu: group id %d out of range", i + 1, (int)g);
        UPL_FAIL_IF(wi < 0 || isinf(wi), err, UPL_ERANGE, "row %zu: weight %g is negative or infinite", i + 1, wi);
        upl_ksum_add(&num[g], wi * y[i]);
        upl_ksum_add(&den[g], wi * xi);
    }
    for (int32_t g = 0; g < G; g++) {
        double X = upl_ksum_value(&den[g]);
        est[g] = X != 0 ? upl_ksum_value(&num[g]) / X : NAN;
        se[g] = NAN;
    }
    size_t H = (size_t)ix.n_strata;
    if (ix.psu_of_row) {
        size_t P = ix.n_psu;
        UPL_FAIL_IF(P > ((size_t)1 << 31) / (size_t)G, err, UPL_ELIMIT,
                    "%zu PSUs x %d domains is too many for the variance table", P, (int)G);
        T = upl_calloc(P * (size_t)G, sizeof(double));
        m1 = upl_calloc(H * (size_t)G, sizeof(double));
        s1 = upl_calloc(H * (size_t)G, sizeof *s1);
        s2 = upl_calloc(H * (size_t)G, sizeof *s2);
        UPL_FAIL_IF(!T || !m1 || !s1 || !s2, err, UPL_ENOMEM, "out of memory for the variance table");
        /* PSU totals of w u in row order (plain sums in a fixed order are
         * reproducible; SEs need far less than full precision) */
        for (size_t i = 0; i < n; i++) {
            int32_t g = group ? group[i] : 0;
            double xi = x ? x[i] : 1.0;
            double wi = w ? w[i] : 1.0;
            if (g < 0 || isnan(y[i]) || isnan(xi) || isnan(wi) || isnan(est[g])) continue;
            T[(size_t)ix.psu_of_row[i] * G + g] += wi * (y[i] - est[g] * xi) / upl_ksum_value(&den[g]);
        }
        for (size_t p = 0; p < P; p++) {
            int32_t h = ix.stratum_of_psu[p];
            for (int32_t g = 0; g < G; g++) upl_ksum_add(&s1[(size_t)h * G + g], T[p * G + g]);
        }
        for (size_t h = 0; h < H; h++)
            for (int32_t g = 0; g < G; g++)
                m1[h * G + g] = upl_ksum_value(&s1[h * G + g]) / (double)ix.psus_in_stratum[h];
        for (size_t p = 0; p < P; p++) {
            int32_t h = ix.stratum_of_psu[p];
            for (int32_t g = 0; g < G; g++) {
                double dv = T[p * G + g] - m1[(size_t)h * G + g];
                upl_ksum_add(&s2[(size_t)h * G + g], dv * dv);
            }
        }
        for (int32_t g = 0; g < G; g++) {
            if (isnan(est[g])) continue;
            upl_ksum v = {0, 0};
            for (size_t h = 0; h < H; h++) {
                double vh;
                double raw = 0;
                if (ix.psus_in_stratum[h] == 1) {
                    double t = upl_ksum_value(&s1[h * G + g]);
                    raw = t * t;
                }
                UPL_TRY(strat_var(&ix, d, (int32_t)h, upl_ksum_value(&s2[h * G + g]), raw, &vh, err));
                upl_ksum_add(&v, vh);
            }
            double vv = upl_ksum_value(&v);
            se[g] = sqrt(vv > 0 ? vv : 0);
        }
    } else {
        /* every row is a PSU: a row outside domain g is a zero of domain g,
         * so sum (z - m)^2 over stratum h = sum_{rows in g} (z - m)^2 + (n_h - n_hg) m^2 */
        s1 = upl_calloc(H * (size_t)G, sizeof *s1);
        s2 = upl_calloc(H * (size_t)G, sizeof *s2);
        m1 = upl_calloc(H * (size_t)G, sizeof(double));
        cnt = upl_calloc(H * (size_t)G, sizeof(uint64_t));
        UPL_FAIL_IF(!s1 || !s2 || !m1 || !cnt, err, UPL_ENOMEM, "out of memory");
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < n; i++) {
                int32_t g = group ? group[i] : 0;
                double xi = x ? x[i] : 1.0;
                double wi = w ? w[i] : 1.0;
                if (g < 0 || isnan(y[i]) || isnan(xi) || isnan(wi) || isnan(est[g])) continue;
                double z = wi * (y[i] - est[g] * xi) / upl_ksum_value(&den[g]);
                size_t k = (size_t)ix.stratum_of_row[i] * G + g;
                if (pass == 0) {
                    upl_ksum_add(&s1[k], z);
                    cnt[k]++;
                } else {
                    double dv = z - m1[k];
                    upl_ksum_add(&s2[k], dv * dv);
                }
            }
            if (pass == 0)
                for (size_t h = 0; h < H; h++)
                    for (int32_t g = 0; g < G; g++)
                        m1[h * G + g] = upl_ksum_value(&s1[h * G + g]) / (double)ix.psus_in_stratum[h];
        }
        for (int32_t g = 0; g < G; g++) {
            if (isnan(est[g])) continue;
            upl_ksum v = {0, 0};
            for (size_t h = 0; h < H; h++) {
                size_t k = h * G + g;
                double m = m1[k];
                double ssc = upl_ksum_value(&s2[k]) + (double)(ix.psus_in_stratum[h] - cnt[k]) * m * m;
                double t = upl_ksum_value(&s1[k]);
                double vh;
                UPL_TRY(strat_var(&ix, d, (int32_t)h, ssc, t * t, &vh, err));
                upl_ksum_add(&v, vh);
            }
            double vv = upl_ksum_value(&v);
            se[g] = sqrt(vv > 0 ? vv : 0);
        }
    }
fail:
    design_index_free(&ix);
    upl_free(num);
    upl_free(den);
    upl_free(T);
    upl_free(m1);
    upl_free(s1);
    upl_free(s2);
    upl_free(cnt);
    return rc;
}

void boot_gen_free(boot_gen *bg) {
    if (bg->members)
        for (size_t h = 0; h < bg->H; h++) upl_free(bg->members[h]);
    upl_free(bg->members);
    upl_free(bg->n_members);
    upl_free(bg->factor);
    design_index_free(&bg->ix);
    memset(bg, 0, sizeof *bg);
}

int boot_gen_init(boot_gen *bg, const upl_design *d, size_t n, uint64_t seed, upl_error *err) {
    int rc = UPL_OK;
    memset(bg, 0, sizeof *bg);
    UPL_TRY(design_index_build(d, n, &bg->ix, err));
    bg->n = n;
    bg->P = bg->ix.psu_of_row ? bg->ix.n_psu : n;
    bg->H = (size_t)bg->ix.n_strata;
    bg->factor = upl_malloc((bg->P ? bg->P : 1) * sizeof(double));
    bg->members = upl_calloc(bg->H ? bg->H : 1, sizeof *bg->members);
    bg->n_members = upl_calloc(bg->H ? bg->H : 1, sizeof *bg->n_members);
    UPL_FAIL_IF(!bg->factor || !bg->members || !bg->n_members, err, UPL_ENOMEM, "out of memory");
    for (size_t h = 0; h < bg->H; h++) {
        size_t nh = bg->ix.psus_in_stratum[h];
        bg->members[h] = upl_malloc((nh ? nh : 1) * sizeof(uint32_t));
        UPL_FAIL_IF(!bg->members[h], err, UPL_ENOMEM, "out of memory");
    }
    for (size_t p = 0; p < bg->P; p++) {
        size_t h = (size_t)(bg->ix.psu_of_row ? bg->ix.stratum_of_psu[p] : bg->ix.stratum_of_row[p]);
        bg->members[h][bg->n_members[h]++] = (uint32_t)p;
    }
    rng_seed(&bg->r, seed);
    return UPL_OK;
fail:
    boot_gen_free(bg);
    return rc;
}

/* One replicate: in each stratum draw n_h - 1 of its n_h PSUs with
 * replacement; a PSU drawn r times gets factor r n_h/(n_h - 1). */
void boot_gen_next(boot_gen *bg, const double *w, double *wb) {
    for (size_t p = 0; p < bg->P; p++) bg->factor[p] = 0;
    for (size_t h = 0; h < bg->H; h++) {
        size_t nh = bg->n_members[h];
        if (nh < 2) { /* no resampling possible: the stratum keeps its weights */
            for (size_t k = 0; k < nh; k++) bg->factor[bg->members[h][k]] = 1;
            continue;
        }
        double scale = (double)nh / (double)(nh - 1);
        for (size_t k = 0; k + 1 < nh; k++) bg->factor[bg->members[h][rng_below(&bg->r, nh)]] += scale;
    }
    for (size_t i = 0; i < bg->n; i++) {
        size_t p = bg->ix.psu_of_row ? bg->ix.psu_of_row[i] : i;
        wb[i] = (w ? w[i] : 1.0) * bg->factor[p];
    }
}

int upl_design_bootstrap_weights(const upl_design *d, size_t n, const double *w, int n_rep, uint64_t seed,
                                 double *out, upl_error *err) {
    int rc = UPL_OK;
    boot_gen bg;
    if (n_rep < 2) return upl_error_set(err, UPL_EMISUSE, "the bootstrap needs at least 2 replicates");
    UPL_TRY(boot_gen_init(&bg, d, n, seed, err));
    for (int b = 0; b < n_rep; b++) boot_gen_next(&bg, w, out + (size_t)b * n);
    boot_gen_free(&bg);
fail:
    return rc;
}
