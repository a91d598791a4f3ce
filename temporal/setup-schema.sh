#!/bin/sh
# One-shot job (temporalio/admin-tools image): creates Temporal's two MySQL 8 databases and
# brings their schemas to the version the server release expects, with Temporal's own
# temporal-sql-tool. Safe to re-run: create is skipped when the database exists and
# update-schema only applies missing versions. Run it before every Temporal server upgrade.
set -eu
: "${SQL_HOST:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"
SQL_PORT="${SQL_PORT:-3306}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/mysql/v8}"
tool() { temporal-sql-tool --plugin mysql8 --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" --pw "$SQL_PASSWORD" "$@"; }

for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"; dir="${pair#*:}"
  tool --db "$db" create-database || echo "database $db exists"
  # setup-schema -v 0.0 only creates the version table; it is a no-op on an existing schema.
  tool --db "$db" setup-schema -v 0.0 || echo "schema version table for $db exists"
  tool --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
done
echo "temporal schemas are current"
