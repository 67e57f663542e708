/* profile.h — policy profiles: declared, versioned rules for identifying
 * poor households, read from YAML (libyaml), plus the expression language
 * the rules are written in.
 *
 * A profile holds, each value with its source (docs/profiles.md):
 *   - metadata: name, version, sources, effective years, the area it applies to;
 *   - the column mapping: canonical field <- source column names (Chinese and
 *     English aliases, REGISTRY_FIELDS.md), type, unit, sentinel values that
 *     mean missing, level (household or person);
 *   - poverty lines by year (national, provincial overrides, 2010-price base
 *     and deflators);
 *   - indicators: an expression, its dimension, an exact rational weight,
 *     and the poverty cutoff k; the rule that makes a household poor;
 *   - causes (致贫原因) rules over the national code list;
 *   - exit rules (household, village, county), third-party assessment
 *     thresholds, monitoring thresholds and triggers.
 *
 * Every error found while loading names the profile file, line and column:
 * "profiles/x.yaml:41:17: indicator `education`: unknown column `schol`".
 *
 * Thread-safety: a loaded profile is immutable and may be shared by threads.
 * The SHA-256 of the profile file's bytes is recorded with every decision,
 * so a decision can be traced to the exact rules that made it. */
#ifndef UPLIFT_PROFILE_H
#define UPLIFT_PROFILE_H

#include "defs.h"
#include "error.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct upl_profile upl_profile;

/* Load and check a profile file. *out is NULL on error. Free with
 * upl_profile_free(). Errors: UPL_EIO (cannot read), UPL_EPARSE (YAML
 * syntax), UPL_EPROFILE (a value or expression is invalid), UPL_ENOMEM. */
UPL_EXPORT int upl_profile_load(const char *path, upl_profile **out, upl_error *err) UPL_MUST_CHECK;
/* Same, from bytes in memory; `name` is used as the file name in errors. */
UPL_EXPORT int upl_profile_load_mem(const char *text, size_t len, const char *name,
                                    upl_profile **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_profile_free(upl_profile *p); /* NULL is a no-op */
/* Load by file path, or by the name of a shipped profile
 * ("china-2014-targeted"), searched as <dir>/<name>.yaml in: $UPLIFT_PROFILES,
 * ./profiles, and profiles/ next to or above the running executable.
 * UPL_ENOTFOUND lists where it looked. */
UPL_EXPORT int upl_profile_load_named(const char *name, upl_profile **out, upl_error *err) UPL_MUST_CHECK;

/* Metadata (borrowed strings, valid while the profile lives; never NULL
 * except title_zh/area which may be ""). */
UPL_EXPORT const char *upl_profile_name(const upl_profile *p);
UPL_EXPORT const char *upl_profile_version(const upl_profile *p);
/* Lower-case hex SHA-256 (64 chars) of the profile file's bytes. */
UPL_EXPORT const char *upl_profile_sha256(const upl_profile *p);
UPL_EXPORT const char *upl_profile_title(const upl_profile *p, bool is_zh);
UPL_EXPORT const char *upl_profile_path(const upl_profile *p);
/* Effective years [first, last]; 0 when unspecified. */
UPL_EXPORT void upl_profile_years(const upl_profile *p, int *first, int *last);

/* ---- Column mapping ---------------------------------------------------------
 * Canonical fields are named as in REGISTRY_FIELDS.md (household_code,
 * income_net_per_capita, birth_date, ...). Each lists the source headers it
 * accepts. Headers are compared after normalisation (upl_profile_header_norm). */
typedef enum upl_field_level {
    UPL_LEVEL_PERSON = 0,    /* varies between members of a household */
    UPL_LEVEL_HOUSEHOLD = 1  /* repeated on every member row of a household */
} upl_field_level;

typedef enum upl_field_kind {
    UPL_FIELD_ANY = 0,     /* whatever the reader produced */
    UPL_FIELD_NUMBER = 1,  /* f64/i64 */
    UPL_FIELD_INTEGER = 2,
    UPL_FIELD_TEXT = 3,    /* identifiers, names: kept as text */
    UPL_FIELD_CODE = 4,    /* one label from a code list */
    UPL_FIELD_CODES = 5,   /* several labels joined by , ， 、 ; (multi-select) */
    UPL_FIELD_BOOL = 6,    /* 是/否, 1/0, yes/no, true/false, Y/N, 有/无 */
    UPL_FIELD_DATE = 7,    /* YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD */
    UPL_FIELD_MONTH = 8    /* YYYYMM */
} upl_field_kind;

typedef struct upl_profile_field {
    const char *name;              /* canonical name */
    upl_field_kind kind;
    upl_field_level level;
    bool is_required;              /* identify/import fail without it */
    bool is_sensitive;             /* never shown in public notices */
    const char *const *aliases;    /* source headers (raw form as written in the profile) */
    size_t n_aliases;
    const char *unit;              /* canonical unit ("元", "亩", ...) or NULL */
    const char *const *missing;    /* sentinel texts meaning missing ("-99", "不详") */
    size_t n_missing;
    const double *missing_num;     /* the sentinels that parse as numbers */
    size_t n_missing_num;
    const char *const *codes;      /* the code list (labels), if declared */
    size_t n_codes;
    const char *const *true_labels;  /* BOOL: labels read as true (defaults if none given) */
    size_t n_true_labels;
    const char *const *false_labels;
    size_t n_false_labels;
} upl_profile_field;

UPL_EXPORT size_t upl_profile_n_fields(const upl_profile *p);
UPL_EXPORT const upl_profile_field *upl_profile_field_at(const upl_profile *p, size_t i);
/* Field by canonical name, or NULL. */
UPL_EXPORT const upl_profile_field *upl_profile_field_find(const upl_profile *p, const char *name);
/* Name of the canonical household-key field (e.g. "household_code"). */
UPL_EXPORT const char *upl_profile_household_key(const upl_profile *p);
/* Canonical fields naming the area levels, outermost first
 * (province, city, county, township, village). Borrowed. */
UPL_EXPORT size_t upl_profile_area_levels(const upl_profile *p, const char *const **names);

/* Header normalisation used for matching: NFKC-like folding of full-width
 * ASCII (ＡＢ１（） -> AB1()) and the ideographic space, removal of all
 * white space, ASCII lower-casing, and removal of one trailing unit in
 * brackets ("人均纯收入（元）" -> "人均纯收入"). The unit text (without
 * brackets, folded) goes to *unit when unit != NULL (empty if none). Both
 * outputs are new strings: free with upl_free(). */
UPL_EXPORT int upl_profile_header_norm(const char *header, size_t len, char **norm,
                                       char **unit) UPL_MUST_CHECK;
/* Canonical field for a source header (after normalisation; a header equal
 * to a canonical name also matches), or NULL. */
UPL_EXPORT const upl_profile_field *upl_profile_match_header(const upl_profile *p, const char *header);

/* What upl_profile_map_table did. Strings are owned by the report:
 * release with upl_profile_map_report_free(). */
typedef struct upl_profile_map_report {
    size_t n_mapped;
    char **mapped_from;         /* source header as found */
    char **mapped_to;           /* canonical name */
    size_t n_unmapped;
    char **unmapped;            /* source headers no field claims (kept as they are) */
    size_t n_missing_required;
    char **missing_required;    /* canonical names of required fields absent */
    size_t n_missing_optional;
    char **missing_optional;
    size_t n_duplicates;
    char **duplicates;          /* later headers mapping to an already mapped field (kept, not renamed) */
    uint64_t n_sentinels;       /* values turned into missing */
    size_t n_scaled;            /* columns rescaled to the canonical unit (e.g. 万元 -> 元) */
} upl_profile_map_report;
UPL_EXPORT void upl_profile_map_report_free(upl_profile_map_report *r); /* zeroes it; NULL ok */

/* Apply the column mapping to a table in place:
 *   - renames each matched column to its canonical name;
 *   - turns sentinel values into missing (numeric sentinels compared as
 *     numbers, text sentinels byte for byte after trimming);
 *   - rescales numeric columns whose header unit differs from the field's
 *     canonical unit when the conversion is known (万元/千元 -> 元,
 *     公顷 -> 亩, 米 -> 公里, ...); an unknown unit pair is UPL_ESCHEMA;
 *   - reports unmapped columns and absent fields.
 * Missing required fields are UPL_ESCHEMA (after the report is filled, so
 * callers can show it). A read-only (snapshot) column that needs renaming is
 * copied under the canonical name (the original stays); a read-only column
 * that already has its canonical name but holds sentinels or needs
 * rescaling is UPL_EUNSUPPORTED. rep may be NULL. */
UPL_EXPORT int upl_profile_map_table(const upl_profile *p, upl_table *t, upl_profile_map_report *rep,
                                     upl_error *err) UPL_MUST_CHECK;

/* Weights and k are exact fractions: upl_rational (table.h). */

/* ---- Poverty lines ------------------------------------------------------------ */
typedef struct upl_line_info {
    double value;               /* yuan (or the profile's unit) per person per year */
    int year;
    const char *province;       /* NULL = national */
    const char *source;
    bool is_verified;           /* false when DOMAIN.md marks it [from memory] */
    bool is_derived;            /* computed from the base and a deflator */
} upl_line_info;
/* The line for `year` in `province` (a name or 2-digit code; NULL =
 * national): the provincial override when the profile has one, else the
 * national line. UPL_ENOTFOUND when the profile has no line for the year. */
UPL_EXPORT int upl_profile_line(const upl_profile *p, int year, const char *province,
                                upl_line_info *out, upl_error *err) UPL_MUST_CHECK;

/* ---- Indicators, causes, categories ----------------------------------------- */
typedef enum upl_on_missing {
    UPL_MISSING_UNKNOWN = 0,      /* the result stays unknown (Kleene) */
    UPL_MISSING_DEPRIVED = 1,
    UPL_MISSING_NOT_DEPRIVED = 2
} upl_on_missing;

typedef struct upl_profile_indicator {
    const char *id;
    const char *label_en, *label_zh;
    const char *dimension;
    upl_rational weight;
    const char *expr;             /* the deprivation rule, as written */
    upl_on_missing on_missing;
    const char *source;
    bool is_verified;
} upl_profile_indicator;
UPL_EXPORT size_t upl_profile_n_indicators(const upl_profile *p);
/* Canonical fields an indicator's rule reads (for evidence), in order of
 * first use; borrowed. Built-ins (line, income_pc...) are listed too. */
UPL_EXPORT size_t upl_profile_indicator_refs(const upl_profile *p, size_t i, const char *const **names);
UPL_EXPORT const upl_profile_indicator *upl_profile_indicator_at(const upl_profile *p, size_t i);
UPL_EXPORT upl_rational upl_profile_k(const upl_profile *p);

typedef struct upl_profile_cause {
    int code;                     /* national list order: 1 因病 ... 12 因婚, 99 其他 */
    const char *label_zh, *label_en;
    const char *expr;             /* rule; NULL = never derived, only taken as declared */
} upl_profile_cause;
UPL_EXPORT size_t upl_profile_n_causes(const upl_profile *p);
UPL_EXPORT const upl_profile_cause *upl_profile_cause_at(const upl_profile *p, size_t i);

/* ---- Exit rules and thresholds ---------------------------------------------- */
typedef struct upl_profile_area_rule {
    const char *id;
    const char *label_en, *label_zh;
    const char *metric;       /* "incidence", or the name of an area-level column */
    const char *op;           /* "<", "<=", ">", ">=" */
    double threshold;         /* default */
    double threshold_west;    /* NaN = same as threshold */
    const char *source;
    bool is_verified;
} upl_profile_area_rule;
/* level: "village" or "county". */
UPL_EXPORT size_t upl_profile_n_area_rules(const upl_profile *p, const char *level);
UPL_EXPORT const upl_profile_area_rule *upl_profile_area_rule_at(const upl_profile *p, const char *level,
                                                                 size_t i);
/* Named numeric thresholds (third-party assessment: "wrong_exit_rate_max",
 * "missed_rate_max", "recognition_rate_min"; monitoring: ...). section is
 * "assessment" or "monitoring". UPL_ENOTFOUND when absent. year/province
 * select a by-year/by-province value when the profile gives one (0/NULL =
 * the default). */
UPL_EXPORT int upl_profile_threshold(const upl_profile *p, const char *section, const char *name,
                                     int year, const char *province, double *out) UPL_MUST_CHECK;
/* Monitoring triggers (monitoring: triggers:): id, labels and rule text;
 * evaluate a rule with upl_eval_expr(). Borrowed strings. */
UPL_EXPORT size_t upl_profile_n_triggers(const upl_profile *p);
UPL_EXPORT const char *upl_profile_trigger(const upl_profile *p, size_t i, const char **rule, const char **label_en,
                                           const char **label_zh);
/* Region group (east/central/west/northeast) of a province (name or 2-digit
 * code) per the profile's region table (DOMAIN.md §7), or NULL. */
UPL_EXPORT const char *upl_profile_region(const upl_profile *p, const char *province);

/* ---- The expression language --------------------------------------------------
 * Grammar and semantics: docs/expressions.md. In short:
 *   literals 12, 2.5, "text", true, false, missing; [a, b, c] lists
 *   arithmetic + - * / ; comparisons < <= > >= == != ; and or not
 *   x in [..], x not in [..], x between a and b
 *   any(cond) all(cond) count(cond) sum(x[, cond]) min(x[, cond]) max(x[, cond])
 *     aggregate over the members of the household
 *   functions: age(date[, ref]) age_from_id(id[, ref]) coalesce(a, b, ...)
 *     is_missing(x) has(codes_field, "label") abs(x) floor(x) if(c, a, b)
 * Missing values follow Kleene's three-valued logic: a comparison with a
 * missing operand is unknown; `false and unknown` is false, `true or
 * unknown` is true; not unknown is unknown; arithmetic with missing is
 * missing; is_missing/coalesce turn missing into known values.
 *
 * Evaluation is vectorised: an expression is compiled once into a short
 * program of array operations, then run over chunks of rows (persons) or
 * households; there is no per-row interpretation. */
typedef struct upl_expr upl_expr;

/* Parse text (used in error messages as coming from file:line:col with
 * `col` the position of the text's first byte). Syntax errors are
 * UPL_EPROFILE with the exact position. Free with upl_expr_free(). */
UPL_EXPORT int upl_expr_parse(const char *text, const char *file, uint64_t line, uint64_t col,
                              upl_expr **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_expr_free(upl_expr *e);
/* The parsed expression printed back in canonical, fully parenthesised
 * form (for tests and docs); free with upl_free(). */
UPL_EXPORT char *upl_expr_to_string(const upl_expr *e);

/* A compiled set of household rules bound to one person-level table. */
typedef struct upl_eval upl_eval;

typedef struct upl_eval_options {
    int year;                   /* identification year (lines, reference date) */
    int ref_month, ref_day;     /* reference date for age(); 0 = the profile's (default 12-31) */
    int n_threads;              /* threads (0/1 = the calling thread); results are identical for any count */
} upl_eval_options;

/* Three-valued results, one byte per household. */
enum { UPL_B3_FALSE = 0, UPL_B3_TRUE = 1, UPL_B3_UNKNOWN = 2 };

/* Bind and compile every rule of the profile against `persons` (one row per
 * person; household fields repeated; the table must already be mapped to
 * canonical names), grouping rows by the household key. Unknown names,
 * person-level fields used outside an aggregation and type errors are
 * UPL_EPROFILE at the profile's file:line:column. Absent optional columns
 * read as all-missing (listed by upl_eval_absent_fields). Free with
 * upl_eval_free(). The table must outlive the evaluator. */
UPL_EXPORT int upl_eval_new(const upl_profile *p, const upl_table *persons, const upl_eval_options *opt,
                            upl_eval **out, upl_error *err) UPL_MUST_CHECK;
/* Run all rules. Results then read with the accessors below. */
UPL_EXPORT int upl_eval_run(upl_eval *ev, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_eval_free(upl_eval *ev);

UPL_EXPORT size_t upl_eval_n_households(const upl_eval *ev);
UPL_EXPORT size_t upl_eval_n_persons(const upl_eval *ev);
/* Rows of household h in the person table, and its first row. */
UPL_EXPORT uint64_t upl_eval_household_size(const upl_eval *ev, size_t h);
UPL_EXPORT size_t upl_eval_household_first_row(const upl_eval *ev, size_t h);
/* Member rows of household h, in row order: up to cap of them are written
 * to rows; returns how many the household has. */
UPL_EXPORT size_t upl_eval_member_rows(const upl_eval *ev, size_t h, size_t *rows, size_t cap);
/* Rows whose household key is missing (not evaluated). */
UPL_EXPORT size_t upl_eval_n_rows_without_key(const upl_eval *ev);
/* Households whose household-level fields differ between member rows
 * (the first row's value is used). */
UPL_EXPORT size_t upl_eval_n_inconsistent(const upl_eval *ev);
UPL_EXPORT size_t upl_eval_absent_fields(const upl_eval *ev, const char *const **names);

/* Per-household arrays (n_households entries, owned by the evaluator). */
UPL_EXPORT const uint8_t *upl_eval_indicator(const upl_eval *ev, size_t i);     /* UPL_B3_* after on_missing */
UPL_EXPORT const uint8_t *upl_eval_indicator_raw(const upl_eval *ev, size_t i); /* before on_missing */
/* Witness member row for indicator i (-1 = none): the member whose values
 * decided the rule (first member meeting an any()/count() condition, the
 * first failing one for all(), the extreme for min()/max()). */
UPL_EXPORT const int64_t *upl_eval_witness(const upl_eval *ev, size_t i);
/* Deprivation score as an exact numerator over upl_eval_score_den(). Lower
 * bound counts deprived indicators; upper also counts unknown ones. */
UPL_EXPORT const int64_t *upl_eval_score_lo(const upl_eval *ev);
UPL_EXPORT const int64_t *upl_eval_score_hi(const upl_eval *ev);
UPL_EXPORT int64_t upl_eval_score_den(const upl_eval *ev);
UPL_EXPORT const uint8_t *upl_eval_poor(const upl_eval *ev);          /* B3 */
UPL_EXPORT const double *upl_eval_line(const upl_eval *ev);           /* line used, NaN if none */
UPL_EXPORT const double *upl_eval_income(const upl_eval *ev);         /* per-capita income used, NaN = missing */
UPL_EXPORT const uint8_t *upl_eval_income_poor(const upl_eval *ev);   /* B3: income < line */
/* Category index (into upl_profile_category_*) or -1. */
UPL_EXPORT const int32_t *upl_eval_category(const upl_eval *ev);
/* Causes: main cause index into upl_profile_cause_at (-1 none), and a
 * bitmask of the secondary ones (bit i = cause index i). */
UPL_EXPORT const int32_t *upl_eval_main_cause(const upl_eval *ev);
UPL_EXPORT const uint64_t *upl_eval_secondary_causes(const upl_eval *ev);
/* Household exit eligibility (B3), from the profile's household exit rule. */
UPL_EXPORT const uint8_t *upl_eval_exit_eligible(const upl_eval *ev);
/* Per-rule results of the household exit criteria (B3), i < n_exit_rules. */
UPL_EXPORT size_t upl_eval_n_exit_rules(const upl_eval *ev);
UPL_EXPORT const char *upl_eval_exit_rule_id(const upl_eval *ev, size_t i);
UPL_EXPORT const uint8_t *upl_eval_exit_rule(const upl_eval *ev, size_t i);

UPL_EXPORT size_t upl_profile_n_categories(const upl_profile *p);
UPL_EXPORT const char *upl_profile_category_id(const upl_profile *p, size_t i);
UPL_EXPORT const char *upl_profile_category_label(const upl_profile *p, size_t i, bool is_zh);

/* Evaluate one standalone expression (household-level or constant) against
 * the evaluator's table, e.g. for ad-hoc queries and tests: result per
 * household as B3 (is_bool) or as doubles with NaN for missing. */
UPL_EXPORT int upl_eval_expr(upl_eval *ev, const char *text, uint8_t **b3, double **num, bool *is_bool,
                             upl_error *err) UPL_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
