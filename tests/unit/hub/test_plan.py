"""Deciding a hub from settings: exposure rules, names, limits, course seed; the CLI's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.config import load_settings
from dlbox.errors import ConfigError, UsageError
from dlbox.hub.plan import (
    Exposure,
    HubGpus,
    check_exposure,
    parse_limits,
    plan_hub,
    validate_username,
)
from tests.helpers import dlbox


def test_loopback_needs_nothing_wider_needs_tls_or_insecure(tmp_path: Path) -> None:
    assert check_exposure(Exposure("127.0.0.1")) == []
    assert check_exposure(Exposure("::1")) == []
    with pytest.raises(UsageError) as caught:
        check_exposure(Exposure("0.0.0.0"))
    assert "clear text" in caught.value.message
    assert caught.value.hint and "--ssl-cert" in caught.value.hint
    warnings = check_exposure(Exposure("0.0.0.0", insecure=True))
    assert warnings and warnings[0].startswith("INSECURE")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("cert")
    key.write_text("key")
    assert check_exposure(Exposure("0.0.0.0", cert, key)) == []
    with pytest.raises(UsageError, match="go together"):
        check_exposure(Exposure("0.0.0.0", cert, None))
    with pytest.raises(UsageError, match="no such file"):
        check_exposure(Exposure("0.0.0.0", cert, tmp_path / "missing.pem"))


@pytest.mark.parametrize("name", ["ann", "student-07", "a.b_c"])
def test_good_user_names(name: str) -> None:
    assert validate_username(name) == name


@pytest.mark.parametrize("name", ["Ann", "../x", "a/b", "", ".hidden", "archive", "x" * 70])
def test_bad_user_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        validate_username(name)


def test_limits() -> None:
    assert parse_limits("8g", "2") == ("8G", 2.0)
    assert parse_limits("", "") == ("", None)
    assert parse_limits("512MB", "0.5") == ("512M", 0.5)
    for mem, cpu in (("lots", ""), ("", "0"), ("", "two")):
        with pytest.raises(UsageError):
            parse_limits(mem, cpu)


def test_plan_uses_settings_and_seeds_the_course(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "lesson.ipynb").write_text("{}")
    cfg = load_settings(
        {
            "code_dir": str(code),
            "data_dir": str(tmp_path / "data"),
            "hub_admin": "teacher",
            "hub_gpu_policy": "exclusive",
            "hub_idle_timeout": 600,
        }
    )
    config, warnings = plan_hub(
        "dlbox-env:x",
        cfg,
        tmp_path / "state",
        Exposure("127.0.0.1"),
        gpus=HubGpus("gpus", ("0", "1"), "2 GPUs"),
        shm_bytes=2**30,
        ports=(9001, 9002),
    )
    assert (config.admin, config.gpu_policy, config.idle_timeout) == ("teacher", "exclusive", 600)
    assert config.gpu_ids == ("0", "1") and config.gpu_mode == "gpus"
    assert config.course_dir == code.resolve()
    assert config.data_dir == (tmp_path / "data").resolve()
    assert warnings == []


def test_bad_admin_and_short_idle_timeout_refused(tmp_path: Path) -> None:
    for flags in ({"hub_admin": "Bad Admin"}, {"hub_idle_timeout": 5}):
        with pytest.raises((UsageError, ConfigError)):  # exit code 2 either way
            plan_hub(
                "img",
                load_settings(flags),
                tmp_path,
                Exposure("127.0.0.1"),
                gpus=HubGpus(),
                shm_bytes=2**30,
                ports=(1, 2),
            )


def test_cli_refuses_a_wide_host_without_tls_before_starting_anything() -> None:
    run = dlbox("hub", "up", "--host", "0.0.0.0", "--gpus", "none")
    assert run.code == 2, run.output
    assert "clear text" in run.output and "Traceback" not in run.output


def test_cli_status_and_users_without_a_hub() -> None:
    status = dlbox("hub", "status")
    assert status.code == 0 and "No hub is running" in status.output
    users = dlbox("hub", "users", "add", "ann")
    assert users.code == 1 and "No hub is running" in users.output
    bad = dlbox("hub", "users", "add", "Ann")
    assert bad.code == 2 and "lower case" in bad.output


def test_relative_tls_files_are_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy runs in the hub's state folder: `--ssl-cert cert.pem` must still name the file
    in the folder where `dlbox hub up` was typed."""
    (tmp_path / "cert.pem").write_text("cert")
    (tmp_path / "key.pem").write_text("key")
    monkeypatch.chdir(tmp_path)
    exposure = Exposure("0.0.0.0", Path("cert.pem"), Path("key.pem"))
    assert exposure.ssl_cert == tmp_path / "cert.pem" and exposure.ssl_key == tmp_path / "key.pem"
    monkeypatch.chdir("/")
    assert check_exposure(exposure) == []


def test_hub_api_token_is_not_in_its_repr() -> None:
    from dlbox.hub.api import HubApi

    assert "s3cret" not in repr(HubApi("http://127.0.0.1:1/hub/api", "s3cret"))


def test_extra_config_is_checked_and_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def planned(extra: str) -> Path | None:
        config, _ = plan_hub(
            "img",
            load_settings({"hub_extra_config": extra}),
            tmp_path,
            Exposure("127.0.0.1"),
            gpus=HubGpus(),
            shm_bytes=2**30,
            ports=(1, 2),
        )
        return config.extra_config

    assert planned("") is None
    (tmp_path / "extra.py").write_text("c.JupyterHub.services.append({'name': 'x'})\n")
    monkeypatch.chdir(tmp_path)
    assert planned("extra.py") == tmp_path / "extra.py"
    with pytest.raises(UsageError, match="hub_extra_config missing.py: no such file"):
        planned("missing.py")


def test_podman_hub_gives_no_gpus_and_says_why() -> None:
    """Podman's Docker-compatible API ignores GPU requests: no probe, a warning naming the fix."""
    from dlbox.engines.podman import PodmanEngine
    from dlbox.usecases.hub import hub_gpus

    gpus = hub_gpus(PodmanEngine("/nonexistent/podman"), "img", "auto")
    assert gpus.ids == () and gpus.mode == "none"
    assert "ignores GPU requests" in gpus.note and "`hub up --engine docker`" in gpus.note
