"""`dlbox hub` commands as users see them, without a running hub (tests/e2e/test_hub.py runs
them against a real one)."""

from __future__ import annotations

import json

from tests.helpers import dlbox


def test_cli_users_add_and_remove_answer_in_json() -> None:
    """`hub users add|remove --json`: one JSON document on stdout, also when they fail (the
    names are checked first: exit 2; then the hub must run: exit 1)."""
    bad = dlbox("hub", "users", "add", "Ann", "--json")
    assert bad.code == 2, bad.output
    doc = json.loads(bad.stdout)
    assert doc["ok"] is False and "lower case" in doc["message"]
    for verb in ("add", "remove"):
        none = dlbox("hub", "users", verb, "ann", "--json")
        assert none.code == 1, none.output
        doc = json.loads(none.stdout)
        assert doc["ok"] is False and doc["message"] == "No hub is running."


def test_users_change_names_what_changed_and_what_did_not() -> None:
    from dlbox.usecases.hub_commands import UsersChange

    change = UsersChange("added", ("ann", "bob"), ("bob",))
    assert change.to_dict() == {"added": ["bob"], "unchanged": ["ann"]}
