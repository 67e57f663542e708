/* registry_readback.c — a wave of the registry read back as the person-level
 * table the rest of uplift works on (one row per member, household columns
 * repeated, canonical names): what `uplift identify --db` evaluates. Money
 * is stored in fen (integers) and returned in yuan; flags stored as 0/1
 * come back as booleans; the area levels are the code prefixes of
 * area_code (province 2, city 4, county 6, township 9 digits). ID numbers
 * are never decrypted here: only the masked form is returned. */
#include <string.h>
#include "registry_int.h"
#include "uplift/io.h"

typedef enum { K_TEXT, K_INT, K_BOOL, K_MONEY, K_REAL } kind;
typedef struct field { const char *sql, *name; kind k; } field;

/* The SELECT list: every canonical field the schema keeps for a wave. */
static const field FIELDS[] = {
    {"h.household_code", "household_code", K_TEXT}, {"h.area_code", "area_code", K_TEXT},
    {"substr(h.area_code, 1, 2)", "province", K_TEXT}, {"substr(h.area_code, 1, 4)", "city", K_TEXT},
    {"substr(h.area_code, 1, 6)", "county", K_TEXT}, {"substr(h.area_code, 1, 9)", "township", K_TEXT},
    {"h.area_code", "village", K_TEXT}, {"h.head_name", "head_name", K_TEXT},
    {"w.wave", "record_year", K_INT}, {"w.household_size", "household_size", K_INT},
    {"w.household_size_for_year", "household_size_for_year", K_INT},
    {"w.identification_standard", "identification_standard", K_TEXT},
    {"w.poverty_attribute", "poverty_attribute", K_TEXT}, {"w.main_poverty_cause", "main_poverty_cause", K_TEXT},
    {"w.other_poverty_causes", "other_poverty_causes", K_TEXT}, {"w.exit_status", "exit_status", K_TEXT},
    {"w.exit_year", "exit_year", K_INT}, {"w.planned_exit_year", "planned_exit_year", K_INT},
    {"w.household_type", "household_type", K_TEXT}, {"w.monitoring_category", "monitoring_category", K_TEXT},
    {"w.risk_types", "risk_types", K_TEXT}, {"w.risk_eliminated", "risk_eliminated", K_BOOL},
    {"w.is_military_martyr_family", "is_military_martyr_family", K_BOOL},
    {"w.is_relocation_household", "is_relocation_household", K_BOOL},
    {"w.cultivated_land_mu", "cultivated_land_mu", K_REAL}, {"w.irrigated_land_mu", "irrigated_land_mu", K_REAL},
    {"w.forest_land_mu", "forest_land_mu", K_REAL}, {"w.grassland_mu", "grassland_mu", K_REAL},
    {"w.housing_area_m2", "housing_area_m2", K_REAL}, {"w.is_dilapidated_house", "is_dilapidated_house", K_BOOL},
    {"w.dilapidated_grade", "dilapidated_grade", K_TEXT},
    {"w.has_safe_drinking_water", "has_safe_drinking_water", K_BOOL},
    {"w.has_household_electricity", "has_household_electricity", K_BOOL},
    {"w.distance_to_main_road_km", "distance_to_main_road_km", K_REAL},
    {"w.access_road_type", "access_road_type", K_TEXT}, {"w.main_fuel_type", "main_fuel_type", K_TEXT},
    {"w.has_sanitary_toilet", "has_sanitary_toilet", K_BOOL}, {"w.joined_cooperative", "joined_cooperative", K_BOOL},
    {"w.income_wage", "income_wage", K_MONEY}, {"w.income_business", "income_business", K_MONEY},
    {"w.income_property", "income_property", K_MONEY}, {"w.income_transfer", "income_transfer", K_MONEY},
    {"w.transfer_dibao", "transfer_dibao", K_MONEY}, {"w.transfer_tekun", "transfer_tekun", K_MONEY},
    {"w.transfer_pension", "transfer_pension", K_MONEY},
    {"w.transfer_eco_compensation", "transfer_eco_compensation", K_MONEY},
    {"w.expense_business", "expense_business", K_MONEY}, {"w.income_gross", "income_gross", K_MONEY},
    {"w.income_net", "income_net", K_MONEY}, {"w.income_net_per_capita", "income_net_per_capita", K_MONEY},
    {"w.compliant_out_of_pocket_expense", "compliant_out_of_pocket_expense", K_MONEY},
    {"w.insurance_claim_income", "insurance_claim_income", K_MONEY},
    {"m.member_key", "member_key", K_TEXT}, {"m.person_code", "person_code", K_TEXT}, {"m.name", "name", K_TEXT},
    {"m.sex", "sex", K_TEXT}, {"m.id_type", "id_type", K_TEXT}, {"m.id_masked", "id_number_masked", K_TEXT},
    {"m.birth_date", "birth_date", K_TEXT}, {"m.ethnicity", "ethnicity", K_TEXT},
    {"mw.relation_to_head", "relation_to_head", K_TEXT}, {"mw.political_status", "political_status", K_TEXT},
    {"mw.education_level", "education_level", K_TEXT}, {"mw.school_status", "school_status", K_TEXT},
    {"mw.health_status", "health_status", K_TEXT}, {"mw.disability_category", "disability_category", K_TEXT},
    {"mw.disability_cert_year", "disability_cert_year", K_INT}, {"mw.labor_skill", "labor_skill", K_TEXT},
    {"mw.work_status", "work_status", K_TEXT}, {"mw.work_location", "work_location", K_TEXT},
    {"mw.work_months", "work_months", K_INT},
    {"mw.has_resident_medical_insurance", "has_resident_medical_insurance", K_BOOL},
    {"mw.has_employee_medical_insurance", "has_employee_medical_insurance", K_BOOL},
    {"mw.has_critical_illness_insurance", "has_critical_illness_insurance", K_BOOL},
    {"mw.has_commercial_supplementary_medical_insurance", "has_commercial_supplementary_medical_insurance", K_BOOL},
    {"mw.has_resident_pension_insurance", "has_resident_pension_insurance", K_BOOL},
    {"mw.has_employee_pension_insurance", "has_employee_pension_insurance", K_BOOL},
    {"mw.receives_dibao", "receives_dibao", K_BOOL}, {"mw.is_tekun_supported", "is_tekun_supported", K_BOOL},
    {"mw.receives_medical_assistance", "receives_medical_assistance", K_BOOL},
    {"mw.speaks_putonghua", "speaks_putonghua", K_BOOL}, {"mw.is_active_military", "is_active_military", K_BOOL},
    {"mw.dropout_reason", "dropout_reason", K_TEXT},
};
#define N_FIELDS (sizeof FIELDS / sizeof FIELDS[0])

static const upl_type TYPE_OF[] = { [K_TEXT] = UPL_STR, [K_INT] = UPL_I64, [K_BOOL] = UPL_BOOL,
                                    [K_MONEY] = UPL_F64, [K_REAL] = UPL_F64 };

int upl_registry_wave_table(upl_registry *r, int wave, const char *area, upl_table **out, upl_error *err) {
    int rc = UPL_OK;
    upl_stmt *st = NULL;
    upl_table *t = NULL;
    upl_column *cols[N_FIELDS];
    char *sql = NULL, *like = NULL;
    const char *prefix;
    *out = NULL;
    UPL_TRY(upl_reg_area_prefix(r, area, &prefix, err));
    /* The SELECT list comes from the constant table above, never from input. */
    size_t len = 512;
    for (size_t i = 0; i < N_FIELDS; i++) len += strlen(FIELDS[i].sql) + strlen(FIELDS[i].name) + 8;
    sql = upl_malloc(len);
    UPL_FAIL_IF(!sql, err, UPL_ENOMEM, "out of memory");
    size_t n = (size_t)snprintf(sql, len, "SELECT ");
    for (size_t i = 0; i < N_FIELDS; i++)
        n += (size_t)snprintf(sql + n, len - n, "%s%s AS %s", i ? ", " : "", FIELDS[i].sql, FIELDS[i].name);
    snprintf(sql + n, len - n,
             " FROM member_wave mw JOIN member m ON m.id = mw.member_id"
             " JOIN household h ON h.id = mw.household_id"
             " JOIN household_wave w ON w.household_id = mw.household_id AND w.wave = mw.wave"
             " WHERE mw.wave = ? AND h.area_code LIKE ? ORDER BY h.household_code, m.id");
    UPL_TRY(r->db->vt->prepare(r->db, sql, &st, err));
    like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_i64(st, 1, wave);
    if (!rc) rc = r->db->vt->bind_text(st, 2, like, (size_t)-1);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    t = upl_table_new();
    UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < N_FIELDS; i++)
        UPL_TRY(upl_table_add_column(t, FIELDS[i].name, TYPE_OF[FIELDS[i].k], &cols[i], err));
    bool row = false;
    UPL_TRY(r->db->vt->step(st, &row, err));
    while (row) {
        for (size_t i = 0; i < N_FIELDS; i++) {
            int c = (int)i;
            if (r->db->vt->col_is_null(st, c)) { rc = upl_col_push_null(cols[i]); }
            else switch (FIELDS[i].k) {
            case K_INT: rc = upl_col_push_i64(cols[i], r->db->vt->col_i64(st, c)); break;
            case K_BOOL: rc = upl_col_push_bool(cols[i], r->db->vt->col_i64(st, c) != 0); break;
            case K_MONEY: rc = upl_col_push_f64(cols[i], (double)r->db->vt->col_i64(st, c) / 100.0); break;
            case K_REAL: rc = upl_col_push_f64(cols[i], r->db->vt->col_f64(st, c)); break;
            case K_TEXT: {
                size_t tl;
                const char *s = r->db->vt->col_text(st, c, &tl);
                rc = upl_col_push_str(cols[i], s ? s : "", s ? tl : 0);
                break;
            }
            }
            UPL_FAIL_IF(rc != UPL_OK, err, rc, "out of memory reading the registry");
        }
        UPL_TRY(r->db->vt->step(st, &row, err));
    }
    *out = t;
    t = NULL;
fail:
    if (st) r->db->vt->finalize(st);
    upl_table_free(t);
    upl_free(sql);
    upl_free(like);
    return rc;
}
