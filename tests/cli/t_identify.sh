# uplift identify: golden decisions and summaries for the shipped profiles on
# hand-built households (expected files under tests/golden/identify/, each
# value worked out by hand in tests/unit/test_identify*.c), and error cases.
# The expected files carry each profile's SHA-256: after editing a shipped
# profile, check the decisions still hold and regenerate them with
#   uplift identify tests/golden/identify/china-2014/persons.csv --profile china-2014-targeted \
#     -o tests/golden/identify/china-2014/expected-decisions.csv --summary-by county \
#     --summary-out tests/golden/identify/china-2014/expected-summary-county.csv
#   (global-mpi: --year 2019, expected-decisions.csv and expected-summary.csv)
G=tests/golden/identify
case_run "identify china-2014 golden decisions" 0 "" "" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile profiles/china-2014-targeted.yaml \
    -o "$TMP/cn.csv" --summary-by county --summary-out "$TMP/cn-sum.csv"
case_run "identify china-2014 decisions match" 0 "!" "" -- diff -u $G/china-2014/expected-decisions.csv "$TMP/cn.csv"
case_run "identify china-2014 summary matches" 0 "!" "" -- diff -u $G/china-2014/expected-summary-county.csv "$TMP/cn-sum.csv"
case_run "identify global-mpi golden" 0 "" "" -- \
    "$UPLIFT" identify $G/global-mpi/persons.csv --profile global-mpi-2018 --year 2019 \
    -o "$TMP/mpi.csv" --summary-out "$TMP/mpi-sum.csv"
case_run "identify global-mpi decisions match" 0 "!" "" -- diff -u $G/global-mpi/expected-decisions.csv "$TMP/mpi.csv"
case_run "identify global-mpi summary matches" 0 "!" "" -- diff -u $G/global-mpi/expected-summary.csv "$TMP/mpi-sum.csv"
case_run "identify prints the summary" 0 "~贵州/甲县 +5 +10 +1 +2 +20.00" "" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted -o "$TMP/x.csv" --summary-by county
case_run "identify to stdout" 0 "~^household_code,province" "~total" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted
case_run "identify public masks sensitive evidence" 0 "~health_status=\\*\\*\\*" "" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted --public
case_run "identify snapshot output" 0 "" "" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted -o "$TMP/cn.upl"
case_run "identify needs --profile" 2 "!" "~uplift identify: --profile is required" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv
case_run "identify unknown profile" 1 "!" "~no profile .no-such-profile." -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile no-such-profile
case_run "identify year without a line" 1 "!" "~no poverty line for 2009" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted --year 2009
case_run "identify year needed" 2 "!" "~give --year" -- \
    "$UPLIFT" identify $G/global-mpi/persons.csv --profile global-mpi-2018
case_run "identify expression syntax error at file:line:col" 1 "!" "~bad-expr.yaml:9:.*expected a value" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile tests/data/profile/bad-expr.yaml --year 2014
case_run "identify person field outside aggregation" 1 "!" "~bad-bind.yaml:9:11: .age. is a person-level field" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile tests/data/profile/bad-bind.yaml --year 2014
case_run "identify missing household key" 1 "!" "~household_code.*户编号" -- \
    "$UPLIFT" identify $G/global-mpi/persons.csv --profile china-2014-targeted --year 2014
case_run "identify bad summary level" 2 "" "~unknown area level .hamlet." -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted -o "$TMP/y.csv" --summary-by hamlet
# the same households with member rows in reverse order take the general
# group-by path (and causes over every household): identical decisions
case_run "identify rows in any order" 0 "" "" -- \
    "$UPLIFT" identify $G/china-2014/persons-reversed.csv --profile china-2014-targeted -o "$TMP/cn-rev.csv"
case_run "identify rows in any order match" 0 "!" "" -- diff -u $G/china-2014/expected-decisions.csv "$TMP/cn-rev.csv"
# threads never change a decision
case_run "identify on 2 threads" 0 "" "" -- \
    "$UPLIFT" identify $G/china-2014/persons.csv --profile china-2014-targeted --threads 2 -o "$TMP/cn-t2.csv"
case_run "identify on 2 threads matches" 0 "!" "" -- diff -u $G/china-2014/expected-decisions.csv "$TMP/cn-t2.csv"

# identify --db: the registry's wave gives the same decisions as the export it was
# imported from, for every household the import accepted (the others are quarantined).
# Member counts are compared apart: H009's repeated person row (catalogue item 7) is
# in the export but not in the registry.
mkdir -p "$TMP/iddb"
cp tests/data/registry/county_2023.csv "$TMP/iddb/export.csv"
"$UPLIFT" import "$TMP/iddb/export.csv" --db "$TMP/iddb/r.db" --wave 2023 >/dev/null 2>&1
"$UPLIFT" identify "$TMP/iddb/export.csv" --profile china-2021-monitoring --year 2023 --no-evidence -o "$TMP/iddb/file.csv" >/dev/null 2>&1
case_run "identify --db" 0 "~households" "" -- "$UPLIFT" identify --db "$TMP/iddb/r.db" --profile china-2021-monitoring --year 2023 --no-evidence -o "$TMP/iddb/db.csv"
case_run "identify --db = identify FILE" 0 "!" "!" -- sh -c '
  pick() { awk -F, -v want="household_code,income_pc,income_poor,rigid_expense,education,medical,housing,water,score_exact,poor,main_cause,secondary_causes,exit_eligible,exit_failed" "
    NR==1 { n=split(want, w, \",\"); for (i=1;i<=NF;i++) pos[\$i]=i; next }
    { line=\"\"; for (j=1;j<=n;j++) line=line \$pos[w[j]] \"|\"; print line }" "$1" | sort; }
  pick "$TMP/iddb/db.csv" > "$TMP/iddb/db.txt"; pick "$TMP/iddb/file.csv" > "$TMP/iddb/file.txt"
  n=$(wc -l < "$TMP/iddb/db.txt"); [ "$n" -ge 5 ] || { echo "only $n households from the registry"; exit 1; }
  missing=$(comm -23 "$TMP/iddb/db.txt" "$TMP/iddb/file.txt"); [ -z "$missing" ] || { echo "differs: $missing"; exit 1; }'
case_run "identify --db needs --year" 2 "!" "~--db needs --year" -- "$UPLIFT" identify --db "$TMP/iddb/r.db" --profile china-2021-monitoring
case_run "identify --db and a file" 2 "!" "~either an input file or --db" -- "$UPLIFT" identify x.csv --db "$TMP/iddb/r.db" --profile china-2021-monitoring --year 2023
case_run "identify --db empty wave" 1 "!" "~holds no members for wave 2019" -- "$UPLIFT" identify --db "$TMP/iddb/r.db" --profile china-2014-targeted --year 2019
case_run "identify --db drops the repeated person" 0 "~^H009,.*,2,4500," "!" -- grep "^H009," "$TMP/iddb/db.csv"
case_run "identify FILE keeps the repeated person" 0 "~^H009,[^,]*,3,4500," "!" -- grep "^H009," "$TMP/iddb/file.csv"
