"""``field__any=values``: "is one of these" with the whole list as one parameter.

``field__in`` writes one placeholder per value: at ten thousand values psycopg spends longer
splitting the statement than PostgreSQL spends running it, and SQLite refuses statements with
too many. ``__any`` sends the list as one array (``= ANY(%s)`` on PostgreSQL) or one JSON text
(``IN (SELECT value FROM json_each(%s))`` elsewhere). It matches what ``__in`` matches.
"""

import json

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, Lookup


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        field = self.lhs.output_field
        return [field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (lhs: a column)
        return sql, [*lhs_params, json.dumps(values)]
