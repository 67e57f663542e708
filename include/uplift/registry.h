/* registry.h — the registry (建档立卡): the system of record for areas,
 * households, members, annual waves, events, assistance measures, cases
 * and their steps, the audit log and accounts.
 *
 * One store interface over two back ends with one schema built from
 * numbered migrations:
 *   - SQLite (default): a single file, WAL journal, foreign keys on,
 *     synchronous=FULL for registry writes;
 *   - PostgreSQL: a "postgresql://..." or "postgres://..." URI (libpq).
 * All SQL is parameterised.
 *
 * National ID numbers (GB 11643-1999) are validated, normalised, stored
 * encrypted (libsodium XChaCha20-Poly1305) with a keyed BLAKE2b blind index
 * for lookup and duplicate detection, and shown masked (110105********002X).
 * The key lives in a key file outside the database (see
 * upl_registry_options.key_file).
 *
 * Every call runs as an actor: an account (with role and an area-code
 * prefix scope) or the local operator. Scope is enforced here, in the query
 * layer: an actor whose scope is "110105001001" cannot read or write any
 * household outside that village through any function of this header.
 *
 * Thread-safety: one upl_registry per thread. Different handles on the same
 * database may be used from different threads or processes. */
#ifndef UPLIFT_REGISTRY_H
#define UPLIFT_REGISTRY_H

#include <stdio.h>
#include "defs.h"
#include "error.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ID numbers (GB 11643-1999, ISO 7064 MOD 11-2) ------------------------ */

/* Verdicts of upl_id_check(); stable, their names appear in rejects files. */
enum upl_id_status {
    UPL_ID_OK = 0,
    UPL_ID_EMPTY = 1,          /* nothing but blanks */
    UPL_ID_EXCEL_MANGLED = 2,  /* 1.10105E+17, 110105194912310000, "…21.0": never repaired */
    UPL_ID_BAD_CHAR = 3,       /* a character that is not a digit / X after normalisation */
    UPL_ID_BAD_LENGTH = 4,     /* not 15, 18, 20 or 22 characters */
    UPL_ID_BAD_CHECK = 5,      /* the check character does not match */
    UPL_ID_BAD_DATE = 6,       /* birth date does not exist, or is in the future */
    UPL_ID_BAD_PROVINCE = 7,   /* first two digits are not a GB/T 2260 province */
    UPL_ID_BAD_SUFFIX = 8,     /* 20/22-char disability certificate: bad category/grade suffix */
    UPL_ID_LEGACY_REFUSED = 9, /* 15-digit number and conversion not allowed */
    UPL_ID_STATUS_COUNT_ = 10
};

/* Flags describing what normalisation did. */
#define UPL_IDF_NORMALISED   1u  /* cosmetic change: full-width, lower x, blanks, apostrophe */
#define UPL_IDF_CONVERTED_15 2u  /* 15-digit legacy number converted to 18 */
#define UPL_IDF_DISABILITY   4u  /* 20/22-character disability-certificate number */

typedef struct upl_id_result {
    int status;             /* enum upl_id_status */
    unsigned flags;         /* UPL_IDF_* */
    char normalised[24];    /* the number as stored (18, 20 or 22 chars), NUL-terminated */
    char person[19];        /* the 18-character resident ID inside it (blind-index input) */
    char masked[24];        /* first 6 + '*' + last 4, e.g. 110105********002X */
    int birth_year, birth_month, birth_day;
    int sex;                /* 1 male (odd sequence), 2 female (even) */
    int province;           /* 11..82 */
} upl_id_result;

#define UPL_ID_ALLOW_15 1u   /* convert 15-digit legacy numbers (flagged) instead of refusing */

/* Check and normalise one ID number of `len` bytes (UTF-8). today is
 * YYYYMMDD for the future-date check (0 = no check). Returns the status
 * (also in out->status); out is always filled as far as possible. */
UPL_EXPORT int upl_id_check(const char *text, size_t len, unsigned options, int today,
                            upl_id_result *out);
/* ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') of 17 digits, or 0. */
UPL_EXPORT char upl_id_check_char(const char *digits17);
/* "ID_BAD_CHECK", ...; never NULL. */
UPL_EXPORT const char *upl_id_status_name(int status);
/* Bilingual message with a suggested fix; never NULL. */
UPL_EXPORT const char *upl_id_status_message(int status);

/* ---- Opening a registry ----------------------------------------------------- */
typedef struct upl_registry upl_registry;

typedef struct upl_registry_options {
    /* Key file (32 random bytes, hex). NULL: env UPLIFT_KEY_FILE, else
     * "<db>.key" next to a SQLite file (PostgreSQL needs one of the two). */
    const char *key_file;
    /* Create the key file (0600) when it does not exist; the path is
     * reported in upl_registry_key_created(). */
    bool create_key;
    /* Do not run migrations; fail if the schema is older than this build. */
    bool no_migrate;
} upl_registry_options;
UPL_EXPORT void upl_registry_options_init(upl_registry_options *opt);

/* Open (and create/migrate) a registry: a file path / "sqlite:PATH" or a
 * "postgresql://" URI. The handle starts acting as the local operator
 * (upl_registry_act_local). Free with upl_registry_close(). */
UPL_EXPORT int upl_registry_open(const char *uri, const upl_registry_options *opt,
                                 upl_registry **out, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_registry_close(upl_registry *r);          /* NULL is a no-op */
/* "sqlite" or "postgresql". */
UPL_EXPORT const char *upl_registry_backend(const upl_registry *r);
/* Path of a key file this open created, or NULL. Borrowed. */
UPL_EXPORT const char *upl_registry_key_created(const upl_registry *r);
/* Schema version after migrations. */
UPL_EXPORT int upl_registry_schema_version(const upl_registry *r);
/* PRAGMA integrity_check (SQLite) / a catalogue sanity query (PostgreSQL)
 * plus registry invariants (no household whose member rows disagree with
 * its declared size in the wave imported). OK or UPL_ECORRUPT. */
UPL_EXPORT int upl_registry_check(upl_registry *r, upl_error *err) UPL_MUST_CHECK;

/* ---- Actors, accounts, scope ---------------------------------------------- */
enum upl_role {
    UPL_ROLE_VIEWER = 1,     /* read within scope, masked IDs */
    UPL_ROLE_CLERK = 2,      /* village/township clerk: import, open cases, record steps */
    UPL_ROLE_REVIEWER = 3,   /* township/county reviewer: approve steps, resolve conflicts */
    UPL_ROLE_ADMIN = 4       /* accounts, full IDs (audited) */
};
UPL_EXPORT const char *upl_role_name(int role);              /* "clerk" ... */
UPL_EXPORT int upl_role_parse(const char *name, int *out);

/* Act as the local operator (full scope, role admin), named for the audit
 * log (e.g. "local:alice"). Whoever can open the SQLite file has it all;
 * accounts matter for the server and for --user on the command line. */
UPL_EXPORT int upl_registry_act_local(upl_registry *r, const char *name, upl_error *err) UPL_MUST_CHECK;
/* Authenticate (argon2id) and act as that account from now on. Failures
 * are UPL_EAUTH with a generic message and are audited. */
UPL_EXPORT int upl_registry_login(upl_registry *r, const char *user, const char *password,
                                  upl_error *err) UPL_MUST_CHECK;
/* The acting actor's name, role and scope prefix ("" = everything). */
UPL_EXPORT const char *upl_registry_actor(const upl_registry *r);
UPL_EXPORT int upl_registry_actor_role(const upl_registry *r);
UPL_EXPORT const char *upl_registry_actor_scope(const upl_registry *r);
/* Whether the actor may see/change area `code` (12 digits). */
UPL_EXPORT bool upl_registry_in_scope(const upl_registry *r, const char *area_code);

/* Accounts (admin role, and the new account's scope must lie inside the
 * actor's). Passwords: 8..1024 bytes, no composition rules (ASVS 6.2). */
UPL_EXPORT int upl_account_add(upl_registry *r, const char *user, const char *password, int role,
                               const char *scope_prefix, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT int upl_account_set_password(upl_registry *r, const char *user, const char *password,
                                        upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT int upl_account_disable(upl_registry *r, const char *user, upl_error *err) UPL_MUST_CHECK;
/* Table: user, role, scope, disabled, created_at. */
UPL_EXPORT int upl_account_list(upl_registry *r, upl_table **out, upl_error *err) UPL_MUST_CHECK;

/* ---- Import ------------------------------------------------------------------ */
typedef struct upl_import_options {
    int wave;                 /* record year; 0 = from the record_year column */
    const char *profile_path; /* header mapping profile, or NULL for canonical names */
    const char *rejects_path; /* NULL = "<file>.rejects.csv" */
    bool allow_legacy_15;     /* convert 15-digit IDs (flagged); default true */
    bool sex_mismatch_is_error; /* catalogue 13: default warning only */
    int today;                /* YYYYMMDD for future-date checks; 0 = the system date */
} upl_import_options;
UPL_EXPORT void upl_import_options_init(upl_import_options *opt);

/* Codes of import findings, counted per code in the summary. */
enum upl_import_code {
    UPL_IMP_READ_REJECT = 0,      /* the reader rejected the row (structure, numbers) */
    UPL_IMP_ID_EXCEL_MANGLED = 1,
    UPL_IMP_ID_INVALID = 2,
    UPL_IMP_ID_LEGACY_15 = 3,     /* converted, flagged (accepted) */
    UPL_IMP_ID_NORMALISED = 4,    /* cosmetic fix, recorded (accepted) */
    UPL_IMP_DUP_IN_HOUSEHOLD = 5, /* same person twice in one household */
    UPL_IMP_SIZE_MISMATCH = 6,    /* members != declared household_size */
    UPL_IMP_HEAD_COUNT = 7,       /* zero or two heads */
    UPL_IMP_CONFLICT = 8,         /* same person in another household/area: conflict record */
    UPL_IMP_OUT_OF_SCOPE = 9,     /* area outside the actor's scope */
    UPL_IMP_SEX_MISMATCH = 10,    /* sex vs ID parity (warning unless configured) */
    UPL_IMP_AGE_IMPLAUSIBLE = 11, /* age > 120, spouse < 15, child older than head (warning) */
    UPL_IMP_BAD_VALUE = 12,       /* a field that fails its type (date, amount, code) */
    UPL_IMP_REQUIRED = 13,        /* required value empty */
    UPL_IMP_HOUSEHOLD_FIELDS = 14,/* household columns disagree between member rows */
    UPL_IMP_DATE_MISMATCH = 15,   /* birth_date differs from the date inside the ID */
    UPL_IMP_CODE_ALIAS = 16,      /* an old or alternative label mapped to the current one (accepted) */
    UPL_IMP_CODE_UNKNOWN = 17,    /* a label not in the code list (kept as written, warning) */
    UPL_IMP_CODE_COUNT_ = 18
};
UPL_EXPORT const char *upl_import_code_name(int code);

typedef struct upl_import_summary {
    char sha256[65];
    bool already_imported;      /* same file hash was imported before: nothing done */
    int64_t import_id;
    int wave;
    uint64_t rows_read;         /* data rows in the file */
    uint64_t rows_accepted;     /* member rows written */
    uint64_t rows_quarantined;  /* member rows of quarantined households (+ reader rejects) */
    uint64_t households_accepted;
    uint64_t households_quarantined;
    uint64_t households_new, households_updated;
    uint64_t conflicts;
    uint64_t warnings;
    uint64_t by_code[UPL_IMP_CODE_COUNT_];
    char rejects_path[4096];
} upl_import_summary;

/* Import one file (CSV/TSV/Stata/SPSS via io) in one transaction. Same
 * SHA-256 as an earlier import: summary->already_imported, UPL_OK. Rows of
 * inconsistent households go to quarantine whole; the rejects file lists
 * every row not accepted with file:line, field, code and a message. */
UPL_EXPORT int upl_registry_import(upl_registry *r, const char *path, const upl_import_options *opt,
                                   upl_import_summary *summary, upl_error *err) UPL_MUST_CHECK;
/* Import an already-read table with canonical column names; source names
 * the rows in messages, sha256 (hex) keys idempotency. Row i is reported
 * as line i + 2 unless the table has an i64 column "_line". */
UPL_EXPORT int upl_registry_import_table(upl_registry *r, const upl_table *t, const char *source,
                                         const char *sha256, const upl_import_options *opt,
                                         upl_import_summary *summary, upl_error *err) UPL_MUST_CHECK;
/* Print the summary for people (English and 中文). */
UPL_EXPORT void upl_import_summary_print(const upl_import_summary *s, FILE *f);

/* ---- Code lists ---------------------------------------------------------------
 * Versioned code lists of the county exports (REGISTRY_FIELDS.md §4): the
 * current labels, and old labels or codes accepted as aliases of them. */
/* Canonical label for `label` in the list used by canonical field `field`
 * ("relation_to_head", "main_poverty_cause", ...): *out is the current
 * label (borrowed) and *is_alias whether `label` was an alias. Returns
 * UPL_OK, UPL_ENOTFOUND (label not in the list) or UPL_EUNSUPPORTED (the
 * field has no code list). */
UPL_EXPORT int upl_code_normalise(const char *field, const char *label, size_t len, const char **out,
                                  bool *is_alias);

/* ---- Reading back ----------------------------------------------------------- */
/* Members of wave `wave` within the actor's scope (and under area prefix
 * `area`, NULL = whole scope) as a table, one row per member with the
 * household columns repeated; ID numbers masked. */
UPL_EXPORT int upl_registry_members(upl_registry *r, int wave, const char *area, upl_table **out,
                                    upl_error *err) UPL_MUST_CHECK;
/* Wave `wave` within the actor's scope (and under area prefix `area`, NULL =
 * whole scope) as the person-level table identification works on: one row
 * per member, household columns repeated, every canonical field the registry
 * keeps; money in yuan (stored in fen), 0/1 flags as booleans, area levels
 * province..village as code prefixes, record_year = wave; ID numbers only
 * masked (id_number_masked). Free with upl_table_free(). */
UPL_EXPORT int upl_registry_wave_table(upl_registry *r, int wave, const char *area, upl_table **out,
                                       upl_error *err) UPL_MUST_CHECK;
/* Find households by ID number (blind index); table household_code,
 * area_code, person_code, name, id_masked. Audited. */
UPL_EXPORT int upl_registry_find_id(upl_registry *r, const char *id_number, upl_table **out,
                                    upl_error *err) UPL_MUST_CHECK;
/* Open conflicts (same person in two households) in scope: id, kind,
 * id_masked, household_a, household_b, area_a, area_b, escalate_to, status. */
UPL_EXPORT int upl_registry_conflicts(upl_registry *r, upl_table **out, upl_error *err) UPL_MUST_CHECK;
/* Counts: households, members, waves, conflicts, quarantined rows, audit rows. */
UPL_EXPORT int upl_registry_stats(upl_registry *r, upl_table **out, upl_error *err) UPL_MUST_CHECK;

/* ---- Audit ------------------------------------------------------------------ */
/* Append an entry (the library does this for every change); before/after
 * are JSON text with ID numbers already masked, or NULL. */
UPL_EXPORT int upl_audit_append(upl_registry *r, const char *action, const char *object,
                                const char *before, const char *after, upl_error *err) UPL_MUST_CHECK;
typedef struct upl_audit_report {
    uint64_t n_rows;
    int64_t first_bad_seq;   /* 0 = none */
    char head_hash[65];      /* hash of the last row (anchor it off-box) */
} upl_audit_report;
/* Walk the chain: every row's keyed BLAKE2b hash covers the previous hash
 * and its own fields; sequence numbers have no gaps; the head matches the
 * recorded head. An edited, deleted or re-ordered row is UPL_ECORRUPT
 * naming the first bad sequence number. */
UPL_EXPORT int upl_audit_verify(upl_registry *r, upl_audit_report *rep, upl_error *err) UPL_MUST_CHECK;
/* The log as a table (seq, at, actor, action, object, before, after, hash);
 * since_seq 0 = all. Admin or reviewer. */
UPL_EXPORT int upl_audit_list(upl_registry *r, int64_t since_seq, upl_table **out,
                              upl_error *err) UPL_MUST_CHECK;

/* ---- Cases (identification, exit, risk elimination, objections) ----------- */
enum upl_case_kind {
    UPL_CASE_IDENTIFY = 1,     /* 识别: application → … → registered */
    UPL_CASE_EXIT = 2,         /* 退出 */
    UPL_CASE_MONITOR = 3,      /* 防返贫监测对象识别 */
    UPL_CASE_ELIMINATE = 4     /* 风险消除 */
};
UPL_EXPORT const char *upl_case_kind_name(int kind);
UPL_EXPORT int upl_case_kind_parse(const char *name, int *out);

/* Open a case for a household of the current wave; *case_id receives it. */
UPL_EXPORT int upl_case_open(upl_registry *r, int kind, const char *household_code, int wave,
                             const char *note, int64_t *case_id, upl_error *err) UPL_MUST_CHECK;
/* Record the next step (name from upl_case_steps); refuses steps out of
 * order, steps before a notice period has run (7 days, days counted from
 * the notice step's date), and steps by a role that may not take them.
 * `date` is YYYY-MM-DD (NULL = today). outcome: "pass", "fail", "objection". */
UPL_EXPORT int upl_case_step(upl_registry *r, int64_t case_id, const char *step, const char *outcome,
                             const char *date, const char *note, upl_error *err) UPL_MUST_CHECK;
/* Data comparison step: check the household's members against lists given
 * as files (one ID number per row in column id_number: vehicles, property,
 * public-payroll staff). Hits are recorded (masked) and make the outcome
 * "fail" unless overridden by a reviewer note. *hits receives the count. */
UPL_EXPORT int upl_case_compare(upl_registry *r, int64_t case_id, const char *const *list_paths,
                                size_t n_lists, uint64_t *hits, upl_error *err) UPL_MUST_CHECK;
/* Steps of a case kind in order, NULL-terminated; borrowed. */
UPL_EXPORT const char *const *upl_case_steps(int kind);
/* Cases in scope: id, kind, household_code, area_code, state, next_step, deadline, opened_at. */
UPL_EXPORT int upl_case_list(upl_registry *r, upl_table **out, upl_error *err) UPL_MUST_CHECK;
/* Steps of one case: step, outcome, actor, date, note. */
UPL_EXPORT int upl_case_history(upl_registry *r, int64_t case_id, upl_table **out,
                                upl_error *err) UPL_MUST_CHECK;
/* Public notice (公示) for cases currently at a notice step under area
 * prefix `area`: household code, head name, village, kind, notice dates —
 * never ID, phone, bank or health data. format "csv" or "html". */
UPL_EXPORT int upl_case_notice(upl_registry *r, const char *area, const char *format, FILE *f,
                               upl_error *err) UPL_MUST_CHECK;

/* ---- Assistance measures --------------------------------------------------- */
/* Measure families (DOMAIN.md §1.6) and which causes they answer. */
UPL_EXPORT const char *const *upl_assist_kinds(void);    /* NULL-terminated, borrowed */
typedef struct upl_measure {
    const char *household_code;
    int wave;
    const char *kind;         /* one of upl_assist_kinds() */
    int64_t amount_fen;       /* 分; -1 = none */
    const char *date;         /* YYYY-MM-DD */
    const char *cadre;        /* responsible person */
    const char *note;
    bool is_plan;             /* planned, not yet delivered */
} upl_measure;
UPL_EXPORT int upl_assist_add(upl_registry *r, const upl_measure *m, int64_t *id, upl_error *err) UPL_MUST_CHECK;
/* Measures in scope for a wave: id, household_code, kind, batch, amount, date, cadre, planned. */
UPL_EXPORT int upl_assist_list(upl_registry *r, int wave, upl_table **out, upl_error *err) UPL_MUST_CHECK;
/* Coverage: households of the wave whose main or other causes have no
 * matching delivered measure: household_code, area_code, cause, expected_kinds. */
UPL_EXPORT int upl_assist_coverage(upl_registry *r, int wave, upl_table **out, upl_error *err) UPL_MUST_CHECK;

/* ---- Events (shocks: illness, disaster, accident, job loss, price) -------- */
/* kind: one of upl_event_kinds() ("illness", "disability", "schooling",
 * "disaster", "accident", "business_failure", "job_loss", "price", "other")
 * or its Chinese label / the matching 2021+ risk-type label (因病, 因自然灾害,
 * 因务工就业不稳, …), stored as the English name; date YYYY-MM-DD, a real
 * calendar date not after today (UTC); loss_fen -1 = unknown, else >= 0;
 * note optional (at most 2000 bytes, no run of 15+ digits: no ID or bank
 * numbers in clear). The household must be in the actor's scope (else
 * UPL_ENOTFOUND, as for a household that does not exist). Clerk role. Audited. */
UPL_EXPORT int upl_event_add(upl_registry *r, const char *household_code, const char *kind, const char *date,
                             int64_t loss_fen, const char *note, int64_t *id, upl_error *err) UPL_MUST_CHECK;
/* Events in scope dated within [from, to] (YYYY-MM-DD, NULL = open): the
 * columns of upl_event_query() (id, household_code, area_code, kind, date,
 * loss_fen, loss_yuan, note, created_by, created_at). */
UPL_EXPORT int upl_event_list(upl_registry *r, const char *from, const char *to, upl_table **out,
                              upl_error *err) UPL_MUST_CHECK;

/* ---- Review and correction (registry_review.c, registry_assist.c) ---------
 * What an import cannot decide alone comes back to people here: conflicts
 * (the same person in two households) get a decision, quarantined
 * households are listed, read (raw row decrypted, masked) and closed, and
 * events are recorded. Every function is limited to the actor's scope; every
 * change is audited with before/after (IDs masked). Decision record:
 * docs/decisions/0008-conflict-review.md. */

/* Conflict decisions, NULL-terminated, borrowed:
 *   "moved"                  the person lives in `household` now (moved, household
 *                            split or merged); the other household's record is out
 *                            of date and needs a correction import without them;
 *   "duplicate_registration" the two households are one family registered twice;
 *                            `household` is the record to keep;
 *   "data_entry_error"       two different people; the ID number in `household` was
 *                            entered wrongly and needs a correction import;
 *   "escalated"              passed to the reviewer of escalate_to (the lowest area
 *                            covering both households): not a final decision. */
UPL_EXPORT const char *const *upl_conflict_decisions(void);

typedef struct upl_conflict_filter {
    const char *status;   /* "open", "escalated", "resolved"; NULL/"" = all */
    const char *kind;     /* "same_person_two_households", "same_person_two_areas"; NULL/"" = all */
    const char *area;     /* area-code prefix inside the scope (either side); NULL/"" = whole scope */
    int64_t id;           /* one conflict; 0 = all */
} upl_conflict_filter;
/* Conflicts visible to the actor (scope covers either household): id, kind,
 * id_masked, household_a, household_b, area_a, area_b, escalate_to, status,
 * decision, decision_household, resolved_by, resolved_at, follow_up
 * ("pending" while the person is still listed in the latest wave of the
 * household the decision says to correct, "done" once not; "" unless
 * resolved), created_at. f NULL = no filter. */
UPL_EXPORT int upl_conflict_list(upl_registry *r, const upl_conflict_filter *f, upl_table **out,
                                 upl_error *err) UPL_MUST_CHECK;
/* One conflict: *conflict (one row, columns of upl_conflict_list), *members
 * (side A/B, household_code, area_code, head_name, latest_wave, person_code,
 * name, relation_to_head, id_masked, involved 0/1, in_latest_wave 0/1: the
 * members of each household's latest wave plus the person in conflict even
 * when no longer listed; only households inside the actor's scope), and
 * *history (at, actor, decision, household, note). Any output may be NULL.
 * UPL_ENOTFOUND when the conflict does not exist or is not visible. */
UPL_EXPORT int upl_conflict_show(upl_registry *r, int64_t id, upl_table **conflict, upl_table **members,
                                 upl_table **history, upl_error *err) UPL_MUST_CHECK;
/* Record a decision (one of upl_conflict_decisions()) with a required note.
 * Reviewer role (UPL_EAUTH otherwise, audited as auth.denied). A final
 * decision needs a scope covering both households (else UPL_EAUTH: escalate
 * it) and `household` = household_a or household_b; "escalated" takes no
 * household and is refused when the actor could decide it. A resolved
 * conflict is final (UPL_EEXISTS), and re-imports never reopen it (the
 * import's UNIQUE (kind, id_blind, household_a, household_b) keeps the
 * row). Records actor and UTC time on the conflict and in conflict_review;
 * audited as conflict.resolve / conflict.escalate. */
UPL_EXPORT int upl_conflict_resolve(upl_registry *r, int64_t id, const char *decision, const char *household,
                                    const char *note, upl_error *err) UPL_MUST_CHECK;

typedef struct upl_quarantine_filter {
    int64_t import_id;          /* 0 = all imports */
    const char *code;           /* finding code, e.g. "SIZE_MISMATCH"; NULL/"" = all */
    const char *area;           /* area-code prefix inside the scope; NULL/"" = whole scope */
    const char *status;         /* "open", "superseded", "closed"; NULL/"" = all */
    const char *household_code; /* NULL/"" = all */
} upl_quarantine_filter;
/* Quarantined rows visible to the actor: id, import_id, wave, line,
 * household_code, area_code, code, field, status, message. Rows without an
 * area (unreadable rows, rows refused as out of scope) are visible only to a
 * full-scope actor. f NULL = no filter. */
UPL_EXPORT int upl_quarantine_list(upl_registry *r, const upl_quarantine_filter *f, upl_table **out,
                                   upl_error *err) UPL_MUST_CHECK;
/* One item: *item (one row: the list columns plus source, closed_by,
 * closed_at, close_note, superseded_by) and *raw (field, value: the row as
 * imported, decrypted, with id_number masked like 110105********002X and
 * phones and bank account keeping the first 3 and last 4). Outputs may be
 * NULL. UPL_ENOTFOUND when absent or not visible. */
UPL_EXPORT int upl_quarantine_show(upl_registry *r, int64_t id, upl_table **item, upl_table **raw,
                                   upl_error *err) UPL_MUST_CHECK;
/* Close every open item whose household has since been imported
 * successfully for the same wave by a later import (status "superseded",
 * superseded_by = that import), under area prefix `area` (NULL = whole
 * scope). Clerk role. *out (may be NULL): id, household_code, import_id,
 * superseded_by of the items closed; *n_closed their number. Audited per
 * item (quarantine.superseded). */
UPL_EXPORT int upl_quarantine_sweep(upl_registry *r, const char *area, upl_table **out, uint64_t *n_closed,
                                    upl_error *err) UPL_MUST_CHECK;
/* Close one open item by hand (status "closed") with a required reason
 * (e.g. the household no longer exists). Reviewer role. UPL_EEXISTS when
 * not open. Audited (quarantine.close). */
UPL_EXPORT int upl_quarantine_close(upl_registry *r, int64_t id, const char *reason,
                                    upl_error *err) UPL_MUST_CHECK;

/* Event kinds, NULL-terminated, borrowed; and the bilingual label of a
 * kind ("因病 illness"), NULL for an unknown one. */
UPL_EXPORT const char *const *upl_event_kinds(void);
UPL_EXPORT const char *upl_event_kind_label(const char *kind);
typedef struct upl_event_filter {
    const char *from, *to;      /* YYYY-MM-DD, inclusive; NULL/"" = open */
    const char *household_code; /* NULL/"" = all */
    const char *kind;           /* a kind or alias; NULL/"" = all */
    const char *area;           /* area-code prefix inside the scope; NULL/"" = whole scope */
} upl_event_filter;
/* Events in scope: id, household_code, area_code, kind, date, loss_fen
 * (NULL = unknown), loss_yuan (exact decimal text, "1200.50"), note,
 * created_by, created_at; ordered by date. f NULL = no filter. */
UPL_EXPORT int upl_event_query(upl_registry *r, const upl_event_filter *f, upl_table **out,
                               upl_error *err) UPL_MUST_CHECK;

/* Money as people write it: yuan with at most two decimals ("1200", "1200.5",
 * "1200.50"), no sign, separators or 万; *fen receives the exact amount in
 * fen. UPL_OK, or UPL_EPARSE (UPL_ERANGE beyond 10^13 yuan). */
UPL_EXPORT int upl_money_parse_fen(const char *text, int64_t *fen) UPL_MUST_CHECK;
/* fen -> "1200.50" (buf >= 32 bytes; negative amounts keep their sign). */
UPL_EXPORT void upl_money_format_fen(int64_t fen, char *buf);

#ifdef __cplusplus
}
#endif
#endif
