#!/bin/sh
# One-shot job (temporalio/admin-tools image, which has the `temporal` CLI): creates the
# namespace with its retention once the server answers. Search attributes are registered
# by the migrate job (scripts/migrate.ts), which knows their names from the code.
set -eu
NS="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do sleep 2; done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NS" >/dev/null 2>&1; then
  temporal operator namespace update --address "$TEMPORAL_ADDRESS" --namespace "$NS" --retention "${TEMPORAL_RETENTION:-30d}"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NS" --retention "${TEMPORAL_RETENTION:-30d}"
fi
echo "namespace $NS ready"
