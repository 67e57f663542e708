/* registry_import.c — `uplift import`: validate a county export and load it
 * into the registry in one transaction.
 *
 * County exports are flat: one row per person with the household columns
 * repeated (REGISTRY_FIELDS.md §5). Rows are grouped by household_code and
 * each household is judged whole (RELIABILITY.md §5):
 *   - ID numbers are normalised and validated (registry_idnum.c); damaged
 *     (Excel) or invalid numbers quarantine the household;
 *   - the same person twice in one household: identical rows are folded
 *     (the later one recorded), differing rows quarantine the household;
 *   - member count must equal household_size and there must be exactly one
 *     head (户主), or the household is quarantined whole — never half
 *     imported;
 *   - household columns must agree between member rows;
 *   - birth_date must agree with the date inside the ID (error); sex
 *     against the ID's parity and implausible ages are warnings;
 *   - the household's area must lie in the acting account's scope, or its
 *     rows are refused and the attempt is audited (never imported);
 *   - a person already registered in another household (or another area)
 *     becomes a conflict record for review; both households stay.
 * Accepted households are upserted by household_code (household), by
 * (household, wave) (the annual wave) and by person_code or, without one,
 * the ID's blind index (members). Every row not accepted goes to the
 * rejects file with its line, field, code and a bilingual message, and to
 * the quarantine table encrypted. The file's SHA-256 makes the import
 * idempotent: the same bytes are "already imported".
 *
 * Only mapped (canonical) columns are read; nothing else is persisted
 * (PIPL minimisation). Money is stored as integer fen (分), exactly. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/io.h"
#include "uplift/profile.h"
#include "registry_int.h"

/* ---- the canonical fields the registry stores ----------------------------- */
typedef enum { FT_TEXT, FT_INT, FT_DEC, FT_MONEY, FT_BOOL, FT_DATE, FT_MONTH, FT_CODES, FT_ID, FT_SECRET } ftype;
typedef enum { LV_HH, LV_HW, LV_MB, LV_MW } flevel;
typedef struct fdef {
    const char *name;
    flevel lv;
    ftype t;
    bool is_required;
    bool is_negative_ok;
} fdef;

static const fdef fields[] = {
    { "household_code", LV_HH, FT_TEXT, true, false },
    { "area_code", LV_HH, FT_TEXT, true, false },
    { "province", LV_HH, FT_TEXT, false, false },
    { "city", LV_HH, FT_TEXT, false, false },
    { "county", LV_HH, FT_TEXT, false, false },
    { "township", LV_HH, FT_TEXT, false, false },
    { "village", LV_HH, FT_TEXT, false, false },
    { "natural_village", LV_HH, FT_TEXT, false, false },
    { "village_group", LV_HH, FT_TEXT, false, false },
    { "address", LV_HH, FT_TEXT, false, false },
    { "head_name", LV_HH, FT_TEXT, false, false },
    { "household_phone", LV_HH, FT_SECRET, false, false },
    { "bank_name", LV_HH, FT_TEXT, false, false },
    { "bank_account", LV_HH, FT_SECRET, false, false },
    { "first_identified_date", LV_HH, FT_DATE, false, false },
    { "household_size", LV_HW, FT_INT, true, false },
    { "household_size_for_year", LV_HW, FT_INT, false, false },
    { "identification_standard", LV_HW, FT_TEXT, false, false },
    { "poverty_attribute", LV_HW, FT_TEXT, false, false },
    { "main_poverty_cause", LV_HW, FT_TEXT, false, false },
    { "other_poverty_causes", LV_HW, FT_CODES, false, false },
    { "exit_status", LV_HW, FT_TEXT, false, false },
    { "exit_year", LV_HW, FT_INT, false, false },
    { "planned_exit_year", LV_HW, FT_INT, false, false },
    { "household_type", LV_HW, FT_TEXT, false, false },
    { "monitoring_category", LV_HW, FT_TEXT, false, false },
    { "risk_types", LV_HW, FT_CODES, false, false },
    { "identified_month", LV_HW, FT_MONTH, false, false },
    { "risk_eliminated", LV_HW, FT_BOOL, false, false },
    { "elimination_method", LV_HW, FT_TEXT, false, false },
    { "eliminated_month", LV_HW, FT_MONTH, false, false },
    { "is_military_martyr_family", LV_HW, FT_BOOL, false, false },
    { "is_relocation_household", LV_HW, FT_BOOL, false, false },
    { "cultivated_land_mu", LV_HW, FT_DEC, false, false },
    { "irrigated_land_mu", LV_HW, FT_DEC, false, false },
    { "forest_land_mu", LV_HW, FT_DEC, false, false },
    { "grassland_mu", LV_HW, FT_DEC, false, false },
    { "housing_area_m2", LV_HW, FT_DEC, false, false },
    { "is_dilapidated_house", LV_HW, FT_BOOL, false, false },
    { "dilapidated_grade", LV_HW, FT_TEXT, false, false },
    { "has_safe_drinking_water", LV_HW, FT_BOOL, false, false },
    { "has_household_electricity", LV_HW, FT_BOOL, false, false },
    { "distance_to_main_road_km", LV_HW, FT_DEC, false, false },
    { "access_road_type", LV_HW, FT_TEXT, false, false },
    { "main_fuel_type", LV_HW, FT_TEXT, false, false },
    { "has_sanitary_toilet", LV_HW, FT_BOOL, false, false },
    { "joined_cooperative", LV_HW, FT_BOOL, false, false },
    { "income_wage", LV_HW, FT_MONEY, false, false },
    { "income_business", LV_HW, FT_MONEY, false, true },   /* business loss may be negative */
    { "income_property", LV_HW, FT_MONEY, false, false },
    { "income_transfer", LV_HW, FT_MONEY, false, false },
    { "transfer_dibao", LV_HW, FT_MONEY, false, false },
    { "transfer_tekun", LV_HW, FT_MONEY, false, false },
    { "transfer_pension", LV_HW, FT_MONEY, false, false },
    { "transfer_eco_compensation", LV_HW, FT_MONEY, false, false },
    { "expense_business", LV_HW, FT_MONEY, false, false },
    { "income_gross", LV_HW, FT_MONEY, false, true },
    { "income_net", LV_HW, FT_MONEY, false, true },
    { "income_net_per_capita", LV_HW, FT_MONEY, false, true },
    { "compliant_out_of_pocket_expense", LV_HW, FT_MONEY, false, false },
    { "insurance_claim_income", LV_HW, FT_MONEY, false, false },
    { "person_code", LV_MB, FT_TEXT, false, false },
    { "name", LV_MB, FT_TEXT, true, false },
    { "sex", LV_MB, FT_TEXT, false, false },
    { "id_type", LV_MB, FT_TEXT, false, false },
    { "id_number", LV_MB, FT_ID, true, false },
    { "birth_date", LV_MB, FT_DATE, false, false },
    { "ethnicity", LV_MB, FT_TEXT, false, false },
    { "person_phone", LV_MB, FT_SECRET, false, false },
    { "relation_to_head", LV_MW, FT_TEXT, true, false },
    { "political_status", LV_MW, FT_TEXT, false, false },
    { "education_level", LV_MW, FT_TEXT, false, false },
    { "school_status", LV_MW, FT_TEXT, false, false },
    { "health_status", LV_MW, FT_CODES, false, false },
    { "disability_category", LV_MW, FT_TEXT, false, false },
    { "disability_cert_year", LV_MW, FT_INT, false, false },
    { "labor_skill", LV_MW, FT_TEXT, false, false },
    { "work_status", LV_MW, FT_TEXT, false, false },
    { "work_location", LV_MW, FT_TEXT, false, false },
    { "work_months", LV_MW, FT_INT, false, false },
    { "employer_name", LV_MW, FT_TEXT, false, false },
    { "has_resident_medical_insurance", LV_MW, FT_BOOL, false, false },
    { "has_employee_medical_insurance", LV_MW, FT_BOOL, false, false },
    { "has_critical_illness_insurance", LV_MW, FT_BOOL, false, false },
    { "has_commercial_supplementary_medical_insurance", LV_MW, FT_BOOL, false, false },
    { "has_resident_pension_insurance", LV_MW, FT_BOOL, false, false },
    { "has_employee_pension_insurance", LV_MW, FT_BOOL, false, false },
    { "receives_dibao", LV_MW, FT_BOOL, false, false },
    { "is_tekun_supported", LV_MW, FT_BOOL, false, false },
    { "receives_medical_assistance", LV_MW, FT_BOOL, false, false },
    { "speaks_putonghua", LV_MW, FT_BOOL, false, false },
    { "is_active_military", LV_MW, FT_BOOL, false, false },
    { "dropout_reason", LV_MW, FT_TEXT, false, false },
};
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))
enum { F_HOUSEHOLD_CODE = 0, F_AREA_CODE = 1 };

static int field_index(const char *name) {
    for (int i = 0; i < N_FIELDS; i++) if (!strcmp(fields[i].name, name)) return i;
    return -1;
}

const char *upl_import_code_name(int code) {
    static const char *names[UPL_IMP_CODE_COUNT_] = {
        "READ_REJECT", "ID_EXCEL_MANGLED", "ID_INVALID", "ID_LEGACY_15", "ID_NORMALISED",
        "DUP_IN_HOUSEHOLD", "SIZE_MISMATCH", "HEAD_COUNT", "CONFLICT", "OUT_OF_SCOPE",
        "SEX_MISMATCH", "AGE_IMPLAUSIBLE", "BAD_VALUE", "REQUIRED", "HOUSEHOLD_FIELDS", "DATE_MISMATCH",
        "CODE_ALIAS", "CODE_UNKNOWN"
    };
    return (code >= 0 && code < UPL_IMP_CODE_COUNT_) ? names[code] : "UNKNOWN";
}

void upl_import_options_init(upl_import_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->allow_legacy_15 = true;
}

/* Marks a text/ID value that arrived as a floating-point number. */
#define NUMERIC_MARK "\x01numeric"

/* ---- value parsing ---------------------------------------------------------- */
typedef struct pval {
    bool is_present;
    int64_t i;
    double d;
    const char *s;      /* normalised text (arena) */
} pval;

/* Trim ASCII blanks, NBSP and U+3000 at both ends. */
static const char *trim(const char *s, size_t *len) {
    size_t n = *len;
    for (;;) {
        if (n && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n')) { s++; n--; continue; }
        if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) { s += 2; n -= 2; continue; }
        if (n >= 3 && (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
            s += 3; n -= 3; continue;
        }
        break;
    }
    for (;;) {
        if (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) { n--; continue; }
        if (n >= 2 && (unsigned char)s[n - 2] == 0xC2 && (unsigned char)s[n - 1] == 0xA0) { n -= 2; continue; }
        if (n >= 3 && (unsigned char)s[n - 3] == 0xE3 && (unsigned char)s[n - 2] == 0x80 &&
            (unsigned char)s[n - 1] == 0x80) { n -= 3; continue; }
        break;
    }
    *len = n;
    return s;
}

/* Amounts in yuan with at most 2 decimals, to integer fen. No separators,
 * no currency signs, no 万 (RELIABILITY.md §5 item 11). */
static bool parse_money(const char *s, size_t n, bool neg_ok, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; i = 1; }
    if (neg && !neg_ok) return false;
    int64_t v = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (v > (INT64_MAX - 9) / 10 / 100) return false;
        v = v * 10 + (s[i] - '0');
    }
    int64_t frac = 0;
    int nf = 0;
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (nf >= 2) { if (s[i] != '0') return false; continue; }   /* 12.500 ok, 12.505 not */
            frac = frac * 10 + (s[i] - '0');
            nf++;
        }
        if (nf == 0 && digits == 0) return false;
    }
    if (i != n || (digits == 0 && nf == 0)) return false;
    while (nf < 2) { frac *= 10; nf++; }
    v = v * 100 + frac;
    *out = neg ? -v : v;
    return true;
}

static bool parse_bool(const char *s, size_t n, int64_t *out) {
    static const char *yes[] = { "是", "1", "true", "yes", "y", "有", "TRUE", "True", "Yes", "YES", "Y", NULL };
    static const char *no[] = { "否", "0", "false", "no", "n", "无", "FALSE", "False", "No", "NO", "N", NULL };
    for (int i = 0; yes[i]; i++) if (strlen(yes[i]) == n && !memcmp(yes[i], s, n)) { *out = 1; return true; }
    for (int i = 0; no[i]; i++) if (strlen(no[i]) == n && !memcmp(no[i], s, n)) { *out = 0; return true; }
    return false;
}

static bool real_date(int y, int m, int d) {
    static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
    int lim = md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
    return d <= lim;
}

/* Read up to max digits; returns count. */
static size_t digits_at(const char *s, size_t n, size_t *i, int *v, size_t max) {
    size_t k = 0;
    *v = 0;
    while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') { *v = *v * 10 + (s[*i] - '0'); (*i)++; k++; }
    return k;
}

static bool match_lit(const char *s, size_t n, size_t *i, const char *lit) {
    size_t l = strlen(lit);
    if (*i + l <= n && !memcmp(s + *i, lit, l)) { *i += l; return true; }
    return false;
}

/* Unambiguous dates only: YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD,
 * YYYY年M月D日. Output YYYY-MM-DD. (Never DD/MM vs MM/DD guesses.) */
static bool parse_date(const char *s, size_t n, char out[32], bool month_only) {
    size_t i = 0;
    int y, m, d = 1;
    if (digits_at(s, n, &i, &y, 4) != 4) return false;
    if (i == n && !month_only) return false;
    if (i < n && s[i] >= '0' && s[i] <= '9') {     /* compact YYYYMM[DD] */
        if (digits_at(s, n, &i, &m, 2) != 2) return false;
        if (!month_only && digits_at(s, n, &i, &d, 2) != 2) return false;
    } else if (match_lit(s, n, &i, "年")) {
        if (!digits_at(s, n, &i, &m, 2) || !match_lit(s, n, &i, "月")) return false;
        if (!month_only && (!digits_at(s, n, &i, &d, 2) || !match_lit(s, n, &i, "日"))) return false;
    } else {
        char sep = s[i];
        if (sep != '-' && sep != '/' && sep != '.') return false;
        i++;
        if (!digits_at(s, n, &i, &m, 2)) return false;
        if (!month_only) {
            if (i >= n || s[i] != sep) return false;
            i++;
            if (!digits_at(s, n, &i, &d, 2)) return false;
        }
    }
    if (i != n || !real_date(y, m, d)) return false;
    if (month_only) snprintf(out, 32, "%04d-%02d", y, m);
    else snprintf(out, 32, "%04d-%02d-%02d", y, m, d);
    return true;
}

/* Multi-select labels joined by , ， 、 ; ； → "a,b". */
static char *parse_codes(upl_arena *a, const char *s, size_t n) {
    char *out = upl_arena_alloc(a, n + 1);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    while (i <= n) {
        size_t start = i;
        size_t sep_len = 0;
        while (i < n) {
            if (s[i] == ',' || s[i] == ';') { sep_len = 1; break; }
            if (i + 3 <= n && (!memcmp(s + i, "，", 3) || !memcmp(s + i, "、", 3) || !memcmp(s + i, "；", 3))) {
                sep_len = 3; break;
            }
            i++;
        }
        size_t len = i - start;
        const char *t = trim(s + start, &len);
        if (len) {
            if (o) out[o++] = ',';
            memcpy(out + o, t, len);
            o += len;
        }
        if (i >= n) break;
        i += sep_len;
    }
    out[o] = 0;
    return out;
}

/* ---- string → int map (open addressing) ------------------------------------- */
typedef struct smap {
    const char **keys;
    size_t *lens;
    int32_t *vals;
    size_t cap, n;
} smap;

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ull; }
    return h;
}

static int smap_init(smap *m, size_t expect) {
    memset(m, 0, sizeof *m);
    m->cap = 16;
    while (m->cap < expect * 2) m->cap *= 2;
    m->keys = upl_calloc(m->cap, sizeof *m->keys);
    m->lens = upl_calloc(m->cap, sizeof *m->lens);
    m->vals = upl_calloc(m->cap, sizeof *m->vals);
    return (m->keys && m->lens && m->vals) ? UPL_OK : UPL_ENOMEM;
}
static void smap_free(smap *m) { upl_free(m->keys); upl_free(m->lens); upl_free(m->vals); memset(m, 0, sizeof *m); }
/* Find or insert (keys are borrowed); *val gets the stored value, or v if new. */
static bool smap_get_or_put(smap *m, const char *k, size_t n, int32_t v, int32_t *val) {
    size_t mask = m->cap - 1, i = (size_t)hash_bytes(k, n) & mask;
    while (m->keys[i]) {
        if (m->lens[i] == n && !memcmp(m->keys[i], k, n)) { *val = m->vals[i]; return true; }
        i = (i + 1) & mask;
    }
    m->keys[i] = k; m->lens[i] = n; m->vals[i] = v; m->n++;
    *val = v;
    return false;
}

/* ---- import context ------------------------------------------------------------ */
typedef struct finding {
    size_t row;          /* table row */
    int field;           /* fields[] index or -1 */
    int code;            /* enum upl_import_code */
    char *msg;           /* arena */
} finding;

/* Rows per multi-row INSERT: members (of one or several households) and
 * new households. Fewer, larger statements: on PostgreSQL each statement
 * is a network round trip, on SQLite each has a fixed start/end cost. */
#define MEMBER_BATCH 64
#define HH_BATCH 64
struct pending_hh;

/* Whether a household code was in the registry before this import. */
typedef struct hh_look {
    char code[128];
    bool is_long;          /* over 120 bytes: looked up alone (see process_household) */
    int64_t id;            /* 0 = not in the registry */
    char area[16];
} hh_look;

/* Indexes no import statement reads while households are written (the
 * blind index is read only by the conflict query, after the rebuild; the
 * area index by queries outside the import). Unique indexes are never
 * deferred: the upserts' ON CONFLICT needs them (see defer_indexes). */
static const char *const deferred_names[] = { "member_blind", "household_area" };
#define N_DEFERRED 2

typedef struct ictx {
    upl_registry *r;
    const upl_table *t;
    const char *source;
    const upl_import_options *opt;
    upl_import_summary *sum;
    upl_error *err;
    int wave;
    int today;
    const upl_column *col[N_FIELDS];   /* text columns (original or converted), NULL = absent */
    upl_table *conv;                    /* converted non-text columns */
    const upl_column *line_col, *record_col;
    const upl_column *year_col;
    upl_arena *arena;                   /* per household */
    finding *finds; size_t n_finds, cap_finds;
    struct code_warn { size_t row; int field; const char *label; } *code_warns;
    size_t n_code_warns, cap_code_warns;
    uint64_t n_code_alias;    /* aliases mapped in the current household */
    FILE *rejects; char *rejects_path; bool rejects_has_header;
    FILE *warnings; char *warnings_path;
    /* Members are written MEMBER_BATCH rows per statement (multi-row VALUES);
     * statements for k rows are prepared on first use. */
    upl_stmt *st_mb_batch[MEMBER_BATCH + 1], *st_mw_batch[MEMBER_BATCH + 1];
    char *mb_cols, *mb_tuple, *mb_set, *mw_cols, *mw_tuple;
    /* New households (not in the registry before this import) wait here and
     * are written HH_BATCH at a time; their strings stay in the arena, which
     * is reset only when the batch is empty. */
    struct pending_hh *pend;
    size_t n_pend, pend_cap;
    /* Households registered before the import with no stored wave to diff
     * (wave_absent, preloaded): written HH_BATCH at a time with the same
     * multi-row upserts (flush_updates), always before the next write of
     * anything else, so every id is taken in the order of the one-by-one
     * path. Their strings stay in the arena too. */
    struct pending_hh *upd;
    size_t n_upd;
    upl_stmt *st_hw_old_batch, *st_mw_del_batch;   /* HH_BATCH ids each, prepared on first use */
    upl_stmt *st_hh_batch[HH_BATCH + 1], *st_hw_batch[HH_BATCH + 1];
    /* Households already in the registry, read in one query when there are
     * not many more of them than in the file (preload_households); else
     * each household is looked up alone. */
    bool known_loaded;
    smap known;
    upl_arena *known_arena;
    hh_look *known_v;
    size_t n_known;
    char *hh_cols, *hh_tuple, *hh_set, *hw_cols, *hw_tuple, *hw_set;
    upl_stmt *st_hh_find, *st_hh_up, *st_hw_old, *st_hw_up, *st_mb_up, *st_mw_del, *st_mw_ins,
             *st_conflict_find, *st_conflict_ins, *st_quar;
    char *sql_hw_old;
    char now[32];
    int64_t import_id;
    upl_sbuf normalised;   /* JSON list of normalised IDs (masked) for the audit */
    size_t n_normalised_listed;
    uint64_t n_out_of_scope_rows;
    upl_sbuf scope_areas;
    /* Bulk loads write new households directly (flush_direct): ids taken
     * from the tables' own sequences in one query per batch, then plain
     * multi-row INSERTs (SQLite) or rows gathered as COPY text and sent a
     * few megabytes at a time (PostgreSQL). */
    bool direct;
    bool is_pg;
    upl_stmt *st_ids;                                       /* id reservation */
    upl_stmt *st_dhh[HH_BATCH + 1], *st_dhw[HH_BATCH + 1], *st_dmb[MEMBER_BATCH + 1];
    upl_sbuf copy[4];                                       /* household, wave, member, member_wave rows */
    upl_sbuf copy_sent[4];                                  /* the texts a COPY in flight is sending */
    char *copy_sql[4];
    int64_t *ids; size_t cap_ids;
    upl_nonce_pool nonces;
    struct idahead *ahead;   /* ID checks computed ahead on a second thread, or NULL */
    /* PostgreSQL first loads: the blind index of every member written, for
     * the conflict search (detect_conflicts). */
    bool dup_client;
    /* No household had this wave when the import began, and no other
     * writer can add one (SQLite; PostgreSQL in a bulk load, tables locked). */
    bool wave_absent;
    uint64_t (*blinds)[2];
    size_t n_blinds, cap_blinds;
    /* Present fields per level, in fields[] order: [LV_*] written, and
     * [4] household (HH+HW), [5] member (MB+MW) levels as parsed. */
    int lvf[6][N_FIELDS], n_lvf[6];
    const size_t *order;     /* rows grouped by household (the worker's sequence) */
    /* Secondary indexes dropped for a bulk import (SQLite), recreated from
     * their stored definitions before the conflict query and the commit. */
    bool bulk;               /* a bulk load (defer_indexes) */
    char **restore_sql;      /* CREATE INDEX / ADD CONSTRAINT texts, in order */
    size_t n_restore;
} ictx;

static uint64_t row_record(const ictx *c, size_t row) {
    if (c->record_col && upl_col_is_valid(c->record_col, row)) return (uint64_t)c->record_col->v.i64[row];
    return (uint64_t)row + 1;
}

static uint64_t row_line(const ictx *c, size_t row) {
    if (c->line_col && upl_col_is_valid(c->line_col, row)) return (uint64_t)c->line_col->v.i64[row];
    return (uint64_t)row + 2;   /* header is line 1 */
}

/* Trimmed text of field f at row (NULL when absent or empty). */
static const char *fval(const ictx *c, int f, size_t row, size_t *len) {
    const upl_column *col = c->col[f];
    if (!col || !upl_col_is_valid(col, row)) { *len = 0; return NULL; }
    size_t n;
    const char *s = upl_col_str(col, row, &n);
    s = trim(s, &n);
    *len = n;
    return n ? s : NULL;
}

static int add_finding(ictx *c, size_t row, int field, int code, const char *fmt, ...) UPL_PRINTF(5, 6);
static int add_finding(ictx *c, size_t row, int field, int code, const char *fmt, ...) {
    if (c->n_finds == c->cap_finds) {
        size_t cap = c->cap_finds ? c->cap_finds * 2 : 16;
        finding *p = upl_reallocarray(c->finds, cap, sizeof *p);
        if (!p) return UPL_ENOMEM;
        c->finds = p; c->cap_finds = cap;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *m = upl_arena_strndup(c->arena, buf, strlen(buf));
    if (!m) return UPL_ENOMEM;
    c->finds[c->n_finds++] = (finding){ row, field, code, m };
    return UPL_OK;
}

/* CSV field with RFC 4180 quoting and formula neutralisation. */
static void csv_field(FILE *f, const char *s, size_t n) {
    bool quote = false;
    for (size_t i = 0; i < n; i++) if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = true;
    bool formula = n && (s[0] == '=' || s[0] == '+' || s[0] == '@' || s[0] == '\t' ||
                         (s[0] == '-' && !(n > 1 && s[1] >= '0' && s[1] <= '9')));
    if (quote) fputc('"', f);
    if (formula) fputc('\'', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    if (quote) fputc('"', f);
}

/* The row's mapped values as CSV text (for rejects) — the original text. */
static void write_raw(const ictx *c, FILE *f, size_t row) {
    upl_sbuf b = {0};
    bool first = true;
    for (int k = 0; k < N_FIELDS; k++) {
        if (!c->col[k]) continue;
        size_t n = 0;
        const char *s = upl_col_is_valid(c->col[k], row) ? upl_col_str(c->col[k], row, &n) : "";
        if (!first) upl_sbuf_add(&b, ",", 1);
        first = false;
        /* raw is itself one CSV field: build the inner CSV in memory. */
        bool q = memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n);
        if (q) upl_sbuf_add(&b, "\"", 1);
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"') upl_sbuf_add(&b, "\"", 1);
            upl_sbuf_add(&b, s + i, 1);
        }
        if (q) upl_sbuf_add(&b, "\"", 1);
    }
    if (b.s) csv_field(f, b.s, b.len);
    upl_sbuf_free(&b);
}

static int open_rejects(ictx *c) {
    if (c->rejects) return UPL_OK;
    /* The reader may already have written its own rejects here: append. */
    FILE *probe = fopen(c->rejects_path, "rb");
    bool has = false;
    if (probe) { has = fgetc(probe) != EOF; fclose(probe); }
    c->rejects = fopen(c->rejects_path, has ? "ab" : "wb");
    if (!c->rejects)
        return upl_error_at(c->err, UPL_EIO, c->rejects_path, 0, 0, NULL, "cannot write rejects file: %s",
                            strerror(errno));
    if (!has) fputs("file,line,record,column,field,code,message,raw\n", c->rejects);
    return UPL_OK;
}

static int open_warnings(ictx *c) {
    if (c->warnings) return UPL_OK;
    c->warnings = fopen(c->warnings_path, "wb");
    if (!c->warnings)
        return upl_error_at(c->err, UPL_EIO, c->warnings_path, 0, 0, NULL, "cannot write warnings file: %s",
                            strerror(errno));
    fputs("file,line,record,column,field,code,message\n", c->warnings);
    return UPL_OK;
}

static int column_number(const ictx *c, int f) {
    if (f < 0 || !c->col[f]) return 0;
    for (size_t i = 0; i < upl_table_n_cols(c->t); i++)
        if (!strcmp(upl_table_column(c->t, i)->name, fields[f].name)) return (int)i + 1;
    return 0;
}

static void write_finding_line(const ictx *c, FILE *f, const finding *fd, const char *code, const char *msg,
                               bool raw) {
    csv_field(f, c->source, strlen(c->source));
    fprintf(f, ",%llu,%llu,%d,", (unsigned long long)row_line(c, fd->row), (unsigned long long)row_record(c, fd->row),
            column_number(c, fd->field));
    if (fd->field >= 0) csv_field(f, fields[fd->field].name, strlen(fields[fd->field].name));
    fputc(',', f);
    csv_field(f, code, strlen(code));
    fputc(',', f);
    csv_field(f, msg, strlen(msg));
    if (raw) { fputc(',', f); write_raw(c, f, fd->row); }
    fputc('\n', f);
}

/* ---- statements ------------------------------------------------------------------- */
static bool field_present(const ictx *c, int f) { return c->col[f] != NULL; }

/* Column list fragments for a level: the DB column names of present fields. */
static void add_cols(const ictx *c, flevel lv, upl_sbuf *cols, upl_sbuf *vals, upl_sbuf *set, int *n_params) {
    for (int f = 0; f < N_FIELDS; f++) {
        if (fields[f].lv != lv || !field_present(c, f) || f == F_HOUSEHOLD_CODE || f == F_AREA_CODE) continue;
        if (fields[f].t == FT_ID) {
            upl_sbuf_str(cols, ", id_enc, id_blind, id_masked, id_flags");
            upl_sbuf_str(vals, ", ?, ?, ?, ?");
            upl_sbuf_str(set, ", id_enc = excluded.id_enc, id_blind = excluded.id_blind,"
                              " id_masked = excluded.id_masked, id_flags = excluded.id_flags");
            *n_params += 4;
        } else if (fields[f].t == FT_SECRET) {
            upl_sbuf_fmt(cols, ", %s_enc, %s_masked", fields[f].name, fields[f].name);
            upl_sbuf_str(vals, ", ?, ?");
            upl_sbuf_fmt(set, ", %s_enc = excluded.%s_enc, %s_masked = excluded.%s_masked", fields[f].name,
                         fields[f].name, fields[f].name, fields[f].name);
            *n_params += 2;
        } else {
            upl_sbuf_fmt(cols, ", %s", fields[f].name);
            upl_sbuf_str(vals, ", ?");
            upl_sbuf_fmt(set, ", %s = excluded.%s", fields[f].name, fields[f].name);
            *n_params += 1;
        }
    }
}

/* The conflict search (prepare_all, detect_conflicts) in its three forms:
 * one result shape and one rule for the other side — a member of another
 * household listed in the same wave — whatever the candidates are. */
#define CONFLICT_SELECT \
    "SELECT DISTINCT a.id_blind, a.id_masked, ha.household_code, ha.area_code, hb.household_code, hb.area_code FROM "
#define CONFLICT_OTHER_SIDE \
    " JOIN member b ON b.id_blind = a.id_blind AND b.household_id <> a.household_id" \
    " JOIN member_wave wb ON wb.member_id = b.id AND wb.wave = w.wave" \
    " JOIN household hb ON hb.id = b.household_id"
/* From a set d of candidate blind values: the members this import listed. */
#define CONFLICT_FROM_CANDIDATES \
    " JOIN member a ON a.id_blind = d.id_blind" \
    " JOIN member_wave w ON w.member_id = a.id AND w.import_id = ? AND w.wave = ?" \
    " JOIN household ha ON ha.id = a.household_id" CONFLICT_OTHER_SIDE \
    " ORDER BY ha.household_code, hb.household_code"

static int prepare_all(ictx *c) {
    int rc;
    upl_db *db = c->r->db;
    upl_sbuf cols = {0}, vals = {0}, set = {0}, sql = {0};
    int np = 0;
    UPL_TRY(db->vt->prepare(db, "SELECT id, area_code FROM household WHERE household_code = ?", &c->st_hh_find, c->err));
    /* household */
    add_cols(c, LV_HH, &cols, &vals, &set, &np);
    upl_sbuf_fmt(&sql, "INSERT INTO household (household_code, area_code%s, created_at, updated_at, import_id)"
                       " VALUES (?, ?%s, ?, ?, ?) ON CONFLICT (household_code) DO UPDATE SET"
                       " area_code = excluded.area_code%s, updated_at = excluded.updated_at,"
                       " import_id = excluded.import_id RETURNING id",
                 cols.s ? cols.s : "", vals.s ? vals.s : "", set.s ? set.s : "");
    UPL_FAIL_IF(sql.failed, c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->prepare(db, sql.s, &c->st_hh_up, c->err));
    c->hh_cols = upl_strdup(cols.s ? cols.s : "");
    c->hh_tuple = upl_asprintf("(?, ?%s, ?, ?, ?)", vals.s ? vals.s : "");
    c->hh_set = upl_strdup(set.s ? set.s : "");
    UPL_FAIL_IF(!c->hh_cols || !c->hh_tuple || !c->hh_set, c->err, UPL_ENOMEM, "out of memory");
    upl_sbuf_free(&cols); upl_sbuf_free(&vals); upl_sbuf_free(&set); upl_sbuf_free(&sql);
    /* household_wave */
    add_cols(c, LV_HW, &cols, &vals, &set, &np);
    upl_sbuf_fmt(&sql, "INSERT INTO household_wave (household_id, wave%s, import_id, updated_at)"
                       " VALUES (?, ?%s, ?, ?) ON CONFLICT (household_id, wave) DO UPDATE SET"
                       " import_id = excluded.import_id, updated_at = excluded.updated_at%s",
                 cols.s ? cols.s : "", vals.s ? vals.s : "", set.s ? set.s : "");
    UPL_FAIL_IF(sql.failed, c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->prepare(db, sql.s, &c->st_hw_up, c->err));
    c->hw_cols = upl_strdup(cols.s ? cols.s : "");
    c->hw_tuple = upl_asprintf("(?, ?%s, ?, ?)", vals.s ? vals.s : "");
    c->hw_set = upl_strdup(set.s ? set.s : "");
    UPL_FAIL_IF(!c->hw_cols || !c->hw_tuple || !c->hw_set, c->err, UPL_ENOMEM, "out of memory");
    upl_sbuf_free(&sql);
    /* previous wave values, for the audit diff */
    upl_sbuf_fmt(&sql, "SELECT (SELECT COUNT(*) FROM member_wave m WHERE m.household_id = w.household_id"
                       " AND m.wave = w.wave) AS n_members%s FROM household_wave w"
                       " WHERE w.household_id = ? AND w.wave = ?", cols.s ? cols.s : "");
    UPL_FAIL_IF(sql.failed, c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->prepare(db, sql.s, &c->st_hw_old, c->err));
    upl_sbuf_free(&cols); upl_sbuf_free(&vals); upl_sbuf_free(&set); upl_sbuf_free(&sql);
    /* member and member_wave: fragments kept for the batch statements */
    add_cols(c, LV_MB, &cols, &vals, &set, &np);
    c->mb_cols = upl_strdup(cols.s ? cols.s : "");
    c->mb_tuple = upl_asprintf("(?, ?%s, ?, ?)", vals.s ? vals.s : "");
    c->mb_set = upl_strdup(set.s ? set.s : "");
    upl_sbuf_free(&cols); upl_sbuf_free(&vals); upl_sbuf_free(&set);
    add_cols(c, LV_MW, &cols, &vals, &set, &np);
    c->mw_cols = upl_strdup(cols.s ? cols.s : "");
    c->mw_tuple = upl_asprintf("(?, ?, ?%s, ?)", vals.s ? vals.s : "");
    UPL_FAIL_IF(cols.failed || vals.failed || set.failed || !c->mb_cols || !c->mb_tuple || !c->mb_set ||
                !c->mw_cols || !c->mw_tuple, c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->prepare(db, "DELETE FROM member_wave WHERE household_id = ? AND wave = ?", &c->st_mw_del, c->err));
    /* Conflicts: members written by this import sharing a blind index with a
     * member of another household listed in the same wave (member_wave of
     * the other side for the imported wave: a person removed from household
     * A by a correction, or listed in A only in an earlier wave, is no
     * conflict when B lists them; if A's wave is imported later, the
     * conflict is found from A's side then). In a bulk load most of the registry was
     * just written, so the search starts from the blind values held more
     * than once (one ordered pass over the rebuilt index) instead of one
     * index probe per member written; the result is the same set. */
    UPL_TRY(db->vt->prepare(db, c->bulk
                                ? CONFLICT_SELECT "(SELECT id_blind FROM member WHERE id_blind IS NOT NULL"
                                  " GROUP BY id_blind HAVING COUNT(*) > 1) d" CONFLICT_FROM_CANDIDATES
                                : CONFLICT_SELECT "member_wave w JOIN member a ON a.id = w.member_id"
                                  " JOIN household ha ON ha.id = a.household_id" CONFLICT_OTHER_SIDE
                                  " WHERE w.import_id = ? AND w.wave = ? ORDER BY ha.household_code, hb.household_code",
                            &c->st_conflict_find, c->err));
    UPL_TRY(db->vt->prepare(db, "INSERT INTO conflict (kind, id_blind, id_masked, household_a, household_b,"
                                " area_a, area_b, escalate_to, import_id, created_at) VALUES"
                                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id_blind, household_a,"
                                " household_b) DO NOTHING RETURNING id", &c->st_conflict_ins, c->err));
    UPL_TRY(db->vt->prepare(db, "INSERT INTO quarantine (import_id, household_code, area_code, line, code,"
                                " field, message, raw_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &c->st_quar, c->err));
    rc = UPL_OK;
fail:
    upl_sbuf_free(&cols); upl_sbuf_free(&vals); upl_sbuf_free(&set); upl_sbuf_free(&sql);
    return rc;
}

static void finalize_all(ictx *c) {
    upl_db *db = c->r->db;
    upl_stmt **all[] = { &c->st_hh_find, &c->st_hh_up, &c->st_hw_old, &c->st_hw_up, &c->st_mb_up, &c->st_mw_del,
                         &c->st_mw_ins, &c->st_conflict_find, &c->st_conflict_ins, &c->st_quar,
                         &c->st_hw_old_batch, &c->st_mw_del_batch };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (*all[i]) db->vt->finalize(*all[i]);
        *all[i] = NULL;
    }
    for (int k = 0; k <= MEMBER_BATCH; k++) {
        if (c->st_mb_batch[k]) db->vt->finalize(c->st_mb_batch[k]);
        if (c->st_mw_batch[k]) db->vt->finalize(c->st_mw_batch[k]);
        c->st_mb_batch[k] = c->st_mw_batch[k] = NULL;
    }
    if (c->st_ids) db->vt->finalize(c->st_ids);
    c->st_ids = NULL;
    for (int k = 0; k <= MEMBER_BATCH; k++) {
        if (c->st_dmb[k]) db->vt->finalize(c->st_dmb[k]);
        c->st_dmb[k] = NULL;
    }
    for (int k = 0; k <= HH_BATCH; k++) {
        if (c->st_dhh[k]) db->vt->finalize(c->st_dhh[k]);
        if (c->st_dhw[k]) db->vt->finalize(c->st_dhw[k]);
        c->st_dhh[k] = c->st_dhw[k] = NULL;
    }
    for (int k = 0; k <= HH_BATCH; k++) {
        if (c->st_hh_batch[k]) db->vt->finalize(c->st_hh_batch[k]);
        if (c->st_hw_batch[k]) db->vt->finalize(c->st_hw_batch[k]);
        c->st_hh_batch[k] = c->st_hw_batch[k] = NULL;
    }
}

/* ---- ID numbers checked ahead, on a second thread ---------------------------------
 * The pure part of each member row — ID check and normalisation, blind
 * index, encryption of the normalised ID — is computed by a worker thread
 * in the order the main thread will need it (rows grouped by household),
 * at most AHEAD_RING rows ahead, while the main thread validates the rest
 * and writes. The worker never touches the database, the arena or the
 * allocator (the ring is allocated before it starts), so the results are
 * the same as computed inline; only the nonces differ, as they always do. */
#define AHEAD_RING 65536u            /* slots; a power of two */
#define AHEAD_STEP 512u              /* rows published / released at a time */
#define AHEAD_MIN_ROWS 20000u        /* below this a thread is not worth starting */

typedef struct idslot {
    int st;
    upl_id_result id;
    char blind[33];
    char enc[96];                    /* upl_reg_encrypted_size(23) = 89 */
} idslot;

typedef struct idahead {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    idslot *ring;
    const upl_registry *r;
    const upl_column *id_col;
    const size_t *order;
    size_t n;                         /* positions to compute */
    unsigned idopt;
    int today;
    size_t produced, consumed;        /* under mu */
    size_t seen;                      /* main thread: produced as last read */
    size_t released;                  /* main thread: consumed not yet published */
    bool stop;
    upl_nonce_pool nonces;            /* the worker's own */
} idahead;

static int id_status(const char *idt, size_t idn, unsigned idopt, int today, upl_id_result *out) {
    if (idt && idn == strlen(NUMERIC_MARK) && !memcmp(idt, NUMERIC_MARK, idn)) {
        memset(out, 0, sizeof *out);
        return out->status = UPL_ID_EXCEL_MANGLED;
    }
    return upl_id_check(idt, idt ? idn : 0, idopt, today, out);
}

static void *ahead_main(void *arg) {
    idahead *a = arg;
    for (size_t pos = 0; pos < a->n; pos++) {
        if (pos % AHEAD_STEP == 0) {
            pthread_mutex_lock(&a->mu);
            a->produced = pos;
            pthread_cond_broadcast(&a->cv);
            while (!a->stop && pos + AHEAD_STEP > a->consumed + AHEAD_RING) pthread_cond_wait(&a->cv, &a->mu);
            bool stop = a->stop;
            pthread_mutex_unlock(&a->mu);
            if (stop) return NULL;
        }
        idslot *sl = &a->ring[pos & (AHEAD_RING - 1)];
        size_t row = a->order[pos], n = 0;
        const char *s = NULL;
        if (a->id_col && upl_col_is_valid(a->id_col, row)) {
            s = upl_col_str(a->id_col, row, &n);
            s = trim(s, &n);
            if (!n) s = NULL;
        }
        sl->st = id_status(s, n, a->idopt, a->today, &sl->id);
        sl->enc[0] = 0;
        if (sl->st == UPL_ID_OK) {
            upl_reg_blind(a->r, sl->id.person, sl->blind);
            size_t len = strlen(sl->id.normalised);
            if (upl_reg_encrypt_into(a->r, "member.id_number", sl->id.normalised, len, upl_reg_nonce(&a->nonces),
                                     sl->enc, sizeof sl->enc) != UPL_OK)
                sl->enc[0] = 0;       /* cannot happen (len <= 22); the main thread then encrypts */
        }
    }
    pthread_mutex_lock(&a->mu);
    a->produced = a->n;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static const idslot *ahead_get(ictx *c, size_t pos) {
    idahead *a = c->ahead;
    if (pos >= a->seen) {
        pthread_mutex_lock(&a->mu);
        while (a->produced <= pos) pthread_cond_wait(&a->cv, &a->mu);
        a->seen = a->produced;
        pthread_mutex_unlock(&a->mu);
    }
    return &a->ring[pos & (AHEAD_RING - 1)];
}

/* Positions below `end` are no longer needed. */
static void ahead_release(ictx *c, size_t end) {
    idahead *a = c->ahead;
    if (end < a->released + AHEAD_STEP && end < a->n) return;
    a->released = end;
    pthread_mutex_lock(&a->mu);
    if (end > a->consumed) a->consumed = end;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static void ahead_stop(ictx *c) {
    idahead *a = c->ahead;
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->th, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    upl_free(a->ring);
    upl_free(a);
    c->ahead = NULL;
}

/* Start the worker for n grouped positions; without it (small import, no
 * thread available) everything is computed inline. */
static int ahead_start(ictx *c, const size_t *order, size_t n) {
    c->order = order;
    if (n < AHEAD_MIN_ROWS) return UPL_OK;
    idahead *a = upl_calloc(1, sizeof *a);
    if (!a) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
    a->ring = upl_malloc(AHEAD_RING * sizeof *a->ring);
    if (!a->ring) { upl_free(a); return upl_error_set(c->err, UPL_ENOMEM, "out of memory"); }
    a->r = c->r;
    a->id_col = c->col[field_index("id_number")];
    a->order = order;
    a->n = n;
    a->idopt = c->opt->allow_legacy_15 ? UPL_ID_ALLOW_15 : 0;
    a->today = c->today;
    a->nonces.off = sizeof a->nonces.buf;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->th, NULL, ahead_main, a) != 0) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        upl_free(a->ring);
        upl_free(a);
        return UPL_OK;
    }
    c->ahead = a;
    return UPL_OK;
}

/* ---- per-household processing ---------------------------------------------------- */
typedef struct member_parse {
    size_t row;
    pval v[N_FIELDS];
    upl_id_result id;
    char blind[33];
    bool is_head;
    bool is_dup_identical;   /* folded into an earlier identical row */
    char key[160];           /* member_key: p:<person_code> or i:<blind index> */
    int64_t member_id;
    const char *enc;         /* the encrypted ID (arena), when computed ahead */
} member_parse;

typedef struct pending_hh {
    char code[128], area[16];
    pval hv[N_FIELDS];
    member_parse *mps;     /* owned; n_live members, duplicates folded */
    size_t n_live;
    int64_t id;
    /* registered households (ictx.upd): */
    bool diff;             /* the stored wave may exist: diffed and replaced */
    int64_t known_id;      /* the id preloaded */
    char old_area[16];     /* the stored area (a move is audited) */
    size_t n_members;      /* members as counted for the audit diff */
} pending_hh;

/* A member row to write and the household it belongs to. */
typedef struct member_ref { member_parse *mp; int64_t hh_id; } member_ref;

static bool is_head_label(const char *s) {
    return s && (!strcmp(s, "户主") || !strcmp(s, "本人") || !strcmp(s, "1") || !strcmp(s, "01") ||
                 !strcmp(s, "head") || !strcmp(s, "Head"));
}
static bool is_spouse_label(const char *s) { return s && (!strcmp(s, "配偶") || !strcmp(s, "10") || !strcmp(s, "spouse")); }
static bool is_child_label(const char *s) {
    return s && (!strcmp(s, "之子") || !strcmp(s, "之女") || !strcmp(s, "子") || !strcmp(s, "女") ||
                 !strcmp(s, "20") || !strcmp(s, "30") || !strcmp(s, "son") || !strcmp(s, "daughter"));
}
static int sex_of_label(const char *s) {
    if (!s) return 0;
    if (!strcmp(s, "男") || !strcmp(s, "男性") || !strcmp(s, "1") || !strcmp(s, "M") || !strcmp(s, "male")) return 1;
    if (!strcmp(s, "女") || !strcmp(s, "女性") || !strcmp(s, "2") || !strcmp(s, "F") || !strcmp(s, "female")) return 2;
    return 0;
}

/* Map a code-list label to its current form (arena string); remember
 * unknown labels for the warnings file. */
static int normalise_code(ictx *c, int f, size_t row, const char *s, size_t n, const char **out) {
    const char *canon = NULL;
    bool alias = false;
    int st = upl_code_normalise(fields[f].name, s, n, &canon, &alias);
    *out = NULL;
    if (st == UPL_OK) {
        if (alias) c->n_code_alias++;
        *out = canon;
        return UPL_OK;
    }
    if (st == UPL_ENOTFOUND) {
        if (c->n_code_warns == c->cap_code_warns) {
            size_t cap = c->cap_code_warns ? c->cap_code_warns * 2 : 8;
            struct code_warn *p = upl_reallocarray(c->code_warns, cap, sizeof *p);
            if (!p) return UPL_ENOMEM;
            c->code_warns = p; c->cap_code_warns = cap;
        }
        const char *copy = upl_arena_strndup(c->arena, s, n);
        if (!copy) return UPL_ENOMEM;
        c->code_warns[c->n_code_warns++] = (struct code_warn){ row, f, copy };
    }
    return UPL_OK;
}

/* Parse one value of field f at row into pv; a bad value is a finding. */
static int parse_value(ictx *c, int f, size_t row, pval *pv, bool *bad) {
    size_t n;
    const char *s = fval(c, f, row, &n);
    memset(pv, 0, sizeof *pv);
    if (!s) {
        if (fields[f].is_required && fields[f].t != FT_ID) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_REQUIRED, "required value `%s` is empty / 必填项为空", fields[f].name);
        }
        return UPL_OK;
    }
    char date[32];
    pv->is_present = true;
    switch (fields[f].t) {
    case FT_TEXT: case FT_SECRET: case FT_ID:
        if (fields[f].t != FT_ID && n == strlen(NUMERIC_MARK) && !memcmp(s, NUMERIC_MARK, n)) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_BAD_VALUE, "text column stored as a floating-point number "
                               "(digits may be lost); format the column as Text and re-export / 文本列被存为数值");
        }
        if (fields[f].t == FT_TEXT) {
            const char *canon = NULL;
            if (normalise_code(c, f, row, s, n, &canon)) return UPL_ENOMEM;
            if (canon) { pv->s = canon; break; }
        }
        pv->s = upl_arena_strndup(c->arena, s, n);
        if (!pv->s) return UPL_ENOMEM;
        break;
    case FT_INT:
        if (!upl_parse_i64(s, n, &pv->i) || pv->i < 0) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_BAD_VALUE, "expected a whole number ≥ 0, found `%.*s` / 应为非负整数",
                               (int)(n > 40 ? 40 : n), s);
        }
        break;
    case FT_DEC:
        if (!upl_parse_f64(s, n, &pv->d) || pv->d < 0) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_BAD_VALUE, "expected a number ≥ 0, found `%.*s` / 应为非负数",
                               (int)(n > 40 ? 40 : n), s);
        }
        break;
    case FT_MONEY:
        if (!parse_money(s, n, fields[f].is_negative_ok, &pv->i)) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_BAD_VALUE,
                               "expected an amount in yuan with at most 2 decimals%s, found `%.*s` "
                               "(no separators, currency signs or 万) / 金额格式错误",
                               fields[f].is_negative_ok ? "" : " and not negative", (int)(n > 40 ? 40 : n), s);
        }
        break;
    case FT_BOOL:
        if (!parse_bool(s, n, &pv->i)) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_BAD_VALUE, "expected 是/否 (yes/no, 1/0), found `%.*s` / 应为是或否",
                               (int)(n > 40 ? 40 : n), s);
        }
        break;
    case FT_DATE: case FT_MONTH:
        if (!parse_date(s, n, date, fields[f].t == FT_MONTH)) {
            *bad = true;
            return add_finding(c, row, f, UPL_IMP_BAD_VALUE, "expected an unambiguous %s (%s), found `%.*s` / 日期格式错误",
                               fields[f].t == FT_MONTH ? "month" : "date",
                               fields[f].t == FT_MONTH ? "YYYYMM or YYYY-MM" : "YYYY-MM-DD, YYYYMMDD or YYYY年M月D日",
                               (int)(n > 40 ? 40 : n), s);
        }
        pv->s = upl_arena_strndup(c->arena, date, strlen(date));
        if (!pv->s) return UPL_ENOMEM;
        break;
    case FT_CODES: {
        const char *joined = parse_codes(c->arena, s, n);
        if (!joined) return UPL_ENOMEM;
        if (!*joined) { pv->is_present = false; break; }
        /* Normalise each label of the multi-select cell. */
        size_t jl = strlen(joined);
        char *outb = upl_arena_alloc(c->arena, jl * 4 + 1);
        if (!outb) return UPL_ENOMEM;
        size_t o = 0;
        for (const char *p = joined; *p;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            const char *canon = NULL;
            if (normalise_code(c, f, row, p, len, &canon)) return UPL_ENOMEM;
            if (o) outb[o++] = ',';
            if (canon) { memcpy(outb + o, canon, strlen(canon)); o += strlen(canon); }
            else { memcpy(outb + o, p, len); o += len; }
            p = e ? e + 1 : p + len;
        }
        outb[o] = 0;
        pv->s = outb;
        break;
    }
    }
    return UPL_OK;
}

/* Values of one row go either to statement parameters or to a line of
 * COPY text (PostgreSQL's text format: tab-separated, \N for NULL,
 * backslash escapes). Both receive exactly the same values: integers in
 * decimal, reals as "%.17g" (what the PostgreSQL driver sends for a bound
 * double), text as is. */
typedef struct emit {
    ictx *c;
    upl_stmt *st; int k;      /* statement: next parameter */
    bool ref;                 /* bind text without a copy (it lives until the step) */
    upl_sbuf *out; int col;   /* COPY: the row being written */
} emit;

static void copy_sep(emit *e) { if (e->col++) upl_sbuf_add(e->out, "\t", 1); }
static void copy_text(upl_sbuf *b, const char *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char esc = 0;
        switch (s[i]) {
        case '\\': esc = '\\'; break;
        case '\t': esc = 't'; break;
        case '\n': esc = 'n'; break;
        case '\r': esc = 'r'; break;
        default: continue;
        }
        upl_sbuf_add(b, s + run, i - run);
        char two[2] = { '\\', esc };
        upl_sbuf_add(b, two, 2);
        run = i + 1;
    }
    upl_sbuf_add(b, s + run, n - run);
}
static int em_text(emit *e, const char *s, size_t n) {
    if (n == (size_t)-1 && s) n = strlen(s);
    if (e->out) {
        copy_sep(e);
        if (!s) upl_sbuf_add(e->out, "\\N", 2);
        else copy_text(e->out, s, n);
        return e->out->failed ? UPL_ENOMEM : UPL_OK;
    }
    const upl_db_vt *vt = e->c->r->db->vt;
    return (e->ref ? vt->bind_text_ref : vt->bind_text)(e->st, e->k++, s, n);
}
static int em_null(emit *e) { return em_text(e, NULL, 0); }
static int em_i64(emit *e, int64_t v) {
    if (e->out) {
        char b[32];
        int n = snprintf(b, sizeof b, "%lld", (long long)v);
        copy_sep(e);
        upl_sbuf_add(e->out, b, (size_t)n);
        return e->out->failed ? UPL_ENOMEM : UPL_OK;
    }
    return e->c->r->db->vt->bind_i64(e->st, e->k++, v);
}
static int em_f64(emit *e, double v) {
    if (e->out) {
        char b[40];
        int n = snprintf(b, sizeof b, "%.17g", v);
        copy_sep(e);
        upl_sbuf_add(e->out, b, (size_t)n);
        return e->out->failed ? UPL_ENOMEM : UPL_OK;
    }
    return e->c->r->db->vt->bind_f64(e->st, e->k++, v);
}
static int em_end(emit *e) {
    if (!e->out) return UPL_OK;
    upl_sbuf_add(e->out, "\n", 1);
    e->col = 0;
    return e->out->failed ? UPL_ENOMEM : UPL_OK;
}

/* Encrypted text of a value in the arena (it lives until the batch is
 * written): nonce from the pool, no allocation per value. */
static int encrypt_arena(ictx *c, const char *context, const char *plain, size_t len, const char **out) {
    size_t cap = upl_reg_encrypted_size(len);
    char *buf = upl_arena_alloc(c->arena, cap);
    *out = NULL;
    if (!buf) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
    if (len <= 256) {
        if (upl_reg_encrypt_into(c->r, context, plain, len, upl_reg_nonce(&c->nonces), buf, cap))
            return upl_error_set(c->err, UPL_EMISUSE, "encryption buffer too small");
    } else {
        char *enc = NULL;
        int rc = upl_reg_encrypt(c->r, context, plain, len, &enc, c->err);
        if (rc) return rc;
        memcpy(buf, enc, strlen(enc) + 1);
        upl_free(enc);
    }
    *out = buf;
    return UPL_OK;
}

/* upl_reg_mask_digits into the arena. */
static const char *mask_arena(ictx *c, const char *s) {
    size_t n = strlen(s);
    char *m = upl_arena_alloc(c->arena, n + 1);
    if (!m) return NULL;
    for (size_t i = 0; i < n; i++) m[i] = (n <= 7 || i < 3 || i + 4 >= n) ? s[i] : '*';
    if (n <= 7) for (size_t i = 0; i + 2 < n; i++) m[i] = '*';
    m[n] = 0;
    return m;
}

static int emit_pval(ictx *c, emit *e, int f, const pval *pv, const member_parse *mp) {
    int rc = UPL_OK;
    if (fields[f].t == FT_ID) {
        const char *enc = mp->enc;
        if (!enc) UPL_TRY(encrypt_arena(c, "member.id_number", mp->id.normalised, strlen(mp->id.normalised), &enc));
        rc = em_text(e, enc, (size_t)-1);
        if (!rc) rc = em_text(e, mp->blind, (size_t)-1);
        if (!rc) rc = em_text(e, mp->id.masked, (size_t)-1);
        if (!rc) rc = em_i64(e, mp->id.flags);
        return rc;
    }
    if (fields[f].t == FT_SECRET) {
        if (!pv->is_present) {
            rc = em_null(e);
            if (!rc) rc = em_null(e);
            return rc;
        }
        const char *enc = NULL;
        UPL_TRY(encrypt_arena(c, fields[f].name, pv->s, strlen(pv->s), &enc));
        const char *mask = mask_arena(c, pv->s);
        if (!mask) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
        rc = em_text(e, enc, (size_t)-1);
        if (!rc) rc = em_text(e, mask, (size_t)-1);
        return rc;
    }
    if (!pv->is_present) return em_null(e);
    switch (fields[f].t) {
    case FT_INT: case FT_MONEY: case FT_BOOL: return em_i64(e, pv->i);
    case FT_DEC: return em_f64(e, pv->d);
    default: return em_text(e, pv->s, (size_t)-1);
    }
fail:
    return rc;
}

static int emit_level(ictx *c, emit *e, flevel lv, const pval *vals, const member_parse *mp) {
    for (int j = 0; j < c->n_lvf[lv]; j++) {
        int f = c->lvf[lv][j];
        int rc = emit_pval(c, e, f, &vals[f], mp);
        if (rc) return rc == UPL_ENOMEM ? upl_error_set(c->err, rc, "out of memory") : rc;
    }
    return UPL_OK;
}

static int bind_level(ictx *c, upl_stmt *st, int *k, flevel lv, const pval *vals, const member_parse *mp) {
    emit e = { c, st, *k, false, NULL, 0 };
    int rc = emit_level(c, &e, lv, vals, mp);
    *k = e.k;
    return rc;
}

static int step_done(ictx *c, upl_stmt *st) {
    bool row;
    int rc = c->r->db->vt->step(st, &row, c->err);
    return rc;
}

/* Common ancestor of two area codes at a level boundary (2, 4, 6, 9, 12). */
static void common_area(const char *a, const char *b, char out[13]) {
    static const int cuts[] = { 12, 9, 6, 4, 2, 0 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        int n = cuts[i];
        if ((int)strlen(a) >= n && (int)strlen(b) >= n && !strncmp(a, b, (size_t)n)) {
            memcpy(out, a, (size_t)n);
            out[n] = 0;
            return;
        }
    }
    out[0] = 0;
}

/* Compare a stored household wave (the current row of st: the member count
 * in column base, then the present LV_HW fields in fields[] order) with the
 * new values; append the changed fields to before/after as ",\"f\":v". */
static void diff_wave(ictx *c, upl_stmt *st, int base, const pval *hv, size_t n_members, upl_sbuf *before,
                      upl_sbuf *after) {
    const upl_db_vt *vt = c->r->db->vt;
    int k = base + 1;
    int64_t old_members = vt->col_i64(st, base);
    if (old_members != (int64_t)n_members) {
        upl_sbuf_fmt(before, ",\"members\":%lld", (long long)old_members);
        upl_sbuf_fmt(after, ",\"members\":%zu", n_members);
    }
    for (int f = 0; f < N_FIELDS; f++) {
        if (fields[f].lv != LV_HW || !field_present(c, f)) continue;
        int col = k++;
        bool old_null = vt->col_is_null(st, col);
        bool same;
        char oldbuf[64], newbuf[64];
        const char *os = NULL, *ns = NULL;
        if (old_null || !hv[f].is_present) same = old_null == !hv[f].is_present;
        else if (fields[f].t == FT_DEC) same = vt->col_f64(st, col) == hv[f].d;
        else if (fields[f].t == FT_INT || fields[f].t == FT_MONEY || fields[f].t == FT_BOOL)
            same = vt->col_i64(st, col) == hv[f].i;
        else { const char *o = vt->col_text(st, col, NULL); same = o && !strcmp(o, hv[f].s); }
        if (same) continue;
        if (!old_null) {
            if (fields[f].t == FT_DEC) { snprintf(oldbuf, sizeof oldbuf, "%.17g", vt->col_f64(st, col)); os = oldbuf; }
            else if (fields[f].t == FT_INT || fields[f].t == FT_MONEY || fields[f].t == FT_BOOL) {
                snprintf(oldbuf, sizeof oldbuf, "%lld", (long long)vt->col_i64(st, col)); os = oldbuf;
            } else os = vt->col_text(st, col, NULL);
        }
        if (hv[f].is_present) {
            if (fields[f].t == FT_DEC) { snprintf(newbuf, sizeof newbuf, "%.17g", hv[f].d); ns = newbuf; }
            else if (fields[f].t == FT_INT || fields[f].t == FT_MONEY || fields[f].t == FT_BOOL) {
                snprintf(newbuf, sizeof newbuf, "%lld", (long long)hv[f].i); ns = newbuf;
            } else ns = hv[f].s;
        }
        upl_sbuf_fmt(before, ",\"%s\":", fields[f].name);
        if (os) upl_sbuf_json(before, os); else upl_sbuf_str(before, "null");
        upl_sbuf_fmt(after, ",\"%s\":", fields[f].name);
        if (ns) upl_sbuf_json(after, ns); else upl_sbuf_str(after, "null");
    }
}

/* An audit entry of the household and conflict passes: added to the
 * import's batch (registry_audit.c; the same rows, chain and order as one
 * upl_reg_audit call each, without four statements per entry). */
static int audit_entry(ictx *c, const char *action, const char *object, const char *before, const char *after) {
    if (c->r->audit_batch) return upl_reg_audit_batch_add(c->r->audit_batch, action, object, before, after, c->err);
    return upl_reg_audit(c->r, action, object, before, after, c->err);
}

/* The household.update audit entry of a diff (nothing when no field changed). */
static int audit_update(ictx *c, const char *code, upl_sbuf *before, upl_sbuf *after) {
    int rc = UPL_OK;
    if (before->len || after->len) {
        UPL_FAIL_IF(before->failed || after->failed, c->err, UPL_ENOMEM, "out of memory");
        before->s[0] = '{'; after->s[0] = '{';
        upl_sbuf_str(before, "}"); upl_sbuf_str(after, "}");
        char obj[160];
        snprintf(obj, sizeof obj, "household:%s:%d", code, c->wave);
        UPL_FAIL_IF(before->failed || after->failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(audit_entry(c, "household.update", obj, before->s, after->s));
    }
fail:
    return rc;
}

/* Compare old and new household-wave values; audit the changed fields. */
static int audit_diff(ictx *c, const char *code, int64_t hh_id, const pval *hv, size_t n_members) {
    int rc;
    upl_db *db = c->r->db;
    const upl_db_vt *vt = db->vt;
    upl_sbuf before = {0}, after = {0};
    bool row = false;
    vt->reset(c->st_hw_old);
    UPL_TRY(vt->bind_i64(c->st_hw_old, 1, hh_id) ? upl_error_set(c->err, UPL_ENOMEM, "out of memory") : UPL_OK);
    UPL_TRY(vt->bind_i64(c->st_hw_old, 2, c->wave) ? upl_error_set(c->err, UPL_ENOMEM, "out of memory") : UPL_OK);
    UPL_TRY(vt->step(c->st_hw_old, &row, c->err));
    if (!row) { rc = UPL_OK; goto fail; }   /* a new wave for this household: the import entry covers it */
    diff_wave(c, c->st_hw_old, 0, hv, n_members, &before, &after);
    vt->reset(c->st_hw_old);
    c->sum->households_updated++;
    UPL_TRY(audit_update(c, code, &before, &after));
    rc = UPL_OK;
fail:
    vt->reset(c->st_hw_old);
    upl_sbuf_free(&before);
    upl_sbuf_free(&after);
    return rc;
}

static int quarantine_household(ictx *c, const size_t *rows, size_t n_rows, const char *code, const char *area) {
    int rc;
    upl_db *db = c->r->db;
    const upl_db_vt *vt = db->vt;
    UPL_TRY(open_rejects(c));
    c->sum->households_quarantined++;
    c->sum->rows_quarantined += n_rows;
    /* A summary of why, for rows that have no finding of their own. */
    const char *why = n_rows && c->n_finds ? c->finds[0].msg : "household inconsistent";
    const char *why_code = c->n_finds ? upl_import_code_name(c->finds[0].code) : "HOUSEHOLD";
    for (size_t i = 0; i < n_rows; i++) {
        size_t row = rows[i];
        bool own = false;
        for (size_t j = 0; j < c->n_finds; j++) {
            if (c->finds[j].row != row) continue;
            own = true;
            write_finding_line(c, c->rejects, &c->finds[j], upl_import_code_name(c->finds[j].code),
                               c->finds[j].msg, true);
        }
        if (!own) {
            finding fd = { row, -1, 0, NULL };
            char msg[640];
            snprintf(msg, sizeof msg, "household %s quarantined whole (%s: %s) / 整户暂存待核", code, why_code, why);
            write_finding_line(c, c->rejects, &fd, "HOUSEHOLD_QUARANTINED", msg, true);
        }
        /* The raw row, encrypted (it holds ID numbers), for review in the registry. */
        upl_sbuf raw = {0};
        upl_sbuf_str(&raw, "{");
        bool first = true;
        for (int f = 0; f < N_FIELDS; f++) {
            if (!c->col[f]) continue;
            size_t n = 0;
            const char *s = upl_col_is_valid(c->col[f], row) ? upl_col_str(c->col[f], row, &n) : "";
            char *tmp = upl_strndup(s, n);
            if (!tmp) { upl_sbuf_free(&raw); rc = upl_error_set(c->err, UPL_ENOMEM, "out of memory"); goto fail; }
            upl_sbuf_fmt(&raw, "%s\"%s\":", first ? "" : ",", fields[f].name);
            upl_sbuf_json(&raw, tmp);
            upl_free(tmp);
            first = false;
        }
        upl_sbuf_str(&raw, "}");
        if (raw.failed) { upl_sbuf_free(&raw); rc = upl_error_set(c->err, UPL_ENOMEM, "out of memory"); goto fail; }
        char *enc = NULL;
        rc = upl_reg_encrypt(c->r, "quarantine.raw", raw.s, raw.len, &enc, c->err);
        upl_sbuf_free(&raw);
        if (rc) goto fail;
        const finding *first_fd = NULL;
        for (size_t j = 0; j < c->n_finds; j++) if (c->finds[j].row == row) { first_fd = &c->finds[j]; break; }
        vt->reset(c->st_quar);
        int k = 1;
        rc = vt->bind_i64(c->st_quar, k++, c->import_id);
        if (!rc) rc = vt->bind_text(c->st_quar, k++, code, (size_t)-1);
        if (!rc) rc = area ? vt->bind_text(c->st_quar, k++, area, (size_t)-1) : vt->bind_null(c->st_quar, k++);
        if (!rc) rc = vt->bind_i64(c->st_quar, k++, (int64_t)row_line(c, row));
        if (!rc) rc = vt->bind_text(c->st_quar, k++, first_fd ? upl_import_code_name(first_fd->code) : "HOUSEHOLD_QUARANTINED", (size_t)-1);
        if (!rc) rc = (first_fd && first_fd->field >= 0) ? vt->bind_text(c->st_quar, k++, fields[first_fd->field].name, (size_t)-1)
                                                         : vt->bind_null(c->st_quar, k++);
        if (!rc) rc = vt->bind_text(c->st_quar, k++, first_fd ? first_fd->msg : why, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_quar, k++, enc, (size_t)-1);
        upl_free(enc);
        UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(step_done(c, c->st_quar));
        vt->reset(c->st_quar);
    }
    rc = UPL_OK;
fail:
    return rc;
}

static int write_warnings(ictx *c) {
    int rc = UPL_OK;
    for (size_t j = 0; j < c->n_finds; j++) {
        if (!c->warnings) UPL_TRY(open_warnings(c));
        write_finding_line(c, c->warnings, &c->finds[j], upl_import_code_name(c->finds[j].code), c->finds[j].msg, false);
    }
fail:
    return rc;
}

/* Conflicts (catalogue item 8), set-based once all households are written:
 * every member written by this import whose blind index also belongs to a
 * member of another household listed in the same wave — earlier in the same
 * file or already in the registry — gives one conflict record per pair of households (ordered, so
 * the pair is recorded once; re-imports add nothing). One query for the
 * whole import instead of one lookup per member. */
typedef struct conflict_hit { char *blind, *masked, *ha, *aa, *hb, *ab; } conflict_hit;

/* Remember the blind index (32 hex digits) of a member written. */
static int note_blind(ictx *c, const char *hex) {
    if (!c->dup_client) return UPL_OK;
    if (c->n_blinds == c->cap_blinds) {
        size_t cap = c->cap_blinds ? c->cap_blinds * 2 : 65536;
        uint64_t (*p)[2] = upl_reallocarray(c->blinds, cap, sizeof *p);
        if (!p) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
        c->blinds = p; c->cap_blinds = cap;
    }
    uint64_t v[2] = { 0, 0 };
    for (int i = 0; i < 32 && hex[i]; i++) {
        int d = hex[i] <= '9' ? hex[i] - '0' : (hex[i] | 0x20) - 'a' + 10;
        v[i / 16] = v[i / 16] << 4 | (uint64_t)(d & 15);
    }
    c->blinds[c->n_blinds][0] = v[0];
    c->blinds[c->n_blinds][1] = v[1];
    c->n_blinds++;
    return UPL_OK;
}

static int cmp_blind(const void *a, const void *b) {
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* A first load on PostgreSQL: the registry held no member before, so a
 * blind index belonging to two households is one this import wrote twice.
 * The client knows them all: sorted, the repeated ones become the search's
 * starting set (as an array parameter), instead of the server grouping
 * every member's blind index (10 s for 3.5 M members; the same rows
 * result). *out is a PostgreSQL array literal, or NULL when no blind index
 * repeats (then there is no conflict). */
static int repeated_blinds(ictx *c, char **out) {
    upl_sbuf b = {0};
    *out = NULL;
    qsort(c->blinds, c->n_blinds, sizeof *c->blinds, cmp_blind);
    size_t n = 0;
    upl_sbuf_str(&b, "{");
    for (size_t i = 1; i < c->n_blinds; i++) {
        if (cmp_blind(c->blinds[i], c->blinds[i - 1]) || (i > 1 && !cmp_blind(c->blinds[i - 1], c->blinds[i - 2])))
            continue;
        upl_sbuf_fmt(&b, "%s%016llx%016llx", n++ ? "," : "", (unsigned long long)c->blinds[i][0],
                     (unsigned long long)c->blinds[i][1]);
    }
    upl_sbuf_str(&b, "}");
    if (b.failed) { upl_sbuf_free(&b); return upl_error_set(c->err, UPL_ENOMEM, "out of memory"); }
    if (n) *out = b.s;
    else upl_sbuf_free(&b);
    return UPL_OK;
}

static int detect_conflicts(ictx *c) {
    int rc;
    const upl_db_vt *vt = c->r->db->vt;
    conflict_hit *hits = NULL;
    size_t n = 0, cap = 0;
    bool row = false;
    char *repeated = NULL;
    if (c->dup_client) {
        UPL_TRY(repeated_blinds(c, &repeated));
        if (!repeated) { rc = UPL_OK; goto fail; }
        c->r->db->vt->finalize(c->st_conflict_find);
        c->st_conflict_find = NULL;
        UPL_TRY(vt->prepare(c->r->db,
                            CONFLICT_SELECT "(SELECT unnest(CAST(? AS text[])) AS id_blind) d" CONFLICT_FROM_CANDIDATES,
                            &c->st_conflict_find, c->err));
        UPL_FAIL_IF(vt->bind_text(c->st_conflict_find, 1, repeated, (size_t)-1), c->err, UPL_ENOMEM, "out of memory");
        upl_free(repeated);
        repeated = NULL;
        UPL_FAIL_IF(vt->bind_i64(c->st_conflict_find, 2, c->import_id) || vt->bind_i64(c->st_conflict_find, 3, c->wave),
                    c->err, UPL_ENOMEM, "out of memory");
    } else {
        vt->reset(c->st_conflict_find);
        UPL_FAIL_IF(vt->bind_i64(c->st_conflict_find, 1, c->import_id) || vt->bind_i64(c->st_conflict_find, 2, c->wave),
                    c->err, UPL_ENOMEM, "out of memory");
    }
    UPL_TRY(vt->step(c->st_conflict_find, &row, c->err));
    while (row) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            conflict_hit *p = upl_reallocarray(hits, cap, sizeof *p);
            UPL_FAIL_IF(!p, c->err, UPL_ENOMEM, "out of memory");
            hits = p;
        }
        conflict_hit *h = &hits[n];
        memset(h, 0, sizeof *h);
        n++;
        char **dst[6] = { &h->blind, &h->masked, &h->ha, &h->aa, &h->hb, &h->ab };
        for (int i = 0; i < 6; i++) {
            const char *v = vt->col_text(c->st_conflict_find, i, NULL);
            *dst[i] = upl_strdup(v ? v : "");
            UPL_FAIL_IF(!*dst[i], c->err, UPL_ENOMEM, "out of memory");
        }
        UPL_TRY(vt->step(c->st_conflict_find, &row, c->err));
    }
    vt->reset(c->st_conflict_find);
    for (size_t i = 0; i < n; i++) {
        conflict_hit *h = &hits[i];
        bool swap = strcmp(h->ha, h->hb) > 0;
        const char *ha = swap ? h->hb : h->ha, *hb = swap ? h->ha : h->hb;
        const char *aa = swap ? h->ab : h->aa, *ab = swap ? h->aa : h->ab;
        char lca[13];
        common_area(aa, ab, lca);
        const char *kind = strcmp(aa, ab) ? "same_person_two_areas" : "same_person_two_households";
        vt->reset(c->st_conflict_ins);
        int k = 1;
        rc = vt->bind_text(c->st_conflict_ins, k++, kind, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, h->blind, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, h->masked, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, ha, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, hb, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, aa, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, ab, (size_t)-1);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, lca, (size_t)-1);
        if (!rc) rc = vt->bind_i64(c->st_conflict_ins, k++, c->import_id);
        if (!rc) rc = vt->bind_text(c->st_conflict_ins, k++, c->now, (size_t)-1);
        UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(vt->step(c->st_conflict_ins, &row, c->err));
        vt->reset(c->st_conflict_ins);
        if (!row) continue;               /* recorded before (re-import, or the pair seen from the other side) */
        c->sum->conflicts++;
        c->sum->by_code[UPL_IMP_CONFLICT]++;
        char obj[300], after[200];
        snprintf(obj, sizeof obj, "conflict:%.120s:%.120s", ha, hb);
        snprintf(after, sizeof after, "{\"kind\":\"%s\",\"id\":\"%.24s\",\"escalate_to\":\"%s\"}", kind,
                 h->masked, lca);
        UPL_TRY(audit_entry(c, "conflict.open", obj, NULL, after));
    }
    rc = UPL_OK;
fail:
    upl_free(repeated);
    if (c->st_conflict_find) vt->reset(c->st_conflict_find);
    vt->reset(c->st_conflict_ins);
    for (size_t i = 0; i < n; i++) {
        upl_free(hits[i].blind); upl_free(hits[i].masked); upl_free(hits[i].ha);
        upl_free(hits[i].aa); upl_free(hits[i].hb); upl_free(hits[i].ab);
    }
    upl_free(hits);
    return rc;
}

/* The k-row member upsert (RETURNING id, household_id, member_key: rows are
 * matched back by household and key, not by position) and the k-row
 * member_wave insert. */
static int batch_statements(ictx *c, int k, upl_stmt **mb, upl_stmt **mw) {
    int rc = UPL_OK;
    upl_db *db = c->r->db;
    upl_sbuf a = {0}, b = {0};
    if (!c->st_mb_batch[k]) {
        upl_sbuf_fmt(&a, "INSERT INTO member (household_id, member_key%s, created_at, updated_at) VALUES ", c->mb_cols);
        for (int i = 0; i < k; i++) upl_sbuf_fmt(&a, "%s%s", i ? ", " : "", c->mb_tuple);
        upl_sbuf_fmt(&a, " ON CONFLICT (household_id, member_key) DO UPDATE SET updated_at = excluded.updated_at%s"
                         " RETURNING id, household_id, member_key", c->mb_set);
        UPL_FAIL_IF(a.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(db->vt->prepare(db, a.s, &c->st_mb_batch[k], c->err));
    }
    if (!c->st_mw_batch[k]) {
        upl_sbuf_fmt(&b, "INSERT INTO member_wave (member_id, wave, household_id%s, import_id) VALUES ", c->mw_cols);
        for (int i = 0; i < k; i++) upl_sbuf_fmt(&b, "%s%s", i ? ", " : "", c->mw_tuple);
        UPL_FAIL_IF(b.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(db->vt->prepare(db, b.s, &c->st_mw_batch[k], c->err));
    }
    *mb = c->st_mb_batch[k];
    *mw = c->st_mw_batch[k];
fail:
    upl_sbuf_free(&a);
    upl_sbuf_free(&b);
    return rc;
}

/* Members of one or several households, MEMBER_BATCH rows per statement:
 * the member upserts, ids matched back, then the member_wave rows. */
static int write_members(ictx *c, const member_ref *refs, size_t n) {
    int rc = UPL_OK;
    const upl_db_vt *vt = c->r->db->vt;
    for (size_t b0 = 0; b0 < n; b0 += MEMBER_BATCH) {
        int kb = (int)(n - b0 < MEMBER_BATCH ? n - b0 : MEMBER_BATCH);
        upl_stmt *mb = NULL, *mw = NULL;
        UPL_TRY(batch_statements(c, kb, &mb, &mw));
        int k = 1;
        vt->reset(mb);
        for (int j = 0; j < kb; j++) {
            const member_ref *m = &refs[b0 + (size_t)j];
            UPL_TRY(note_blind(c, m->mp->blind));
            m->mp->member_id = 0;
            rc = vt->bind_i64(mb, k++, m->hh_id);
            if (!rc) rc = vt->bind_text(mb, k++, m->mp->key, (size_t)-1);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(bind_level(c, mb, &k, LV_MB, m->mp->v, m->mp));
            rc = vt->bind_text(mb, k++, c->now, (size_t)-1);
            if (!rc) rc = vt->bind_text(mb, k++, c->now, (size_t)-1);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
        }
        bool row = false;
        int got = 0;
        UPL_TRY(vt->step(mb, &row, c->err));
        while (row) {
            size_t kl;
            int64_t hid = vt->col_i64(mb, 1);
            const char *rk = vt->col_text(mb, 2, &kl);
            for (int j = 0; rk && j < kb; j++) {
                const member_ref *m = &refs[b0 + (size_t)j];
                if (m->hh_id == hid && !m->mp->member_id && strlen(m->mp->key) == kl && !memcmp(m->mp->key, rk, kl)) {
                    m->mp->member_id = vt->col_i64(mb, 0);
                    got++;
                    break;
                }
            }
            UPL_TRY(vt->step(mb, &row, c->err));
        }
        vt->reset(mb);
        UPL_FAIL_IF(got != kb, c->err, UPL_EDB, "member upsert returned %d ids for %d members", got, kb);
        k = 1;
        vt->reset(mw);
        for (int j = 0; j < kb; j++) {
            const member_ref *m = &refs[b0 + (size_t)j];
            rc = vt->bind_i64(mw, k++, m->mp->member_id);
            if (!rc) rc = vt->bind_i64(mw, k++, c->wave);
            if (!rc) rc = vt->bind_i64(mw, k++, m->hh_id);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(bind_level(c, mw, &k, LV_MW, m->mp->v, m->mp));
            UPL_FAIL_IF(vt->bind_i64(mw, k++, c->import_id), c->err, UPL_ENOMEM, "out of memory");
        }
        UPL_TRY(step_done(c, mw));
        vt->reset(mw);
    }
    rc = UPL_OK;
fail:
    return rc;
}

/* The k-row household upsert (RETURNING id, household_code) and k-row
 * household_wave upsert for new households: the same statements as the
 * one-household path, with k tuples. */
static int hh_batch_statements(ictx *c, int k, upl_stmt **hs, upl_stmt **ws) {
    int rc = UPL_OK;
    upl_db *db = c->r->db;
    upl_sbuf a = {0}, b = {0};
    if (!c->st_hh_batch[k]) {
        upl_sbuf_fmt(&a, "INSERT INTO household (household_code, area_code%s, created_at, updated_at, import_id) VALUES ",
                     c->hh_cols);
        for (int i = 0; i < k; i++) upl_sbuf_fmt(&a, "%s%s", i ? ", " : "", c->hh_tuple);
        upl_sbuf_fmt(&a, " ON CONFLICT (household_code) DO UPDATE SET area_code = excluded.area_code%s,"
                         " updated_at = excluded.updated_at, import_id = excluded.import_id RETURNING id, household_code",
                     c->hh_set);
        UPL_FAIL_IF(a.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(db->vt->prepare(db, a.s, &c->st_hh_batch[k], c->err));
    }
    if (!c->st_hw_batch[k]) {
        upl_sbuf_fmt(&b, "INSERT INTO household_wave (household_id, wave%s, import_id, updated_at) VALUES ", c->hw_cols);
        for (int i = 0; i < k; i++) upl_sbuf_fmt(&b, "%s%s", i ? ", " : "", c->hw_tuple);
        upl_sbuf_fmt(&b, " ON CONFLICT (household_id, wave) DO UPDATE SET import_id = excluded.import_id,"
                         " updated_at = excluded.updated_at%s", c->hw_set);
        UPL_FAIL_IF(b.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(db->vt->prepare(db, b.s, &c->st_hw_batch[k], c->err));
    }
    *hs = c->st_hh_batch[k];
    *ws = c->st_hw_batch[k];
fail:
    upl_sbuf_free(&a);
    upl_sbuf_free(&b);
    return rc;
}

static void free_pending(ictx *c) {
    for (size_t i = 0; i < c->n_pend; i++) { upl_free(c->pend[i].mps); c->pend[i].mps = NULL; }
    c->n_pend = 0;
}

/* ---- bulk loads: new households written directly ----------------------------------
 * In a bulk load (defer_indexes) no other writer can add households or
 * members while the import runs (SQLite: one writer; PostgreSQL: the
 * dropped foreign keys hold locks on household and member until the
 * commit), and a pending household is new by construction. So its rows
 * need no upsert and no RETURNING: the ids come from the tables' own
 * sequences — the values the upserts would have taken, in the same order,
 * so the registry is identical — and the rows go out as plain multi-row
 * INSERTs (SQLite) or as COPY text (PostgreSQL; sent by copy_flush before
 * anything reads these tables). */
enum { CP_HH, CP_HW, CP_MB, CP_MW };
#define DIRECT_BATCH 4096
#define COPY_FLUSH_BYTES (8u << 20)

/* Send the gathered rows: on a second thread (copy_start) while the next
 * rows are prepared; the driver waits for it before the connection's next
 * use. The two sets of texts alternate. */
static int copy_flush(ictx *c) {
    int rc = UPL_OK;
    upl_db *db = c->r->db;
    const char *sql[4], *data[4];
    size_t len[4];
    int n = 0;
    for (int i = 0; i < 4; i++) {
        if (!c->copy[i].len) continue;
        sql[n] = c->copy_sql[i]; data[n] = c->copy[i].s; len[n] = c->copy[i].len;
        n++;
    }
    if (!n) return UPL_OK;
    UPL_TRY(db->vt->copy_start(db, n, sql, data, len, c->err));
    for (int i = 0; i < 4; i++) {
        upl_sbuf t = c->copy[i];
        c->copy[i] = c->copy_sent[i];
        c->copy_sent[i] = t;
        c->copy[i].len = 0;
    }
fail:
    return rc;
}

/* n_hh household ids then n_mb member ids into c->ids. */
static int reserve_ids(ictx *c, size_t n_hh, size_t n_mb) {
    int rc = UPL_OK;
    const upl_db_vt *vt = c->r->db->vt;
    bool row = false;
    if (n_hh + n_mb > c->cap_ids) {
        size_t cap = (n_hh + n_mb) * 2;
        int64_t *p = upl_reallocarray(c->ids, cap, sizeof *p);
        UPL_FAIL_IF(!p, c->err, UPL_ENOMEM, "out of memory");
        c->ids = p; c->cap_ids = cap;
    }
    vt->reset(c->st_ids);
    if (c->is_pg) {
        /* One setval per sequence takes the block [last - n + 1, last]:
         * the values n nextval calls would return. No other session can
         * take values in between: in a bulk load the dropped foreign keys
         * keep household and member locked against inserts until the
         * commit, and nothing else in uplift calls nextval. */
        UPL_FAIL_IF(vt->bind_i64(c->st_ids, 1, (int64_t)n_hh) || vt->bind_i64(c->st_ids, 2, (int64_t)n_mb),
                    c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(vt->step(c->st_ids, &row, c->err));
        UPL_FAIL_IF(!row, c->err, UPL_EDB, "id reservation returned no row");
        int64_t hh_last = vt->col_i64(c->st_ids, 0), mb_last = vt->col_i64(c->st_ids, 1);
        for (size_t i = 0; i < n_hh; i++) c->ids[i] = hh_last - (int64_t)n_hh + 1 + (int64_t)i;
        for (size_t i = 0; i < n_mb; i++) c->ids[n_hh + i] = mb_last - (int64_t)n_mb + 1 + (int64_t)i;
    } else {
        /* AUTOINCREMENT's next value: above both the largest id ever used
         * (sqlite_sequence) and the largest present. */
        UPL_TRY(vt->step(c->st_ids, &row, c->err));
        UPL_FAIL_IF(!row, c->err, UPL_EDB, "id reservation returned no row");
        int64_t hh0 = vt->col_i64(c->st_ids, 0), mb0 = vt->col_i64(c->st_ids, 1);
        for (size_t i = 0; i < n_hh; i++) c->ids[i] = hh0 + 1 + (int64_t)i;
        for (size_t i = 0; i < n_mb; i++) c->ids[n_hh + i] = mb0 + 1 + (int64_t)i;
    }
fail:
    vt->reset(c->st_ids);
    return rc;
}

static int prepare_direct(ictx *c) {
    int rc = UPL_OK;
    upl_db *db = c->r->db;
    c->copy_sql[CP_HH] = upl_asprintf("COPY household (id, household_code, area_code%s, created_at, updated_at,"
                                      " import_id) FROM STDIN", c->hh_cols);
    c->copy_sql[CP_HW] = upl_asprintf("COPY household_wave (household_id, wave%s, import_id, updated_at) FROM STDIN",
                                      c->hw_cols);
    c->copy_sql[CP_MB] = upl_asprintf("COPY member (id, household_id, member_key%s, created_at, updated_at)"
                                      " FROM STDIN", c->mb_cols);
    c->copy_sql[CP_MW] = upl_asprintf("COPY member_wave (member_id, wave, household_id%s, import_id) FROM STDIN",
                                      c->mw_cols);
    for (int i = 0; i < 4; i++) UPL_FAIL_IF(!c->copy_sql[i], c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->prepare(db, c->is_pg
        ? "SELECT setval(h, nextval(h) + CAST(? AS bigint) - 1), setval(m, nextval(m) + CAST(? AS bigint) - 1)"
          " FROM (SELECT pg_get_serial_sequence('household', 'id') AS h,"
          " pg_get_serial_sequence('member', 'id') AS m) q"
        : "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'household'), 0),"
          " COALESCE((SELECT MAX(id) FROM household), 0)),"
          " MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'member'), 0),"
          " COALESCE((SELECT MAX(id) FROM member), 0))", &c->st_ids, c->err));
fail:
    return rc;
}

/* SQLite: the k-row plain INSERTs with explicit ids (household, wave,
 * member); member_wave uses the ordinary k-row insert. */
static int direct_statements(ictx *c, upl_stmt **slot, int k, const char *head, const char *tuple) {
    int rc = UPL_OK;
    upl_sbuf a = {0};
    if (!*slot) {
        upl_sbuf_str(&a, head);
        for (int i = 0; i < k; i++) upl_sbuf_fmt(&a, "%s%s", i ? ", " : "", tuple);
        UPL_FAIL_IF(a.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(c->r->db->vt->prepare(c->r->db, a.s, slot, c->err));
    }
fail:
    upl_sbuf_free(&a);
    return rc;
}

static int flush_direct(ictx *c) {
    int rc = UPL_OK;
    const upl_db_vt *vt = c->r->db->vt;
    upl_sbuf head = {0}, tuple = {0};
    size_t kh = c->n_pend, n_mb = 0;
    for (size_t j = 0; j < kh; j++) n_mb += c->pend[j].n_live;
    UPL_TRY(reserve_ids(c, kh, n_mb));
    size_t m = 0;
    for (size_t j = 0; j < kh; j++) {
        c->pend[j].id = c->ids[j];
        for (size_t i = 0; i < c->pend[j].n_live; i++) c->pend[j].mps[i].member_id = c->ids[kh + m++];
    }
    if (c->is_pg) {
        for (size_t j = 0; j < kh; j++) {
            pending_hh *p = &c->pend[j];
            emit e = { c, NULL, 0, false, &c->copy[CP_HH], 0 };
            UPL_FAIL_IF(em_i64(&e, p->id) || em_text(&e, p->code, (size_t)-1) || em_text(&e, p->area, (size_t)-1),
                        c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(emit_level(c, &e, LV_HH, p->hv, NULL));
            UPL_FAIL_IF(em_text(&e, c->now, (size_t)-1) || em_text(&e, c->now, (size_t)-1) ||
                        em_i64(&e, c->import_id) || em_end(&e), c->err, UPL_ENOMEM, "out of memory");
            e = (emit){ c, NULL, 0, false, &c->copy[CP_HW], 0 };
            UPL_FAIL_IF(em_i64(&e, p->id) || em_i64(&e, c->wave), c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(emit_level(c, &e, LV_HW, p->hv, NULL));
            UPL_FAIL_IF(em_i64(&e, c->import_id) || em_text(&e, c->now, (size_t)-1) || em_end(&e),
                        c->err, UPL_ENOMEM, "out of memory");
            for (size_t i = 0; i < p->n_live; i++) {
                member_parse *mp = &p->mps[i];
                UPL_TRY(note_blind(c, mp->blind));
                e = (emit){ c, NULL, 0, false, &c->copy[CP_MB], 0 };
                UPL_FAIL_IF(em_i64(&e, mp->member_id) || em_i64(&e, p->id) || em_text(&e, mp->key, (size_t)-1),
                            c->err, UPL_ENOMEM, "out of memory");
                UPL_TRY(emit_level(c, &e, LV_MB, mp->v, mp));
                UPL_FAIL_IF(em_text(&e, c->now, (size_t)-1) || em_text(&e, c->now, (size_t)-1) || em_end(&e),
                            c->err, UPL_ENOMEM, "out of memory");
                e = (emit){ c, NULL, 0, false, &c->copy[CP_MW], 0 };
                UPL_FAIL_IF(em_i64(&e, mp->member_id) || em_i64(&e, c->wave) || em_i64(&e, p->id),
                            c->err, UPL_ENOMEM, "out of memory");
                UPL_TRY(emit_level(c, &e, LV_MW, mp->v, mp));
                UPL_FAIL_IF(em_i64(&e, c->import_id) || em_end(&e), c->err, UPL_ENOMEM, "out of memory");
            }
        }
        size_t total = 0;
        for (int i = 0; i < 4; i++) total += c->copy[i].len;
        if (total >= COPY_FLUSH_BYTES) UPL_TRY(copy_flush(c));
        goto done;
    }
    /* SQLite: households and their waves, HH_BATCH rows per statement. */
    for (size_t j0 = 0; j0 < kh; j0 += HH_BATCH) {
        size_t kk = kh - j0 < HH_BATCH ? kh - j0 : HH_BATCH;
        upl_stmt *hs = NULL, *ws = NULL;
        upl_sbuf_fmt(&head, "INSERT INTO household (id, household_code, area_code%s, created_at, updated_at,"
                            " import_id) VALUES ", c->hh_cols);
        upl_sbuf_fmt(&tuple, "(?, %s", c->hh_tuple + 1);
        UPL_FAIL_IF(head.failed || tuple.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(direct_statements(c, &c->st_dhh[kk], (int)kk, head.s, tuple.s));
        upl_sbuf_free(&head); upl_sbuf_free(&tuple);
        upl_sbuf_fmt(&head, "INSERT INTO household_wave (household_id, wave%s, import_id, updated_at) VALUES ",
                     c->hw_cols);
        UPL_FAIL_IF(head.failed, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(direct_statements(c, &c->st_dhw[kk], (int)kk, head.s, c->hw_tuple));
        upl_sbuf_free(&head);
        hs = c->st_dhh[kk]; ws = c->st_dhw[kk];
        emit e = { c, hs, 1, true, NULL, 0 }, w = { c, ws, 1, true, NULL, 0 };
        vt->reset(hs); vt->reset(ws);
        for (size_t j = j0; j < j0 + kk; j++) {
            pending_hh *p = &c->pend[j];
            UPL_FAIL_IF(em_i64(&e, p->id) || em_text(&e, p->code, (size_t)-1) || em_text(&e, p->area, (size_t)-1),
                        c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(emit_level(c, &e, LV_HH, p->hv, NULL));
            UPL_FAIL_IF(em_text(&e, c->now, (size_t)-1) || em_text(&e, c->now, (size_t)-1) ||
                        em_i64(&e, c->import_id), c->err, UPL_ENOMEM, "out of memory");
            UPL_FAIL_IF(em_i64(&w, p->id) || em_i64(&w, c->wave), c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(emit_level(c, &w, LV_HW, p->hv, NULL));
            UPL_FAIL_IF(em_i64(&w, c->import_id) || em_text(&w, c->now, (size_t)-1), c->err, UPL_ENOMEM,
                        "out of memory");
        }
        rc = step_done(c, hs);
        vt->reset(hs);
        UPL_TRY(rc);
        rc = step_done(c, ws);
        vt->reset(ws);
        UPL_TRY(rc);
    }
    /* Members and member waves, MEMBER_BATCH rows per statement. */
    upl_sbuf_fmt(&head, "INSERT INTO member (id, household_id, member_key%s, created_at, updated_at) VALUES ",
                 c->mb_cols);
    upl_sbuf_fmt(&tuple, "(?, %s", c->mb_tuple + 1);
    UPL_FAIL_IF(head.failed || tuple.failed, c->err, UPL_ENOMEM, "out of memory");
    {
        size_t j = 0, i = 0;   /* household, member within it */
        while (j < kh) {
            size_t j0 = j, i0 = i;
            int kb = 0;
            for (size_t jj = j, ii = i; jj < kh && kb < MEMBER_BATCH;) {
                if (ii < c->pend[jj].n_live) { kb++; ii++; } else { jj++; ii = 0; }
            }
            if (!kb) break;
            upl_stmt *ms = NULL, *mb_unused = NULL, *mw = NULL;
            UPL_TRY(direct_statements(c, &c->st_dmb[kb], kb, head.s, tuple.s));
            UPL_TRY(batch_statements(c, kb, &mb_unused, &mw));
            ms = c->st_dmb[kb];
            emit e = { c, ms, 1, true, NULL, 0 }, w = { c, mw, 1, true, NULL, 0 };
            vt->reset(ms); vt->reset(mw);
            for (int n = 0; n < kb;) {
                pending_hh *p = &c->pend[j0];
                if (i0 >= p->n_live) { j0++; i0 = 0; continue; }
                member_parse *mp = &p->mps[i0++];
                n++;
                UPL_FAIL_IF(em_i64(&e, mp->member_id) || em_i64(&e, p->id) || em_text(&e, mp->key, (size_t)-1),
                            c->err, UPL_ENOMEM, "out of memory");
                UPL_TRY(emit_level(c, &e, LV_MB, mp->v, mp));
                UPL_FAIL_IF(em_text(&e, c->now, (size_t)-1) || em_text(&e, c->now, (size_t)-1), c->err, UPL_ENOMEM,
                            "out of memory");
                UPL_FAIL_IF(em_i64(&w, mp->member_id) || em_i64(&w, c->wave) || em_i64(&w, p->id), c->err,
                            UPL_ENOMEM, "out of memory");
                UPL_TRY(emit_level(c, &w, LV_MW, mp->v, mp));
                UPL_FAIL_IF(em_i64(&w, c->import_id), c->err, UPL_ENOMEM, "out of memory");
            }
            rc = step_done(c, ms);
            vt->reset(ms);
            UPL_TRY(rc);
            rc = step_done(c, mw);
            vt->reset(mw);
            UPL_TRY(rc);
            j = j0; i = i0;
        }
    }
done:
    rc = UPL_OK;
fail:
    upl_sbuf_free(&head);
    upl_sbuf_free(&tuple);
    free_pending(c);
    upl_arena_reset(c->arena);
    return rc;
}

/* Write the waiting new households: households (ids matched back by code),
 * their waves, then all their members. Inside the import's transaction
 * like every other write: an error here rolls back the whole import. */
/* Upsert kh households (household, household_wave, members, member waves)
 * with multi-row statements: HH_BATCH households and MEMBER_BATCH members
 * per statement, ids matched back by key. */
static int write_hh_batch(ictx *c, pending_hh *v, int kh) {
    int rc = UPL_OK;
    const upl_db_vt *vt = c->r->db->vt;
    member_ref *refs = NULL;
    upl_stmt *hs = NULL, *ws = NULL;
    UPL_TRY(hh_batch_statements(c, kh, &hs, &ws));
    int k = 1;
    vt->reset(hs);
    for (int j = 0; j < kh; j++) {
        pending_hh *p = &v[j];
        p->id = 0;
        rc = vt->bind_text(hs, k++, p->code, (size_t)-1);
        if (!rc) rc = vt->bind_text(hs, k++, p->area, (size_t)-1);
        UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(bind_level(c, hs, &k, LV_HH, p->hv, NULL));
        rc = vt->bind_text(hs, k++, c->now, (size_t)-1);
        if (!rc) rc = vt->bind_text(hs, k++, c->now, (size_t)-1);
        if (!rc) rc = vt->bind_i64(hs, k++, c->import_id);
        UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
    }
    {
        bool row = false;
        int got = 0;
        UPL_TRY(vt->step(hs, &row, c->err));
        while (row) {
            size_t cl;
            const char *rc_code = vt->col_text(hs, 1, &cl);
            for (int j = 0; rc_code && j < kh; j++) {
                pending_hh *p = &v[j];
                if (!p->id && strlen(p->code) == cl && !memcmp(p->code, rc_code, cl)) {
                    p->id = vt->col_i64(hs, 0);
                    got++;
                    break;
                }
            }
            UPL_TRY(vt->step(hs, &row, c->err));
        }
        vt->reset(hs);
        UPL_FAIL_IF(got != kh, c->err, UPL_EDB, "household upsert returned %d ids for %d households", got, kh);
    }
    k = 1;
    vt->reset(ws);
    size_t n_members = 0;
    for (int j = 0; j < kh; j++) {
        pending_hh *p = &v[j];
        rc = vt->bind_i64(ws, k++, p->id);
        if (!rc) rc = vt->bind_i64(ws, k++, c->wave);
        UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(bind_level(c, ws, &k, LV_HW, p->hv, NULL));
        rc = vt->bind_i64(ws, k++, c->import_id);
        if (!rc) rc = vt->bind_text(ws, k++, c->now, (size_t)-1);
        UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
        n_members += p->n_live;
    }
    UPL_TRY(step_done(c, ws));
    vt->reset(ws);
    refs = upl_calloc(n_members ? n_members : 1, sizeof *refs);
    UPL_FAIL_IF(!refs, c->err, UPL_ENOMEM, "out of memory");
    size_t m = 0;
    for (int j = 0; j < kh; j++)
        for (size_t i = 0; i < v[j].n_live; i++) refs[m++] = (member_ref){ &v[j].mps[i], v[j].id };
    UPL_TRY(write_members(c, refs, n_members));
    rc = UPL_OK;
fail:
    if (hs) vt->reset(hs);
    if (ws) vt->reset(ws);
    upl_free(refs);
    return rc;
}

/* A statement over the ids of up to HH_BATCH households: `head` then
 * "(?, ..., ?)" with HH_BATCH placeholders (unused ones bound to 0, an id
 * no row has). */
static int ids_statement(ictx *c, upl_stmt **slot, const char *head) {
    int rc = UPL_OK;
    upl_sbuf b = {0};
    if (*slot) return UPL_OK;
    upl_sbuf_str(&b, head);
    for (int i = 0; i < HH_BATCH; i++) upl_sbuf_str(&b, i ? ", ?" : "(?");
    upl_sbuf_str(&b, ")");
    UPL_FAIL_IF(b.failed, c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(c->r->db->vt->prepare(c->r->db, b.s, slot, c->err));
fail:
    upl_sbuf_free(&b);
    return rc;
}

static int bind_batch_ids(ictx *c, upl_stmt *st) {
    const upl_db_vt *vt = c->r->db->vt;
    int k = 1, rc = vt->bind_i64(st, k++, c->wave);
    for (size_t i = 0; !rc && i < HH_BATCH; i++)
        rc = vt->bind_i64(st, k++, i < c->n_upd && c->upd[i].diff ? c->upd[i].known_id : 0);
    return rc ? upl_error_set(c->err, UPL_ENOMEM, "out of memory") : UPL_OK;
}

/* The waiting registered households (see ictx.upd), in the order of the
 * one-by-one path: their stored waves read in one query and diffed here,
 * the audit entries (household.update, household.move) appended in file
 * order, their member-wave rows of this wave deleted in one statement,
 * then the batch upserts. The arena is left alone: the household being
 * processed may hold strings in it. */
static int flush_updates(ictx *c) {
    int rc = UPL_OK;
    const upl_db_vt *vt = c->r->db->vt;
    size_t n = c->n_upd;
    upl_sbuf *bef = NULL, *aft = NULL;
    bool *found = NULL, any_diff = false;
    if (!n) return UPL_OK;
    for (size_t i = 0; i < n; i++) any_diff |= c->upd[i].diff;
    if (any_diff) {
        bef = upl_calloc(n, sizeof *bef);
        aft = upl_calloc(n, sizeof *aft);
        found = upl_calloc(n, sizeof *found);
        UPL_FAIL_IF(!bef || !aft || !found, c->err, UPL_ENOMEM, "out of memory");
        char *head = upl_asprintf("SELECT w.household_id, (SELECT COUNT(*) FROM member_wave m WHERE"
                                  " m.household_id = w.household_id AND m.wave = w.wave) AS n_members%s"
                                  " FROM household_wave w WHERE w.wave = ? AND w.household_id IN ", c->hw_cols);
        UPL_FAIL_IF(!head, c->err, UPL_ENOMEM, "out of memory");
        rc = ids_statement(c, &c->st_hw_old_batch, head);
        upl_free(head);
        UPL_TRY(rc);
        upl_stmt *st = c->st_hw_old_batch;
        vt->reset(st);
        UPL_TRY(bind_batch_ids(c, st));
        bool row = false;
        UPL_TRY(vt->step(st, &row, c->err));
        while (row) {
            int64_t hid = vt->col_i64(st, 0);
            for (size_t i = 0; i < n; i++) {
                pending_hh *p = &c->upd[i];
                if (!p->diff || found[i] || p->known_id != hid) continue;
                found[i] = true;
                diff_wave(c, st, 1, p->hv, p->n_members, &bef[i], &aft[i]);
                break;
            }
            UPL_TRY(vt->step(st, &row, c->err));
        }
        vt->reset(st);
    }
    for (size_t i = 0; i < n; i++) {
        pending_hh *p = &c->upd[i];
        if (found && found[i]) {
            c->sum->households_updated++;
            UPL_TRY(audit_update(c, p->code, &bef[i], &aft[i]));
        }
        if (strcmp(p->old_area, p->area)) {
            char obj[160], before[64], after[64];
            snprintf(obj, sizeof obj, "household:%s", p->code);
            snprintf(before, sizeof before, "{\"area_code\":\"%s\"}", p->old_area);
            snprintf(after, sizeof after, "{\"area_code\":\"%s\"}", p->area);
            UPL_TRY(audit_entry(c, "household.move", obj, before, after));
        }
    }
    if (any_diff) {
        UPL_TRY(ids_statement(c, &c->st_mw_del_batch, "DELETE FROM member_wave WHERE wave = ? AND household_id IN "));
        vt->reset(c->st_mw_del_batch);
        UPL_TRY(bind_batch_ids(c, c->st_mw_del_batch));
        UPL_TRY(step_done(c, c->st_mw_del_batch));
        vt->reset(c->st_mw_del_batch);
    }
    UPL_TRY(write_hh_batch(c, c->upd, (int)n));
fail:
    if (c->st_hw_old_batch) vt->reset(c->st_hw_old_batch);
    for (size_t i = 0; bef && i < n; i++) { upl_sbuf_free(&bef[i]); upl_sbuf_free(&aft[i]); }
    upl_free(bef);
    upl_free(aft);
    upl_free(found);
    for (size_t i = 0; i < n; i++) { upl_free(c->upd[i].mps); c->upd[i].mps = NULL; }
    c->n_upd = 0;
    return rc;
}

static int flush_pending(ictx *c) {
    int rc = UPL_OK;
    /* Registered households waiting were processed before these: written first. */
    rc = flush_updates(c);
    if (rc) { free_pending(c); return rc; }
    if (!c->n_pend) return UPL_OK;
    if (c->direct) return flush_direct(c);
    rc = write_hh_batch(c, c->pend, (int)c->n_pend);
    free_pending(c);
    upl_arena_reset(c->arena);
    return rc;
}

/* Households already in the registry, for the existence check of each
 * household of the file: one query instead of one round trip per
 * household (on PostgreSQL a round trip costs more than the insert). Only
 * when the registry holds at most 4 households per household of the file,
 * so a small correction to a large registry does not read it all. */
static int preload_households(ictx *c, size_t n_groups) {
    int rc;
    upl_db *db = c->r->db;
    const upl_db_vt *vt = db->vt;
    upl_stmt *st = NULL;
    int64_t count = 0;
    bool found = false, row = false;
    UPL_TRY(upl_db_query_i64(db, "SELECT COUNT(*) FROM household", &count, &found, c->err, ""));
    if (count < 0 || (uint64_t)count > 4 * (uint64_t)n_groups) return UPL_OK;
    UPL_FAIL_IF(smap_init(&c->known, (size_t)count + 16) != UPL_OK, c->err, UPL_ENOMEM, "out of memory");
    c->known_v = upl_calloc((size_t)count + 16, sizeof *c->known_v);
    c->known_arena = upl_arena_new(0);
    UPL_FAIL_IF(!c->known_v || !c->known_arena, c->err, UPL_ENOMEM, "out of memory");
    UPL_TRY(vt->prepare(db, "SELECT household_code, id, area_code FROM household", &st, c->err));
    UPL_TRY(vt->step(st, &row, c->err));
    while (row) {
        /* Rows added since the count (another writer, PostgreSQL): give up
         * the preload and look households up one by one. */
        if (c->n_known == (size_t)count + 16) goto give_up;
        size_t cl;
        const char *code = vt->col_text(st, 0, &cl);
        if (code) {
            hh_look *l = &c->known_v[c->n_known];
            char *k = upl_arena_strndup(c->known_arena, code, cl);
            UPL_FAIL_IF(!k, c->err, UPL_ENOMEM, "out of memory");
            l->id = vt->col_i64(st, 1);
            const char *a = vt->col_text(st, 2, NULL);
            snprintf(l->area, sizeof l->area, "%s", a ? a : "");
            int32_t v;
            if (!smap_get_or_put(&c->known, k, cl, (int32_t)c->n_known, &v)) c->n_known++;
        }
        UPL_TRY(vt->step(st, &row, c->err));
    }
    c->known_loaded = true;
    rc = UPL_OK;
    goto fail;
give_up:
    rc = UPL_OK;
fail:
    vt->finalize(st);
    return rc;
}

/* The existence check for one household from the preloaded set. */
static void known_household(ictx *c, size_t row, hh_look *out) {
    size_t n;
    const char *s = fval(c, F_HOUSEHOLD_CODE, row, &n);
    memset(out, 0, sizeof *out);
    out->is_long = n > 120;
    if (!s || out->is_long) return;
    /* The map is read only: a probe for an absent key stops at an empty slot. */
    size_t mask = c->known.cap - 1, i = (size_t)hash_bytes(s, n) & mask;
    while (c->known.keys[i]) {
        if (c->known.lens[i] == n && !memcmp(c->known.keys[i], s, n)) {
            *out = c->known_v[c->known.vals[i]];
            return;
        }
        i = (i + 1) & mask;
    }
}

static bool same_member_rows(const ictx *c, size_t a, size_t b) {
    for (int f = 0; f < N_FIELDS; f++) {
        if (!c->col[f]) continue;
        size_t na, nb;
        const char *sa = fval(c, f, a, &na), *sb = fval(c, f, b, &nb);
        if (na != nb || (na && memcmp(sa, sb, na))) return false;
    }
    return true;
}

static int process_household(ictx *c, const size_t *rows, size_t n_rows, const hh_look *lk) {
    int rc;
    const upl_db_vt *vt = c->r->db->vt;
    member_parse *mps = NULL;
    pval hv[N_FIELDS];
    bool bad = false, pending_owns = false;
    size_t n;
    char code[128], area[16];
    const char *s = fval(c, F_HOUSEHOLD_CODE, rows[0], &n);
    snprintf(code, sizeof code, "%.*s", (int)(n > 120 ? 120 : n), s ? s : "");
    /* Existing household elsewhere: the actor must cover both areas. The
     * lookup comes first: it may write the waiting households, which resets
     * the arena, so nothing of this household may be in the arena yet. */
    int64_t existing_id = 0;
    char existing_area[16] = "";
    if (lk && !lk->is_long) {
        existing_id = lk->id;
        snprintf(existing_area, sizeof existing_area, "%s", lk->area);
    } else {
        /* Not preloaded (a small import into a large registry), or a code
         * cut to 120 bytes that may equal an earlier one of this import:
         * write the waiting households first, then look it up alone. */
        bool row = false;
        UPL_TRY(flush_pending(c));
        if (c->direct && c->is_pg) UPL_TRY(copy_flush(c));
        vt->reset(c->st_hh_find);
        UPL_FAIL_IF(vt->bind_text(c->st_hh_find, 1, code, (size_t)-1), c->err, UPL_ENOMEM, "out of memory");
        UPL_TRY(vt->step(c->st_hh_find, &row, c->err));
        if (row) {
            existing_id = vt->col_i64(c->st_hh_find, 0);
            const char *ea = vt->col_text(c->st_hh_find, 1, NULL);
            snprintf(existing_area, sizeof existing_area, "%s", ea ? ea : "");
        }
        vt->reset(c->st_hh_find);
    }
    if (!c->n_pend && !c->n_upd) upl_arena_reset(c->arena);   /* waiting households keep their strings */
    c->n_finds = 0;
    c->n_code_warns = 0;
    c->n_code_alias = 0;
    /* Household-level columns must agree between member rows (blanks allowed). */
    for (int j = 0; j < c->n_lvf[4]; j++) {
        int f = c->lvf[4][j];
        size_t rep = SIZE_MAX;
        for (size_t i = 0; i < n_rows; i++) {
            size_t ln;
            const char *v = fval(c, f, rows[i], &ln);
            if (!v) continue;
            if (rep == SIZE_MAX) { rep = rows[i]; continue; }
            size_t rn;
            const char *rv = fval(c, f, rep, &rn);
            if (rn != ln || memcmp(rv, v, ln)) {
                bad = true;
                UPL_TRY(add_finding(c, rows[i], f, UPL_IMP_HOUSEHOLD_FIELDS,
                                    "household column differs from line %llu of the same household / 同户数据不一致",
                                    (unsigned long long)row_line(c, rep)));
                break;
            }
        }
        UPL_TRY(parse_value(c, f, rep == SIZE_MAX ? rows[0] : rep, &hv[f], &bad));
    }
    /* Area: 12 digits, inside the actor's scope. */
    s = fval(c, F_AREA_CODE, rows[0], &n);
    bool area_ok = s && n == 12;
    for (size_t i = 0; area_ok && i < n; i++) area_ok = s[i] >= '0' && s[i] <= '9';
    snprintf(area, sizeof area, "%.*s", (int)(area_ok ? 12 : 0), area_ok ? s : "");
    if (!area_ok && hv[F_AREA_CODE].is_present) {
        bad = true;
        UPL_TRY(add_finding(c, rows[0], F_AREA_CODE, UPL_IMP_BAD_VALUE,
                            "area_code must be the 12-digit statistical division code / 行政区划代码应为12位"));
    }
    if (area_ok && (!upl_registry_in_scope(c->r, area) || (existing_id && !upl_registry_in_scope(c->r, existing_area)))) {
        /* Catalogue item 19: refuse, report, audit; never store someone else's rows. */
        UPL_TRY(open_rejects(c));
        for (size_t i = 0; i < n_rows; i++) {
            finding fd = { rows[i], F_AREA_CODE, UPL_IMP_OUT_OF_SCOPE, NULL };
            char msg[300];
            snprintf(msg, sizeof msg, "area %s is outside the scope of `%s` (%s); row refused / 超出权限范围，拒绝导入",
                     existing_id && !upl_registry_in_scope(c->r, existing_area) ? existing_area : area,
                     c->r->actor, c->r->scope[0] ? c->r->scope : "all");
            write_finding_line(c, c->rejects, &fd, "OUT_OF_SCOPE", msg, true);
        }
        c->sum->by_code[UPL_IMP_OUT_OF_SCOPE] += n_rows;
        c->n_out_of_scope_rows += n_rows;
        c->sum->rows_quarantined += n_rows;
        c->sum->households_quarantined++;
        if (c->scope_areas.len < 400) upl_sbuf_fmt(&c->scope_areas, "%s\"%s\"", c->scope_areas.len ? "," : "", area);
        return UPL_OK;
    }
    /* Members. */
    mps = upl_calloc(n_rows, sizeof *mps);
    UPL_FAIL_IF(!mps, c->err, UPL_ENOMEM, "out of memory");
    int id_f = field_index("id_number"), rel_f = field_index("relation_to_head"), sex_f = field_index("sex"),
        birth_f = field_index("birth_date");
    unsigned idopt = c->opt->allow_legacy_15 ? UPL_ID_ALLOW_15 : 0;
    /* A household larger than a quarter of the ring (a file whose rows all
     * share one code) is checked inline: the worker could not get that far
     * ahead of the household's first row. */
    bool ahead = c->ahead && n_rows <= AHEAD_RING / 4;
    size_t n_members = 0, n_heads = 0;
    for (size_t i = 0; i < n_rows; i++) {
        member_parse *mp = &mps[i];
        mp->row = rows[i];
        for (int j = 0; j < c->n_lvf[5]; j++) {
            int f = c->lvf[5][j];
            UPL_TRY(parse_value(c, f, rows[i], &mp->v[f], &bad));
        }
        int st;
        if (ahead) {
            const idslot *sl = ahead_get(c, (size_t)(rows - c->order) + i);
            st = sl->st;
            mp->id = sl->id;
            if (st == UPL_ID_OK) {
                memcpy(mp->blind, sl->blind, sizeof mp->blind);
                char *e = upl_arena_strndup(c->arena, sl->enc, strlen(sl->enc));
                UPL_FAIL_IF(!e, c->err, UPL_ENOMEM, "out of memory");
                mp->enc = e;
            }
        } else {
            size_t idn;
            const char *idt = fval(c, id_f, rows[i], &idn);
            st = id_status(idt, idn, idopt, c->today, &mp->id);
        }
        if (st != UPL_ID_OK) {
            bad = true;
            int code_ = st == UPL_ID_EXCEL_MANGLED ? UPL_IMP_ID_EXCEL_MANGLED : st == UPL_ID_EMPTY ? UPL_IMP_REQUIRED
                                                                                                   : UPL_IMP_ID_INVALID;
            UPL_TRY(add_finding(c, rows[i], id_f, code_, "%s: %s", upl_id_status_name(st), upl_id_status_message(st)));
            continue;
        }
        if (!ahead) upl_reg_blind(c->r, mp->id.person, mp->blind);
        /* Same person twice in this household (catalogue item 7). */
        bool dup = false;
        for (size_t j = 0; j < i; j++) {
            if (mps[j].id.status != UPL_ID_OK || mps[j].is_dup_identical || strcmp(mps[j].blind, mp->blind)) continue;
            dup = true;
            if (same_member_rows(c, mps[j].row, rows[i])) {
                mp->is_dup_identical = true;
                c->sum->by_code[UPL_IMP_DUP_IN_HOUSEHOLD]++;
                c->sum->warnings++;
            } else {
                bad = true;
                UPL_TRY(add_finding(c, rows[i], id_f, UPL_IMP_DUP_IN_HOUSEHOLD,
                                    "same person as line %llu of this household, with different values / 同一人在户内重复且信息不一致",
                                    (unsigned long long)row_line(c, mps[j].row)));
            }
            break;
        }
        if (mp->is_dup_identical) continue;
        (void)dup;
        n_members++;
        mp->is_head = is_head_label(mp->v[rel_f].s);
        if (mp->is_head) n_heads++;
        /* birth_date against the ID (item 12): an error. */
        /* (A birth_date the parser refused is present without a value: its
         * finding is recorded already and the household is quarantined.) */
        if (birth_f >= 0 && mp->v[birth_f].is_present && mp->v[birth_f].s) {
            char idd[32];
            snprintf(idd, sizeof idd, "%04d-%02d-%02d", mp->id.birth_year, mp->id.birth_month, mp->id.birth_day);
            if (strcmp(idd, mp->v[birth_f].s) != 0) {
                bad = true;
                UPL_TRY(add_finding(c, rows[i], birth_f, UPL_IMP_DATE_MISMATCH,
                                    "birth date %s differs from the date in the ID number (%s) / 出生日期与证件号码不符",
                                    mp->v[birth_f].s, idd));
            }
        }
    }
    /* Member keys; one person code twice in a household is a duplicate too. */
    int pc_f = field_index("person_code");
    for (size_t i = 0; i < n_rows; i++) {
        member_parse *mp = &mps[i];
        if (mp->is_dup_identical || mp->id.status != UPL_ID_OK) continue;
        if (mp->v[pc_f].is_present) snprintf(mp->key, sizeof mp->key, "p:%.150s", mp->v[pc_f].s);
        else snprintf(mp->key, sizeof mp->key, "i:%s", mp->blind);
        for (size_t j = 0; j < i; j++) {
            if (mps[j].is_dup_identical || mps[j].id.status != UPL_ID_OK || strcmp(mps[j].key, mp->key)) continue;
            bad = true;
            UPL_TRY(add_finding(c, rows[i], pc_f, UPL_IMP_DUP_IN_HOUSEHOLD,
                                "person_code repeated from line %llu of this household / 人编号在户内重复",
                                (unsigned long long)row_line(c, mps[j].row)));
            break;
        }
    }
    /* Household composition (item 9). */
    if (hv[field_index("household_size")].is_present && !bad) {
        int64_t declared = hv[field_index("household_size")].i;
        if (declared != (int64_t)n_members) {
            bad = true;
            UPL_TRY(add_finding(c, rows[0], field_index("household_size"), UPL_IMP_SIZE_MISMATCH,
                                "household_size is %lld but the file has %zu member rows / 家庭人口数与成员行数不符",
                                (long long)declared, n_members));
        }
    }
    if (!bad && n_heads != 1) {
        bad = true;
        UPL_TRY(add_finding(c, rows[0], rel_f, UPL_IMP_HEAD_COUNT,
                            "household has %zu heads (户主); exactly one expected / 户主人数应为1", n_heads));
    }
    if (bad) {
        for (size_t j = 0; j < c->n_finds; j++) c->sum->by_code[c->finds[j].code]++;
        UPL_TRY(quarantine_household(c, rows, n_rows, code, area_ok ? area : NULL));
        rc = UPL_OK;
        goto fail;
    }
    /* Warnings (items 13, 14, unknown code labels): recorded, never changing a value. */
    c->n_finds = 0;
    for (size_t j = 0; j < c->n_code_warns; j++)
        UPL_TRY(add_finding(c, c->code_warns[j].row, c->code_warns[j].field, UPL_IMP_CODE_UNKNOWN,
                            "`%.60s` is not in the %s code list; kept as written / 代码表中无此值，按原值保存",
                            c->code_warns[j].label, fields[c->code_warns[j].field].name));
    c->sum->by_code[UPL_IMP_CODE_ALIAS] += c->n_code_alias;
    int head_year = 0, head_md = 0;
    for (size_t i = 0; i < n_rows; i++) if (!mps[i].is_dup_identical && mps[i].is_head) {
        head_year = mps[i].id.birth_year; head_md = mps[i].id.birth_month * 100 + mps[i].id.birth_day;
    }
    int today = c->today;
    for (size_t i = 0; i < n_rows; i++) {
        member_parse *mp = &mps[i];
        if (mp->is_dup_identical) continue;
        int sx = sex_f >= 0 ? sex_of_label(mp->v[sex_f].s) : 0;
        if (sx && sx != mp->id.sex) {
            UPL_TRY(add_finding(c, mp->row, sex_f, UPL_IMP_SEX_MISMATCH,
                                "sex `%s` disagrees with the ID number's sequence parity (%s) / 性别与证件号码不符",
                                mp->v[sex_f].s, mp->id.sex == 1 ? "male/男" : "female/女"));
        }
        int birth = mp->id.birth_year * 10000 + mp->id.birth_month * 100 + mp->id.birth_day;
        int age = (today - birth) / 10000;
        const char *rel = mp->v[rel_f].s;
        if (age > 120)
            UPL_TRY(add_finding(c, mp->row, id_f, UPL_IMP_AGE_IMPLAUSIBLE, "age %d is over 120 / 年龄超过120岁", age));
        else if (is_spouse_label(rel) && age < 15)
            UPL_TRY(add_finding(c, mp->row, rel_f, UPL_IMP_AGE_IMPLAUSIBLE, "spouse aged %d / 配偶年龄过小", age));
        else if (is_child_label(rel) && head_year &&
                 (mp->id.birth_year * 10000 + mp->id.birth_month * 100 + mp->id.birth_day) <
                     head_year * 10000 + head_md)
            UPL_TRY(add_finding(c, mp->row, rel_f, UPL_IMP_AGE_IMPLAUSIBLE,
                                "child born before the head of household / 子女比户主年长"));
    }
    if (c->opt->sex_mismatch_is_error) {
        bool any = false;
        for (size_t j = 0; j < c->n_finds; j++) if (c->finds[j].code == UPL_IMP_SEX_MISMATCH) any = true;
        if (any) {
            for (size_t j = 0; j < c->n_finds; j++) c->sum->by_code[c->finds[j].code]++;
            UPL_TRY(quarantine_household(c, rows, n_rows, code, area));
            rc = UPL_OK;
            goto fail;
        }
    }
    for (size_t j = 0; j < c->n_finds; j++) { c->sum->by_code[c->finds[j].code]++; c->sum->warnings++; }
    UPL_TRY(write_warnings(c));
    /* Members to write: identical duplicates folded. */
    size_t n_live = 0;
    for (size_t i = 0; i < n_rows; i++) if (!mps[i].is_dup_identical) mps[n_live++] = mps[i];
    if (!existing_id) {
        /* New household: written with up to HH_BATCH - 1 others (flush_pending). */
        pending_hh *p = &c->pend[c->n_pend];
        memset(p, 0, sizeof *p);
        snprintf(p->code, sizeof p->code, "%s", code);
        snprintf(p->area, sizeof p->area, "%s", area);
        memcpy(p->hv, hv, sizeof hv);
        p->mps = mps;
        p->n_live = n_live;
        c->n_pend++;
        pending_owns = true;
        c->sum->households_new++;
    } else if (lk && !lk->is_long) {
        /* Registered before the import (preloaded): queued and written
         * HH_BATCH at a time (flush_updates), stored waves read and diffed
         * in one query per batch — none when no household had this wave
         * when the import began (wave_absent: the next year's export). */
        pending_hh *p = &c->upd[c->n_upd];
        memset(p, 0, sizeof *p);
        snprintf(p->code, sizeof p->code, "%s", code);
        snprintf(p->area, sizeof p->area, "%s", area);
        snprintf(p->old_area, sizeof p->old_area, "%s", existing_area);
        memcpy(p->hv, hv, sizeof hv);
        p->mps = mps;
        p->n_live = n_live;
        p->n_members = n_members;
        p->known_id = existing_id;
        p->diff = !c->wave_absent;
        c->n_upd++;
        pending_owns = true;
    } else {
        /* Household already in the registry whose wave may be stored: written
         * now, one at a time, with the audit diff against its stored wave
         * (after the queued ones, which were processed before it). */
        int64_t hh_id = 0;
        UPL_TRY(flush_updates(c));
        {
            bool row = false;
            int k = 1;
            upl_stmt *st = c->st_hh_up;
            vt->reset(st);
            rc = vt->bind_text(st, k++, code, (size_t)-1);
            if (!rc) rc = vt->bind_text(st, k++, area, (size_t)-1);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(bind_level(c, st, &k, LV_HH, hv, NULL));
            rc = vt->bind_text(st, k++, c->now, (size_t)-1);
            if (!rc) rc = vt->bind_text(st, k++, c->now, (size_t)-1);
            if (!rc) rc = vt->bind_i64(st, k++, c->import_id);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(vt->step(st, &row, c->err));
            UPL_FAIL_IF(!row, c->err, UPL_EDB, "household upsert returned no id");
            hh_id = vt->col_i64(st, 0);
            vt->reset(st);
        }
        UPL_TRY(audit_diff(c, code, hh_id, hv, n_members));
        if (strcmp(existing_area, area)) {
            char obj[160], before[64], after[64];
            snprintf(obj, sizeof obj, "household:%s", code);
            snprintf(before, sizeof before, "{\"area_code\":\"%s\"}", existing_area);
            snprintf(after, sizeof after, "{\"area_code\":\"%s\"}", area);
            UPL_TRY(audit_entry(c, "household.move", obj, before, after));
        }
        {
            int k = 1;
            upl_stmt *st = c->st_hw_up;
            vt->reset(st);
            rc = vt->bind_i64(st, k++, hh_id);
            if (!rc) rc = vt->bind_i64(st, k++, c->wave);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(bind_level(c, st, &k, LV_HW, hv, NULL));
            rc = vt->bind_i64(st, k++, c->import_id);
            if (!rc) rc = vt->bind_text(st, k++, c->now, (size_t)-1);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(step_done(c, st));
            vt->reset(st);
        }
        {
            vt->reset(c->st_mw_del);
            rc = vt->bind_i64(c->st_mw_del, 1, hh_id);
            if (!rc) rc = vt->bind_i64(c->st_mw_del, 2, c->wave);
            UPL_FAIL_IF(rc, c->err, UPL_ENOMEM, "out of memory");
            UPL_TRY(step_done(c, c->st_mw_del));
            vt->reset(c->st_mw_del);
        }
        member_ref refs[MEMBER_BATCH];
        for (size_t b0 = 0; b0 < n_live; b0 += MEMBER_BATCH) {
            size_t kb = n_live - b0 < MEMBER_BATCH ? n_live - b0 : MEMBER_BATCH;
            for (size_t j = 0; j < kb; j++) refs[j] = (member_ref){ &mps[b0 + j], hh_id };
            UPL_TRY(write_members(c, refs, kb));
        }
    }
    for (size_t i = 0; i < n_live; i++) {
        member_parse *mp = &mps[i];
        if (mp->id.flags & UPL_IDF_CONVERTED_15) c->sum->by_code[UPL_IMP_ID_LEGACY_15]++;
        if (mp->id.flags & UPL_IDF_NORMALISED) c->sum->by_code[UPL_IMP_ID_NORMALISED]++;
        if ((mp->id.flags & (UPL_IDF_CONVERTED_15 | UPL_IDF_NORMALISED)) && c->n_normalised_listed < 1000) {
            upl_sbuf_fmt(&c->normalised, "%s{\"line\":%llu,\"id\":\"%s\",\"how\":\"%s\"}",
                         c->n_normalised_listed ? "," : "", (unsigned long long)row_line(c, mp->row), mp->id.masked,
                         (mp->id.flags & UPL_IDF_CONVERTED_15) ? "15-digit converted" : "cosmetic");
            c->n_normalised_listed++;
        }
        c->sum->rows_accepted++;
    }
    /* Folded identical duplicates count as accepted (they are the same row). */
    c->sum->rows_accepted += n_rows - n_live;
    c->sum->households_accepted++;
    if (c->n_pend == c->pend_cap) UPL_TRY(flush_pending(c));
    if (c->n_upd == HH_BATCH) UPL_TRY(flush_updates(c));
    rc = UPL_OK;
fail:
    if (c->ahead) ahead_release(c, (size_t)(rows - c->order) + n_rows);
    if (!pending_owns) upl_free(mps);   /* else the pending batch frees it */
    vt->reset(c->st_hh_up);
    return rc;
}

/* ---- bulk import: secondary indexes and foreign keys built once, after the rows ----
 * Inserting 3.5 M rows into the blind index one by one is a random-order
 * B-tree insert each time (the keyed hash has no order): at 1 M households
 * it was the largest single cost of the SQLite import. On PostgreSQL the
 * largest cost is the foreign-key triggers: one lookup query per key per
 * row (about 5 per person row here, 6 µs each), where ADD CONSTRAINT checks
 * a whole table in one join.
 *
 * So when the import is large against what the registry already holds
 * (rows in the file at least a quarter of the members stored — a first or
 * a yearly full load), the import drops the indexes in deferred_names and,
 * on PostgreSQL, the foreign keys of household, household_wave, member and
 * member_wave, inside its own transaction, and recreates them from the
 * definitions the database itself stored (sqlite_master; pg_get_indexdef,
 * pg_get_constraintdef) before the conflict query. Both engines' DDL is
 * transactional: a failure, a rollback or a killed process leaves the
 * schema exactly as it was, and re-adding a foreign key re-checks every
 * row, so a violation fails the whole import as a trigger would have.
 * These DDL texts are the only SQL built at run time from database text;
 * it comes from the catalog, never from the input file.
 *
 * The cost on PostgreSQL: the dropped objects' tables are locked (ACCESS
 * EXCLUSIVE) until the commit, so other sessions wait to read households
 * and members while a bulk import runs. The 1-in-4 rule keeps this to
 * loads that replace or create most of the registry; an ordinary import
 * into a larger registry keeps every index and trigger and locks nothing
 * beyond its rows. SQLite readers in WAL mode keep reading the old
 * snapshot throughout. */
static int push_restore(ictx *c, char *sql) {
    if (!sql) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
    char **p = upl_reallocarray(c->restore_sql, c->n_restore + 1, sizeof *p);
    if (!p) { upl_free(sql); return upl_error_set(c->err, UPL_ENOMEM, "out of memory"); }
    c->restore_sql = p;
    c->restore_sql[c->n_restore++] = sql;
    return UPL_OK;
}

static int defer_indexes(ictx *c, size_t n_rows) {
    int rc;
    upl_db *db = c->r->db;
    const upl_db_vt *vt = db->vt;
    upl_stmt *st = NULL;
    bool is_pg = strcmp(vt->name, "sqlite") != 0;
    int64_t existing = 0;
    bool found = false, row = false;
    UPL_TRY(upl_db_query_i64(db, "SELECT COUNT(*) FROM member", &existing, &found, c->err, ""));
    if ((uint64_t)existing > 4 * (uint64_t)n_rows) return UPL_OK;
    c->bulk = true;
    /* The index builds and the conflict query of a bulk load sort millions
     * of keys: SQLite may sort on helper threads; PostgreSQL gets memory
     * enough to sort and hash in memory (SET LOCAL: until the commit). */
    UPL_TRY(vt->exec(db, is_pg ? "SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '512MB'"
                               : "PRAGMA threads = 2", c->err));
    for (int i = 0; i < N_DEFERRED; i++) {
        char *def = NULL;
        UPL_TRY(upl_db_query_text(db, is_pg ? "SELECT pg_get_indexdef(to_regclass(?))"
                                            : "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                  &def, c->err, "s", deferred_names[i]));
        if (!def) continue;   /* not in this schema version */
        char sql[96];
        snprintf(sql, sizeof sql, "DROP INDEX %s", deferred_names[i]);
        rc = vt->exec(db, sql, c->err);
        if (rc) { upl_free(def); goto fail; }
        UPL_TRY(push_restore(c, def));
    }
    if (is_pg) {
        /* Foreign keys of the four tables an import writes, as the server
         * prints them; names quoted by the server. */
        typedef struct { char *tbl, *name, *def; } fk;
        fk *fks = NULL;
        size_t n_fk = 0;
        UPL_TRY(vt->prepare(db, "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)"
                                " FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid IN"
                                " (to_regclass('household'), to_regclass('household_wave'), to_regclass('member'),"
                                " to_regclass('member_wave')) ORDER BY c.conrelid::regclass::text, c.conname",
                            &st, c->err));
        rc = vt->step(st, &row, c->err);
        while (!rc && row) {
            fk *p = upl_reallocarray(fks, n_fk + 1, sizeof *p);
            if (!p) { rc = upl_error_set(c->err, UPL_ENOMEM, "out of memory"); break; }
            fks = p;
            fk *f = &fks[n_fk++];
            f->tbl = upl_strdup(vt->col_text(st, 0, NULL));
            f->name = upl_strdup(vt->col_text(st, 1, NULL));
            f->def = upl_strdup(vt->col_text(st, 2, NULL));
            if (!f->tbl || !f->name || !f->def) { rc = upl_error_set(c->err, UPL_ENOMEM, "out of memory"); break; }
            rc = vt->step(st, &row, c->err);
        }
        vt->finalize(st);
        st = NULL;
        for (size_t i = 0; !rc && i < n_fk; i++) {
            char *drop = upl_asprintf("ALTER TABLE %s DROP CONSTRAINT %s", fks[i].tbl, fks[i].name);
            if (!drop) { rc = upl_error_set(c->err, UPL_ENOMEM, "out of memory"); break; }
            rc = vt->exec(db, drop, c->err);
            upl_free(drop);
            if (!rc) rc = push_restore(c, upl_asprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", fks[i].tbl, fks[i].name,
                                                       fks[i].def));
        }
        for (size_t i = 0; i < n_fk; i++) { upl_free(fks[i].tbl); upl_free(fks[i].name); upl_free(fks[i].def); }
        upl_free(fks);
        UPL_TRY(rc);
    }
    rc = UPL_OK;
fail:
    if (st) vt->finalize(st);
    return rc;
}

static int restore_indexes(ictx *c) {
    int rc = UPL_OK;
    upl_db *db = c->r->db;
    for (size_t i = 0; i < c->n_restore; i++) {
        UPL_TRY(db->vt->exec(db, c->restore_sql[i], c->err));
        upl_free(c->restore_sql[i]);
        c->restore_sql[i] = NULL;
    }
    c->n_restore = 0;
fail:
    return rc;
}

/* ---- driver ----------------------------------------------------------------------- */
static int setup_columns(ictx *c) {
    int rc;
    size_t nr = upl_table_n_rows(c->t);
    c->conv = upl_table_new();
    UPL_FAIL_IF(!c->conv, c->err, UPL_ENOMEM, "out of memory");
    for (int f = 0; f < N_FIELDS; f++) {
        upl_column *col = upl_table_find(c->t, fields[f].name);
        if (!col) continue;
        if (col->type == UPL_STR) { c->col[f] = col; continue; }
        /* A number-typed ID or bank column means a spreadsheet already had
         * it as a number; F64 ones lost digits (catalogue item 3). Render as
         * text; the ID check then sees the damage. */
        upl_column *tc = NULL;
        UPL_TRY(upl_table_add_column(c->conv, fields[f].name, UPL_STR, &tc, c->err));
        char *buf = NULL;
        size_t cap = 0, len = 0;
        for (size_t i = 0; i < nr; i++) {
            if (upl_col_format(col, i, &buf, &cap, &len)) {
                if (col->type == UPL_F64 && (fields[f].t == FT_ID || fields[f].t == FT_SECRET ||
                                             fields[f].t == FT_TEXT)) {
                    /* A number where text was expected: the value passed through a
                     * spreadsheet cell typed as a number (and may have lost digits).
                     * Marked so the row is refused with ID_EXCEL_MANGLED / BAD_VALUE. */
                    rc = upl_col_push_str(tc, NUMERIC_MARK, strlen(NUMERIC_MARK));
                } else {
                    rc = upl_col_push_str(tc, buf ? buf : "", len);
                }
            } else {
                rc = upl_col_push_null(tc);
            }
            if (rc) { upl_free(buf); UPL_FAIL_IF(true, c->err, UPL_ENOMEM, "out of memory"); }
        }
        upl_free(buf);
        c->col[f] = tc;
    }
    for (int f = 0; f < N_FIELDS; f++) {
        if (!c->col[f]) continue;
        if (f != F_HOUSEHOLD_CODE && f != F_AREA_CODE) c->lvf[fields[f].lv][c->n_lvf[fields[f].lv]++] = f;
        int g = (fields[f].lv == LV_HH || fields[f].lv == LV_HW) ? 4 : 5;
        c->lvf[g][c->n_lvf[g]++] = f;
    }
    c->line_col = upl_table_find(c->t, "_line");
    if (c->line_col && c->line_col->type != UPL_I64) c->line_col = NULL;
    c->record_col = upl_table_find(c->t, "_record");
    if (c->record_col && c->record_col->type != UPL_I64) c->record_col = NULL;
    /* Required columns: a file-level error before any row is read. */
    upl_sbuf missing = {0};
    for (int f = 0; f < N_FIELDS; f++)
        if (fields[f].is_required && !c->col[f]) upl_sbuf_fmt(&missing, "%s%s", missing.len ? ", " : "", fields[f].name);
    if (missing.len) {
        upl_sbuf have = {0};
        for (size_t i = 0; i < upl_table_n_cols(c->t) && have.len < 600; i++)
            upl_sbuf_fmt(&have, "%s%s", have.len ? ", " : "", upl_table_column(c->t, i)->name);
        rc = upl_error_at(c->err, UPL_ESCHEMA, c->source, 1, 0, NULL,
                          "required columns missing: %s (the file has: %s); use --profile to map other "
                          "headers / 缺少必需列", missing.s, have.s ? have.s : "");
        upl_sbuf_free(&have);
        upl_sbuf_free(&missing);
        goto fail;
    }
    rc = UPL_OK;
fail:
    return rc;
}

static int begin_import(ictx *c, const char *sha) {
    int rc;
    UPL_TRY(upl_db_run(c->r->db, "INSERT INTO import_file (sha256, source, actor, at, wave) VALUES (?, ?, ?, ?, ?)",
                       c->err, "ssssi", sha, c->source, c->r->actor, c->now, (int64_t)c->wave));
    bool found = false;
    UPL_TRY(upl_db_query_i64(c->r->db, "SELECT id FROM import_file WHERE sha256 = ?", &c->import_id, &found,
                             c->err, "s", sha));
    UPL_FAIL_IF(!found, c->err, UPL_EDB, "import record vanished");
fail:
    return rc;
}

int upl_registry_import_table(upl_registry *r, const upl_table *t, const char *source, const char *sha256,
                              const upl_import_options *opt_in, upl_import_summary *sum, upl_error *err) {
    int rc;
    ictx c;
    upl_import_options defaults;
    size_t *order = NULL, *starts = NULL;
    int32_t *group_of = NULL;
    smap groups = {0};
    bool in_tx = false, bulk_cache = false;
    upl_reg_audit_batch audit;
    memset(&audit, 0, sizeof audit);
    memset(&c, 0, sizeof c);
    memset(sum, 0, sizeof *sum);
    if (!opt_in) { upl_import_options_init(&defaults); opt_in = &defaults; }
    c.r = r; c.t = t; c.source = source ? source : "(table)"; c.opt = opt_in; c.sum = sum; c.err = err;
    c.today = opt_in->today ? opt_in->today : upl_reg_today();
    upl_reg_now(c.now);
    snprintf(sum->sha256, sizeof sum->sha256, "%s", sha256 ? sha256 : "");
    UPL_FAIL_IF(!sha256 || strlen(sha256) != 64, err, UPL_EMISUSE, "import needs the SHA-256 of the source");
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "importing", err));
    /* Idempotency: the same bytes were imported before. */
    {
        int64_t id = 0;
        bool found = false;
        UPL_TRY(upl_db_query_i64(r->db, "SELECT id FROM import_file WHERE sha256 = ?", &id, &found, err, "s", sha256));
        if (found) { sum->already_imported = true; sum->import_id = id; rc = UPL_OK; goto fail; }
    }
    UPL_TRY(setup_columns(&c));
    size_t nr = upl_table_n_rows(t);
    sum->rows_read = nr;
    c.wave = opt_in->wave;
    if (!c.wave) {
        const upl_column *yc = upl_table_find(t, "record_year");
        UPL_FAIL_IF(!yc, err, UPL_EMISUSE, "no wave: give --wave YEAR or a record_year column / 请指定年度");
        /* One year per file: a wave is a snapshot. */
        for (size_t i = 0; i < nr; i++) {
            char *buf = NULL; size_t cap = 0, len = 0;
            int64_t y = 0;
            bool ok = upl_col_format(yc, i, &buf, &cap, &len) && upl_parse_i64(buf, len, &y) && y >= 1980 && y <= 2200;
            upl_free(buf);
            if (!ok || (c.wave && y != c.wave)) {
                rc = upl_error_at(err, UPL_EPARSE, c.source, row_line(&c, i), 0, "record_year",
                                  ok ? "record_year differs from earlier rows (%d); one wave per file, or give --wave"
                                     : "record_year must be a year", c.wave);
                goto fail;
            }
            c.wave = (int)y;
        }
        UPL_FAIL_IF(!c.wave, err, UPL_EMISUSE, "no wave: the file is empty and no --wave was given");
    }
    UPL_FAIL_IF(c.wave < 1980 || c.wave > 2200, err, UPL_ERANGE, "wave %d is not a plausible year", c.wave);
    sum->wave = c.wave;
    c.arena = upl_arena_new(0);
    c.pend = upl_calloc(HH_BATCH, sizeof *c.pend);
    c.pend_cap = HH_BATCH;
    c.upd = upl_calloc(HH_BATCH, sizeof *c.upd);
    UPL_FAIL_IF(!c.arena || !c.pend || !c.upd, err, UPL_ENOMEM, "out of memory");
    /* Rejects and warnings files. */
    if (opt_in->rejects_path) c.rejects_path = upl_strdup(opt_in->rejects_path);
    else c.rejects_path = upl_asprintf("%s.rejects.csv", c.source);
    c.warnings_path = upl_asprintf("%s.warnings.csv", c.source);
    UPL_FAIL_IF(!c.rejects_path || !c.warnings_path, err, UPL_ENOMEM, "out of memory");
    snprintf(sum->rejects_path, sizeof sum->rejects_path, "%s", c.rejects_path);
    /* Group rows by household_code, in order of first appearance. */
    UPL_FAIL_IF(smap_init(&groups, nr) != UPL_OK, err, UPL_ENOMEM, "out of memory");
    group_of = upl_calloc(nr ? nr : 1, sizeof *group_of);
    UPL_FAIL_IF(!group_of, err, UPL_ENOMEM, "out of memory");
    int32_t n_groups = 0;
    for (size_t i = 0; i < nr; i++) {
        size_t n;
        const char *s = fval(&c, F_HOUSEHOLD_CODE, i, &n);
        if (!s) { group_of[i] = -1; continue; }
        int32_t g;
        if (!smap_get_or_put(&groups, s, n, n_groups, &g)) n_groups++;
        group_of[i] = g;
    }
    starts = upl_calloc((size_t)n_groups + 2, sizeof *starts);
    order = upl_calloc(nr ? nr : 1, sizeof *order);
    UPL_FAIL_IF(!starts || !order, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < nr; i++) if (group_of[i] >= 0) starts[group_of[i] + 1]++;
    for (int32_t g = 0; g < n_groups; g++) starts[g + 1] += starts[g];
    {
        size_t *fill = upl_calloc((size_t)n_groups + 1, sizeof *fill);
        UPL_FAIL_IF(!fill, err, UPL_ENOMEM, "out of memory");
        for (size_t i = 0; i < nr; i++)
            if (group_of[i] >= 0) order[starts[group_of[i]] + fill[group_of[i]]++] = i;
        upl_free(fill);
    }
    /* A large import's indexes (the blind index is in random order) must stay
     * in the page cache, or every insert becomes a page spill and a re-read:
     * up to 1 GiB for the duration of the import (a limit, not an allocation). */
    if (!strcmp(r->db->vt->name, "sqlite")) {
        UPL_TRY(r->db->vt->exec(r->db, "PRAGMA cache_size=-1048576", err));
        bulk_cache = true;
    }
    /* One transaction for the whole import. */
    UPL_TRY(r->db->vt->begin(r->db, err));
    in_tx = true;
    /* Importers take turns. SQLite's write transaction already excludes a
     * second writer; PostgreSQL's does not, and two bulk loads would then
     * deadlock on the index and constraint changes of defer_indexes. */
    if (!strcmp(r->db->vt->name, "postgresql"))
        UPL_TRY(r->db->vt->exec(r->db, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.uplift_import'))",
                                err));
    /* Idempotency again, now that no other import can commit meanwhile: the
     * same file imported by two processes at once is "already imported" for
     * the second, not a unique-key failure. */
    {
        int64_t id = 0;
        bool found = false;
        UPL_TRY(upl_db_query_i64(r->db, "SELECT id FROM import_file WHERE sha256 = ?", &id, &found, err, "s", sha256));
        if (found) { sum->already_imported = true; sum->import_id = id; rc = UPL_OK; goto fail; }
    }
    /* Nothing else is audited while households are processed and conflicts
     * opened, so their entries are batched (flushed before the import entry). */
    upl_reg_audit_batch_begin(r, &audit);
    UPL_TRY(begin_import(&c, sha256));
    sum->import_id = c.import_id;
    UPL_TRY(defer_indexes(&c, nr));
    UPL_TRY(preload_households(&c, (size_t)n_groups));
    UPL_TRY(prepare_all(&c));
    c.is_pg = r->db->vt->copy_in != NULL;
    c.direct = c.bulk;
    c.nonces.off = sizeof c.nonces.buf;
    if (c.direct) UPL_TRY(prepare_direct(&c));
    if (c.bulk || !c.is_pg) {
        int64_t n_wave = 0;
        bool found = false;
        UPL_TRY(upl_db_query_i64(r->db, "SELECT COUNT(*) FROM (SELECT 1 FROM household_wave WHERE wave = ? LIMIT 1) q",
                                 &n_wave, &found, err, "i", (int64_t)c.wave));
        c.wave_absent = found && n_wave == 0;
    }
    /* A first load (no household registered yet): no upsert of an existing
     * household can take ids between two batches, so new households wait
     * in batches of DIRECT_BATCH — one id reservation (a round trip on
     * PostgreSQL) per batch — with the same ids as batches of HH_BATCH. */
    if (c.direct && c.known_loaded && c.n_known == 0) {
        pending_hh *p = upl_reallocarray(c.pend, DIRECT_BATCH, sizeof *p);
        UPL_FAIL_IF(!p, err, UPL_ENOMEM, "out of memory");
        c.pend = p;
        c.pend_cap = DIRECT_BATCH;
        c.dup_client = c.is_pg;
    }
    /* Rows without a household code cannot be grouped: refused. */
    for (size_t i = 0; i < nr; i++) {
        if (group_of[i] >= 0) continue;
        upl_arena_reset(c.arena);
        c.n_finds = 0;
        UPL_TRY(add_finding(&c, i, F_HOUSEHOLD_CODE, UPL_IMP_REQUIRED, "household_code is empty / 户编号为空")
                    ? upl_error_set(err, UPL_ENOMEM, "out of memory") : UPL_OK);
        sum->by_code[UPL_IMP_REQUIRED]++;
        UPL_TRY(quarantine_household(&c, &i, 1, "", NULL));
    }
    UPL_TRY(ahead_start(&c, order, starts[n_groups]));
    for (int32_t g = 0; g < n_groups; g++) {
        hh_look lk;
        if (c.known_loaded) known_household(&c, order[starts[g]], &lk);
        rc = process_household(&c, order + starts[g], starts[g + 1] - starts[g], c.known_loaded ? &lk : NULL);
        if (rc == UPL_ENOMEM && err && err->code == UPL_OK) upl_error_set(err, rc, "out of memory");
        if (rc) goto fail;
        if ((g & 1023) == 0) upl_progress("households", (uint64_t)g, (uint64_t)n_groups);
    }
    ahead_stop(&c);
    UPL_TRY(flush_pending(&c));
    if (c.direct && c.is_pg) UPL_TRY(copy_flush(&c));
    upl_progress("households", (uint64_t)n_groups, (uint64_t)n_groups);
    /* Statements prepared before the rebuild are re-prepared (SQLite) or
     * re-planned (PostgreSQL) on their next use, so the conflict query uses
     * the rebuilt index. */
    UPL_TRY(restore_indexes(&c));
    /* PostgreSQL plans the conflict query from table statistics, and a bulk
     * load has just replaced most of the rows the last ANALYZE (if any)
     * saw: with the old figures it chose nested loops over sequential scans
     * (70 s instead of 0.06 s for 10,000 households with 108 conflicts).
     * ANALYZE inside the transaction samples this transaction's rows too. */
    if (c.bulk && c.is_pg) UPL_TRY(r->db->vt->exec(r->db, "ANALYZE household, household_wave, member, member_wave", err));
    UPL_TRY(detect_conflicts(&c));
    UPL_TRY(upl_reg_audit_batch_flush(&audit, err));
    upl_reg_audit_batch_end(&audit);
    finalize_all(&c);
    UPL_TRY(upl_db_run(r->db, "UPDATE import_file SET rows_read = ?, rows_accepted = ?, rows_quarantined = ?,"
                              " households_accepted = ?, households_quarantined = ?, conflicts = ? WHERE id = ?",
                       err, "iiiiiii", (int64_t)sum->rows_read, (int64_t)sum->rows_accepted,
                       (int64_t)sum->rows_quarantined, (int64_t)sum->households_accepted,
                       (int64_t)sum->households_quarantined, (int64_t)sum->conflicts, c.import_id));
    if (c.n_out_of_scope_rows) {
        char *after = upl_asprintf("{\"rows\":%llu,\"areas\":[%s]}", (unsigned long long)c.n_out_of_scope_rows,
                                   c.scope_areas.s ? c.scope_areas.s : "");
        UPL_FAIL_IF(!after, err, UPL_ENOMEM, "out of memory");
        rc = upl_reg_audit(r, "import.out_of_scope", sha256, NULL, after, err);
        upl_free(after);
        UPL_TRY(rc);
    }
    {
        upl_sbuf a = {0};
        upl_sbuf_fmt(&a, "{\"source\":");
        upl_sbuf_json(&a, c.source);
        upl_sbuf_fmt(&a, ",\"wave\":%d,\"rows\":%llu,\"accepted\":%llu,\"quarantined\":%llu,"
                         "\"households\":%llu,\"households_new\":%llu,\"households_updated\":%llu,"
                         "\"households_quarantined\":%llu,\"conflicts\":%llu,\"ids_normalised\":[%s]}",
                     c.wave, (unsigned long long)sum->rows_read, (unsigned long long)sum->rows_accepted,
                     (unsigned long long)sum->rows_quarantined, (unsigned long long)sum->households_accepted,
                     (unsigned long long)sum->households_new, (unsigned long long)sum->households_updated,
                     (unsigned long long)sum->households_quarantined, (unsigned long long)sum->conflicts,
                     c.normalised.s ? c.normalised.s : "");
        UPL_FAIL_IF(a.failed, err, UPL_ENOMEM, "out of memory");
        rc = upl_reg_audit(r, "import", sha256, NULL, a.s, err);
        upl_sbuf_free(&a);
        UPL_TRY(rc);
    }
    /* The rejects file is flushed before the commit: if it cannot be
     * written, nothing is imported (every row ends in exactly one place). */
    if (c.rejects) {
        bool bad = fflush(c.rejects) != 0 || ferror(c.rejects);
        bad = (fclose(c.rejects) != 0) || bad;
        c.rejects = NULL;
        UPL_FAIL_IF(bad, err, UPL_EIO, "cannot write rejects file %s", c.rejects_path);
    } else {
        sum->rejects_path[0] = 0;
    }
    if (c.warnings) {
        bool bad = fclose(c.warnings) != 0;
        c.warnings = NULL;
        UPL_FAIL_IF(bad, err, UPL_EIO, "cannot write warnings file %s", c.warnings_path);
    }
    UPL_TRY(r->db->vt->commit(r->db, err));
    in_tx = false;
    rc = UPL_OK;
fail:
    ahead_stop(&c);
    upl_reg_audit_batch_end(&audit);
    finalize_all(&c);
    if (in_tx) r->db->vt->rollback(r->db);
    if (bulk_cache) (void)r->db->vt->exec(r->db, "PRAGMA cache_size=-131072; PRAGMA threads = 0", NULL);
    if (c.rejects) fclose(c.rejects);
    if (c.warnings) fclose(c.warnings);
    if (c.pend) free_pending(&c);
    for (size_t i = 0; c.upd && i < c.n_upd; i++) upl_free(c.upd[i].mps);
    upl_free(c.upd);
    smap_free(&c.known);
    upl_free(c.known_v);
    upl_arena_free(c.known_arena);
    upl_free(c.pend);
    upl_table_free(c.conv);
    upl_arena_free(c.arena);
    upl_free(c.finds);
    upl_free(c.code_warns);
    upl_free(c.mb_cols); upl_free(c.mb_tuple); upl_free(c.mb_set); upl_free(c.mw_cols); upl_free(c.mw_tuple);
    upl_free(c.hh_cols); upl_free(c.hh_tuple); upl_free(c.hh_set);
    upl_free(c.hw_cols); upl_free(c.hw_tuple); upl_free(c.hw_set);
    upl_free(c.rejects_path);
    upl_free(c.warnings_path);
    if (r->db->vt->copy_wait) (void)r->db->vt->copy_wait(r->db, NULL);   /* before its texts are freed */
    for (int i = 0; i < 4; i++) { upl_sbuf_free(&c.copy[i]); upl_sbuf_free(&c.copy_sent[i]); upl_free(c.copy_sql[i]); }
    upl_free(c.ids);
    upl_free(c.blinds);
    upl_sbuf_free(&c.normalised);
    upl_sbuf_free(&c.scope_areas);
    for (size_t i = 0; i < c.n_restore; i++) upl_free(c.restore_sql[i]);
    upl_free(c.restore_sql);
    upl_free(order);
    upl_free(starts);
    upl_free(group_of);
    smap_free(&groups);
    if (rc == UPL_ENOMEM && err && err->code == UPL_OK) upl_error_set(err, UPL_ENOMEM, "out of memory");
    return rc;
}

/* Physical line where each data record of a delimited file starts (the
 * reader does not return line numbers). Mirrors the reader's tokeniser:
 * a quote opens a quoted field only at the start of a field, "" inside
 * quotes is a quote, CRLF / LF / lone CR end a line, blank lines are not
 * records. Newline, quote and delimiter bytes never occur inside a UTF-8
 * or GB18030 multi-byte character, so the raw bytes can be scanned. */
static int record_start_lines(const char *path, char delim, uint64_t **out, size_t *n_out, upl_error *err) {
    int rc = UPL_OK;
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    uint64_t *lines = NULL;
    size_t n = 0, cap = 0, len = 0;
    *out = NULL; *n_out = 0;
    if (!f) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot open: %s", strerror(errno));
    if (fseek(f, 0, SEEK_END) == 0) { long sz = ftell(f); if (sz > 0) cap = (size_t)sz; }
    rewind(f);
    buf = upl_malloc(cap + 1);
    UPL_FAIL_IF(!buf, err, UPL_ENOMEM, "out of memory");
    len = fread(buf, 1, cap, f);
    const char *p = buf, *end = buf + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    uint64_t line = 1;
    bool header = true;
    size_t lcap = 0;
    while (p < end) {
        if (*p == '\n' || *p == '\r') {   /* blank line */
            p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
            line++;
            continue;
        }
        if (!header) {
            if (n == lcap) {
                lcap = lcap ? lcap * 2 : 1024;
                uint64_t *q = upl_reallocarray(lines, lcap, sizeof *q);
                UPL_FAIL_IF(!q, err, UPL_ENOMEM, "out of memory");
                lines = q;
            }
            lines[n++] = line;
        }
        header = false;
        bool at_start = true, in_quote = false;
        while (p < end) {
            char c = *p;
            if (in_quote) {
                if (c == '"') { if (p + 1 < end && p[1] == '"') p++; else in_quote = false; }
                else if (c == '\n') line++;
                else if (c == '\r' && !(p + 1 < end && p[1] == '\n')) line++;
                p++;
                continue;
            }
            if (c == '\n' || c == '\r') {
                p += (c == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
                line++;
                break;
            }
            if (c == '"' && at_start) in_quote = true;
            at_start = c == delim;
            p++;
        }
    }
    *out = lines; *n_out = n;
    lines = NULL;
fail:
    if (f) fclose(f);
    upl_free(buf);
    upl_free(lines);
    return rc;
}

/* Record numbers (1-based) the reader rejected, from its rejects file. */
static int rejected_records(const char *rejects, uint64_t n_records, uint8_t **out, upl_error *err) {
    int rc;
    upl_table *t = NULL;
    upl_read_options ro;
    static const upl_schema_field sch[] = { { "record", UPL_I64, true, false, false } };
    *out = upl_calloc(n_records + 1, 1);
    if (!*out) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    upl_read_options_init(&ro);
    ro.format = UPL_FMT_CSV;
    ro.delimiter = ',';
    ro.schema = sch;
    ro.n_schema = 1;
    ro.rejects_path = "/dev/null";
    UPL_TRY(upl_read_table(rejects, &ro, &t, NULL, err));
    upl_column *c = upl_table_find(t, "record");
    for (size_t i = 0; c && i < upl_table_n_rows(t); i++)
        if (upl_col_is_valid(c, i) && c->v.i64[i] >= 1 && (uint64_t)c->v.i64[i] <= n_records) (*out)[c->v.i64[i]] = 1;
    rc = UPL_OK;
fail:
    upl_table_free(t);
    return rc;
}

/* Add an i64 "_line" column: physical start line of each loaded row. */
static int add_line_column(upl_table *t, const char *path, const char *rejects, const upl_read_summary *rs,
                           upl_error *err) {
    int rc;
    uint64_t *lines = NULL;
    uint8_t *rej = NULL;
    size_t n_lines = 0;
    upl_column *col = NULL, *rcol = NULL;
    UPL_TRY(record_start_lines(path, rs->delimiter ? rs->delimiter : ',', &lines, &n_lines, err));
    if (rs->rows_rejected) UPL_TRY(rejected_records(rejects, n_lines, &rej, err));
    size_t nr = upl_table_n_rows(t), k = 0;
    UPL_TRY(upl_table_add_column(t, "_line", UPL_I64, &col, err));
    UPL_TRY(upl_table_add_column(t, "_record", UPL_I64, &rcol, err));
    for (size_t i = 0; i < nr; i++) {
        while (k < n_lines && rej && rej[k + 1]) k++;
        /* If the scan and the reader disagree, give up on lines rather than lie. */
        int prc = k < n_lines ? upl_col_push_i64(col, (int64_t)lines[k]) : upl_col_push_null(col);
        if (!prc) prc = k < n_lines ? upl_col_push_i64(rcol, (int64_t)k + 1) : upl_col_push_null(rcol);
        UPL_FAIL_IF(prc, err, UPL_ENOMEM, "out of memory");
        k++;
    }
    rc = UPL_OK;
fail:
    upl_free(lines);
    upl_free(rej);
    return rc;
}

/* Reader schema: every canonical field as text (IDs flagged), so codes and
 * long digit strings are never turned into numbers. */
int upl_registry_import(upl_registry *r, const char *path, const upl_import_options *opt_in,
                        upl_import_summary *sum, upl_error *err) {
    int rc;
    upl_table *t = NULL;
    upl_profile *prof = NULL;
    upl_schema_field *schema = NULL;
    char sha[65];
    char *rejects = NULL;
    upl_import_options defaults;
    upl_read_summary rs;
    memset(sum, 0, sizeof *sum);
    if (!opt_in) { upl_import_options_init(&defaults); opt_in = &defaults; }
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_CLERK, "importing", err));
    UPL_TRY(upl_reg_sha256_file(path, sha, err));
    {
        int64_t id = 0;
        bool found = false;
        UPL_TRY(upl_db_query_i64(r->db, "SELECT id FROM import_file WHERE sha256 = ?", &id, &found, err, "s", sha));
        if (found) {
            snprintf(sum->sha256, sizeof sum->sha256, "%s", sha);
            sum->already_imported = true;
            sum->import_id = id;
            rc = UPL_OK;
            goto fail;
        }
    }
    rejects = opt_in->rejects_path ? upl_strdup(opt_in->rejects_path) : upl_asprintf("%s.rejects.csv", path);
    UPL_FAIL_IF(!rejects, err, UPL_ENOMEM, "out of memory");
    remove(rejects);    /* a stale rejects file from an earlier attempt would mislead */
    /* With a profile, the source headers (aliases) of our fields are read as
     * text too, so long digit strings never become numbers. */
    if (opt_in->profile_path) UPL_TRY(upl_profile_load_named(opt_in->profile_path, &prof, err));
    size_t n_schema = N_FIELDS + 1, cap_schema = N_FIELDS + 1;
    for (size_t i = 0; prof && i < upl_profile_n_fields(prof); i++) {
        const upl_profile_field *pf = upl_profile_field_at(prof, i);
        if (field_index(pf->name) >= 0) cap_schema += pf->n_aliases;
    }
    schema = upl_calloc(cap_schema, sizeof *schema);
    UPL_FAIL_IF(!schema, err, UPL_ENOMEM, "out of memory");
    for (int f = 0; f < N_FIELDS; f++)
        schema[f] = (upl_schema_field){ fields[f].name, UPL_STR, false, false, fields[f].t == FT_ID };
    schema[N_FIELDS] = (upl_schema_field){ "record_year", UPL_STR, false, false, false };
    for (size_t i = 0; prof && i < upl_profile_n_fields(prof); i++) {
        const upl_profile_field *pf = upl_profile_field_at(prof, i);
        int f = field_index(pf->name);
        if (f < 0) continue;
        for (size_t a = 0; a < pf->n_aliases; a++)
            schema[n_schema++] = (upl_schema_field){ pf->aliases[a], UPL_STR, false, false, fields[f].t == FT_ID };
    }
    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.schema = schema;
    ro.n_schema = n_schema;
    ro.rejects_path = rejects;
    memset(&rs, 0, sizeof rs);
    UPL_TRY(upl_read_table(path, &ro, &t, &rs, err));
    if (rs.format == UPL_FMT_CSV && !upl_table_find(t, "_line")) UPL_TRY(add_line_column(t, path, rejects, &rs, err));
    if (prof) {
        upl_profile_map_report rep;
        memset(&rep, 0, sizeof rep);
        rc = upl_profile_map_table(prof, t, &rep, err);
        upl_profile_map_report_free(&rep);
        UPL_TRY(rc);
    }
    upl_import_options o = *opt_in;
    o.rejects_path = rejects;
    UPL_TRY(upl_registry_import_table(r, t, path, sha, &o, sum, err));
    /* Rows the reader refused are counted as not accepted. */
    sum->rows_read += rs.rows_rejected;
    sum->rows_quarantined += rs.rows_rejected;
    sum->by_code[UPL_IMP_READ_REJECT] += rs.rows_rejected;
    if (rs.rows_rejected && !sum->rejects_path[0]) snprintf(sum->rejects_path, sizeof sum->rejects_path, "%s", rejects);
    if (!sum->rejects_path[0]) remove(rejects);   /* the reader leaves a header-only file */
fail:
    upl_table_free(t);
    upl_profile_free(prof);
    upl_free(schema);
    upl_free(rejects);
    return rc;
}

void upl_import_summary_print(const upl_import_summary *s, FILE *f) {
    if (s->already_imported) {
        fprintf(f, "already imported (import #%lld, sha256 %.16s…); nothing done / 该文件已导入，未作改动\n",
                (long long)s->import_id, s->sha256);
        return;
    }
    fprintf(f, "wave %d: %llu rows read, %llu accepted, %llu not accepted / 年度 %d：读取 %llu 行，导入 %llu 行，未导入 %llu 行\n",
            s->wave, (unsigned long long)s->rows_read, (unsigned long long)s->rows_accepted,
            (unsigned long long)s->rows_quarantined, s->wave, (unsigned long long)s->rows_read,
            (unsigned long long)s->rows_accepted, (unsigned long long)s->rows_quarantined);
    fprintf(f, "households: %llu accepted (%llu new, %llu updated), %llu quarantined / 户：导入 %llu，暂存 %llu\n",
            (unsigned long long)s->households_accepted, (unsigned long long)s->households_new,
            (unsigned long long)s->households_updated, (unsigned long long)s->households_quarantined,
            (unsigned long long)s->households_accepted, (unsigned long long)s->households_quarantined);
    if (s->conflicts) fprintf(f, "conflicts for review: %llu / 待核冲突：%llu\n", (unsigned long long)s->conflicts,
                              (unsigned long long)s->conflicts);
    for (int i = 0; i < UPL_IMP_CODE_COUNT_; i++)
        if (s->by_code[i]) fprintf(f, "  %-18s %llu\n", upl_import_code_name(i), (unsigned long long)s->by_code[i]);
    if (s->rejects_path[0]) fprintf(f, "rejects: %s\n", s->rejects_path);
}
