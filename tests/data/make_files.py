"""Make the binary test files of this folder (the text ones are written by hand): python tests/data/make_files.py

Kept so that anyone can see how each file was made; the files themselves are committed.
"""

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent


def xlsx_with_date_cells() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Ученики"
    sheet.append(["Любимый цвет?", "Last name", "First name", "Personal file number", "Date of birth", "Is inclusive",
                  "Programs", "Phone", "Email"])
    sheet.append(["x", "Сапарова", "Айгерим", 1001, datetime(2011, 3, 14), True, "STEM; Music", 87011234567,
                  "aigerim@example.kz"])
    sheet.append(["x", "Ким", "Виктор", "1002", date(2012, 11, 2), "нет", "Music", "+7 702 555 12 34", None])
    sheet.append([None] * 9)  # a blank row: skipped, numbering kept
    sheet.append(["x", "Öztürk", "Elif", "A-17", "=TODAY()", "да", None, None, "elif@example.org"])
    sheet.append(["x", "=1+2", "Formula", "A-18", None, None, None, None, None])
    sheet["B6"].data_type = "s"  # a text cell that looks like a formula
    for cell in ("E2", "E3"):
        sheet[cell].number_format = "dd.mm.yyyy"
    book.save(HERE / "students_dates.xlsx")


def pdf_named_csv() -> None:
    (HERE / "not_really.csv").write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >>"
        b" endobj\nxref\n0 3\n0000000000 65535 f \ntrailer << /Size 3 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n\x00")


def xlsx_zip_bomb() -> None:
    """A valid workbook whose one sheet unpacks to 400 MB of blanks: small on disk, huge once read."""
    book = openpyxl.Workbook()
    book.active.append(["Last name", "First name"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b"<!--" + b" " * (400 * 1024 * 1024) + b"--></worksheet>")
            bomb.writestr(entry.filename, data)
    (HERE / "zip_bomb.xlsx").write_bytes(out.getvalue())


def ods_zip_bomb() -> None:
    """students_libreoffice.ods (written by LibreOffice Calc 7.4 from students_utf8.csv:
    soffice --headless --convert-to ods --infilter="CSV:44,34,76,1,,1049,false,true,false,false,true")
    with its content unpacking to 400 MB of blanks."""
    out = io.BytesIO()
    with zipfile.ZipFile(HERE / "students_libreoffice.ods") as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "content.xml":
                data = data.replace(b"</office:document-content>",
                                    b"<!--" + b" " * (400 * 1024 * 1024) + b"--></office:document-content>")
            bomb.writestr(entry, data, compress_type=entry.compress_type if entry.filename == "mimetype"
                          else zipfile.ZIP_DEFLATED)
    (HERE / "zip_bomb.ods").write_bytes(out.getvalue())


def xlsx_last_cell() -> None:
    """A 2 KB workbook: a header row and one cell at the sheet's last row and column (XFD1048576), its
    dimension declared to match. A reader that allocates the declared range asks for hundreds of GB."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Last name", "First name"])
    sheet["XFD1048576"] = "far away"
    book.save(HERE / "last_cell.xlsx")


def ods_far_rows() -> None:
    """students_libreoffice.ods with one more row, repeated 1,048,000 times, of a cell repeated 16,000 times:
    a few bytes that a reader expands to 17 billion cells (what Calc writes for a formatted whole sheet)."""
    out = io.BytesIO()
    far = (b'<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated='
           b'"16000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>')
    with zipfile.ZipFile(HERE / "students_libreoffice.ods") as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as spread:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "content.xml":
                data = data.replace(b"</table:table-row></table:table>",
                                    b"</table:table-row>" + far + b"</table:table>", 1)
            # mimetype as it was (stored, first); the others anew (Calc's entries carry data descriptors).
            spread.writestr(entry if entry.filename == "mimetype" else entry.filename, data)
    (HERE / "far_rows.ods").write_bytes(out.getvalue())


if __name__ == "__main__":
    xlsx_with_date_cells()
    pdf_named_csv()
    xlsx_zip_bomb()
    ods_zip_bomb()
    xlsx_last_cell()
    ods_far_rows()
