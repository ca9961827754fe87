"""Tell PostgreSQL's planner what pg_trgm's ``%`` really costs (PostgreSQL only).

``similarity_op`` (the ``%`` operator) is declared with the default cost of 1, as cheap as an
integer comparison, so for buyer search's OR over four columns the planner preferred scoring
every buyer of the agency in a sequential scan (~200 ms for 20,000 buyers) over the trigram GIN
indexes (~20 ms). A cost of 50 matches its measured per-row price. Changing it needs to own the
extension; without that the search stays correct, only slower, so the migration goes on.
Extension members are not in ``pg_dump`` output: after a restore, re-run this migration's SQL.
"""

from django.db import migrations

OPERATOR_COST = 50


def _set_cost(schema_editor, cost: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DO $$ BEGIN "
        f"ALTER FUNCTION similarity_op(text, text) COST {cost}; "
        "EXCEPTION WHEN insufficient_privilege THEN "
        "RAISE NOTICE 'similarity_op cost left unchanged: not the extension owner'; "
        "END $$"
    )


def set_operator_cost(apps, schema_editor):
    _set_cost(schema_editor, OPERATOR_COST)


def reset_operator_cost(apps, schema_editor):
    _set_cost(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0004_agency_recording_retention")]

    operations = [migrations.RunPython(set_operator_cost, reset_operator_cost, elidable=False)]
