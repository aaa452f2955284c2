"""Reading a pasted or uploaded table (CSV or XLSX) into rows with their line numbers, for every import.

``read_table(data, columns=[...])`` decodes the bytes (UTF-8, UTF-8 with a BOM or Windows-1252; an XLSX
workbook's first sheet), finds the separator, matches the header to the columns by name or alias and
returns a ``Table`` of ``TableRow``s. A problem with the whole input raises ``TableRefused`` with a
message for the person who gave it; problems with single rows are the caller's to report.
"""

from app.imports.reader import Column, Table, TableRefused, TableRow, offer_back, read_table

__all__ = ["Column", "Table", "TableRefused", "TableRow", "offer_back", "read_table"]
