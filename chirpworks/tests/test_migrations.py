from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db(transaction=True)  # CONCURRENTLY is refused inside a transaction
def test_the_meetings_index_is_built_without_locking_writes_on_postgresql():
    out = StringIO()
    call_command("sqlmigrate", "meetings", "0004", stdout=out)
    sql = out.getvalue()
    assert 'CREATE INDEX "meetings_me_seller__076eb0_idx"' in sql.replace("CONCURRENTLY ", "")
    assert ("CONCURRENTLY" in sql) is (connection.vendor == "postgresql")
