/* measure_int.h — private to lib/measure: shared helpers of the engine,
 * the distribution functions over prefixes, the design index and the
 * random generator used by the bootstrap. */
#ifndef UPLIFT_MEASURE_INT_H
#define UPLIFT_MEASURE_INT_H

#include <math.h>
#include "uplift/measure.h"

/* The per-row body of upl_acc_add1, inline so the engine's chunk loops do
 * not pay a call per row. */
#if defined(__GNUC__) || defined(__clang__)
#define ACC_INLINE static inline __attribute__((always_inline))
#else
#define ACC_INLINE static inline
#endif
/* Counts, weights, mean sums and the sign split. */
ACC_INLINE void acc_add_base(upl_acc *a, double y, double w) {
    unsigned need = a->par.need;
    a->n++;
    upl_ksum_add(&a->v, w);
    upl_ksum_add(&a->vy, w * y);
    if (y > 0) {
        if (need & UPL_ACC_NEED_SIGN) {
            upl_ksum_add(&a->v_pos, w);
            upl_ksum_add(&a->vy_pos, w * y);
        }
    } else {
        a->n_nonpos++;
        if (y < 0) {
            a->n_neg++;
            if (need & UPL_ACC_NEED_SIGN) {
                upl_ksum_add(&a->v_neg, w);
                upl_ksum_add(&a->vy_neg, w * y);
            }
        }
    }
}

/* FGT and Watts sums (no-op when the line z is NaN). */
ACC_INLINE void acc_add_line(upl_acc *a, double y, double w) {
    double z = a->par.z;
    if (y < z) { /* false when z is NaN */
        unsigned need = a->par.need;
        a->n_poor++;
        if (need & UPL_ACC_NEED_FGT) {
            double g = (z - y) / z;
            if (a->par.is_gap_capped && g > 1) g = 1;
            upl_ksum_add(&a->fgt0, w);
            upl_ksum_add(&a->fgt1, w * g);
            upl_ksum_add(&a->fgt2, w * g * g);
            if (!isnan(a->par.alpha)) upl_ksum_add(&a->fgta, a->par.alpha == 0 ? w : w * pow(g, a->par.alpha));
            upl_ksum_add(&a->vy_poor, w * y);
        }
        if (y > 0) {
            if (need & UPL_ACC_NEED_WATTS) upl_ksum_add(&a->watts, w * log(z / y));
        } else {
            a->n_poor_nonpos++;
        }
    }
}

/* GE/Atkinson sums relative to the mean (no-op when mu is NaN): (y/mu)^p
 * and (y/mu) ln(y/mu) stay near 1 and 0, so the finishing subtraction in GE
 * loses nothing (a second pass instead of raw moments sum v y^p). */
ACC_INLINE void acc_add_ge(upl_acc *a, double y, double w) {
    if (isnan(a->par.mu) || !(y >= 0)) return;
    if (y > 0) {
        double r = y / a->par.mu;
        double rp = y / a->par.mu_pos;
        double lr = log(r); /* one log when both means agree (no income <= 0) */
        upl_ksum_add(&a->ylny_rel, w * r * lr);
        upl_ksum_add(&a->ln_rel, w * (rp == r ? lr : log(rp)));
        for (int k = 0; k < a->par.n_pow; k++) {
            double p = a->par.pow[k];
            upl_ksum_add(&a->powsum[k], w * (p > 0 ? pow(r, p) : pow(rp, p)));
            upl_ksum_add(&a->powsum_pos_v[k], w);
        }
    } else {
        for (int k = 0; k < a->par.n_pow; k++)
            if (a->par.pow[k] > 0) upl_ksum_add(&a->powsum_pos_v[k], w); /* 0^p = 0 */
    }
}

ACC_INLINE void acc_add1(upl_acc *a, double y, double w) {
    if (isnan(y)) return;
    acc_add_base(a, y, w);
    acc_add_line(a, y, w);
    acc_add_ge(a, y, w);
}

/* The engine's second pass: total weight (FGT denominators), the line sums
 * for a relative line and the GE sums; counts and the sign split come from
 * the first pass over the same rows. */
ACC_INLINE void acc_add_pass2(upl_acc *a, double y, double w) {
    a->n++;
    upl_ksum_add(&a->v, w);
    acc_add_line(a, y, w);
    acc_add_ge(a, y, w);
}

/* Fill cw/cy and totals of a distribution whose y/w are sorted. */
void dist_cumulate(upl_dist *d);
/* Number of leading observations with y < z (the poor, sorted prefix). */
size_t dist_count_below(const upl_dist *d, double z);
/* Weighted quantile of the first m observations. */
double dist_quantile_prefix(const upl_dist *d, size_t m, double p, upl_quantile_rule rule);
/* Gini of the first m observations (population form). */
double dist_gini_prefix(const upl_dist *d, size_t m);

/* xoshiro256** seeded with splitmix64 (Blackman & Vigna 2018). */
typedef struct rng256 { uint64_t s[4]; } rng256;
void rng_seed(rng256 *r, uint64_t seed);
uint64_t rng_next(rng256 *r);
/* Uniform integer in [0, n) without modulo bias (Lemire). */
uint64_t rng_below(rng256 *r, uint64_t n);

/* Dense ids of a design: stratum of each row, PSU of each row, stratum of
 * each PSU, PSUs per stratum, sampling fraction per stratum. */
typedef struct design_index {
    size_t n;
    int32_t n_strata;
    size_t n_psu;            /* 0 when rows are their own PSUs */
    int32_t *stratum_of_row; /* n */
    uint32_t *psu_of_row;    /* n, NULL when rows are PSUs */
    int32_t *stratum_of_psu; /* n_psu */
    uint64_t *psus_in_stratum; /* n_strata: PSUs (or rows) per stratum */
    double *fraction;        /* n_strata: sampling fraction f_h (0 = none) */
    int64_t *stratum_label;  /* n_strata: original stratum id */
} design_index;
int design_index_build(const upl_design *d, size_t n, design_index *out, upl_error *err);
void design_index_free(design_index *x);


/* Rao–Wu bootstrap replicate generator (one replicate at a time). */
typedef struct boot_gen {
    design_index ix;
    size_t n, P, H;
    double *factor;
    uint32_t **members;
    size_t *n_members;
    rng256 r;
} boot_gen;
int boot_gen_init(boot_gen *bg, const upl_design *d, size_t n, uint64_t seed, upl_error *err);
void boot_gen_next(boot_gen *bg, const double *w, double *wb);
void boot_gen_free(boot_gen *bg);

#endif
