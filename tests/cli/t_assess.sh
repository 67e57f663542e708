# uplift assess: household exit, village/county checks (2 % / 3 % west), the
# seeded assessment sample, and rates with intervals and the verdict.
G=tests/golden/identify/china-2014
case_run "assess village" 0 "~西村,west,5,0,0,0,0,0.03,true,true," "!" -- \
    "$UPLIFT" assess village $G/persons.csv --profile china-2014-targeted
case_run "assess county fails on incidence" 0 "~甲县,west,10,2,0,0.2,0.2,0.03,false" "!" -- \
    "$UPLIFT" assess county $G/persons.csv --profile china-2014-targeted
printf 'county,wrong_exit_rate,missed_rate,recognition_rate\n甲县,0.01,0.0,0.95\n乙县,0.03,0.01,0.85\n' > "$TMP/m.csv"
case_run "assess county with metrics" 0 "~乙县.*,0.03,0.02,false,0.01,0.02,true,0.85,0.9,false,false,incidence;wrong_exit_rate;recognition_rate" "!" -- \
    "$UPLIFT" assess county $G/persons.csv --profile china-2014-targeted --metrics "$TMP/m.csv"
case_run "assess households" 0 "~^H03,.*,false,education_ok,.*,true,true,false,true,true,true$" "!" -- \
    "$UPLIFT" assess households $G/persons.csv --profile china-2014-targeted
case_run "assess sample seeded" 0 "" "!" -- \
    "$UPLIFT" assess sample $G/persons.csv --profile china-2014-targeted --seed 3 --villages 1 --households 2 -o "$TMP/s1.csv"
case_run "assess sample again" 0 "" "!" -- \
    "$UPLIFT" assess sample $G/persons.csv --profile china-2014-targeted --seed 3 --villages 1 --households 2 -o "$TMP/s2.csv"
case_run "assess sample reproducible" 0 "!" "" -- cmp "$TMP/s1.csv" "$TMP/s2.csv"
case_run "assess sample needs a seed" 2 "!" "~--seed" -- \
    "$UPLIFT" assess sample $G/persons.csv --profile china-2014-targeted --villages 1 --households 2
{ printf 'exited,wrongly_exited,registered,missed,approves\n'
  for i in $(seq 1 50); do if [ "$i" = 1 ]; then echo "是,是,是,否,是"; else echo "是,否,是,否,是"; fi; done
  for i in $(seq 1 50); do if [ "$i" -le 8 ]; then echo "否,否,否,否,否"; else echo "否,否,否,否,是"; fi; done
} > "$TMP/r.csv"
# 1/50 = 2 % wrong exits is not below 2 %: fail; 0/50 missed; 92/100 approve
case_run "assess rates verdict" 0 "~verdict 结论: FAIL" "!" -- \
    "$UPLIFT" assess rates "$TMP/r.csv" --profile china-2014-targeted
case_run "assess rates csv" 0 "~^wrong_exit_rate,1,50,0.02,0.00353925927164[0-9]*,0.104954435896[0-9]*,0.000506227983[0-9]*,0.106469545711[0-9]*,0.02,false$" "!" -- \
    "$UPLIFT" assess rates "$TMP/r.csv" --profile china-2014-targeted --format csv
case_run "assess unknown action" 2 "!" "~unknown action .audit." -- \
    "$UPLIFT" assess audit $G/persons.csv --profile china-2014-targeted
