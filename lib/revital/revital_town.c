/* revital_town.c — town and country (城乡) from household data: by province
 * and year, the weighted mean income of urban and of rural households, the
 * urban/rural income ratio (城乡居民收入比, indicator 20 of the 2018–2022
 * plan), the Theil T index split into the part between urban and rural and
 * the part within them (DOMAIN.md §3.4), and the coupling coordination of
 * an urban and a rural development index.
 *
 * The two indices are each subsystem's mean income min-max normalised over
 * all province-years of that subsystem and mapped into [eps, 1 - eps]
 * (eps = 0.01 by default, the SPSSAU convention, DOMAIN.md §3.6) so the
 * poorest province-year does not get U = 0 and hence D = 0 by construction.
 * This is a one-indicator subsystem; richer subsystems belong in an
 * indicator system run through upl_revital_run. */
#include <math.h>
#include <string.h>
#include "uplift/revital.h"
#include "revital_int.h"

static int urban_flag(const upl_column *c, size_t row, int *out) {
    if (!upl_col_is_valid(c, row)) return 0;
    if (c->type == UPL_BOOL || c->type == UPL_F64 || c->type == UPL_I64) {
        double v;
        if (!upl_col_get_f64(c, row, &v) || !(v == 0 || v == 1)) return -1;
        *out = v == 1;
        return 1;
    }
    size_t len;
    const char *s;
    if (c->type == UPL_CAT) {
        s = upl_dict_label(c->dict, c->v.cat[row]);
        len = s ? strlen(s) : 0;
    } else {
        s = upl_col_str(c, row, &len);
    }
    static const char *const urb[] = {"urban", "城镇", "城市", "1", "true", "yes"};
    static const char *const rur[] = {"rural", "农村", "乡村", "0", "false", "no"};
    for (size_t i = 0; s && i < 6; i++) {
        if (strlen(urb[i]) == len && !strncmp(s, urb[i], len)) { *out = 1; return 1; }
        if (strlen(rur[i]) == len && !strncmp(s, rur[i], len)) { *out = 0; return 1; }
    }
    return -1;
}

int upl_revital_town_country(const upl_table *hh, const upl_revital_town_options *opt, upl_table **out, upl_error *err) {
    int rc = UPL_OK;
    upl_column *inc, *urb, *wc = NULL;
    upl_groupby *g = NULL;
    upl_table *t = NULL;
    size_t nr = upl_table_n_rows(hh), dropped = 0;
    int32_t *grp = NULL, *sub = NULL;
    double *y = NULL, *v = NULL, *mu = NULL, *mr = NULL;
    size_t *rows = NULL;
    *out = NULL;
    if (!opt || !opt->income_col || !opt->urban_col)
        return upl_error_set(err, UPL_EMISUSE, "town and country: the income and urban-flag columns are required");
    if ((rc = upl_table_require(hh, opt->income_col, UPL_MASK_NUMERIC, &inc, err))) return rc;
    if ((rc = upl_table_require(hh, opt->urban_col, UPL_MASK_NUMERIC | UPL_MASK(UPL_CAT) | UPL_MASK(UPL_STR), &urb, err))) return rc;
    if (opt->weight_col && (rc = upl_table_require(hh, opt->weight_col, UPL_MASK_NUMERIC, &wc, err))) return rc;
    const char *keys[2];
    size_t nk = 0;
    if (opt->province_col) keys[nk++] = opt->province_col;
    if (opt->year_col) keys[nk++] = opt->year_col;
    if (nk && (rc = upl_groupby_build(hh, keys, nk, &g, err))) return rc;
    int32_t ng = g ? g->n_groups : 1;
    grp = upl_malloc((nr ? nr : 1) * sizeof *grp);
    sub = upl_malloc((nr ? nr : 1) * sizeof *sub);
    y = upl_malloc((nr ? nr : 1) * sizeof *y);
    v = upl_malloc((nr ? nr : 1) * sizeof *v);
    rows = upl_malloc((nr ? nr : 1) * sizeof *rows);
    mu = upl_malloc((size_t)(ng ? ng : 1) * 2 * sizeof *mu);
    mr = mu ? mu + (ng ? ng : 1) : NULL;
    UPL_FAIL_IF(!grp || !sub || !y || !v || !rows || !mu, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < nr; i++) {
        int f = 0, st = urban_flag(urb, i, &f);
        double yi, wi = 1.0;
        grp[i] = g ? g->group_of_row[i] : 0;
        bool ok = st == 1 && upl_col_get_f64(inc, i, &yi) && (!wc || upl_col_get_f64(wc, i, &wi)) && grp[i] >= 0;
        if (st < 0)
            UPL_FAIL_IF(true, err, UPL_ERANGE, "row %zu: column `%s`: cannot tell urban from rural (use 1/0, true/false, urban/rural or 城镇/农村)",
                        i + 1, opt->urban_col);
        if (!ok) { grp[i] = -1; dropped++; continue; }
        UPL_FAIL_IF(!(yi >= 0) || !isfinite(yi), err, UPL_ERANGE,
                    "row %zu: column `%s`: income %g is negative; the Theil index is defined for incomes >= 0", i + 1, opt->income_col, yi);
        UPL_FAIL_IF(!(wi >= 0) || !isfinite(wi), err, UPL_ERANGE, "row %zu: column `%s`: weight %g is negative", i + 1, opt->weight_col, wi);
        sub[i] = f ? 0 : 1;
        y[i] = yi;
        v[i] = wi;
    }
    /* means per group and subsystem */
    for (int32_t q = 0; q < ng; q++) {
        upl_ksum a[2] = {{0, 0}, {0, 0}}, b[2] = {{0, 0}, {0, 0}};
        for (size_t i = 0; i < nr; i++) {
            if (grp[i] != q) continue;
            upl_ksum_add(&a[sub[i]], v[i] * y[i]);
            upl_ksum_add(&b[sub[i]], v[i]);
        }
        mu[q] = upl_ksum_value(&b[0]) > 0 ? upl_ksum_value(&a[0]) / upl_ksum_value(&b[0]) : NAN;
        mr[q] = upl_ksum_value(&b[1]) > 0 ? upl_ksum_value(&a[1]) / upl_ksum_value(&b[1]) : NAN;
    }
    double ulo = INFINITY, uhi = -INFINITY, rlo = INFINITY, rhi = -INFINITY;
    for (int32_t q = 0; q < ng; q++) {
        if (!isnan(mu[q])) { ulo = fmin(ulo, mu[q]); uhi = fmax(uhi, mu[q]); }
        if (!isnan(mr[q])) { rlo = fmin(rlo, mr[q]); rhi = fmax(rhi, mr[q]); }
    }
    double eps = isnan(opt->eps) ? 0.01 : opt->eps;
    UPL_FAIL_IF(!(eps >= 0 && eps < 0.5), err, UPL_EMISUSE, "eps must be in [0, 0.5), got %g", eps);
    t = upl_table_new();
    UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
    upl_column *cp = NULL, *cy = NULL, *c[17];
    if (opt->province_col && (rc = rv_add_col(t, opt->province_col, UPL_STR, "省份", &cp, err))) goto fail;
    if (opt->year_col && (rc = rv_add_col(t, opt->year_col, UPL_STR, "年份", &cy, err))) goto fail;
    static const struct { const char *name; upl_type type; const char *zh; } spec[17] = {
        {"households_urban", UPL_I64, "城镇样本户"}, {"households_rural", UPL_I64, "农村样本户"},
        {"mean_income_urban", UPL_F64, "城镇居民人均收入"}, {"mean_income_rural", UPL_F64, "农村居民人均收入"},
        {"income_ratio", UPL_F64, "城乡居民收入比"}, {"theil_total", UPL_F64, "泰尔指数"},
        {"theil_between", UPL_F64, "城乡间泰尔指数"}, {"theil_within", UPL_F64, "城乡内泰尔指数"},
        {"between_share_pct", UPL_F64, "城乡间贡献率(%)"}, {"index_urban", UPL_F64, "城镇发展指数"},
        {"index_rural", UPL_F64, "农村发展指数"}, {"C", UPL_F64, "耦合度"}, {"T", UPL_F64, "综合发展指数"},
        {"D", UPL_F64, "耦合协调度"}, {"level", UPL_I64, "等级(0-9)"}, {"class", UPL_STR, "class"},
        {"class_zh", UPL_STR, "协调类型"},
    };
    for (int k = 0; k < 17; k++)
        if ((rc = rv_add_col(t, spec[k].name, spec[k].type, spec[k].zh, &c[k], err))) goto fail;
    for (int32_t q = 0; q < ng; q++) {
        size_t nn = 0;
        int64_t nu = 0, nrur = 0;
        double yy_dummy = 0;
        (void)yy_dummy;
        for (size_t i = 0; i < nr; i++)
            if (grp[i] == q) { rows[nn++] = i; if (sub[i] == 0) nu++; else nrur++; }
        if (!nn) continue;
        /* gather the group's rows */
        double *gy = upl_malloc(nn * sizeof *gy), *gv = upl_malloc(nn * sizeof *gv);
        int32_t *gs = upl_malloc(nn * sizeof *gs);
        if (!gy || !gv || !gs) { upl_free(gy); upl_free(gv); upl_free(gs); rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
        for (size_t k = 0; k < nn; k++) { gy[k] = y[rows[k]]; gv[k] = v[rows[k]]; gs[k] = sub[rows[k]]; }
        double tt = NAN, tw = NAN, tb = NAN;
        upl_error e2 = {0};
        if (upl_revital_theil(gy, gv, gs, nn, 2, &tt, &tw, &tb, NULL, NULL, &e2) != UPL_OK) tt = tw = tb = NAN;
        upl_error_clear(&e2);
        upl_free(gy); upl_free(gv); upl_free(gs);
        double iu = NAN, ir = NAN;
        if (!isnan(mu[q])) iu = uhi > ulo ? eps + (1 - 2 * eps) * (mu[q] - ulo) / (uhi - ulo) : 1 - eps;
        if (!isnan(mr[q])) ir = rhi > rlo ? eps + (1 - 2 * eps) * (mr[q] - rlo) / (rhi - rlo) : 1 - eps;
        upl_revital_ccd cc = {NAN, NAN, NAN, -1, -1, NAN, NAN};
        if (!isnan(iu) && !isnan(ir)) {
            double uu[2] = {iu, ir};
            if ((rc = upl_revital_ccd_compute(uu, 2, NULL, false, opt->ccd_boundary, 0.1, &cc, err))) goto fail;
        }
        const char *pl = "", *yl = "";
        if (g) {
            size_t kk = 0;
            if (opt->province_col) pl = g->labels[q][kk++];
            if (opt->year_col) yl = g->labels[q][kk];
        }
        if (cp) rc = rv_push_text(cp, pl);
        if (!rc && cy) rc = rv_push_text(cy, yl);
        if (!rc) rc = upl_col_push_i64(c[0], nu);
        if (!rc) rc = upl_col_push_i64(c[1], nrur);
        if (!rc) rc = rv_push_f64(c[2], mu[q]);
        if (!rc) rc = rv_push_f64(c[3], mr[q]);
        if (!rc) rc = rv_push_f64(c[4], mr[q] > 0 ? mu[q] / mr[q] : NAN);
        if (!rc) rc = rv_push_f64(c[5], tt);
        if (!rc) rc = rv_push_f64(c[6], tb);
        if (!rc) rc = rv_push_f64(c[7], tw);
        if (!rc) rc = rv_push_f64(c[8], tt > 0 ? 100.0 * tb / tt : NAN);
        if (!rc) rc = rv_push_f64(c[9], iu);
        if (!rc) rc = rv_push_f64(c[10], ir);
        if (!rc) rc = rv_push_f64(c[11], cc.c);
        if (!rc) rc = rv_push_f64(c[12], cc.t);
        if (!rc) rc = rv_push_f64(c[13], cc.d);
        if (!rc) rc = cc.level >= 0 ? upl_col_push_i64(c[14], cc.level) : upl_col_push_null(c[14]);
        if (!rc) rc = rv_push_text(c[15], cc.level >= 0 ? upl_revital_ccd_level_name(cc.level, false) : NULL);
        if (!rc) rc = rv_push_text(c[16], cc.level >= 0 ? upl_revital_ccd_level_name(cc.level, true) : NULL);
        if (rc) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", dropped);
    UPL_FAIL_IF(upl_table_set_meta(t, "dropped_rows", buf), err, UPL_ENOMEM, "out of memory");
    *out = t;
    t = NULL;
fail:
    upl_table_free(t);
    upl_groupby_free(g);
    upl_free(grp); upl_free(sub); upl_free(y); upl_free(v); upl_free(rows); upl_free(mu);
    return rc;
}
