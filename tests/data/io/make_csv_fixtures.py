#!/usr/bin/env python3
"""make_csv_fixtures.py: writes the CSV fixtures under tests/data/io/ (committed).
Each file exercises one item of RELIABILITY.md section 5; tests/unit/test_io_csv.c
asserts the exact outcome (reject code, physical line, column, or file-level error)."""

def w(name, data):
    with open(name, "wb") as f:
        f.write(data)

# Item 1: GBK (code page 936) as Excel on Chinese Windows saves "CSV (逗号分隔)".
w("gbk.csv", "户编号,姓名,村,人均纯收入\r\n0101,王芳,前进村,3200.5\r\n0102,李雷,红旗村,2800\r\n".encode("gbk"))

# Item 2: UTF-8 BOM (Excel "CSV UTF-8"), CRLF line ends.
w("bom.csv", b"\xef\xbb\xbfhousehold_id,name,income\r\n0101,\xe7\x8e\x8b\xe8\x8a\xb3,1200\r\n0102,Li,800\r\n")

# Item 3: IDs mangled by Excel (scientific notation; last three digits zeroed).
w("excel_ids.csv", (
    "id_number,name\n"
    "11010519491231002X,a\n"      # line 2: valid (standard's example)
    "1.10105E+17,b\n"             # line 3: scientific notation -> ID_EXCEL_MANGLED
    "110105194912310000,c\n"      # line 4: zeroed tail, check fails -> ID_EXCEL_MANGLED
    "440524188001010014,d\n"      # line 5: valid
    "320106199001011238,e\n"      # line 6: valid
).encode())

# Item 15: broken structure. Physical lines are counted across the quoted newline.
w("broken.csv", (
    'hh,name,addr,n\n'            # line 1 header
    '1,a,"x",2\n'                 # line 2 ok
    '2,b,"multi\nline",3\n'       # lines 3-4 ok (quoted newline)
    '3,c,d\n'                     # line 5 FIELD_COUNT
    '4,d,ab"c,5\n'                # line 6 STRAY_QUOTE col 3
    '5,e,"q"x,6\n'                # line 7 STRAY_QUOTE col 3 (text after closing quote)
    '6,f,g,7,8\n'                 # line 8 FIELD_COUNT
    '7,g,"a\r\nb",9\n'            # lines 9-10 ok (CRLF inside quotes)
    '8,h,n\x00l,10\n'             # line 11 CONTROL_CHAR col 3
    '9,i,"say ""hi""",11\n'       # line 12 ok, escaped quotes
    '10,j,k,12'                   # line 13 ok, no final newline
).encode())

# Item 15: unterminated quote at end of file -> file-level error, nothing loaded.
w("unterminated.csv", b'a,b\n1,2\n3,"open\n4,5\n')

# Item 11: numbers written for people.
w("human_numbers.csv", (
    "hh,income\n"
    "1,1200\n"                    # 2 ok
    "2,1.2\u4e07\n"               # 3 1.2万
    "3,\"\u00a51,200\"\n"         # 4 ¥1,200 (quoted)
    "4,\"12,000\"\n"              # 5 12,000 (quoted because of the comma)
    "5,1 200\n"                   # 6 1 200
    "6,\uff11\uff12\uff10\uff10\n" # 7 full-width digits
    "7,12000.5\n"                 # 8 ok
    "8,\n"                        # 9 ok, missing
).encode())

# Item 16: delimiters and line ends.
w("semicolon.csv", b"a;b;c\r\n1;2,5;x\r\n3;4;y\r\n")
w("tab.tsv", b"a\tb\tc\n1\t2\tx y\n3\t4\tz\n")
w("pipe.csv", b"a|b\n1|x\n2|y\n")
w("lone_cr.csv", b"a,b\r1,x\r2,y\r")
w("fullwidth_comma.csv", "户编号，姓名，收入\n0101，王芳，1200\n".encode())

# Item 17: header problems.
w("dup_header.csv", b"household_id,income,income\n1,2,3\n")
w("spaces_header.csv", b" household_id , income \n1,2\n")

# Leading zeros and codes stay text, byte for byte.
w("leading_zeros.csv", (
    "area,postcode,n,share\n"
    "0101,010010,1,0.5\n"
    "1102,100000,2,1.25\n"
    "007,000000,3,-0.75\n"
).encode())

# Item 10: missing vs zero vs sentinel.
w("missing.csv", b"hh,income,note\n1,0,a\n2,,b\n3,-99,c\n4,NA,d\n5,250.5,\n")

# Item 12: dates stay text unless a schema asks otherwise.
w("dates.csv", b"hh,birth\n1,1949-12-31\n2,1990/01/01\n3,03/04/2001\n")
