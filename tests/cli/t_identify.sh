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
case_run "identify --db not yet" 2 "!" "~registry is not available yet" -- \
    "$UPLIFT" identify --db x.db --profile china-2014-targeted
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
