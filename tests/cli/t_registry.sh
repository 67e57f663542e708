# The registry from the command line: import (rejects, idempotency, scope),
# cases with notice periods and public notices, assistance coverage,
# accounts, and the audit chain against tampering. Runs on SQLite files
# under $TMP; no server needed.
R="$TMP/registry"
mkdir -p "$R"
cp "$ROOT/tests/data/registry/county_2023.csv" "$R/county.csv"
DB="$R/county.db"
case_run "registry: import with quarantined households" 1 "~6 accepted \(6 new, 0 updated\), 4 quarantined" \
    "~created key file .*county.db.key" -- "$UPLIFT" import "$R/county.csv" --db "$DB" --today 20240101
case_run "registry: key file is 0600" 0 "~^600$" "" -- stat -c %a "$DB.key"
case_run "registry: rejects name line, field, code" 0 "~county.csv,7,6,7,household_size,SIZE_MISMATCH" "" \
    -- cat "$R/county.csv.rejects.csv"
case_run "registry: Excel-mangled ID rejected" 0 "~,11,.*ID_EXCEL_MANGLED" "" -- cat "$R/county.csv.rejects.csv"
case_run "registry: warnings file (sex vs ID)" 0 "~,6,5,14,sex,SEX_MISMATCH" "" -- cat "$R/county.csv.warnings.csv"
case_run "registry: same file again is already imported" 0 "~already imported" "" \
    -- "$UPLIFT" import "$R/county.csv" --db "$DB"
case_run "registry: import needs --db" 2 "!" "~no registry" -- "$UPLIFT" import "$R/county.csv"
case_run "registry: import of a missing file" 1 "" "~no-such.csv" -- "$UPLIFT" import "$R/no-such.csv" --db "$DB"
printf 'household_code,area_code,name\nH1,110105001001,x\n' > "$R/missing.csv"
case_run "registry: required columns missing" 1 "" "~required columns missing: household_size.*relation_to_head" \
    -- "$UPLIFT" import "$R/missing.csv" --db "$DB" --wave 2023
case_run "registry: conflict listed with its county" 0 "~H001 +H008 +110105001001 +110105002001 +110105 " "" \
    -- "$UPLIFT" case conflicts --db "$DB"
case_run "registry: stats" 0 "~^6 +10 +1 +1 +6 +1 " "" -- "$UPLIFT" audit stats --db "$DB"
case_run "registry: check" 0 "~registry check passed" "" -- "$UPLIFT" audit check --db "$DB"

# Exit case: steps in order, the notice runs 7 days, notice without IDs.
case_run "case: open" 0 "~case 1 opened" "" -- "$UPLIFT" case open --kind exit --household H001 --wave 2023 --db "$DB"
case_run "case: out of order" 2 "" "~expects step .proposal." \
    -- "$UPLIFT" case step 1 notice --outcome pass --date 2023-10-01 --db "$DB"
for s in proposal:2023-10-01 verification:2023-10-02 household_consent:2023-10-03 notice:2023-10-04; do
    case_run "case: ${s%%:*}" 0 "~recorded" "" -- "$UPLIFT" case step 1 "${s%%:*}" --outcome pass --date "${s#*:}" --db "$DB"
done
case_run "case: notice lists the household" 0 "~^H001,张伟,朝阳村,110105001001,3,贫困户退出 exit,因病,2023-10-04,2023-10-11$" "" \
    -- "$UPLIFT" case notice --db "$DB"
case_run "case: notice carries no ID or phone" 1 "!" "" \
    -- sh -c "\"$UPLIFT\" case notice --db \"$DB\" --format html | grep -E '[0-9]{17}[0-9X]|1380013'"
case_run "case: step before the notice period ends" 1 "" "~runs 7 days: .township_review. can be recorded from 2023-10-11" \
    -- "$UPLIFT" case step 1 township_review --outcome pass --date 2023-10-08 --db "$DB"
case_run "case: township review after 7 days" 0 "~recorded" "" \
    -- "$UPLIFT" case step 1 township_review --outcome pass --date 2023-10-11 --db "$DB"
case_run "case: county approval" 0 "~recorded" "" -- "$UPLIFT" case step 1 county_approval --outcome pass --date 2023-10-12 --db "$DB"
case_run "case: removed" 0 "~recorded" "" -- "$UPLIFT" case step 1 removed --outcome pass --date 2023-10-13 --db "$DB"
case_run "case: completed" 0 "~^1 +exit +H001 .* completed " "" -- "$UPLIFT" case list --db "$DB"

# Data comparison against a list file: a hit holds the case.
printf 'id_number,owner\n11010519821111004X,vehicle\n' > "$R/vehicles.csv"
case_run "case: identify H002" 0 "~case 2 opened" "" -- "$UPLIFT" case open --kind identify --household H002 --wave 2023 --db "$DB"
case_run "case: application" 0 "" "" -- "$UPLIFT" case step 2 application --outcome pass --date 2023-03-01 --db "$DB"
case_run "case: appraisal" 0 "" "" -- "$UPLIFT" case step 2 village_appraisal --outcome pass --date 2023-03-02 --db "$DB"
case_run "case: comparison finds the head's vehicle" 0 "~1 member\(s\) found" "" -- "$UPLIFT" case compare 2 "$R/vehicles.csv" --db "$DB"
case_run "case: history shows the masked hit" 0 "~data_comparison +flagged .*vehicles.csv: 110105\*+004X" "" -- "$UPLIFT" case show 2 --db "$DB"

# Assistance and coverage.
case_run "assist: add" 0 "~measure 1 recorded" "" -- "$UPLIFT" assist add --household H002 --wave 2023 --kind medical \
    --amount 1200.50 --date 2023-05-01 --cadre 王书记 --db "$DB"
case_run "assist: bad amount" 2 "" "~--amount" -- "$UPLIFT" assist add --household H002 --wave 2023 --kind medical \
    --amount 1,200 --date 2023-05-01 --db "$DB"
case_run "assist: amount with a trailing point" 2 "" "~--amount: expected yuan .*found \`12\.\`" -- "$UPLIFT" assist add \
    --household H002 --wave 2023 --kind medical --amount 12. --date 2023-05-01 --db "$DB"
case_run "assist: amount too large" 2 "" "~\(too large\)" -- "$UPLIFT" assist add --household H002 --wave 2023 \
    --kind medical --amount 99999999999999999 --date 2023-05-01 --db "$DB"
case_run "assist: coverage" 0 "~^H007 +110105001001 +缺资金 +microcredit,industry,asset_income" "" \
    -- "$UPLIFT" assist coverage --wave 2023 --db "$DB"

# Accounts and scope: a township clerk cannot import another township's rows.
printf 'correct horse battery\n' > "$R/pw"
case_run "account: add clerk" 0 "~account clerk1 added: role clerk, scope 110105001" "" \
    -- env UPLIFT_NEW_PASSWORD="correct horse battery" "$UPLIFT" account add clerk1 --role clerk --scope 110105001 --db "$DB"
case_run "account: generated password" 0 "~initial password .*: [a-z2-9]{20}$" "" \
    -- "$UPLIFT" account add viewer1 --role viewer --scope 110105001001 --db "$DB"
case_run "account: list" 0 "~clerk1 +clerk +110105001 " "" -- "$UPLIFT" account list --db "$DB"
case_run "account: wrong password" 1 "" "~login failed" \
    -- env UPLIFT_PASSWORD=nope "$UPLIFT" audit stats --user clerk1 --db "$DB"
DB2="$R/scope.db"
case_run "account: setup second registry" 0 "" "" \
    -- env UPLIFT_NEW_PASSWORD="correct horse battery" "$UPLIFT" account add clerk1 --role clerk --scope 110105001 --db "$DB2"
cp "$R/county.csv" "$R/county2.csv"
case_run "scope: out-of-area rows refused" 1 "~OUT_OF_SCOPE +2" "" \
    -- "$UPLIFT" import "$R/county2.csv" --db "$DB2" --user clerk1 --password-file "$R/pw" --today 20240101
case_run "scope: refusal in the rejects file" 0 "~H010,110106001001.*|110106001001 is outside the scope" "" \
    -- cat "$R/county2.csv.rejects.csv"
case_run "scope: clerk cannot add accounts" 1 "" "~needs the admin role" \
    -- env UPLIFT_NEW_PASSWORD="another long one" "$UPLIFT" account add x --role viewer --db "$DB2" --user clerk1 --password-file "$R/pw"

# The audit chain detects an edit made behind the library's back.
case_run "audit: verify" 0 "~chain intact" "" -- "$UPLIFT" audit verify --db "$DB"
if command -v sqlite3 >/dev/null; then
    sqlite3 "$DB" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone' WHERE seq = 3"
    case_run "audit: edited row detected" 1 "" "~row 3 does not match its hash" -- "$UPLIFT" audit verify --db "$DB"
fi
case_run "registry: wrong key file" 1 "" "~key file does not belong to this registry" \
    -- "$UPLIFT" audit stats --db "$DB" --key-file "$DB2.key"
