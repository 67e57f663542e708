/* synth_gen.h — private to lib/synth: the sample plan and the calibrated
 * income model shared by synth_plan.c and synth_gen.c. */
#ifndef UPLIFT_SYNTH_GEN_H
#define UPLIFT_SYNTH_GEN_H

#include "synth_int.h"

typedef struct syn_model {
    int year;
    double line, incidence, sigma;
    double region_incidence[SYN_MAX_REGIONS];
    double mu_rural[SYN_MAX_REGIONS], mu_urban[SYN_MAX_REGIONS];
} syn_model;

typedef struct syn_stratum {
    int province;
    bool is_urban;
    size_t n_villages;
    double population;          /* real persons */
    uint64_t persons;           /* persons generated */
    uint64_t n_psu;
    double weight;              /* population / persons */
} syn_stratum;

typedef struct syn_psu {
    uint32_t village;           /* index into tables->villages */
    uint32_t stratum;
    uint64_t village_code;
    uint64_t persons;
    uint32_t n_households;
    uint64_t first_person, first_household;
    uint64_t class_ordinal;     /* first household's rank in its (region, urban) class */
} syn_psu;

typedef struct syn_work {
    size_t psu_begin, psu_end;  /* whole counties */
    uint64_t persons;
} syn_work;

typedef struct syn_plan_t {
    syn_stratum *strata;
    size_t n_strata;
    syn_psu *psus;
    size_t n_psu;
    syn_work *work;
    size_t n_work;
    uint64_t n_households;
} syn_plan_t;

int syn_calibrate(const upl_synth_tables *t, int year, syn_model *m, upl_error *err);
int syn_plan(const upl_synth_tables *t, const upl_synth_options *o, syn_plan_t *plan, upl_error *err);
void syn_plan_free(syn_plan_t *plan);
int syn_draw_size(syn_rng *r, bool is_urban);
uint32_t syn_psu_sizes(uint64_t seed, const syn_psu *p, bool is_urban, uint8_t *sizes, uint32_t cap);

#endif
