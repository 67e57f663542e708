# uplift synth: output files, identical bytes for any thread count and chunk size,
# the snapshot format, and misuse / data errors with clear messages.
S="$TMP/synth"
case_run "synth csv" 0 "~^synth: 5000 persons in [0-9]+ households" "!" -- "$UPLIFT" synth --persons 5000 --provinces 52,11 --year 2018 -o "$S/a"
case_run "synth bilingual summary" 0 "~合成数据: 5000 人" "!" -- "$UPLIFT" synth --persons 5000 --provinces 52,11 --year 2018 -o "$S/a"
case_run "synth csv headers use canonical names" 0 "~^household_code,record_year,province,city,county,township,village,area_code" "!" -- head -1 "$S/a/households.csv"
case_run "synth members header" 0 "~^household_code,person_code,name,sex,birth_date,age,id_type,id_number,relation_to_head" "!" -- head -1 "$S/a/members.csv"
case_run "synth threads 1 = threads 2, any chunk" 0 "!" "!" -- sh -c "\"$UPLIFT\" synth -q --persons 5000 --provinces 52,11 --year 2018 --threads 1 --chunk 500 -o \"$S/b\" && \"$UPLIFT\" synth -q --persons 5000 --provinces 52,11 --year 2018 --threads 2 -o \"$S/c\" && cmp \"$S/b/members.csv\" \"$S/c/members.csv\" && cmp \"$S/b/households.csv\" \"$S/c/households.csv\" && cmp \"$S/b/events.csv\" \"$S/c/events.csv\" && cmp \"$S/a/members.csv\" \"$S/b/members.csv\""
case_run "synth other seed differs" 0 "~differ" "" -- sh -c "\"$UPLIFT\" synth -q --persons 5000 --provinces 52,11 --year 2018 --seed 2 -o \"$S/d\"; cmp \"$S/a/members.csv\" \"$S/d/members.csv\" || echo differ"
case_run "synth upl snapshot magic" 0 "~89 55 50 4c 0d 0a 1a 0a" "!" -- sh -c "\"$UPLIFT\" synth -q --persons 3000 --provinces 52 --format upl -o \"$S/u\" && od -An -tx1 -N8 \"$S/u/members.upl\""
case_run "synth no events" 0 "~, 0 shock events" "!" -- "$UPLIFT" synth --persons 2000 --provinces 52 --no-events -o "$S/e"
case_run "synth missing -o" 2 "!" "~uplift synth: missing -o" -- "$UPLIFT" synth --persons 10
case_run "synth bad format" 2 "!" "~--format: expected csv or upl" -- "$UPLIFT" synth --format xml -o "$S/x"
case_run "synth persons 0" 2 "!" "~--persons: expected an integer from 1" -- "$UPLIFT" synth --persons 0 -o "$S/x"
case_run "synth bad provinces" 2 "!" "~--provinces: expected comma-separated numeric codes" -- "$UPLIFT" synth --provinces 5x -o "$S/x"
case_run "synth unknown province" 1 "!" "~province .99. is not in the region table" -- "$UPLIFT" synth --provinces 99 -o "$S/x"
case_run "synth year outside the table" 1 "!" "~year 2030 is not in the calibration table \(it covers 2012-2019\)" -- "$UPLIFT" synth --year 2030 --provinces 52 -o "$S/x"
case_run "synth missing area table" 1 "!" "~nosuch/villages.csv: cannot open" -- "$UPLIFT" synth --areas "$S/nosuch/villages.csv" -o "$S/x"
printf 'code,name,provinceCode,areaCode\n520102001001,"甲村委会",52,520102\n520102001002,"乙社区居委会",52,520102\n' > "$TMP/areas-own.csv"
case_run "synth own area table" 0 "~in 2 counties|in 1 counties" "!" -- "$UPLIFT" synth --areas "$TMP/areas-own.csv" --persons 300 -o "$S/own"
case_run "synth own area table, bad code" 1 "!" "~areas-bad.csv:2:1: column .code.: expected a numeric code" -- sh -c "printf 'code,name,provinceCode,areaCode\n52A,x,52,520102\n' > \"$TMP/areas-bad.csv\" && \"$UPLIFT\" synth --areas \"$TMP/areas-bad.csv\" -o \"$S/x\""
# golden output: the generator's bytes for a fixed seed (regenerate on purpose when the model changes:
# uplift synth -q --persons 40 --provinces 52 --seed 3 --year 2017 -o D; cat D/households.csv D/members.csv D/events.csv)
case_run "synth golden bytes" 0 "=synth_golden_52_40.txt" "!" -- sh -c "\"$UPLIFT\" synth -q --persons 40 --provinces 52 --seed 3 --year 2017 -o \"$S/g\" && cat \"$S/g/households.csv\" \"$S/g/members.csv\" \"$S/g/events.csv\""
