/* measure_decomp.c — decompositions of poverty and inequality.
 *
 *  - additive subgroup decomposition of FGT/Watts/H/M0 (Foster, Greer &
 *    Thorbecke 1984): P = sum_g (V_g/V) P_g, contribution (V_g/V) P_g / P;
 *  - generalised-entropy within/between (Shorrocks 1980; DOMAIN.md §3.4):
 *    GE = sum_g p_g^{1-a} s_g^a GE_g + GE(group means);
 *  - nested two-stage Theil (Akita 2003): regions, then cells inside them;
 *  - growth–redistribution of a poverty change: Datt & Ravallion (1992)
 *    with either reference period, and the Shapley split (Shorrocks 2013;
 *    Kolenikov & Shorrocks 2005) — DOMAIN.md §3.5;
 *  - sectoral decomposition (Ravallion & Huppi 1991). */
#include <math.h>
#include <string.h>
#include "measure_int.h"

int upl_decomp_additive_compute(const double *value, const double *weight_sum, int32_t n_groups,
                                upl_decomp_additive *out, upl_error *err) {
    if (n_groups <= 0) return upl_error_set(err, UPL_EMISUSE, "decomposition: no groups");
    upl_ksum V = {0, 0}, P = {0, 0};
    for (int32_t g = 0; g < n_groups; g++) {
        if (!(weight_sum[g] > 0)) continue;
        if (isnan(value[g]))
            return upl_error_set(err, UPL_EUNDEFINED, "decomposition: group %d has an undefined value", (int)g);
        upl_ksum_add(&V, weight_sum[g]);
        upl_ksum_add(&P, weight_sum[g] * value[g]);
    }
    double v = upl_ksum_value(&V);
    if (!(v > 0)) return upl_error_set(err, UPL_EUNDEFINED, "decomposition: total weight is zero");
    out->total = upl_ksum_value(&P) / v;
    for (int32_t g = 0; g < n_groups; g++) {
        double share = weight_sum[g] > 0 ? weight_sum[g] / v : 0;
        double c = weight_sum[g] > 0 ? share * value[g] : 0;
        if (out->pop_share) out->pop_share[g] = share;
        if (out->contribution) out->contribution[g] = c;
        if (out->pct_contribution) out->pct_contribution[g] = out->total != 0 ? c / out->total : NAN;
    }
    return UPL_OK;
}

int upl_decomp_ge_compute(double alpha, const double *weight_sum, const double *mean, const double *ge,
                          int32_t n_groups, upl_decomp_ge *out, upl_error *err) {
    if (n_groups <= 0) return upl_error_set(err, UPL_EMISUSE, "decomposition: no groups");
    upl_ksum V = {0, 0}, Y = {0, 0};
    for (int32_t g = 0; g < n_groups; g++) {
        if (!(weight_sum[g] > 0)) continue;
        upl_ksum_add(&V, weight_sum[g]);
        upl_ksum_add(&Y, weight_sum[g] * mean[g]);
    }
    double v = upl_ksum_value(&V);
    if (!(v > 0)) return upl_error_set(err, UPL_EUNDEFINED, "decomposition: total weight is zero");
    double mu = upl_ksum_value(&Y) / v;
    if (!(mu > 0)) return upl_error_set(err, UPL_EUNDEFINED, "decomposition: mean income is not positive");
    upl_ksum W = {0, 0}, B = {0, 0};
    for (int32_t g = 0; g < n_groups; g++) {
        double term = 0;
        if (weight_sum[g] > 0) {
            double p = weight_sum[g] / v, r = mean[g] / mu, s = p * r;
            if (isnan(ge[g]) || !(mean[g] > 0))
                return upl_error_set(err, UPL_EUNDEFINED, "decomposition: group %d has an undefined GE(%g)", (int)g,
                                     alpha);
            term = pow(p, 1 - alpha) * pow(s, alpha) * ge[g];
            upl_ksum_add(&W, term);
            if (alpha == 0) upl_ksum_add(&B, -p * log(r));
            else if (alpha == 1) upl_ksum_add(&B, s * log(r));
            else upl_ksum_add(&B, p * pow(r, alpha));
        }
        if (out->group_contribution) out->group_contribution[g] = term;
    }
    out->within = upl_ksum_value(&W);
    out->between = upl_ksum_value(&B);
    if (alpha != 0 && alpha != 1) out->between = (out->between - 1) / (alpha * (alpha - 1));
    out->total = out->within + out->between;
    return UPL_OK;
}

int upl_decomp_theil_nested(const double *weight_sum, const double *mean, const double *theil,
                            const int32_t *region_of_cell, int32_t n_cells, int32_t n_regions,
                            upl_decomp_theil2 *out, upl_error *err) {
    int rc = UPL_OK;
    upl_ksum *Vr = NULL, *Yr = NULL;
    if (n_cells <= 0 || n_regions <= 0) return upl_error_set(err, UPL_EMISUSE, "nested Theil: no cells");
    Vr = upl_calloc((size_t)n_regions, sizeof *Vr);
    Yr = upl_calloc((size_t)n_regions, sizeof *Yr);
    UPL_FAIL_IF(!Vr || !Yr, err, UPL_ENOMEM, "out of memory");
    upl_ksum V = {0, 0}, Y = {0, 0};
    for (int32_t c = 0; c < n_cells; c++) {
        int32_t r = region_of_cell[c];
        UPL_FAIL_IF(r < 0 || r >= n_regions, err, UPL_EMISUSE, "nested Theil: cell %d has no region", (int)c);
        if (!(weight_sum[c] > 0)) continue;
        UPL_FAIL_IF(!(mean[c] > 0) || isnan(theil[c]), err, UPL_EUNDEFINED,
                    "nested Theil: cell %d has a non-positive mean or undefined Theil", (int)c);
        upl_ksum_add(&V, weight_sum[c]);
        upl_ksum_add(&Y, weight_sum[c] * mean[c]);
        upl_ksum_add(&Vr[r], weight_sum[c]);
        upl_ksum_add(&Yr[r], weight_sum[c] * mean[c]);
    }
    double Yt = upl_ksum_value(&Y), Vt = upl_ksum_value(&V);
    UPL_FAIL_IF(!(Yt > 0) || !(Vt > 0), err, UPL_EUNDEFINED, "nested Theil: total income is not positive");
    double mu = Yt / Vt;
    upl_ksum br = {0, 0}, bw = {0, 0}, wc = {0, 0};
    for (int32_t r = 0; r < n_regions; r++) {
        double vr = upl_ksum_value(&Vr[r]);
        if (!(vr > 0)) continue;
        double yr = upl_ksum_value(&Yr[r]);
        upl_ksum_add(&br, yr / Yt * log((yr / vr) / mu));
    }
    for (int32_t c = 0; c < n_cells; c++) {
        if (!(weight_sum[c] > 0)) continue;
        int32_t r = region_of_cell[c];
        double yc = weight_sum[c] * mean[c];
        double mur = upl_ksum_value(&Yr[r]) / upl_ksum_value(&Vr[r]);
        /* s_r T_{B,r} = sum_k s_rk ln(mu_rk / mu_r), s_rk = income share of the cell */
        upl_ksum_add(&bw, yc / Yt * log(mean[c] / mur));
        upl_ksum_add(&wc, yc / Yt * theil[c]);
    }
    out->between_regions = upl_ksum_value(&br);
    out->between_within = upl_ksum_value(&bw);
    out->within_cells = upl_ksum_value(&wc);
    out->total = out->between_regions + out->between_within + out->within_cells;
fail:
    upl_free(Vr);
    upl_free(Yr);
    return rc;
}

/* Poverty of (y * scale, w) at line z. */
static double pov_scaled(const double *y, const double *w, size_t n, double scale, double z, double alpha,
                         bool is_watts, bool *has_nonpos) {
    upl_acc_params p;
    upl_acc_params_init(&p);
    p.z = z;
    p.alpha = alpha;
    upl_acc a;
    upl_acc_init(&a, &p);
    for (size_t i = 0; i < n; i++) upl_acc_add1(&a, y[i] * scale, w ? w[i] : 1.0);
    if (is_watts) {
        if (a.n_poor_nonpos) *has_nonpos = true;
        return upl_acc_watts(&a);
    }
    return upl_acc_fgt(&a, alpha);
}

static double mean_of(const double *y, const double *w, size_t n) {
    upl_acc a;
    upl_acc_init(&a, NULL);
    upl_acc_add(&a, y, w, n);
    return upl_acc_mean(&a);
}

int upl_growth_redist_compute(const double *y1, const double *w1, size_t n1, const double *y2, const double *w2,
                              size_t n2, double z, double alpha, bool is_watts, upl_growth_redist *out,
                              upl_error *err) {
    memset(out, 0, sizeof *out);
    if (!(z > 0)) return upl_error_set(err, UPL_EMISUSE, "growth-redistribution: the line must be positive");
    if (!is_watts && !(alpha >= 0)) return upl_error_set(err, UPL_EMISUSE, "growth-redistribution: alpha must be >= 0");
    for (size_t i = 0; i < n1; i++)
        if (isnan(y1[i]) || (w1 && !(w1[i] >= 0)))
            return upl_error_set(err, UPL_ERANGE, "wave 1, row %zu: missing income or bad weight", i + 1);
    for (size_t i = 0; i < n2; i++)
        if (isnan(y2[i]) || (w2 && !(w2[i] >= 0)))
            return upl_error_set(err, UPL_ERANGE, "wave 2, row %zu: missing income or bad weight", i + 1);
    double mu1 = mean_of(y1, w1, n1), mu2 = mean_of(y2, w2, n2);
    if (!(mu1 > 0) || !(mu2 > 0))
        return upl_error_set(err, UPL_EUNDEFINED, "growth-redistribution: a wave has no positive mean income");
    bool bad = false;
    out->mu1 = mu1;
    out->mu2 = mu2;
    out->p1 = pov_scaled(y1, w1, n1, 1.0, z, alpha, is_watts, &bad);
    out->p2 = pov_scaled(y2, w2, n2, 1.0, z, alpha, is_watts, &bad);
    out->p_m2_l1 = pov_scaled(y1, w1, n1, mu2 / mu1, z, alpha, is_watts, &bad); /* P(mu2, L1) */
    out->p_m1_l2 = pov_scaled(y2, w2, n2, mu1 / mu2, z, alpha, is_watts, &bad); /* P(mu1, L2) */
    if (bad) return upl_error_set(err, UPL_EUNDEFINED, "growth-redistribution: Watts with a poor income <= 0");
    out->change = out->p2 - out->p1;
    out->dr1_growth = out->p_m2_l1 - out->p1;
    out->dr1_redist = out->p_m1_l2 - out->p1;
    out->dr1_residual = out->change - out->dr1_growth - out->dr1_redist;
    out->dr2_growth = out->p2 - out->p_m1_l2;
    out->dr2_redist = out->p2 - out->p_m2_l1;
    out->dr2_residual = out->change - out->dr2_growth - out->dr2_redist;
    out->shapley_growth = 0.5 * ((out->p_m2_l1 - out->p1) + (out->p2 - out->p_m1_l2));
    out->shapley_redist = 0.5 * ((out->p_m1_l2 - out->p1) + (out->p2 - out->p_m2_l1));
    return UPL_OK;
}

int upl_sectoral_compute(const double *share1, const double *pov1, const double *share2, const double *pov2,
                         int32_t n_sectors, upl_sectoral *out, upl_error *err) {
    if (n_sectors <= 0) return upl_error_set(err, UPL_EMISUSE, "sectoral decomposition: no sectors");
    upl_ksum s1 = {0, 0}, s2 = {0, 0}, p1 = {0, 0}, p2 = {0, 0}, in = {0, 0}, sh = {0, 0}, ia = {0, 0};
    for (int32_t k = 0; k < n_sectors; k++) {
        if (isnan(share1[k]) || isnan(share2[k]) || isnan(pov1[k]) || isnan(pov2[k]) || share1[k] < 0 || share2[k] < 0)
            return upl_error_set(err, UPL_EUNDEFINED, "sectoral decomposition: sector %d has a missing share or poverty",
                                 (int)k);
        upl_ksum_add(&s1, share1[k]);
        upl_ksum_add(&s2, share2[k]);
        upl_ksum_add(&p1, share1[k] * pov1[k]);
        upl_ksum_add(&p2, share2[k] * pov2[k]);
        double dP = pov2[k] - pov1[k], dn = share2[k] - share1[k];
        upl_ksum_add(&in, share1[k] * dP);
        upl_ksum_add(&sh, pov1[k] * dn);
        upl_ksum_add(&ia, dn * dP);
        if (out->intra_by_sector) out->intra_by_sector[k] = share1[k] * dP;
    }
    if (fabs(upl_ksum_value(&s1) - 1) > 1e-9 || fabs(upl_ksum_value(&s2) - 1) > 1e-9)
        return upl_error_set(err, UPL_ERANGE, "sectoral decomposition: population shares must sum to 1 (%.12g, %.12g)",
                             upl_ksum_value(&s1), upl_ksum_value(&s2));
    out->p1 = upl_ksum_value(&p1);
    out->p2 = upl_ksum_value(&p2);
    out->change = out->p2 - out->p1;
    out->intra = upl_ksum_value(&in);
    out->shift = upl_ksum_value(&sh);
    out->interaction = upl_ksum_value(&ia);
    return UPL_OK;
}
