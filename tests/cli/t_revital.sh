# uplift revital: the published 20-river example (DOMAIN.md §4.3) through the
# command line with exact expected output, town and country on a small
# household file, every output format, and misuse / bad data exits.
D=tests/data/revital
R="$UPLIFT revital"
RIV="$D/rivers.csv --system $D/rivers.yaml --unit id"
FIVE="--system profiles/five-revitalizations.yaml"

case_run "revital rivers entropy weights" 0 "=revital_rivers_weights.csv" "!" -- \
    $R $RIV --year none --table weights --format csv
case_run "revital rivers scores + topsis" 0 "=revital_rivers_scores.csv" "!" -- \
    $R $RIV --topsis vector --table scores --format csv
case_run "revital rivers critic weights" 0 "=revital_rivers_critic.csv" "!" -- \
    $R $RIV --method critic --table weights --format csv
case_run "revital published digits in table" 0 "~0\.3153202" "!" -- $R $RIV --table weights
case_run "revital bilingual table" 0 "~综合得分" "!" -- $R $RIV --table scores
case_run "revital settings recorded" 0 "~zero_rule,.*epsilon 0\.002" "!" -- $R $RIV --table settings --format csv
case_run "revital town and country" 0 "=revital_town_country.csv" "!" -- \
    $R $D/households.csv --town-country --income income_pc --urban is_urban --province province --year year \
    --weight weight --table town_country --format csv
case_run "revital full county run" 0 "~# table: beta" "!" -- \
    $R $D/counties.csv $FIVE --ccd --obstacle --dagum region --convergence --controls fiscal_per_capita --density \
    --topsis minmax --format csv
case_run "revital json" 0 '~"weights": \[' "!" -- $R $D/counties.csv $FIVE --ccd --format json
case_run "revital per-year ahp-free combined misuse" 2 "!" "~need --method combined" -- \
    $R $D/counties.csv $FIVE --combine ahp+entropy
case_run "revital missing value names unit, year, indicator" 1 "!" \
    "~counties_missing.csv:21: column .forest_cover.: missing value for unit .520102., year 2020" -- \
    $R $D/counties_missing.csv $FIVE
case_run "revital missing drop counted" 0 "~rows_dropped,1," "!" -- \
    $R $D/counties_missing.csv $FIVE --missing drop --table settings --format csv
case_run "revital yaml error position" 1 "!" "~bad_key.yaml:7:9: .*unknown indicator key .wieght." -- \
    $R $D/rivers.csv --system $D/bad_key.yaml --unit id
case_run "revital no system" 2 "!" "~--system FILE is required" -- $R $D/rivers.csv
case_run "revital bad method" 2 "!" "~--method: expected entropy" -- $R $RIV --method magic
case_run "revital bad zero rule" 2 "!" "~--zero-rule" -- $R $RIV --zero-rule eps
case_run "revital xlsx needs -o" 2 "!" "~needs -o" -- $R $RIV --format xlsx
case_run "revital unknown table" 2 "!" "~no result table .nosuch." -- $R $RIV --table nosuch
case_run "revital ccd needs 2 dimensions" 2 "!" "~at least 2 dimensions" -- $R $RIV --ccd
case_run "revital convergence needs years" 2 "!" "~needs a year column" -- $R $RIV --year none --convergence
case_run "revital missing file" 1 "!" "~no-such.csv" -- $R $D/no-such.csv $FIVE
case_run "revital xlsx" 0 "!" "!" -- $R $D/counties.csv $FIVE --ccd --format xlsx -o "$TMP/revital.xlsx"
# area codes stay text in the workbook (shared strings), never numbers
case_run "revital xlsx codes as text" 0 "~<t>330102</t>" "" -- unzip -p "$TMP/revital.xlsx" xl/sharedStrings.xml
case_run "revital csv directory" 0 "!" "!" -- $R $RIV --format csv -o "$TMP/rv-out/"
case_run "revital csv directory files" 0 "~^id,score,rank" "" -- head -1 "$TMP/rv-out/scores.csv"
case_run "revital plan targets" 0 "~^11,2022,grain_capacity,6,>6,2022,false" "!" -- \
    $R $D/plan_provinces.csv --system profiles/plan-2018-2022.yaml --unit province --targets --table targets --format csv
# T with given subsystem weights: 0.3 industry, 0.2 talent/culture/ecology, 0.1 organization;
# 330102 in 2019 has indices 0.9313457 0.8827525 0.9160672 0.9203409 0.916978 -> T = 0.914934
case_run "revital ccd alpha" 0 "~^330102,2019,0\.99983862[0-9]*,0\.91493363" "!" -- \
    $R $D/counties.csv $FIVE --ccd-alpha 0.3,0.2,0.2,0.2,0.1 --table ccd --format csv
case_run "revital ccd alpha count" 2 "!" "~2 coupling weights given for 5 dimensions" -- \
    $R $D/counties.csv $FIVE --ccd-alpha 0.3,0.2 --table ccd
