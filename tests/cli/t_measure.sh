# uplift measure: the CLI contract (csv columns measure,<by...>,value,se,ci_low,ci_high,n,weight_sum),
# published vectors end to end (Inequality.jl, AF 2011), survey-design SEs (values checked against
# R survey in tests/unit/test_measure_design.c), policies and errors.
D="$ROOT/tests/data/measure"
IJ="--income v --line 4 --measures gini,mld,theil,ge2,fgt0,fgt1,fgt2,watts --format csv"
case_run "measure Inequality.jl unweighted" 0 "=measure_ij_unweighted.csv" "!" -- "$UPLIFT" measure $D/ij.csv $IJ
case_run "measure Inequality.jl weighted" 0 "=measure_ij_weighted.csv" "!" -- "$UPLIFT" measure $D/ij.csv $IJ --weight w
case_run "measure threads 1 = threads 2" 0 "=measure_ij_weighted.csv" "!" -- "$UPLIFT" measure $D/ij.csv $IJ --weight w --threads 1
case_run "measure by group" 0 "=measure_ij_by.csv" "!" -- "$UPLIFT" measure $D/ij.csv --income v --weight w --line 4 --by grp --measures fgt0,gini,median,theil_decomp --format csv
case_run "measure design SEs by domain" 0 "=measure_svy_by.csv" "!" -- "$UPLIFT" measure $D/svy.csv --income y --weight w --strata st --psu psu --line 8 --measures mean,fgt0,fgt1,fgt2 --by grp --format csv
case_run "measure fpc (R: se 1.2898473923688447)" 0 "~^mean,8\.55657894736842[0-9]*,1\.28984739236884" "!" -- "$UPLIFT" measure $D/svy.csv --income y --weight w --strata st --psu psu --fpc N --measures mean --format csv
case_run "measure lonely PSU fails by default" 1 "!" "~stratum 4 has only one PSU" -- "$UPLIFT" measure $D/svy.csv --income y --weight w --strata st2 --psu psu2 --measures mean --format csv
case_run "measure lonely PSU adjust (R: 1.6384325573467917)" 0 "~^mean,8\.5565789473684[0-9]*,1\.638432557346" "!" -- "$UPLIFT" measure $D/svy.csv --income y --weight w --strata st2 --psu psu2 --lonely-psu adjust --measures mean --format csv
case_run "measure PSUs not nested" 1 "!" "~not nested" -- "$UPLIFT" measure $D/svy.csv --income y --weight w --strata st --psu psu --psu-not-nested --measures mean
case_run "measure AF 2011 k=2" 0 "=measure_af2011.csv" "!" -- "$UPLIFT" measure $D/af2011.csv --mpi "income<13,school<12,health<3,insurance<1" --k 2/4 --by region --format csv
case_run "measure AF exact k 1/4 (union)" 0 "~^mpi\.M0,0\.4375," "!" -- "$UPLIFT" measure $D/af2011.csv --mpi "income<13=1/4,school<12=1/4,health<3=1/4,insurance<1=1/4" --k 1/4 --format csv
case_run "measure policies and undefined" 0 "=measure_edge.csv" "=measure_edge.err" -- "$UPLIFT" measure $D/edge.csv --income income --weight wt --line 4 --measures mean,fgt0,fgt1,watts,mld,theil --format csv
case_run "measure nonpositive drop" 0 "~^watts,0\.1438410362258904[0-9]*,,,,2,2" "!" -- "$UPLIFT" measure $D/edge.csv --income income --weight wt --line 4 --measures watts --nonpositive drop --format csv
case_run "measure missing error names the row" 1 "!" "~row 5" -- "$UPLIFT" measure $D/edge.csv --income income --weight wt --line 4 --measures mean --missing error
case_run "measure negative error" 1 "!" "~row 1: negative income" -- "$UPLIFT" measure $D/edge.csv --income income --line 4 --measures mean --negative error
case_run "measure table is bilingual" 0 "~贫困发生率 \(fgt0\)" "!" -- "$UPLIFT" measure $D/ij.csv --income v --line 4 --measures fgt0
case_run "measure table reports policies" 0 "~policy 取值规则: missing 缺失=drop" "!" -- "$UPLIFT" measure $D/ij.csv --income v --line 4 --measures fgt0
case_run "measure json undefined reason" 0 "~\"undefined\":\"Watts is undefined" "!" -- "$UPLIFT" measure $D/edge.csv --income income --line 4 --measures watts --format json
# incomes 12.5 13.1 15.2 20: the cumulative share is exactly 0.5 at 13.1: Eurostat averages
# (13.1 + 15.2)/2 = 14.15 -> line 7.075; the step rule (laeken) takes 15.2 -> 7.6
case_run "measure relative line eurostat" 0 "~^line,7\.07(5|49999)" "!" -- "$UPLIFT" measure $D/af2011.csv --income income --line-rel 0.5 --measures line --format csv
case_run "measure relative line laeken" 0 "~^line,7\.6," "!" -- "$UPLIFT" measure $D/af2011.csv --income income --line-rel 0.5 --quantile laeken --measures line --format csv
case_run "measure change" 0 "=measure_change.csv" "!" -- "$UPLIFT" measure --change $D/ij.csv $D/wave2.csv --income v --weight w --line 4 --measures fgt0,fgt1 --by grp --format csv
case_run "measure missing column" 1 "!" "~income.*nosuch|nosuch" -- "$UPLIFT" measure $D/ij.csv --income nosuch --line 4
case_run "measure line needed" 2 "!" "~needs a poverty line" -- "$UPLIFT" measure $D/ij.csv --income v --measures fgt0
case_run "measure unknown measure" 2 "!" "~unknown measure .ginni." -- "$UPLIFT" measure $D/ij.csv --income v --measures ginni
case_run "measure bad format" 2 "!" "~--format" -- "$UPLIFT" measure $D/ij.csv --income v --format xml
case_run "measure no income" 2 "!" "~--income" -- "$UPLIFT" measure $D/ij.csv --line 4
case_run "measure decomposition needs --by" 2 "!" "~needs --by" -- "$UPLIFT" measure $D/ij.csv --income v --measures theil_decomp
case_run "measure missing file" 1 "!" "~no_such_file" -- "$UPLIFT" measure $D/no_such_file.csv --income v --line 4
# lines by year from a column: 2018 line 2995 (poor: 2000; gap 995/2995/3), 2020 line 4000 (poor: 2000, 3000)
case_run "measure --line-col by year" 0 "=measure_years.csv" "!" -- "$UPLIFT" measure $D/years.csv --income income --line-col line --by year --measures line,fgt0,fgt1 --format csv
case_run "measure --line-col must be constant in a group" 1 "!" "~data row 4 has line 4000 but 2995" -- "$UPLIFT" measure $D/years.csv --income income --line-col line --measures fgt0
# Stata and SPSS files (tests/data/io): incomes 1200.5, missing, 0, missing, 35000 ->
# mean 36200.5/3, headcount below 1000 = 1/3 (0 only); by sex: 女 {0}, 男 {1200.5}
case_run "measure reads .dta" 0 "~^mean,12066\.83333333333" "!" -- "$UPLIFT" measure "$ROOT"/tests/data/io/labelled.dta --income income --line 1000 --measures mean,fgt0 --format csv
case_run "measure reads .dta by label" 0 "~^fgt0,女,1," "!" -- "$UPLIFT" measure "$ROOT"/tests/data/io/labelled.dta --income income --line 1000 --measures fgt0 --by sex --format csv
case_run "measure reads .sav" 0 "~^fgt0,0\.3333333333333333," "!" -- "$UPLIFT" measure "$ROOT"/tests/data/io/labelled.sav --income income --line 1000 --measures fgt0 --format csv
# weighted FGT0 by group: a = {1 (.3), 3 (.9)} poor of 2.5 -> 0.48, share 2.5/4.5; total = published 0.35555...
case_run "measure fgt0_decomp / watts_decomp / lorenz" 0 "=measure_decomp.csv" "!" -- "$UPLIFT" measure $D/ij.csv --income v --weight w --line 4 --by grp --measures fgt0_decomp,watts_decomp,lorenz0.5,glorenz0.5 --format csv
# two-stage Theil over strata x groups adds up to the one-stage Theil 0.200868259889884...
case_run "measure theil_nested total = theil" 0 "~theil_nested\.total,,,0\.20086825988988" "!" -- "$UPLIFT" measure $D/svy.csv --income y --by st,grp --measures theil_nested --format csv
case_run "measure theil (one stage)" 0 "~^theil,0\.20086825988988" "!" -- "$UPLIFT" measure $D/svy.csv --income y --measures theil --format csv
# Global MPI profile on 4 households (8 persons), by hand: H1 (2 persons) deprived in schooling,
# attendance (1/6 each), fuel, sanitation, assets (1/18 each): score 1/2, poor; H2 (1) nutrition only:
# 1/6, not poor; H3 (3) child mortality, schooling (1/6 each) and six living-standard indicators:
# 2/3, poor; H4 (2) none. Person level: H = 5/8, M0 = (2*1/2 + 3*2/3)/8 = 3/8, A = 3/5;
# urban=false: H 2/3, M0 1/3; urban=true: H 3/5, M0 2/5; censored schooling 5/8, nutrition 0.
case_run "measure --profile global-mpi-2018" 0 "=measure_profile_mpi.csv" "" -- "$UPLIFT" measure $D/mpi_persons.csv --profile global-mpi-2018 --by urban --format csv
case_run "measure --profile household level" 0 "~^mpi\.H,0\.5," "" -- "$UPLIFT" measure $D/mpi_persons.csv --profile global-mpi-2018 --household-level --format csv
case_run "measure --profile with --k 1/2" 0 "~^mpi\.H,0\.625," "" -- "$UPLIFT" measure $D/mpi_persons.csv --profile global-mpi-2018 --k 1/2 --format csv
case_run "measure --profile unknown" 1 "!" "~no-such-profile" -- "$UPLIFT" measure $D/mpi_persons.csv --profile no-such-profile
# MPI change 2010 -> 2015: wave 2 = AF 2011 example with p3's health no longer deprived:
# M0 = (2 + 3)/16 = 0.3125 (from 0.375): -0.0625, -16.67 %, -0.0125 a year, ((0.3125/0.375)^(1/5) - 1) x 100 a year
case_run "measure MPI change" 0 "=measure_mpi_change.csv" "!" -- "$UPLIFT" measure --change $D/af2011.csv $D/af2011_w2.csv --mpi "income<13,school<12,health<3,insurance<1" --k 2/4 --years 2010,2015 --format csv
case_run "measure MPI change needs --years" 2 "!" "~--years T1,T2" -- "$UPLIFT" measure --change $D/af2011.csv $D/af2011_w2.csv --mpi "income<13,school<12" --k 1/2

# --size: person level from household rows. By hand: households y=(1,3), sizes (3,1),
# weights 1: persons 1,1,1,3 -> mean 6/4 = 1.5, headcount below 2 = 3/4; without --size 1/2.
case_run "measure --size person level" 0 "~^fgt0,0\.75,,,,2,4$" "!" -- \
    "$UPLIFT" measure tests/data/measure/hh_size.csv --income y --weight w --size size --line 2 --measures fgt0,mean --format csv
case_run "measure --size mean" 0 "~^mean,1\.5,,,,2,4$" "!" -- \
    "$UPLIFT" measure tests/data/measure/hh_size.csv --income y --weight w --size size --line 2 --measures fgt0,mean --format csv
case_run "measure without --size is household level" 0 "~^fgt0,0\.5,,,,2,2$" "!" -- \
    "$UPLIFT" measure tests/data/measure/hh_size.csv --income y --weight w --line 2 --measures fgt0 --format csv
