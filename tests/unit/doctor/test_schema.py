"""The --json document is a stable, versioned contract: its keys and check ids are snapshotted.
Regenerate after a deliberate change with UPDATE_GOLDEN=1 (and bump the schema version
when a key is removed or changes meaning)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dlbox.doctor import CHECK_IDS, run_doctor
from dlbox.doctor.model import SCHEMA, STATUSES

from .fakes import make_facts

SNAPSHOT = Path(__file__).parent / "snapshots" / "doctor_schema.json"


def shape(doc: dict[str, object]) -> dict[str, object]:
    checks = doc["checks"]
    assert isinstance(checks, list)
    check_keys = {tuple(sorted(c)) for c in checks}
    assert len(check_keys) == 1, "every check has the same keys"
    return {
        "schema": doc["schema"],
        "top_keys": sorted(doc),
        "platform_keys": sorted(doc["platform"]),  # type: ignore[arg-type]
        "check_keys": list(check_keys.pop()),
        "check_ids": [c["id"] for c in checks],
        "summary_keys": sorted(doc["summary"]),  # type: ignore[arg-type]
        "statuses": list(STATUSES),
    }


def test_json_document_matches_the_snapshot(tmp_path: Path) -> None:
    doc = run_doctor(make_facts(tmp_path)).to_dict()
    json.dumps(doc)  # serialisable as is
    got = shape(doc)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        SNAPSHOT.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(SNAPSHOT.read_text())
    assert doc["schema"] == SCHEMA == "dlbox.doctor/1"
    assert tuple(got["check_ids"]) == CHECK_IDS  # type: ignore[arg-type]


def test_every_result_is_well_formed(tmp_path: Path) -> None:
    doc = run_doctor(make_facts(tmp_path)).to_dict()
    for check in doc["checks"]:  # type: ignore[attr-defined]
        assert check["status"] in STATUSES
        assert check["finding"] and "\n" not in check["finding"]
        assert "\n" not in check["fix"]
        if check["status"] in ("warn", "fail"):
            assert check["fix"], f"{check['id']} has no fix"
        assert isinstance(check["details"], dict)


def test_no_secrets_in_the_document(tmp_path: Path) -> None:
    facts = make_facts(tmp_path)
    env = {
        **facts.environ,
        "HTTPS_PROXY": "http://u:pw-s3cret@proxy:8080",
        "JUPYTER_TOKEN": "tok-s3cret",
        "NO_PROXY": "localhost",
    }
    text = json.dumps(run_doctor(facts.with_changes(environ=env)).to_dict())
    assert "s3cret" not in text
