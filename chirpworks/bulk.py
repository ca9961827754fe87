"""Fast multi-row writes: Django's ``bulk_create`` / ``bulk_update`` compile every value of
every row in Python, seconds per 10,000 rows. On PostgreSQL these stream the rows with COPY
(into a temporary table first when they update or may conflict); elsewhere a ``CASE pk WHEN``
UPDATE in SQL text, or ``bulk_create``.
"""

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

BATCH_ROWS = 500
# Below this many rows the COPY's temporary table costs more than it saves.
COPY_MIN_ROWS = 1000


_EMPTY_JSON = {dict: lambda value: "{}", list: lambda value: "[]"}


def _copy_adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a field's Python value is written by COPY (None: as it is; psycopg adapts it)."""
    if isinstance(field, models.JSONField):
        # COPY reads JSON as text: the common empty values are dumped once.
        dumps = partial(json.dumps, cls=field.encoder) if field.encoder else json.dumps
        return lambda value: (
            None
            if value is None
            else _EMPTY_JSON.get(type(value), dumps)(value)
            if not value
            else dumps(value)
        )
    if isinstance(field, models.FileField):  # a FieldFile, or the stored name itself
        return lambda value: getattr(value, "name", value) or "" if value is not None else ""
    if type(field).__module__.startswith("django.db.models.fields") and not field.choices:
        return None
    if isinstance(field, models.ForeignKey | models.CharField | models.DateTimeField):
        return None
    return partial(_prep, field)


def _prep(field: models.Field, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _temp_name() -> str:
    return connection.ops.quote_name(f"bulk_{uuid.uuid4().hex[:12]}")


_RANDOM = threading.local()
_RANDOM_BYTES = 10  # 74 random bits a UUIDv7, from 80
_RANDOM_POOL = 4096  # ids' worth of randomness read from the OS at once


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562) primary key for a row written in bulk: Unix milliseconds first,
    then random bits. The ids of rows made together are neighbours, so the primary-key and
    foreign-key indexes they go into take them on a few pages, where random UUIDv4s touch (and
    log in full) one page per row. The randomness is the OS's, as ``uuid4``'s, read 4,096 ids
    at a time (one read per id cost more than the rest of a reconciled call's Python).
    """
    pool, at = getattr(_RANDOM, "pool", b""), getattr(_RANDOM, "at", 0)
    if at + _RANDOM_BYTES > len(pool):
        pool, at = os.urandom(_RANDOM_BYTES * _RANDOM_POOL), 0
        _RANDOM.pool = pool
    _RANDOM.at = at + _RANDOM_BYTES
    rand = int.from_bytes(pool[at : at + _RANDOM_BYTES], "big")
    millis = time.time_ns() // 1_000_000
    return uuid.UUID(
        int=(millis & (2**48 - 1)) << 80
        | 0x7 << 76  # version 7
        | (rand >> 68) << 64  # rand_a, 12 bits
        | 0b10 << 62  # variant
        | (rand & (2**62 - 1))  # rand_b
    )


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]


def row_factory(model: type[models.Model], fields: Sequence[str]) -> Callable[[Sequence], list]:
    """A function making a new row of ``model`` from the values of ``fields`` (names or attnames,
    in that order): every other column holds its default, as ``model(...)`` would give it.

    For ``bulk_insert_rows``, where building a model instance per row (every field's default
    looked up again) costs more than writing the row. Callable defaults are called per row (a
    JSON field's ``list`` is its own list in each row), the UUID primary key's is a time-ordered
    one (``new_id``); plain defaults and the auto_now stamps are taken once.
    """
    columns = _insert_fields(model)
    attnames = [f.attname for f in columns]
    slots = [attnames.index(model._meta.get_field(name).attname) for name in fields]
    now = timezone.now()
    template: list = []
    per_row: list[tuple[int, Callable[[], Any]]] = []
    for index, field in enumerate(columns):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            template.append(now)
        elif field.has_default() and callable(field.default):
            template.append(None)
            if index not in slots:
                uuid_pk = field.primary_key and isinstance(field, models.UUIDField)
                per_row.append((index, new_id if uuid_pk else field.default))
        else:
            template.append(field.get_default())

    def make(values: Sequence) -> list:
        row = template.copy()
        for index, value in zip(slots, values, strict=True):
            row[index] = value
        for index, default in per_row:
            row[index] = default()
        return row

    return make


def instances_from_rows(model: type[models.Model], rows: Iterable[list]) -> list[models.Model]:
    """The model instances of rows made by ``row_factory`` and written by ``bulk_insert_rows``."""
    attnames = [f.attname for f in _insert_fields(model)]
    positional = len(attnames) == len(model._meta.concrete_fields)
    instances = []
    for row in rows:
        obj = model(*row) if positional else model(**dict(zip(attnames, row, strict=True)))
        obj._state.adding = False
        obj._state.db = connection.alias
        instances.append(obj)
    return instances


def bulk_insert_rows(
    model: type[models.Model],
    rows: Sequence[list],
    *,
    ignore_conflicts: bool = False,
    conflict_order: Sequence[str] = (),
) -> set | None:
    """Insert rows made by ``row_factory``; no signals. Returns the primary keys inserted (with
    ``ignore_conflicts``: None when the database cannot tell, outside PostgreSQL).

    On PostgreSQL one COPY (through a temporary table and ``ON CONFLICT DO NOTHING`` when
    ``ignore_conflicts``); elsewhere, or for a few rows, ``bulk_create``. ``conflict_order``: the
    columns of the unique key rows may collide on; the rows are inserted in that order, so two
    transactions inserting some of the same keys wait for each other instead of deadlocking.
    """
    if not rows:
        return set()
    fields = _insert_fields(model)
    pk_index = fields.index(model._meta.pk)
    if connection.vendor != "postgresql" or len(rows) < COPY_MIN_ROWS:
        attnames = [f.attname for f in fields]
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(
            objs, batch_size=BATCH_ROWS, ignore_conflicts=ignore_conflicts
        )
        return None if ignore_conflicts else {row[pk_index] for row in rows}
    adapters = [(i, a) for i, f in enumerate(fields) if (a := _copy_adapter(f)) is not None]

    def adapted():
        for row in rows:
            row = row.copy()
            for index, adapt in adapters:
                row[index] = adapt(row[index])
            yield row

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [f.column for f in fields]
    with transaction.atomic(), connection.cursor() as cursor:
        if not ignore_conflicts:
            _copy(cursor, table, columns, adapted())
            return {row[pk_index] for row in rows}
        temp = _temp_name()
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} (LIKE {table}) ON COMMIT DROP")
        _copy(cursor, temp, columns, adapted())
        names = ", ".join(quote(c) for c in columns)
        pk = quote(model._meta.pk.column)
        order = ""
        if conflict_order:
            by_name = {f.name: f for f in fields} | {f.attname: f for f in fields}
            order = " ORDER BY " + ", ".join(quote(by_name[n].column) for n in conflict_order)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {temp}{order} "  # noqa: S608
            f"ON CONFLICT DO NOTHING RETURNING {pk}"
        )
        inserted = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {temp}")
    return inserted


def bulk_insert(
    model: type[models.Model], objs: Iterable[models.Model], *, ignore_conflicts: bool = False
) -> set | None:
    """``bulk_create`` of many new rows whose primary keys are set (UUID defaults); no signals.

    On PostgreSQL one COPY (see ``bulk_insert_rows``); the auto_now fields are set on the
    objects as ``bulk_create`` does. With ``ignore_conflicts``, returns the pks of the rows
    inserted, or None when not known (``bulk_create``'s path).
    """
    objs = list(objs)
    if not objs:
        return set()
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        model._default_manager.bulk_create(
            objs, batch_size=BATCH_ROWS, ignore_conflicts=ignore_conflicts
        )
        return None if ignore_conflicts else {obj.pk for obj in objs}
    now = timezone.now()
    fields = _insert_fields(model)
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    attnames = [f.attname for f in fields]
    rows = [[getattr(obj, name) for name in attnames] for obj in objs]
    inserted = bulk_insert_rows(model, rows, ignore_conflicts=ignore_conflicts)
    for obj in objs:
        if obj.pk in inserted:
            obj._state.adding = False
            obj._state.db = connection.alias
    return inserted


def bulk_history_insert(model: type[models.Model], objs: list, *, change_reason: str) -> None:
    """``model.history.bulk_history_create(objs, default_change_reason=...)`` (django-simple-
    history's "created" rows) in one COPY on PostgreSQL."""
    history = model.history.model
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        model.history.bulk_history_create(objs, default_change_reason=change_reason)
        return
    # As bulk_history_create has it: the request's user, if any, and the same time for all.
    user = history.get_default_history_user(objs[0])
    common = {
        "history_date": timezone.now(),
        "history_user_id": user.pk if user is not None else None,
        "history_change_reason": change_reason,
        "history_type": "+",
    }
    tracked = [f.attname for f in history.tracked_fields]
    by_name = {f.attname: f for f in history._meta.concrete_fields}
    fields = [by_name[name] for name in tracked] + [by_name[name] for name in common]
    adapters = [_copy_adapter(f) for f in fields]

    def rows():
        tail = list(common.values())
        for obj in objs:
            values = [getattr(obj, name) for name in tracked] + tail
            yield [v if a is None else a(v) for v, a in zip(values, adapters, strict=True)]

    table = connection.ops.quote_name(history._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        _copy(cursor, table, [f.column for f in fields], rows())


def _bulk_update_by_copy(
    model: type[models.Model],
    rows: dict[Any, tuple],
    fields: list[models.Field],
    common_fields: list[tuple[models.Field, Any]],
    only_if_older: str | None,
) -> int:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    temp = _temp_name()
    columns = ["pk", *[f"v{i}" for i in range(len(fields))]]
    types = [pk.db_type(connection), *[f.db_type(connection) for f in fields]]
    # A foreign key's column type is its target's ("uuid"), which db_type already gives.
    definition = ", ".join(f"{quote(c)} {t}" for c, t in zip(columns, types, strict=True))
    adapters = [_copy_adapter(f) for f in fields]

    def copy_rows():
        for key, values in rows.items():
            yield [key] + [
                value if adapt is None else adapt(value)
                for value, adapt in zip(values, adapters, strict=True)
            ]

    sets = [f"{quote(f.column)} = v.{quote(f'v{i}')}" for i, f in enumerate(fields)]
    params = []
    for field, value in common_fields:
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    where = f"{table}.{quote(pk.column)} = v.{quote('pk')}"
    if only_if_older:
        index = [f.name for f in fields].index(only_if_older)
        column = f"{table}.{quote(fields[index].column)}"
        where += f" AND ({column} IS NULL OR {column} < v.{quote(f'v{index}')})"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({definition}) ON COMMIT DROP")
        _copy(cursor, temp, columns, copy_rows())
        cursor.execute(
            f"UPDATE {table} SET {', '.join(sets)} FROM {temp} v WHERE {where}",  # noqa: S608
            params,
        )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return updated


def bulk_update_rows(
    model: type[models.Model],
    rows: dict[Any, tuple],
    fields: Iterable[str],
    common: dict[str, Any] | None = None,
    only_if_older: str | None = None,
) -> int:
    """Set ``fields`` per row (``rows[pk]`` holds their values, in order) and ``common`` on all.

    ``only_if_older``: a field of ``fields``; a row is then only updated where that column is
    NULL or older than the new value (a forward-only timestamp). Returns the rows updated.
    """
    fields = [model._meta.get_field(name) for name in fields]
    common_fields = [(model._meta.get_field(name), value) for name, value in (common or {}).items()]
    if connection.vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        return _bulk_update_by_copy(model, rows, fields, common_fields, only_if_older)
    pk = model._meta.pk
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(pk.column)
    # SQLite allows 999 parameters per statement in Django's view of it.
    per_row = 2 * len(fields) + 1
    batch_rows = BATCH_ROWS
    if connection.features.max_query_params:
        batch_rows = min(batch_rows, (connection.features.max_query_params - 10) // per_row)
    items = list(rows.items())
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(items), batch_rows):
            batch = items[start : start + batch_rows]
            pks = [pk.get_db_prep_value(key, connection) for key, _ in batch]
            sets, params, cases = [], [], {}
            for index, field in enumerate(fields):
                cast = field.db_type(connection) if connection.vendor == "postgresql" else None
                then = f"CAST(%s AS {cast})" if cast else "%s"
                case = f"CASE {pk_column} {' '.join([f'WHEN %s THEN {then}'] * len(batch))} END"
                case_params = []
                for key_value, (_, values) in zip(pks, batch, strict=True):
                    case_params += [key_value, field.get_db_prep_save(values[index], connection)]
                cases[field.name] = (case, case_params)
                sets.append(f"{quote(field.column)} = {case}")
                params += case_params
            for field, value in common_fields:
                sets.append(f"{quote(field.column)} = %s")
                params.append(field.get_db_prep_save(value, connection))
            where = f"{pk_column} IN ({', '.join(['%s'] * len(batch))})"
            params += pks
            if only_if_older:
                column = quote(model._meta.get_field(only_if_older).column)
                case, case_params = cases[only_if_older]
                where += f" AND ({column} IS NULL OR {column} < {case})"
                params += case_params
            cursor.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}", params)  # noqa: S608
            updated += cursor.rowcount
    return updated
