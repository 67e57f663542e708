/* measure_af.c — Alkire–Foster multidimensional poverty with exact weights.
 *
 * Alkire & Foster (2011) J. Public Econ. 95:476–487; Alkire et al. (2015)
 * ch. 5; DOMAIN.md §3.1. Weights and the cutoff k are rationals: weights
 * are brought to a common denominator so a person's deprivation score is an
 * integer C_i over the total T, and identification is the integer test
 * C_i * k.den >= k.num * T — no 1/6 + 1/6 < 1/3 surprises. Deprivation is
 * strict (x < z_j); normalised gaps (z_j - x)/z_j, 1 for g0-coded
 * indicators. M_alpha = (1/V) sum_i v_i sum_j (W_j/T) g_ij^alpha [c_i >= k]. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "measure_int.h"

int upl_af_nested_weights(upl_af_indicator *ind, size_t d, upl_error *err) {
    if (d == 0) return upl_error_set(err, UPL_EMISUSE, "no indicators");
    /* distinct dimensions in order of first appearance */
    int64_t n_dims = 0;
    for (size_t j = 0; j < d; j++) {
        bool seen = false;
        for (size_t i = 0; i < j; i++) {
            const char *a = ind[i].dimension ? ind[i].dimension : ind[i].name;
            const char *b = ind[j].dimension ? ind[j].dimension : ind[j].name;
            if (a && b && !strcmp(a, b)) { seen = true; break; }
        }
        if (!seen) n_dims++;
    }
    for (size_t j = 0; j < d; j++) {
        const char *b = ind[j].dimension ? ind[j].dimension : ind[j].name;
        int64_t in_dim = 0;
        for (size_t i = 0; i < d; i++) {
            const char *a = ind[i].dimension ? ind[i].dimension : ind[i].name;
            if (a && b && !strcmp(a, b)) in_dim++;
        }
        ind[j].weight.num = 1;
        ind[j].weight.den = n_dims * in_dim;
    }
    return UPL_OK;
}

void upl_af_result_free(upl_af_result *r) {
    if (!r) return;
    upl_free(r->h_uncensored);
    upl_free(r->h_censored);
    upl_free(r->contrib_abs);
    upl_free(r->contrib_pct);
    if (r->dim_names)
        for (size_t k = 0; k < r->n_dims; k++) upl_free(r->dim_names[k]);
    upl_free(r->dim_names);
    upl_free(r->dim_contrib_pct);
    upl_free(r->groups);
    upl_free(r->group_pop_share);
    upl_free(r->group_contrib_pct);
    upl_free(r->se_H);
    upl_free(r->se_A);
    upl_free(r->se_M0);
    upl_free(r);
}

/* Mergeable AF accumulator for one group. */
typedef struct af_acc {
    uint64_t n, n_poor;
    upl_ksum v, v_poor, vc, m1, m2; /* vc: sum v C_i over the poor (integer scores) */
    upl_ksum *h0, *hk;              /* d each: uncensored and censored deprivation weight */
} af_acc;

static void af_stats(const af_acc *a, double T, upl_af_stats *s) {
    double V = upl_ksum_value(&a->v), Vp = upl_ksum_value(&a->v_poor);
    memset(s, 0, sizeof *s);
    s->n = a->n;
    s->n_poor = a->n_poor;
    s->weight_sum = V;
    s->poor_weight = Vp;
    if (!(V > 0)) {
        s->H = s->A = s->M0 = s->M1 = s->M2 = NAN;
        s->undefined = "no observations (or zero total weight)";
        return;
    }
    s->H = Vp / V;
    s->M0 = upl_ksum_value(&a->vc) / (T * V);
    s->M1 = upl_ksum_value(&a->m1) / V;
    s->M2 = upl_ksum_value(&a->m2) / V;
    if (Vp > 0) {
        s->A = upl_ksum_value(&a->vc) / (T * Vp);
    } else {
        s->A = NAN;
        s->undefined = "nobody is poor: intensity A and the contributions are undefined";
    }
}

int upl_af_compute(const upl_af_spec *spec, const upl_af_input *in, upl_policy missing, const upl_design *design,
                   upl_af_result **out, upl_error *err) {
    int rc = UPL_OK;
    upl_af_result *r = NULL;
    int64_t *W = NULL;
    af_acc *acc = NULL;
    upl_ksum *hbuf = NULL;
    double *vbuf = NULL, *fbuf = NULL, *xbuf = NULL, *est = NULL, *se = NULL;
    int32_t *dim_of = NULL;
    size_t d = spec ? spec->d : 0;
    *out = NULL;
    UPL_FAIL_IF(!spec || d == 0 || !spec->ind || !in || (in->n && !in->x), err, UPL_EMISUSE,
                "Alkire-Foster: no indicators or no data");
    UPL_FAIL_IF(missing != UPL_POLICY_DROP && missing != UPL_POLICY_ERROR, err, UPL_EMISUSE,
                "Alkire-Foster: missing policy must be drop or error");
    UPL_FAIL_IF(spec->k.den <= 0 || spec->k.num <= 0 || spec->k.num > spec->k.den, err, UPL_EMISUSE,
                "Alkire-Foster: k = %lld/%lld must be in (0, 1]", (long long)spec->k.num, (long long)spec->k.den);
    UPL_FAIL_IF(in->group && in->n_groups <= 0, err, UPL_EMISUSE, "Alkire-Foster: n_groups must be > 0");
    /* common denominator of the weights */
    int64_t L = 1;
    for (size_t j = 0; j < d; j++) {
        const upl_af_indicator *ij = &spec->ind[j];
        UPL_FAIL_IF(ij->weight.den <= 0 || ij->weight.num <= 0, err, UPL_EMISUSE,
                    "indicator `%s`: weight %lld/%lld must be positive", ij->name ? ij->name : "?",
                    (long long)ij->weight.num, (long long)ij->weight.den);
        UPL_FAIL_IF(!ij->is_deprivation && !(ij->cutoff > 0), err, UPL_EMISUSE,
                    "indicator `%s`: the cutoff must be positive for normalised gaps (or declare it a 0/1 deprivation)",
                    ij->name ? ij->name : "?");
        int64_t g = upl_gcd64(L, ij->weight.den);
        __int128 l2 = (__int128)(L / g) * ij->weight.den;
        UPL_FAIL_IF(l2 > ((__int128)1 << 40), err, UPL_ERANGE, "weights: common denominator too large");
        L = (int64_t)l2;
    }
    W = upl_malloc(d * sizeof *W);
    UPL_FAIL_IF(!W, err, UPL_ENOMEM, "out of memory");
    int64_t T = 0;
    for (size_t j = 0; j < d; j++) {
        __int128 wj = (__int128)spec->ind[j].weight.num * (L / spec->ind[j].weight.den);
        UPL_FAIL_IF(wj > ((__int128)1 << 40), err, UPL_ERANGE, "weights too large");
        W[j] = (int64_t)wj;
        T += W[j];
    }
    int32_t G = in->group ? in->n_groups : 0;
    size_t n_acc = 1 + (size_t)G;
    acc = upl_calloc(n_acc, sizeof *acc);
    hbuf = upl_calloc(n_acc * 2 * d, sizeof *hbuf);
    r = upl_calloc(1, sizeof *r);
    UPL_FAIL_IF(!acc || !hbuf || !r, err, UPL_ENOMEM, "out of memory");
    for (size_t a = 0; a < n_acc; a++) {
        acc[a].h0 = hbuf + a * 2 * d;
        acc[a].hk = acc[a].h0 + d;
    }
    if (design) {
        vbuf = upl_malloc((in->n ? in->n : 1) * sizeof(double));
        UPL_FAIL_IF(!vbuf, err, UPL_ENOMEM, "out of memory");
        fbuf = upl_malloc((in->n ? in->n : 1) * 3 * sizeof(double)); /* poor, c(k), valid */
        UPL_FAIL_IF(!fbuf, err, UPL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < in->n; i++) {
        double v = in->w ? in->w[i] : 1.0;
        if (in->size) v *= in->size[i];
        bool is_missing = isnan(v);
        size_t jbad = 0;
        for (size_t j = 0; j < d && !is_missing; j++)
            if (isnan(in->x[j][i])) { is_missing = true; jbad = j; }
        if (design) {
            vbuf[i] = is_missing ? 0 : v;
            fbuf[i] = fbuf[in->n + i] = fbuf[2 * in->n + i] = NAN;
        }
        if (is_missing) {
            UPL_FAIL_IF(missing == UPL_POLICY_ERROR, err, UPL_ERANGE, "row %zu: indicator `%s` is missing", i + 1,
                        spec->ind[jbad].name ? spec->ind[jbad].name : "?");
            r->n_dropped_missing++;
            continue;
        }
        UPL_FAIL_IF(!(v >= 0) || isinf(v), err, UPL_ERANGE, "row %zu: weight %g is negative or infinite", i + 1, v);
        int32_t g = in->group ? in->group[i] : -1;
        UPL_FAIL_IF(g >= G || g < -1, err, UPL_EMISUSE, "row %zu: group id %d out of range", i + 1, (int)g);
        int64_t C = 0;
        double s1 = 0, s2 = 0;
        for (size_t j = 0; j < d; j++) {
            const upl_af_indicator *ij = &spec->ind[j];
            double x = in->x[j][i];
            bool dep = ij->is_deprivation ? x != 0 : x < ij->cutoff;
            if (dep) {
                double gap = ij->is_deprivation ? 1.0 : (ij->cutoff - x) / ij->cutoff;
                C += W[j];
                s1 += (double)W[j] * gap;
                s2 += (double)W[j] * gap * gap;
            }
        }
        bool is_poor = (__int128)C * spec->k.den >= (__int128)spec->k.num * T;
        for (size_t a = 0; a < n_acc; a++) {
            if (a > 0 && (int32_t)(a - 1) != g) continue;
            af_acc *ac = &acc[a];
            ac->n++;
            upl_ksum_add(&ac->v, v);
            for (size_t j = 0; j < d; j++) {
                const upl_af_indicator *ij = &spec->ind[j];
                double x = in->x[j][i];
                bool dep = ij->is_deprivation ? x != 0 : x < ij->cutoff;
                if (!dep) continue;
                upl_ksum_add(&ac->h0[j], v);
                if (is_poor) upl_ksum_add(&ac->hk[j], v);
            }
            if (is_poor) {
                ac->n_poor++;
                upl_ksum_add(&ac->v_poor, v);
                upl_ksum_add(&ac->vc, v * (double)C);
                upl_ksum_add(&ac->m1, v * s1 / (double)T);
                upl_ksum_add(&ac->m2, v * s2 / (double)T);
            }
        }
        if (design) {
            fbuf[i] = is_poor ? 1.0 : 0.0;
            fbuf[in->n + i] = is_poor ? (double)C / (double)T : 0.0;
            fbuf[2 * in->n + i] = 1.0;
        }
    }
    r->d = d;
    af_stats(&acc[0], (double)T, &r->all);
    r->h_uncensored = upl_malloc(d * sizeof(double));
    r->h_censored = upl_malloc(d * sizeof(double));
    r->contrib_abs = upl_malloc(d * sizeof(double));
    r->contrib_pct = upl_malloc(d * sizeof(double));
    dim_of = upl_malloc(d * sizeof *dim_of);
    r->dim_names = upl_calloc(d, sizeof *r->dim_names);
    r->dim_contrib_pct = upl_calloc(d, sizeof(double));
    UPL_FAIL_IF(!r->h_uncensored || !r->h_censored || !r->contrib_abs || !r->contrib_pct || !dim_of || !r->dim_names ||
                    !r->dim_contrib_pct, err, UPL_ENOMEM, "out of memory");
    double V = r->all.weight_sum;
    for (size_t j = 0; j < d; j++) {
        r->h_uncensored[j] = V > 0 ? upl_ksum_value(&acc[0].h0[j]) / V : NAN;
        r->h_censored[j] = V > 0 ? upl_ksum_value(&acc[0].hk[j]) / V : NAN;
        r->contrib_abs[j] = (double)W[j] / (double)T * r->h_censored[j];
        r->contrib_pct[j] = r->all.M0 > 0 ? r->contrib_abs[j] / r->all.M0 : NAN;
        const char *dn = spec->ind[j].dimension ? spec->ind[j].dimension : (spec->ind[j].name ? spec->ind[j].name : "?");
        size_t k = 0;
        while (k < r->n_dims && strcmp(r->dim_names[k], dn)) k++;
        if (k == r->n_dims) {
            r->dim_names[k] = upl_strdup(dn);
            UPL_FAIL_IF(!r->dim_names[k], err, UPL_ENOMEM, "out of memory");
            r->n_dims++;
        }
        dim_of[j] = (int32_t)k;
    }
    for (size_t j = 0; j < d; j++) r->dim_contrib_pct[dim_of[j]] += r->contrib_pct[j];
    if (G > 0) {
        r->n_groups = G;
        r->groups = upl_calloc((size_t)G, sizeof *r->groups);
        r->group_pop_share = upl_calloc((size_t)G, sizeof(double));
        r->group_contrib_pct = upl_calloc((size_t)G, sizeof(double));
        UPL_FAIL_IF(!r->groups || !r->group_pop_share || !r->group_contrib_pct, err, UPL_ENOMEM, "out of memory");
        for (int32_t g = 0; g < G; g++) {
            af_stats(&acc[1 + g], (double)T, &r->groups[g]);
            double Vg = r->groups[g].weight_sum;
            r->group_pop_share[g] = V > 0 ? Vg / V : NAN;
            r->group_contrib_pct[g] = r->all.M0 > 0 && Vg > 0 ? Vg / V * r->groups[g].M0 / r->all.M0 : (Vg > 0 ? NAN : 0);
        }
    }
    if (design && in->n > 0) {
        size_t nse = 1 + (size_t)G;
        r->se_H = upl_malloc(nse * sizeof(double));
        r->se_A = upl_malloc(nse * sizeof(double));
        r->se_M0 = upl_malloc(nse * sizeof(double));
        est = upl_malloc(nse * sizeof(double));
        se = upl_malloc(nse * sizeof(double));
        UPL_FAIL_IF(!r->se_H || !r->se_A || !r->se_M0 || !est || !se, err, UPL_ENOMEM, "out of memory");
        double *fp = fbuf, *fc = fbuf + in->n;
        xbuf = fp; /* A = sum v c(k) / sum v 1[poor] */
        for (int pass = 0; pass < 2; pass++) {
            const int32_t *grp = pass == 0 ? NULL : in->group;
            int32_t ng = pass == 0 ? 0 : G;
            size_t off = pass == 0 ? 0 : 1;
            if (pass == 1 && G == 0) break;
            UPL_TRY(upl_design_ratio(design, in->n, vbuf, fp, NULL, grp, ng, est, se, err));
            for (size_t k = 0; k < (pass ? (size_t)G : 1); k++) r->se_H[off + k] = se[k];
            UPL_TRY(upl_design_ratio(design, in->n, vbuf, fc, NULL, grp, ng, est, se, err));
            for (size_t k = 0; k < (pass ? (size_t)G : 1); k++) r->se_M0[off + k] = se[k];
            UPL_TRY(upl_design_ratio(design, in->n, vbuf, fc, xbuf, grp, ng, est, se, err));
            for (size_t k = 0; k < (pass ? (size_t)G : 1); k++) r->se_A[off + k] = se[k];
        }
    }
    *out = r;
    r = NULL;
fail:
    upl_af_result_free(r);
    upl_free(W);
    upl_free(acc);
    upl_free(hbuf);
    upl_free(vbuf);
    upl_free(fbuf);
    upl_free(est);
    upl_free(se);
    upl_free(dim_of);
    return rc;
}

int upl_af_change_compute(double m1, double t1, double m2, double t2, upl_af_change *out, upl_error *err) {
    if (!(t2 > t1)) return upl_error_set(err, UPL_EMISUSE, "change over time: t2 must be after t1");
    if (isnan(m1) || isnan(m2)) return upl_error_set(err, UPL_EUNDEFINED, "change over time: an index is undefined");
    out->absolute = m2 - m1;
    out->annual_absolute = out->absolute / (t2 - t1);
    if (m1 > 0) {
        out->relative = out->absolute / m1 * 100;
        out->annual_relative = (pow(m2 / m1, 1 / (t2 - t1)) - 1) * 100;
    } else {
        out->relative = out->annual_relative = NAN; /* relative change from 0 is undefined */
    }
    return UPL_OK;
}
