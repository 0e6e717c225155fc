"""Hostile survey microdata (issue 22): files written the way broken exports and careless
offices produce them, built here in code, in several variants each.

* a Parquet column holding lists, arrays, records or bytes under a yes/no header is a
  ``load_error`` naming the file and the column, and the other files are read;
* a phone or CCCD number typed in a place column ("Xã", "Thôn", "Mã thôn") is a row to
  correct — counted, named by file, sheet, row and column — and never a place, a name, a
  code or a word of any output;
* CCCD numbers written "3,81E+10", with spaces, with 11 or 13 digits: read right, or a
  finding naming the file and rows, never the number;
* CSV in UTF-8 with a BOM, UTF-16 with or without its BOM, Windows-1258 with its tone marks
  written apart, and CRLF, LF and bare CR line ends in one file: read right.

The CLI runs as a process (``bakhong check FOLDER``, ``bakhong ingest``): no traceback, exit
0 or 1.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from test_survey import write_xlsx
from test_survey_privacy import run

from bakhong import survey

HEADER = ["Xã", "Huyện", "Thôn", "Tuổi", "Điện thoại thông minh", "Tài khoản ngân hàng"]
PHONES = ["0912345678", "+84 912 345 678", "84912345678", "091.234.5678", "(+84) 98 765 4321"]
IDS = ["038123456789", "038 123 456 789", "3.81234567E+11", "38123456789", "0381234567890",
       "038.123.456.788"]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _csv(path: Path, rows: list[list[object]], encoding: str = "utf-8",
         newline: str = "\r\n", delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [delimiter.join(str(c) for c in row) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def _all_text(found: survey.Survey) -> str:
    """Everything the loader hands on: people, places, rejects, duplicates, findings."""
    return "\n".join([
        str(found.located().to_dicts()), str(found.places.to_dicts()),
        str(found.rejects.to_dicts()), str(found.duplicates.to_dicts()),
        str(found.quality.to_dicts()), str(survey.indicators(found).to_dicts()),
        *(str(f.as_dict()) for f in found.findings)])


# -- 1. a list, an array, a record or bytes in a cell ---------------------------------------

@pytest.mark.parametrize(("column", "kind"), [
    (pl.Series([["x"], ["có", "x"], []], dtype=pl.List(pl.String)), "List"),
    (pl.Series([[1, 0], [1, 1], [0, 0]], dtype=pl.Array(pl.Int8, 2)), "Array"),
    (pl.Series([{"a": 1, "b": "x"}, {"a": 2, "b": ""}, {"a": None, "b": None}]), "Struct"),
    (pl.Series([b"x", b"\xff", b""], dtype=pl.Binary), "Binary"),
])
def test_a_nested_parquet_column_is_a_load_error_naming_file_and_column(tmp_path, column,
                                                                           kind):
    folder = tmp_path / "survey"
    folder.mkdir()
    pl.DataFrame({"Xã": ["Nga Liên"] * 3, "Huyện": ["Nga Sơn"] * 3, "Tuổi": [40, 41, 42],
                  "Tài khoản ngân hàng": ["x", "", "x"],
                  "Điện thoại thông minh": column}).write_parquet(folder / "hong-2024.parquet")
    _csv(folder / "tot-2024.csv", [HEADER, ["Nga Liên", "Nga Sơn", "Thôn 1", 30, "x", "x"]])
    found = survey.read_surveys([folder])
    errors = [f for f in found.findings if f.rule == "load_error"]
    assert len(errors) == 1, [f.message for f in found.findings]
    assert errors[0].source == "hong-2024.parquet"
    assert "“Điện thoại thông minh”" in errors[0].message and kind in errors[0].message
    assert "không mong đợi" not in errors[0].message  # named, not the last resort
    # the good file beside it is read
    assert found.people.height == 1 and set(found.people["file"]) == {"tot-2024.csv"}


def test_broken_survey_files_never_stop_check_or_ingest(tmp_path):
    root = tmp_path / "project"
    folder = root / "data" / "raw" / "survey"
    folder.mkdir(parents=True)
    pl.DataFrame({"Xã": ["Nga Liên"], "Tuổi": [40],
                  "Điện thoại thông minh": [["x"]]}).write_parquet(folder / "list-2024.parquet")
    pl.DataFrame({"Xã": ["Nga Liên"], "Tuổi": [40],
                  "VNeID": [{"a": 1}]}).write_parquet(folder / "struct-2024.parquet")
    (folder / "rac-2024.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 8 + b"PAR1")
    (folder / "rac-2024.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 300)
    (folder / "rac-2024.csv").write_bytes(bytes(range(256)) * 40)
    _csv(folder / "nga-lien-2024.csv", [HEADER, *[["Nga Liên", "Nga Sơn", "Thôn 1", 30 + i,
                                                   "x", "x"] for i in range(5)]])
    runs = [run(root, "check", "data/raw/survey"), run(root, "ingest")]
    for r in runs:
        assert "Traceback" not in r.stderr and r.returncode in (0, 1), r.stderr[-2000:]
    for name in ("list-2024.parquet", "struct-2024.parquet", "rac-2024.parquet"):
        assert name in runs[0].stdout, runs[0].stdout
    assert "lỗi không mong đợi" not in runs[0].stdout
    quality = pl.read_parquet(root / "data" / "processed" / "survey_quality.parquet")
    good = quality.filter(file="nga-lien-2024.csv")
    assert good["people"].to_list() == [5] and good["error"].to_list() == [""]
    assert set(quality.filter(pl.col("error") != "")["file"]) >= {
        "list-2024.parquet", "struct-2024.parquet", "rac-2024.parquet"}


# -- 2. personal numbers in place columns ----------------------------------------------------

def _pii_rows() -> list[list[object]]:
    rows: list[list[object]] = [HEADER]
    for phone in PHONES:  # a phone number in "Xã"
        rows.append([phone, "Nga Sơn", "Thôn 1", 40, "x", "x"])
    for number in [*IDS, PHONES[0]]:  # a CCCD or phone number in "Thôn"
        rows.append(["Nga Liên", "Nga Sơn", number, 41, "x", ""])
    rows += [["Nga Liên", "Nga Sơn", "Thôn 2", 42, "x", "x"],
             ["Nga Liên", "Nga Sơn", "Tổ dân phố 12", 43, "", "x"]]
    return rows


def test_phone_and_cccd_numbers_in_place_columns_are_rows_to_correct_never_places(tmp_path):
    rows = _pii_rows()
    path = _csv(tmp_path / "survey" / "nga-lien-2024.csv", rows, delimiter=";")
    found = survey.read_surveys([path])
    # the two rows with real place names are people; every other row is to correct
    assert found.people.height == 2
    assert sorted(found.located()["village_name"].to_list()) == ["Thôn 2", "Tổ dân phố 12"]
    rejects = found.rejects
    phones_at = list(range(2, 2 + len(PHONES)))
    ids_at = list(range(2 + len(PHONES), 2 + len(PHONES) + len(IDS) + 1))
    assert rejects.filter(column="Xã")["row"].to_list() == phones_at
    assert rejects.filter(column="Thôn")["row"].to_list() == ids_at
    assert set(rejects["reason"]) == {"ghi số điện thoại hoặc số CCCD thay cho tên địa bàn"}
    messages = {f.source: f.message for f in found.findings if f.rule == "unparseable"}
    assert f"cột A “Xã” (dòng {', '.join(map(str, phones_at))})" in \
        messages["nga-lien-2024.csv!A2"]
    assert "cột C “Thôn”" in messages[f"nga-lien-2024.csv!C{ids_at[0]}"]
    assert all("không được tính" in m for m in messages.values())
    # never quoted, whatever its spelling, anywhere the loader hands on
    text = _all_text(found)
    digits = _digits(text)
    for value in PHONES + IDS:
        assert value not in text
        assert _digits(value) not in digits


def test_personal_numbers_in_a_workbook_and_a_parquet_place_column(tmp_path):
    # a workbook: numbers typed as numbers (the phone lost its 0; a CCCD as a float)
    head = ["STT", "Thôn", "Năm sinh", "Điện thoại thông minh", "VNeID"]
    sheets = {"Khao sat": [["UBND XÃ NGA LIÊN, HUYỆN NGA SƠN"], head,
                           [1, 912345678, 1980, "x", "x"], [2, 38123456789.0, 1981, "x", ""],
                           [3, "Thôn Đông", 1982, "x", "x"]]}
    xlsx = write_xlsx(tmp_path / "survey" / "nga-lien-2024.xlsx", sheets)
    # Parquet: an integer village-code column and a float commune column
    parquet = tmp_path / "survey" / "nga-thach-2024.parquet"
    pl.DataFrame({"Huyện": ["Nga Sơn"] * 3, "Xã": ["Nga Thạch", "Nga Thạch", "3.8123E+11"],
                  "Mã thôn": [84987654321, 12, 13], "Tuổi": [30, 31, 32],
                  "Tài khoản ngân hàng": [True, False, True]}).write_parquet(parquet)
    found = survey.read_surveys([xlsx, parquet])
    named = found.rejects.select("file", "sheet", "row", "column").sort("file", "row").rows()
    assert named == [
        ("nga-lien-2024.xlsx", "Khao sat", 3, "Thôn"),
        ("nga-lien-2024.xlsx", "Khao sat", 4, "Thôn"),
        ("nga-thach-2024.parquet", "", 1, "Mã thôn"), ("nga-thach-2024.parquet", "", 3, "Xã")]
    sources = {f.source for f in found.findings}
    assert "nga-lien-2024.xlsx!Khao sat!B3" in sources
    assert found.people.height == 2
    digits = _digits(_all_text(found))
    for value in ("912345678", "38123456789", "84987654321", "38123"):
        assert value not in digits


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_phone_in_a_name_column_beside_its_code_column_is_a_row_to_correct(tmp_path, suffix):
    head = ["Xã", "Mã thôn", "Thôn", "Tuổi", "Tài khoản ngân hàng"]
    rows = [["Nga Liên", "T01", "Thôn 1", 30, "có"], ["Nga Liên", "T01", "0912 345 678", 31,
                                                        "không"],
            ["Nga Liên", "T02", "Thôn 2", 32, "có"], ["Nga Liên", "T02", "038123456789", 33, "có"]]
    path = tmp_path / "survey" / f"nga-lien-2024{suffix}"
    if suffix == ".csv":
        _csv(path, [head, *rows])
    else:
        path.parent.mkdir(parents=True)
        pl.DataFrame([dict(zip(head, r, strict=True)) for r in rows]).write_parquet(path)
    found = survey.read_surveys([path])
    assert found.people.height == 2
    named = found.rejects.select("row", "column").sort("row").rows()
    first = 2 if suffix == ".csv" else 1   # a CSV's row 1 is its header
    assert named == [(first + 1, "Thôn"), (first + 3, "Thôn")]
    digits = _digits(_all_text(found))
    assert "0912345678" not in digits and "038123456789" not in digits


def test_no_personal_number_reaches_processed_data_or_output(tmp_path):
    root = tmp_path / "project"
    _csv(root / "data" / "raw" / "survey" / "nga-lien-2024.csv", _pii_rows())
    runs = [run(root, "ingest"), run(root, "check", "data/raw"),
            run(root, "check", "data/raw", "--json")]
    for r in runs:
        assert "Traceback" not in r.stderr and r.returncode in (0, 1), r.stderr[-2000:]
    texts = [r.stdout + r.stderr for r in runs]
    for path in (root / "data" / "processed").rglob("*"):
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            texts.append(str(frame.rows()) + " ".join(frame.columns))
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    observations = pl.read_parquet(root / "data" / "processed" / "observations.parquet")
    assert "16159" in observations["unit_code"].to_list()  # the survey was read
    digits = _digits("\n".join(texts))
    for value in PHONES + IDS:
        assert _digits(value) not in digits, value


# -- 3. CCCD numbers written oddly ----------------------------------------------------------

def test_cccd_written_oddly_is_read_right_or_named_by_row(tmp_path):
    head = ["Xã", "Huyện", "Số CCCD", "Tuổi", "Điện thoại thông minh"]
    rows = [head,
            ["Nga Liên", "Nga Sơn", "038123456789", 40, "x"],      # 2: valid
            ["Nga Liên", "Nga Sơn", "038 123 456 789", 40, "x"],   # 3: the same, spaced
            ["Nga Liên", "Nga Sơn", "038.123.456.789", 40, "x"],   # 4: the same, dotted
            ["Nga Liên", "Nga Sơn", "3.81234567E+11", 41, "x"],    # 5: digits lost
            ["Nga Liên", "Nga Sơn", "3,81E+10", 41, "x"],          # 6: digits lost
            ["Nga Liên", "Nga Sơn", "38123456780", 42, "x"],       # 7: 11 digits
            ["Nga Liên", "Nga Sơn", "0381234567801", 43, "x"],     # 8: 13 digits
            ["Nga Liên", "Nga Sơn", "038 123 456 78", 44, "x"],    # 9: 11, spaced
            ["Nga Liên", "Nga Sơn", "038000000001", 45, ""]]       # 10: valid
    path = _csv(tmp_path / "survey" / "nga-lien-2024.csv", rows, delimiter=";")
    found = survey.read_surveys([path])
    info = found.files[0]
    assert info.people == 9 and info.rejected == 0  # still counted: they are people
    assert info.invalid_ids == 5
    assert found.people["has_cccd"].all()
    # the spaced and dotted spellings are the same person as row 2
    assert found.people.sort("row")["duplicate"].to_list()[:3] == [False, True, True]
    [named] = [f for f in found.findings if "CCCD" in f.message]
    assert named.source == "nga-lien-2024.csv!C5" and named.rule == "unparseable"
    assert "5 dòng" in named.message and "(dòng 5, 6, 7, 8, 9)" in named.message
    assert "vẫn được tính" in named.message and "12 chữ số" in named.fix
    digits = _digits(_all_text(found))
    for value in ("381234567", "3812345678", "38123456780", "0381234567801"):
        assert value not in digits


# -- 4. encodings and line ends -------------------------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: a letter with a tone is the base
    letter (itself maybe precomposed: ư, ơ, â, ê) then the combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


ROWS = [["DANH SÁCH KHẢO SÁT — XÃ NGA LIÊN, HUYỆN NGA SƠN"], HEADER,
        ["Nga Liên", "Nga Sơn", "Thôn Thượng", 40, "có", "rồi"],
        ["Nga Liên", "Nga Sơn", "Bản Ngườm", 41, "x", "không"],
        ["Nga Liên", "Nga Sơn", "Thôn Thượng", "bốn mươi", "x", "x"],
        ["Nga Liên", "Nga Sơn", "Xóm Đồi", 43, "chưa", "đã có"]]


def _text(rows: list[list[object]], newlines: list[str]) -> str:
    lines = [",".join(str(c) for c in row) for row in rows]
    return "".join(line + newlines[i % len(newlines)] for i, line in enumerate(lines))


@pytest.mark.parametrize("variant", [
    "utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le", "utf-16-be", "cp1258", "cp1258-mixed",
    "utf-8-mixed", "utf-8-cr", "utf-8-nfd"])
def test_survey_csv_in_any_encoding_and_line_ends_reads_the_same(tmp_path, variant):
    mixed = ["\r\n", "\n", "\r"]
    text = _text(ROWS, mixed if variant.endswith("mixed") else
                 ["\r"] if variant.endswith("-cr") else ["\r\n"])
    if variant == "utf-8-nfd":
        text = unicodedata.normalize("NFD", text)
    data = {"utf-8-bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
            "utf-16-bom": text.encode("utf-16"), "utf-16-le": text.encode("utf-16-le"),
            "utf-16-be": text.encode("utf-16-be"), "cp1258": _cp1258(text),
            "cp1258-mixed": _cp1258(text)}.get(variant, text.encode("utf-8"))
    if variant.startswith("cp1258"):
        assert b"\xcc" in data or b"\xd2" in data  # a tone mark written apart
        if len(data) % 2:  # an even length must not make it UTF-16
            data += b"\n"
    path = tmp_path / "survey" / "khao-sat-2024.csv"
    path.parent.mkdir()
    path.write_bytes(data)
    found = survey.read_surveys([path])
    assert not [f.message for f in found.findings if f.rule == "load_error"]
    people = found.located().sort("row")
    assert people["row"].to_list() == [3, 4, 6]
    assert [unicodedata.normalize("NFC", v) for v in people["village_name"]] == [
        "Thôn Thượng", "Bản Ngườm", "Xóm Đồi"]
    assert people["smartphone"].to_list() == [True, True, False]
    assert people["bank"].to_list() == [True, False, True]
    assert set(people["commune_code"]) == {"16159"}
    # the row to correct is named by its line, whatever the line ends before it
    assert found.rejects.select("row", "column").rows() == [(5, "Tuổi")]


def test_a_survey_csv_too_large_to_re_encode_is_named_and_a_utf8_one_is_read(tmp_path,
                                                                             monkeypatch):
    from bakhong.survey import _files

    text = _text(ROWS, ["\r\n"])
    wide = tmp_path / "survey" / "nga-lien-2024.csv"
    plain = tmp_path / "survey" / "nga-lien-utf8-2024.csv"
    wide.parent.mkdir()
    wide.write_bytes(text.encode("utf-16"))
    plain.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(_files, "MAX_TRANSCODED_BYTES", len(text.encode("utf-8")) - 1)
    found = survey.read_surveys([wide, plain])
    errors = [f for f in found.findings if f.rule == "load_error"]
    assert [f.source for f in errors] == [wide.name]
    assert "CSV UTF-8" in errors[0].message and "MB" in errors[0].message
    assert found.people.height == 3        # the UTF-8 file's readable people, streamed
