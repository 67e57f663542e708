/* synth_plan.c — the sample design and calibration behind `uplift synth`,
 * plus the normal quantile.
 *
 * Design: strata are (province, urban/rural); a stratum's persons are
 * proportional to its real population (region table: population x urban
 * rate). Villages of a stratum are the PSUs; m of its M villages are drawn
 * by systematic sampling with a random start (equal probability), where m
 * targets about 60 persons per village (all villages once there are
 * enough persons). Every household of a stratum has the same expansion
 * weight: stratum population / persons sampled in it.
 *
 * Calibration (year Y, national line z, incidence H, regional shares S_r of
 * the poor, rural mean income m): with s_r the region's share of the rural
 * population, the regional incidence is H_r = H S_r / s_r. Rural per-capita
 * net income is log-normal, ln y ~ N(mu_r, sigma^2), with mu_r = ln z -
 * sigma Phi^-1(H_r) and sigma the root of sigma^2/2 - Phi^-1(H) sigma -
 * ln(m/z) = 0 (the national log-normal with mean m and P(y < z) = H).
 * Urban incomes are 2.6 times the rural ones of the region [from memory:
 * NBS urban/rural income ratio 2.64 in 2019]. Regional shares missing for a
 * year are interpolated between the nearest years that give them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "synth_int.h"
#include "synth_gen.h"

/* ---- normal quantile (Acklam 2003, with Halley refinement) ------------------ */
double syn_norm_quantile(double p) {
    if (p <= 0) return -INFINITY;
    if (p >= 1) return INFINITY;
    double x = syn_norm_quantile_fast(p);
    /* one Halley step on Phi(x) - p */
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double syn_norm_quantile_fast(double p) {
    static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
    static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01 };
    static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
    static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00 };
    double q, r, x;
    if (p <= 0) return -INFINITY;
    if (p >= 1) return INFINITY;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    return x;
}

/* ---- calibration ------------------------------------------------------------------ */
static double share_for(const upl_synth_tables *t, size_t ci, size_t r) {
    const syn_calib *k = &t->calib[ci];
    if (!isnan(k->share[r])) return k->share[r];
    /* interpolate between the nearest years that give this region's share */
    const syn_calib *lo = NULL, *hi = NULL;
    for (size_t i = 0; i < t->n_calib; i++) {
        const syn_calib *o = &t->calib[i];
        if (isnan(o->share[r])) continue;
        if (o->year < k->year && (!lo || o->year > lo->year)) lo = o;
        if (o->year > k->year && (!hi || o->year < hi->year)) hi = o;
    }
    if (lo && hi)
        return lo->share[r] + (hi->share[r] - lo->share[r]) * (k->year - lo->year) / (double)(hi->year - lo->year);
    if (lo) return lo->share[r];
    if (hi) return hi->share[r];
    return NAN;
}

int syn_calibrate(const upl_synth_tables *t, int year, syn_model *m, upl_error *err) {
    size_t ci = t->n_calib;
    for (size_t i = 0; i < t->n_calib; i++)
        if (t->calib[i].year == year) ci = i;
    if (ci == t->n_calib) {
        int lo = 0, hi = 0;
        for (size_t i = 0; i < t->n_calib; i++) {
            if (!lo || t->calib[i].year < lo) lo = t->calib[i].year;
            if (!hi || t->calib[i].year > hi) hi = t->calib[i].year;
        }
        return upl_error_set(err, UPL_ERANGE, "year %d is not in the calibration table (it covers %d-%d)", year, lo, hi);
    }
    const syn_calib *k = &t->calib[ci];
    memset(m, 0, sizeof *m);
    m->year = year;
    m->line = k->line;
    m->incidence = k->incidence;
    /* rural population share of each region, over all provinces of the table */
    double rural[SYN_MAX_REGIONS] = { 0 }, total = 0;
    for (size_t i = 0; i < t->n_provinces; i++) {
        const syn_province *p = &t->provinces[i];
        double r = p->pop_10k * (1 - p->urban_rate);
        rural[p->region3] += r;
        total += r;
    }
    if (!(total > 0)) return upl_error_set(err, UPL_ERANGE, "the region table has no rural population");
    /* shares of the poor: given, interpolated, or (no information) proportional */
    double share[SYN_MAX_REGIONS], ssum = 0;
    for (size_t r = 0; r < t->n_region3; r++) {
        share[r] = share_for(t, ci, r);
        if (isnan(share[r])) share[r] = -1;
    }
    /* regions without any share: keep the national incidence; scale the rest */
    double known_pop = 0;
    for (size_t r = 0; r < t->n_region3; r++)
        if (share[r] >= 0) { ssum += share[r]; known_pop += rural[r]; }
    double zH = syn_norm_quantile(k->incidence);
    double disc = zH * zH + 2 * log(k->mean_income / k->line);
    m->sigma = zH + sqrt(disc);
    if (!(m->sigma > 0.05 && m->sigma < 3))
        return upl_error_set(err, UPL_ERANGE, "year %d: calibration gives an income spread of %g", year, m->sigma);
    for (size_t r = 0; r < t->n_region3; r++) {
        double s_r = rural[r] / total, H_r;
        if (share[r] >= 0 && ssum > 0 && s_r > 0)
            H_r = k->incidence * (share[r] / ssum) * (known_pop / total) / s_r;
        else
            H_r = k->incidence;
        if (H_r > 0.95) H_r = 0.95;
        m->region_incidence[r] = H_r;
        m->mu_rural[r] = log(k->line) - m->sigma * syn_norm_quantile(H_r);
        m->mu_urban[r] = m->mu_rural[r] + log(2.6);
    }
    return UPL_OK;
}

/* ---- sample plan --------------------------------------------------------------------- */
#define PERSONS_PER_PSU 60

/* Household sizes: rural and urban distributions of sizes 1..8 [from memory;
 * 2010 census shape: mean about 3.3 rural, 2.9 urban]. */
static const double size_p[2][8] = {
    { 0.12, 0.25, 0.22, 0.19, 0.11, 0.07, 0.03, 0.01 },
    { 0.15, 0.29, 0.29, 0.14, 0.08, 0.04, 0.008, 0.002 },
};

int syn_draw_size(syn_rng *r, bool is_urban) {
    double u = syn_unif(r), c = 0;
    for (int i = 0; i < 8; i++) {
        c += size_p[is_urban][i];
        if (u < c) return i + 1;
    }
    return 8;
}

/* Visit the household sizes of a PSU in order (same stream as generation). */
uint32_t syn_psu_sizes(uint64_t seed, const syn_psu *p, bool is_urban, uint8_t *sizes, uint32_t cap) {
    syn_rng r = syn_rng_for(seed, p->village_code, 0x5123ULL);
    uint64_t left = p->persons;
    uint32_t n = 0;
    while (left > 0) {
        uint64_t s = (uint64_t)syn_draw_size(&r, is_urban);
        if (s > left) s = left;
        if (sizes && n < cap) sizes[n] = (uint8_t)s;
        n++;
        left -= s;
    }
    return n;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int syn_plan(const upl_synth_tables *t, const upl_synth_options *o, syn_plan_t *plan, upl_error *err) {
    int rc = UPL_OK;
    size_t n_strata = t->n_provinces * 2;
    memset(plan, 0, sizeof *plan);
    plan->strata = upl_calloc(n_strata, sizeof *plan->strata);
    UPL_FAIL_IF(!plan->strata, err, UPL_ENOMEM, "out of memory");
    plan->n_strata = n_strata;
    /* villages per stratum (villages are sorted by code, so a province's are contiguous) */
    for (size_t i = 0; i < t->n_villages; i++) {
        syn_stratum *s = &plan->strata[(size_t)t->villages[i].province * 2 + t->villages[i].is_urban];
        s->n_villages++;
    }
    /* real population of the strata that have villages */
    double pop_total = 0;
    for (size_t k = 0; k < n_strata; k++) {
        syn_stratum *s = &plan->strata[k];
        const syn_province *p = &t->provinces[k / 2];
        s->province = (int)(k / 2);
        s->is_urban = k % 2;
        s->population = s->n_villages ? p->pop_10k * 1e4 * (s->is_urban ? p->urban_rate : 1 - p->urban_rate) : 0;
        pop_total += s->population;
    }
    UPL_FAIL_IF(!(pop_total > 0), err, UPL_ERANGE, "the selected provinces have no population in the region table");
    /* persons per stratum: largest remainder, ties by stratum order */
    uint64_t given = 0;
    double *rem = upl_calloc(n_strata, sizeof *rem);
    UPL_FAIL_IF(!rem, err, UPL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n_strata; k++) {
        double q = (double)o->n_persons * plan->strata[k].population / pop_total;
        plan->strata[k].persons = (uint64_t)floor(q);
        rem[k] = q - floor(q);
        given += plan->strata[k].persons;
    }
    while (given < o->n_persons) {
        size_t best = 0;
        for (size_t k = 1; k < n_strata; k++) if (rem[k] > rem[best]) best = k;
        plan->strata[best].persons++;
        rem[best] = -1;
        given++;
    }
    upl_free(rem);
    /* PSUs: systematic equal-probability selection within each stratum */
    size_t n_psu = 0;
    for (size_t k = 0; k < n_strata; k++) {
        syn_stratum *s = &plan->strata[k];
        if (!s->persons) continue;
        uint64_t m = (s->persons + PERSONS_PER_PSU / 2) / PERSONS_PER_PSU;
        if (m < 1) m = 1;
        if (m > s->n_villages) m = s->n_villages;
        s->n_psu = m;
        n_psu += m;
    }
    plan->psus = upl_calloc(n_psu ? n_psu : 1, sizeof *plan->psus);
    uint64_t *pick = upl_calloc(n_psu ? n_psu : 1, sizeof *pick);   /* village indexes */
    UPL_FAIL_IF(!plan->psus || !pick, err, UPL_ENOMEM, "out of memory");
    {
        /* first village index of each stratum */
        size_t *first = upl_calloc(n_strata, sizeof *first), *seen = upl_calloc(n_strata, sizeof *seen);
        if (!first || !seen) { upl_free(first); upl_free(seen); upl_free(pick); UPL_FAIL_IF(1, err, UPL_ENOMEM, "out of memory"); }
        size_t np = 0;
        /* villages of a stratum are the stratum's villages in code order */
        size_t **idx = upl_calloc(n_strata, sizeof *idx);
        if (!idx) { upl_free(first); upl_free(seen); upl_free(pick); UPL_FAIL_IF(1, err, UPL_ENOMEM, "out of memory"); }
        for (size_t k = 0; k < n_strata && rc == UPL_OK; k++)
            if (plan->strata[k].n_villages && !(idx[k] = upl_malloc(plan->strata[k].n_villages * sizeof **idx)))
                rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        for (size_t i = 0; rc == UPL_OK && i < t->n_villages; i++) {
            size_t k = (size_t)t->villages[i].province * 2 + t->villages[i].is_urban;
            idx[k][seen[k]++] = i;
        }
        for (size_t k = 0; rc == UPL_OK && k < n_strata; k++) {
            syn_stratum *s = &plan->strata[k];
            if (!s->n_psu) continue;
            syn_rng r = syn_rng_for(o->seed, 0x57A7ULL, k);
            double start = syn_unif(&r);
            for (uint64_t j = 0; j < s->n_psu; j++) {
                uint64_t v = (uint64_t)floor(((double)j + start) * (double)s->n_villages / (double)s->n_psu);
                if (v >= s->n_villages) v = s->n_villages - 1;
                pick[np++] = ((uint64_t)idx[k][v] << 20) | (uint64_t)k;  /* village index, stratum */
            }
        }
        for (size_t k = 0; k < n_strata; k++) upl_free(idx[k]);
        upl_free(idx);
        upl_free(first);
        upl_free(seen);
        if (rc) { upl_free(pick); goto fail; }
        /* PSUs in village-code order, so counties (code prefixes) are contiguous */
        qsort(pick, np, sizeof *pick, cmp_u64);
        plan->n_psu = np;
    }
    {
        /* persons per PSU: even split of the stratum's persons in PSU order */
        uint64_t *done = upl_calloc(n_strata, sizeof *done), *jn = upl_calloc(n_strata, sizeof *jn);
        uint64_t cls_ord[2 * SYN_MAX_REGIONS] = { 0 };
        if (!done || !jn) { upl_free(done); upl_free(jn); upl_free(pick); UPL_FAIL_IF(1, err, UPL_ENOMEM, "out of memory"); }
        uint64_t person = 0, hh = 0;
        for (size_t i = 0; i < plan->n_psu; i++) {
            size_t vi = (size_t)(pick[i] >> 20), k = (size_t)(pick[i] & 0xFFFFF);
            syn_stratum *s = &plan->strata[k];
            syn_psu *p = &plan->psus[i];
            const syn_village *v = &t->villages[vi];
            jn[k]++;
            uint64_t upto = (uint64_t)((__uint128_t)s->persons * jn[k] / s->n_psu);
            p->village = (uint32_t)vi;
            p->village_code = v->code;
            p->stratum = (uint32_t)k;
            p->persons = upto - done[k];
            done[k] = upto;
            p->n_households = syn_psu_sizes(o->seed, p, v->is_urban, NULL, 0);
            p->first_person = person;
            p->first_household = hh;
            size_t cls = (size_t)t->provinces[v->province].region3 * 2 + v->is_urban;
            p->class_ordinal = cls_ord[cls];
            cls_ord[cls] += p->n_households;
            person += p->persons;
            hh += p->n_households;
        }
        upl_free(done);
        upl_free(jn);
        plan->n_households = hh;
    }
    upl_free(pick);
    for (size_t k = 0; k < n_strata; k++) {
        syn_stratum *s = &plan->strata[k];
        s->weight = s->persons ? s->population / (double)s->persons : 0;
    }
    /* work units: whole counties (first 6 digits), about chunk_persons each */
    {
        size_t cap = 64, n = 0;
        syn_work *w = upl_malloc(cap * sizeof *w);
        UPL_FAIL_IF(!w, err, UPL_ENOMEM, "out of memory");
        size_t target = o->chunk_persons ? o->chunk_persons : 65536;
        size_t i = 0;
        while (i < plan->n_psu) {
            size_t b = i;
            uint64_t persons = 0;
            while (i < plan->n_psu) {
                uint64_t county = plan->psus[i].village_code / 1000000;
                size_t j = i;
                uint64_t cp = 0;
                while (j < plan->n_psu && plan->psus[j].village_code / 1000000 == county) cp += plan->psus[j++].persons;
                if (persons > 0 && persons + cp > target) break;
                persons += cp;
                i = j;
            }
            if (n == cap) {
                syn_work *nw = upl_realloc(w, 2 * cap * sizeof *w);
                if (!nw) { upl_free(w); UPL_FAIL_IF(1, err, UPL_ENOMEM, "out of memory"); }
                w = nw;
                cap *= 2;
            }
            w[n].psu_begin = b;
            w[n].psu_end = i;
            w[n].persons = persons;
            n++;
        }
        plan->work = w;
        plan->n_work = n;
    }
    return UPL_OK;
fail:
    syn_plan_free(plan);
    return rc;
}

void syn_plan_free(syn_plan_t *plan) {
    upl_free(plan->strata);
    upl_free(plan->psus);
    upl_free(plan->work);
    memset(plan, 0, sizeof *plan);
}
