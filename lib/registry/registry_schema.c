/* registry_schema.c — the registry schema as numbered migrations.
 *
 * One SQL text per migration serves both back ends: types are TEXT, BIGINT,
 * INTEGER and DOUBLE PRECISION (SQLite maps them to its affinities), money
 * is BIGINT fen, booleans are INTEGER 0/1, and the one dialect difference
 * (an auto-increment primary key) is the @ID@ token that each driver
 * rewrites. Objects a dialect spells differently (triggers that keep the
 * audit log append-only) live in per-dialect extras of the same number.
 *
 * A migration is applied inside one transaction together with its row in
 * schema_migrations, so a crash leaves the schema at a numbered version.
 * Never edit a published migration: add the next number. */
#include <string.h>
#include "registry_int.h"

typedef struct migration {
    int version;
    const char *sql;          /* both dialects (with @ID@) */
    const char *sqlite_extra; /* SQLite only, or NULL */
    const char *pg_extra;     /* PostgreSQL only, or NULL */
} migration;

static const char m1_sql[] =
    "CREATE TABLE upl_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    /* 12-digit statistical division codes: 2 province, 2 prefecture, 2 county, 3 township, 3 village */
    "CREATE TABLE area (code TEXT PRIMARY KEY, name TEXT, level INTEGER NOT NULL, parent TEXT);\n"
    "CREATE TABLE import_file (id @ID@, sha256 TEXT NOT NULL UNIQUE, source TEXT, actor TEXT NOT NULL,"
    " at TEXT NOT NULL, wave INTEGER, rows_read BIGINT, rows_accepted BIGINT, rows_quarantined BIGINT,"
    " households_accepted BIGINT, households_quarantined BIGINT, conflicts BIGINT);\n"
    "CREATE TABLE household (id @ID@, household_code TEXT NOT NULL UNIQUE, area_code TEXT NOT NULL,"
    " province TEXT, city TEXT, county TEXT, township TEXT, village TEXT, natural_village TEXT,"
    " village_group TEXT, address TEXT, head_name TEXT,"
    " household_phone_enc TEXT, household_phone_masked TEXT, bank_name TEXT,"
    " bank_account_enc TEXT, bank_account_masked TEXT, first_identified_date TEXT,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, import_id BIGINT REFERENCES import_file(id));\n"
    "CREATE INDEX household_area ON household(area_code);\n"
    "CREATE TABLE household_wave (household_id BIGINT NOT NULL REFERENCES household(id),"
    " wave INTEGER NOT NULL, household_size INTEGER NOT NULL, household_size_for_year INTEGER,"
    " identification_standard TEXT, poverty_attribute TEXT, main_poverty_cause TEXT,"
    " other_poverty_causes TEXT, exit_status TEXT, exit_year INTEGER, planned_exit_year INTEGER,"
    " household_type TEXT, monitoring_category TEXT, risk_types TEXT, identified_month TEXT,"
    " risk_eliminated INTEGER, elimination_method TEXT, eliminated_month TEXT,"
    " is_military_martyr_family INTEGER, is_relocation_household INTEGER,"
    " cultivated_land_mu DOUBLE PRECISION, irrigated_land_mu DOUBLE PRECISION,"
    " forest_land_mu DOUBLE PRECISION, grassland_mu DOUBLE PRECISION, housing_area_m2 DOUBLE PRECISION,"
    " is_dilapidated_house INTEGER, dilapidated_grade TEXT, has_safe_drinking_water INTEGER,"
    " has_household_electricity INTEGER, distance_to_main_road_km DOUBLE PRECISION,"
    " access_road_type TEXT, main_fuel_type TEXT, has_sanitary_toilet INTEGER, joined_cooperative INTEGER,"
    " income_wage BIGINT, income_business BIGINT, income_property BIGINT, income_transfer BIGINT,"
    " transfer_dibao BIGINT, transfer_tekun BIGINT, transfer_pension BIGINT,"
    " transfer_eco_compensation BIGINT, expense_business BIGINT, income_gross BIGINT, income_net BIGINT,"
    " income_net_per_capita BIGINT, compliant_out_of_pocket_expense BIGINT, insurance_claim_income BIGINT,"
    " import_id BIGINT REFERENCES import_file(id), updated_at TEXT NOT NULL,"
    " PRIMARY KEY (household_id, wave));\n"
    "CREATE TABLE member (id @ID@, household_id BIGINT NOT NULL REFERENCES household(id),"
    " member_key TEXT NOT NULL, person_code TEXT, name TEXT, sex TEXT, id_type TEXT, id_enc TEXT,"
    " id_blind TEXT, id_masked TEXT, id_flags INTEGER NOT NULL DEFAULT 0, birth_date TEXT,"
    " ethnicity TEXT, person_phone_enc TEXT, person_phone_masked TEXT,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (household_id, member_key));\n"
    "CREATE INDEX member_blind ON member(id_blind);\n"
    "CREATE TABLE member_wave (member_id BIGINT NOT NULL REFERENCES member(id), wave INTEGER NOT NULL,"
    " household_id BIGINT NOT NULL REFERENCES household(id), relation_to_head TEXT,"
    " political_status TEXT, education_level TEXT, school_status TEXT, health_status TEXT,"
    " disability_category TEXT, disability_cert_year INTEGER, labor_skill TEXT, work_status TEXT,"
    " work_location TEXT, work_months INTEGER, employer_name TEXT,"
    " has_resident_medical_insurance INTEGER, has_employee_medical_insurance INTEGER,"
    " has_critical_illness_insurance INTEGER, has_commercial_supplementary_medical_insurance INTEGER,"
    " has_resident_pension_insurance INTEGER, has_employee_pension_insurance INTEGER,"
    " receives_dibao INTEGER, is_tekun_supported INTEGER, receives_medical_assistance INTEGER,"
    " speaks_putonghua INTEGER, is_active_military INTEGER, dropout_reason TEXT,"
    " import_id BIGINT REFERENCES import_file(id), PRIMARY KEY (member_id, wave));\n"
    "CREATE INDEX member_wave_household ON member_wave(household_id, wave);\n"
    "CREATE TABLE quarantine (id @ID@, import_id BIGINT NOT NULL REFERENCES import_file(id),"
    " household_code TEXT, area_code TEXT, line BIGINT, code TEXT NOT NULL, field TEXT,"
    " message TEXT, raw_enc TEXT, status TEXT NOT NULL DEFAULT 'open');\n"
    "CREATE TABLE conflict (id @ID@, kind TEXT NOT NULL, id_blind TEXT NOT NULL, id_masked TEXT,"
    " household_a TEXT NOT NULL, household_b TEXT NOT NULL, area_a TEXT, area_b TEXT,"
    " escalate_to TEXT, import_id BIGINT, status TEXT NOT NULL DEFAULT 'open',"
    " created_at TEXT NOT NULL, resolved_by TEXT, resolution TEXT,"
    " UNIQUE (kind, id_blind, household_a, household_b));\n"
    "CREATE TABLE event (id @ID@, household_id BIGINT NOT NULL REFERENCES household(id),"
    " kind TEXT NOT NULL, date TEXT, loss_fen BIGINT, note TEXT, created_by TEXT NOT NULL,"
    " created_at TEXT NOT NULL);\n"
    "CREATE TABLE measure (id @ID@, household_id BIGINT NOT NULL REFERENCES household(id),"
    " wave INTEGER NOT NULL, kind TEXT NOT NULL, batch TEXT, amount_fen BIGINT, date TEXT,"
    " cadre TEXT, note TEXT, is_plan INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL,"
    " created_at TEXT NOT NULL);\n"
    "CREATE INDEX measure_household ON measure(household_id, wave);\n"
    "CREATE TABLE case_file (id @ID@, kind TEXT NOT NULL, household_id BIGINT NOT NULL"
    " REFERENCES household(id), wave INTEGER NOT NULL, state TEXT NOT NULL, step_index INTEGER NOT NULL,"
    " notice_date TEXT, deadline TEXT, opened_by TEXT NOT NULL, opened_at TEXT NOT NULL,"
    " closed_at TEXT, note TEXT);\n"
    "CREATE TABLE case_step (id @ID@, case_id BIGINT NOT NULL REFERENCES case_file(id),"
    " step TEXT NOT NULL, outcome TEXT NOT NULL, actor TEXT NOT NULL, date TEXT NOT NULL,"
    " at TEXT NOT NULL, note TEXT);\n"
    "CREATE TABLE audit_log (seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
    " scope TEXT NOT NULL, action TEXT NOT NULL, object TEXT, before_json TEXT, after_json TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);\n"
    "CREATE TABLE account (id @ID@, name TEXT NOT NULL UNIQUE, pw_hash TEXT NOT NULL,"
    " role INTEGER NOT NULL, scope TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
    " failed_logins INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, created_by TEXT NOT NULL);\n";

/* The audit log refuses UPDATE and DELETE (tampering must then go around
 * the database engine, which `uplift audit verify` detects). */
static const char m1_sqlite[] =
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;\n"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;\n";
static const char m1_pg[] =
    "CREATE FUNCTION upl_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;\n"
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION upl_audit_append_only();\n";

/* Migration 2: review and correction (docs/decisions/0008-conflict-review.md).
 * A conflict's decision (resolution = the decision name) names the household
 * it concerns and carries the reviewer's note and time; every decision,
 * escalations included, is also a row of conflict_review (the history the
 * conflict row alone would overwrite). Quarantine items record who closed
 * them, when, why, and for `superseded` the import that brought the
 * household in. ADD COLUMN with no default rewrites nothing on either
 * engine, so the migration is cheap on a registry of millions of rows. */
static const char m2_sql[] =
    "ALTER TABLE conflict ADD COLUMN resolution_household TEXT;\n"
    "ALTER TABLE conflict ADD COLUMN resolution_note TEXT;\n"
    "ALTER TABLE conflict ADD COLUMN resolved_at TEXT;\n"
    "CREATE INDEX conflict_status ON conflict(status);\n"
    "CREATE TABLE conflict_review (id @ID@, conflict_id BIGINT NOT NULL REFERENCES conflict(id),"
    " decision TEXT NOT NULL, household TEXT, note TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL);\n"
    "CREATE INDEX conflict_review_conflict ON conflict_review(conflict_id);\n"
    "ALTER TABLE quarantine ADD COLUMN closed_by TEXT;\n"
    "ALTER TABLE quarantine ADD COLUMN closed_at TEXT;\n"
    "ALTER TABLE quarantine ADD COLUMN close_note TEXT;\n"
    "ALTER TABLE quarantine ADD COLUMN superseded_by BIGINT;\n"
    "CREATE INDEX quarantine_household ON quarantine(household_code);\n"
    "CREATE INDEX quarantine_import ON quarantine(import_id);\n"
    "CREATE INDEX event_household ON event(household_id);\n";

static const migration migrations[] = {
    { 1, m1_sql, m1_sqlite, m1_pg },
    { 2, m2_sql, NULL, NULL },
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int apply(upl_registry *r, const migration *m, upl_error *err) {
    int rc;
    char *sql = NULL;
    bool is_pg = strcmp(r->db->vt->name, "postgresql") == 0;
    char now[32];
    upl_reg_now(now);
    UPL_TRY(r->db->vt->begin(r->db, err));
    /* Re-check inside the transaction: another process may have applied it. */
    int64_t have = 0;
    bool found = false;
    UPL_TRY(upl_db_query_i64(r->db, "SELECT MAX(version) FROM schema_migrations", &have, &found, err, ""));
    if (have >= m->version) { UPL_TRY(r->db->vt->commit(r->db, err)); return UPL_OK; }
    sql = r->db->vt->dialect(m->sql);
    UPL_FAIL_IF(!sql, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->exec(r->db, sql, err));
    const char *extra = is_pg ? m->pg_extra : m->sqlite_extra;
    if (extra) UPL_TRY(r->db->vt->exec(r->db, extra, err));
    UPL_TRY(upl_db_run(r->db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", err,
                       "is", (int64_t)m->version, now));
    UPL_TRY(r->db->vt->commit(r->db, err));
    upl_free(sql);
    return UPL_OK;
fail:
    r->db->vt->rollback(r->db);
    upl_free(sql);
    return rc;
}

/* On PostgreSQL, openers of one database take turns through the migration
 * check (a session advisory lock): two processes opening a fresh schema at
 * once, or a reopen while the server still runs the statement of a killed
 * client, would otherwise race on CREATE TABLE IF NOT EXISTS (a duplicate
 * key in pg_type) or apply the same migration twice. The lock is released
 * at the end, or by the server when the session ends. */
#define MIGRATE_LOCK "7210531"

int upl_reg_migrate(upl_registry *r, bool no_migrate, upl_error *err) {
    int rc;
    int64_t have = 0;
    bool found = false, locked = false;
    if (!strcmp(r->db->vt->name, "postgresql")) {
        UPL_TRY(r->db->vt->exec(r->db, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", err));
        locked = true;
    }
    UPL_TRY(r->db->vt->exec(r->db, "CREATE TABLE IF NOT EXISTS schema_migrations"
                                   " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)", err));
    UPL_TRY(upl_db_query_i64(r->db, "SELECT MAX(version) FROM schema_migrations", &have, &found, err, ""));
    if (have > N_MIGRATIONS) {
        rc = upl_error_set(err, UPL_EUNSUPPORTED,
                           "registry schema version %lld is newer than this build knows (%d); "
                           "upgrade uplift", (long long)have, N_MIGRATIONS);
        goto fail;
    }
    if (have < N_MIGRATIONS && no_migrate) {
        rc = upl_error_set(err, UPL_ESCHEMA, "registry schema version %lld is older than %d and "
                           "migrations are disabled", (long long)have, N_MIGRATIONS);
        goto fail;
    }
    for (int i = 0; i < N_MIGRATIONS; i++)
        if (migrations[i].version > have) UPL_TRY(apply(r, &migrations[i], err));
    r->schema_version = N_MIGRATIONS;
    rc = UPL_OK;
fail:
    if (locked) (void)r->db->vt->exec(r->db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", NULL);
    return rc;
}
