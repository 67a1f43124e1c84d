"""An upload's rows, whatever it holds: a school's list (importing.files) or a OneRoster export
(importing.oneroster, which reads its CSV files as importing.files does)."""

from __future__ import annotations

import itertools

import tablib

from roster.services.importing import oneroster
from roster.services.importing.files import check_upload, file_rows, rows_dataset, without_gc


def upload_rows(data: bytes, file_name: str, max_rows: int | None = None, *, school=None, identifier=None):
    """The rows of an upload: a OneRoster zip (of several schools: `school`'s part), a list whose header is
    OneRoster's users.csv (its identifier in the field `identifier` names), or a list."""
    if file_name.lower().endswith(".zip"):
        check_upload(data)
        return oneroster.zip_rows(data, school, identifier)
    rows = iter(file_rows(data, file_name, max_rows))
    header = next(rows, None)
    if header is not None and oneroster.is_users_csv(header):
        return oneroster.users_rows(header, rows, identifier)
    return itertools.chain([header] if header is not None else [], rows)


def read_file(data: bytes, file_name: str, *, school=None, identifier=None) -> tablib.Dataset:
    """Read an upload into a dataset; a OneRoster file's people who are not imported are its `not_imported`."""
    with without_gc():
        rows = upload_rows(data, file_name, school=school, identifier=identifier)
        dataset = rows_dataset(rows)
        dataset.not_imported = getattr(rows, "not_imported", [])
        return dataset
