# make_fixtures.R — writes the Stata/SPSS fixtures under tests/data/io/.
# Run from this folder: Rscript make_fixtures.R   (needs r-cran-haven, r-cran-foreign)
# The files are committed; re-running must give files the tests still accept.
suppressMessages({ library(haven); library(foreign) })

# Labelled .dta (release 118, UTF-8) with Stata extended missing (.a) and system missing.
sex <- labelled(c(1L, 2L, 2L, 1L, NA_integer_), labels = c("男" = 1L, "女" = 2L))
inc <- c(1200.5, tagged_na("a"), 0, NA_real_, 35000)
hh  <- c("0101", "0102", "0103", "0104", "0105")
nm  <- c("王芳", "李雷", "", "张伟", "赵敏")
age <- c(34L, 5L, 61L, NA_integer_, 29L)
rel <- labelled(c(1L, 3L, 9L, 2L, 1L), labels = c("户主" = 1L, "配偶" = 2L, "子女" = 3L))
df <- data.frame(household_id = hh, name = nm, age = age, income = inc)
df$sex <- sex
df$relation <- rel
write_dta(df, "labelled.dta", version = 14)

# Same data as SPSS .sav with a user-missing code (-99) on income and on age.
inc_s <- labelled_spss(c(1200.5, -99, 0, NA_real_, 35000), na_values = c(-99))
age_s <- labelled_spss(c(34, 5, 61, -99, 29), na_values = c(-99))
sex_s <- labelled_spss(c(1, 2, 2, 1, NA), labels = c("男" = 1, "女" = 2))
dfs <- data.frame(household_id = hh, name = nm)
dfs$age <- age_s
dfs$income <- inc_s
dfs$sex <- sex_s
write_sav(dfs, "labelled.sav")

# Legacy .dta (release 114, written by foreign::write.dta) with GBK bytes,
# as Stata 13 and older on Chinese Windows wrote them.
gbk <- function(x) { y <- iconv(x, "UTF-8", "GBK"); Encoding(y) <- "bytes"; y }
old <- data.frame(household_id = c("0101", "0102", "0103"),
                  name = I(gbk(c("王芳", "李雷", "张伟"))),
                  village = I(gbk(c("前进村", "红旗村", "前进村"))),
                  income = c(1200.5, 800, NA), stringsAsFactors = FALSE)
write.dta(old, "legacy_gbk.dta", version = 10)

# Truncated: the labelled .dta cut in the middle of its data.
b <- readBin("labelled.dta", "raw", file.info("labelled.dta")$size)
writeBin(b[seq_len(floor(length(b) * 0.6))], "truncated.dta")
