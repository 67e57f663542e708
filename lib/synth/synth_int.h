/* synth_int.h — private to lib/synth: reference tables, the counter-based
 * random streams and the normal quantile used by the generator. */
#ifndef UPLIFT_SYNTH_INT_H
#define UPLIFT_SYNTH_INT_H

#include <math.h>
#include "uplift/synth.h"

#define SYN_MAX_REGIONS 8

typedef struct syn_province {
    char code[8];
    char *name_zh, *name_en;
    int region3, region4;       /* indexes into region label lists */
    double pop_10k, urban_rate; /* persons (10k), urban share 0..1 */
} syn_province;

typedef struct syn_calib {
    int year;
    double line, incidence;     /* yuan; fraction */
    double share[SYN_MAX_REGIONS]; /* share of the poor by region3 index, NAN if not given */
    double mean_income;         /* national rural per-capita income, yuan */
} syn_calib;

typedef struct syn_village {
    uint64_t code;              /* 12-digit statistical code */
    uint32_t name_off;          /* into names blob */
    uint32_t name_len;
    int32_t province;           /* index into provinces */
    bool is_urban;
} syn_village;

typedef struct syn_named {      /* code -> name for higher levels */
    uint64_t code;
    uint32_t off, len;
} syn_named;

struct upl_synth_tables {
    syn_province *provinces;
    size_t n_provinces;
    char *region3[SYN_MAX_REGIONS];
    size_t n_region3;
    char *region4[SYN_MAX_REGIONS];
    size_t n_region4;
    syn_calib *calib;
    size_t n_calib;
    syn_village *villages;      /* sorted by code */
    size_t n_villages;
    char *names;                /* all names, NUL-separated */
    size_t names_len, names_cap;
    syn_named *level[4];        /* 0 province(2 digits), 1 city(4), 2 county(6), 3 township(9) */
    size_t n_level[4];
    char *villages_path;
};

/* Name of a code at a level (0..3) or NULL. */
const char *syn_level_name(const upl_synth_tables *t, int level, uint64_t code, size_t *len);

/* ---- random streams ---------------------------------------------------------- */
static inline uint64_t syn_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
typedef struct syn_rng { uint64_t s; } syn_rng;
/* A stream keyed by (seed, a, b): splitmix64 over a hashed start, so streams
 * for different keys are unrelated and need no shared state. */
static inline syn_rng syn_rng_for(uint64_t seed, uint64_t a, uint64_t b) {
    syn_rng r;
    r.s = syn_mix(seed ^ syn_mix(a + 0x9E3779B97F4A7C15ULL) ^ syn_mix(syn_mix(b) + 0x632BE59BD9B4E019ULL));
    return r;
}
static inline uint64_t syn_next(syn_rng *r) {
    return syn_mix(r->s += 0x9E3779B97F4A7C15ULL);
}
/* Uniform in (0, 1). */
static inline double syn_unif(syn_rng *r) {
    return ((double)(syn_next(r) >> 11) + 0.5) * 0x1.0p-53;
}
static inline int syn_int(syn_rng *r, int lo, int hi) { /* inclusive */
    return lo + (int)((double)(hi - lo + 1) * syn_unif(r));
}
static inline bool syn_bern(syn_rng *r, double p) { return syn_unif(r) < p; }

/* Inverse of the standard normal CDF (Acklam's rational approximation,
 * refined by one Halley step with erfc: |error| < 1e-15). */
double syn_norm_quantile(double p);
/* The same without the refinement step (relative error < 1.2e-9): enough
 * for drawing normal variates, and no erfc/exp per draw. */
double syn_norm_quantile_fast(double p);
static inline double syn_normal(syn_rng *r) { return syn_norm_quantile_fast(syn_unif(r)); }
static inline double syn_logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

#endif
