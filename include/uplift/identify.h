/* identify.h — household identification (精准识别) and exit assessment
 * (退出评估) under a policy profile.
 *
 * Input: one row per person with household fields repeated (the usual
 * county export), already mapped to canonical names by
 * upl_profile_map_table(). Output: one decision row per household — income
 * against the line, each criterion's result with its evidence (which rule,
 * which member, which values), the deprivation score as an exact fraction,
 * poor per the profile, category, main and secondary causes, household exit
 * eligibility — each row stamped with the profile's name, version and
 * SHA-256 so the decision can be explained and re-run later. Summaries by
 * area level; village and county exit checks; the third-party assessment
 * sample and its rates with confidence intervals.
 *
 * Thread-safety: a result is immutable once built and may be read by many
 * threads. */
#ifndef UPLIFT_IDENTIFY_H
#define UPLIFT_IDENTIFY_H

#include "defs.h"
#include "error.h"
#include "table.h"
#include "profile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct upl_identify upl_identify;

typedef struct upl_identify_options {
    int year;               /* identification year (selects the line, the age reference date) */
    int n_threads;          /* evaluation threads (0/1 = calling thread); results never depend on it */
    bool has_evidence;      /* build evidence text columns (default true via init) */
    bool is_public;         /* mask sensitive fields (ID, phone, health...) in evidence */
} upl_identify_options;
UPL_EXPORT void upl_identify_options_init(upl_identify_options *o);

/* Evaluate the profile on a person table. The profile and table must
 * outlive the result. Free with upl_identify_free(). */
UPL_EXPORT int upl_identify_run(const upl_profile *p, const upl_table *persons, const upl_identify_options *o,
                                upl_identify **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_identify_free(upl_identify *r); /* NULL is a no-op */
/* The evaluator with the per-household arrays (borrowed). */
UPL_EXPORT const upl_eval *upl_identify_eval(const upl_identify *r);

/* The decision table, one row per household (sorted by household key):
 *   household_code, the area levels present, n_members, income_pc, line,
 *   income_poor, for each indicator <id> (bool; missing = unknown),
 *   <id>_member (the member whose values decided it) and <id>_evidence
 *   ("birth_date=2008-09-01; school_status=非在校生"), score (double,
 *   missing when unknown indicators leave it undetermined), score_exact
 *   ("1/3" or "1/6..1/2"), poor, category, category_zh, main_cause,
 *   secondary_causes, exit_eligible, exit_failed, year, profile,
 *   profile_version, profile_sha256.
 * Free with upl_table_free(). */
UPL_EXPORT int upl_identify_households(const upl_identify *r, upl_table **out, upl_error *err) UPL_MUST_CHECK;

/* Summary by an area level (a canonical field such as "county"; NULL or
 * "all" = one total row). Groups by every area level down to and including
 * the given one (so equally named villages in different townships stay
 * apart). Columns: the keys, households, persons, poor_households,
 * poor_persons, unknown_households, incidence (poor persons / persons),
 * intensity (Alkire-Foster A: mean score of the poor, person-weighted), m0
 * (sum over poor persons of the score / persons of determined households),
 * failed_<indicator> (households deprived), category_<id>, cause_<code>
 * (main causes among poor households), exit_eligible. */
UPL_EXPORT int upl_identify_summary(const upl_identify *r, const char *level, upl_table **out,
                                    upl_error *err) UPL_MUST_CHECK;

/* Copy the columns of a household table (one row per household) onto a
 * person table by the household key (left join; the person table's own
 * columns win on a name clash). For sources that keep households and
 * members apart, such as `uplift synth` output. *n_unmatched (may be NULL)
 * gets the member rows whose household is absent. A key repeated in the
 * household table is UPL_ECONFLICT. */
UPL_EXPORT int upl_identify_join(upl_table *persons, const upl_table *households, const char *key,
                                 size_t *n_unmatched, upl_error *err) UPL_MUST_CHECK;

/* ---- Exit checks for villages and counties ----------------------------------
 * For every area at `level` ("village" or "county"), apply the profile's
 * exit rules for that level: incidence (poor persons / persons) against the
 * threshold, with the western threshold for provinces the profile's region
 * table places in the west; other metrics are read from `metrics` (one row
 * per area with the area columns and metric columns, e.g. wrong_exit_rate)
 * when given, else reported as missing. Output: the area keys, region,
 * persons, poor_persons, incidence, per rule <id>_value, <id>_threshold,
 * <id>_pass, and exit_pass, failed (ids that fail). */
UPL_EXPORT int upl_identify_area_exit(const upl_identify *r, const char *level, const upl_table *metrics,
                                      upl_table **out, upl_error *err) UPL_MUST_CHECK;

/* ---- Third-party assessment ---------------------------------------------------
 * Seeded, stratified two-stage sample: in each stratum (a county), draw
 * n_villages villages by simple random sampling without replacement (all
 * when fewer), then n_households households in each drawn village. Draws
 * use a counter-based generator keyed by (seed, stratum, village), so the
 * sample does not depend on row order or thread count. Output: the
 * household decision rows of the sample plus stratum, village_draw and
 * household_draw order columns, and the inclusion probability. */
typedef struct upl_assess_sample_options {
    uint64_t seed;
    size_t n_villages;        /* per county */
    size_t n_households;      /* per village */
    const char *stratum;      /* area level that stratifies (default "county") */
    const char *cluster;      /* area level of the first stage (default "village") */
} upl_assess_sample_options;
UPL_EXPORT int upl_assess_sample(const upl_identify *r, const upl_assess_sample_options *o, upl_table **out,
                                 upl_error *err) UPL_MUST_CHECK;

/* Rates from an assessment-results file (one row per surveyed household or
 * person): the wrong-exit rate = wrongly exited / exited in the sample; the
 * missed-identification rate = missed / sampled non-registered; the
 * recognition rate = approving / surveyed (DOMAIN.md §1.7). Each with a
 * Wilson score interval (and the exact Clopper-Pearson interval) at
 * confidence `level` (e.g. 0.95), and pass/fail against the profile's
 * assessment thresholds (the west incidence threshold is not involved). */
typedef struct upl_rate_ci {
    uint64_t x, n;            /* successes / trials */
    double rate;              /* x / n; NaN when n = 0 */
    double wilson_lo, wilson_hi;
    double exact_lo, exact_hi;
    double threshold;         /* NaN when the profile has none */
    bool is_max;              /* threshold is a maximum (rate must be below) */
    int pass;                 /* 1 pass, 0 fail, -1 undetermined (n = 0 or no threshold) */
} upl_rate_ci;
UPL_EXPORT void upl_rate_ci_compute(uint64_t x, uint64_t n, double level, upl_rate_ci *out);

typedef struct upl_assess_rates {
    upl_rate_ci wrong_exit, missed, recognition;
    int verdict;              /* 1 pass, 0 fail, -1 undetermined */
} upl_assess_rates;
/* Columns read (bool, 是/否 accepted): exited + wrongly_exited;
 * registered + missed (missed counted among rows with registered = false);
 * approves (any row with a value). Missing columns leave that rate empty. */
UPL_EXPORT int upl_assess_compute_rates(const upl_profile *p, const upl_table *results, double level,
                                upl_assess_rates *out, upl_error *err) UPL_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
