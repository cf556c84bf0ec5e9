"""Course repos against real local git remotes (bare repos reached through file:// URLs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox import process
from dlbox.cli.app import app
from dlbox.config import load_settings
from dlbox.course import git
from dlbox.course.repos import (
    CATALOG,
    CourseRepo,
    ensure_course,
    folder_for,
    get_course,
    resolve_course,
    update_course,
)
from dlbox.errors import ConfigError, DlboxError, ProcessError, UsageError

runner = CliRunner()
GIT_ID = [
    "-c",
    "user.name=dlbox test",
    "-c",
    "user.email=test@example.invalid",
    "-c",
    "commit.gpgsign=false",
]


def sh_git(*args: str, cwd: Path) -> str:
    return process.run(["git", *GIT_ID, *args], cwd=cwd, timeout=60).stdout


class Remote:
    """A bare repo plus a working clone that pushes new commits into it."""

    def __init__(self, root: Path, name: str = "lessons"):
        self.bare = root / f"{name}.git"
        self.work = root / f"{name}-work"
        sh_git("init", "--bare", "--initial-branch=main", str(self.bare), cwd=root)
        sh_git("init", "--initial-branch=main", str(self.work), cwd=root)
        sh_git("remote", "add", "origin", self.url, cwd=self.work)
        self.commit({"README.md": "# lessons\n", "courses/dl1/lesson1.ipynb": "{}\n"})

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def commit(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        sh_git("add", "-A", cwd=self.work)
        sh_git("commit", "-m", "update", cwd=self.work)
        sh_git("push", "origin", "main", cwd=self.work)


@pytest.fixture()
def remote(tmp_path: Path) -> Remote:
    return Remote(_dir(tmp_path / "remotes"))


@pytest.fixture()
def code_dir(tmp_path: Path) -> Path:
    return tmp_path / "code"


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# --- the catalog -----------------------------------------------------------------------------


def test_catalog_entries() -> None:
    assert CATALOG["course22"].url == "https://github.com/fastai/course22"
    assert CATALOG["fastbook"].url == "https://github.com/fastai/fastbook"
    dl1 = CATALOG["fastai-dl1"]
    assert (dl1.url, dl1.folder, dl1.open_in) == (
        "https://github.com/fastai/fastai",
        "fastai",
        "courses/dl1",
    )


@pytest.mark.parametrize(
    ("spec", "name", "folder"),
    [
        ("course22", "course22", "course22"),
        ("fastai/fastbook", "fastbook", "fastbook"),
        ("FASTAI-DL1", "fastai-dl1", "fastai"),
        ("https://github.com/fastai/course22.git", "course22", "course22"),
        ("https://github.com/someone/my-notes", "my-notes", "my-notes"),
        ("git@github.com:someone/notes.git", "notes", "notes"),
        ("file:///srv/git/lessons.git/", "lessons", "lessons"),
    ],
)
def test_resolve(spec: str, name: str, folder: str) -> None:
    repo = resolve_course(spec)
    assert (repo.name, repo.folder) == (name, folder)


def test_unknown_course_names_the_choices() -> None:
    with pytest.raises(UsageError) as info:
        resolve_course("course99")
    assert "course22" in (info.value.hint or "") and "git URL" in (info.value.hint or "")
    with pytest.raises(UsageError):
        folder_for("file:///")


def test_git_never_prompts() -> None:
    assert git.git_env()["GIT_TERMINAL_PROMPT"] == "0"


# --- clone / reuse / update ------------------------------------------------------------------


def test_clone_is_shallow_and_reports_where_jupyter_opens(remote: Remote, code_dir: Path) -> None:
    repo = CourseRepo("lessons", remote.url, "lessons", "courses/dl1")
    lines: list[str] = []
    result = get_course(repo, code_dir, lines.append)
    assert result.action == "cloned"
    assert (code_dir / "lessons" / "README.md").is_file()
    assert result.notebook_dir == code_dir / "lessons" / "courses" / "dl1"
    assert result.notebook_subdir == "lessons/courses/dl1"
    shallow = sh_git("rev-parse", "--is-shallow-repository", cwd=code_dir / "lessons")
    assert shallow.strip() == "true"
    assert lines  # git's progress reached the callback
    assert result.to_dict()["action"] == "cloned"


def test_existing_clone_is_reused_and_local_changes_are_kept(
    remote: Remote, code_dir: Path
) -> None:
    repo = resolve_course(remote.url)
    get_course(repo, code_dir)
    readme = code_dir / "lessons" / "README.md"
    readme.write_text("my notes\n")
    result = get_course(repo, code_dir)
    assert result.action == "present"
    assert any("README.md" in line for line in result.local_changes)
    assert readme.read_text() == "my notes\n"


def test_update_pulls_new_commits(remote: Remote, code_dir: Path) -> None:
    repo = resolve_course(remote.url)
    get_course(repo, code_dir)
    remote.commit({"lesson2.ipynb": "{}\n"})
    (code_dir / "lessons" / "scratch.ipynb").write_text("{}")  # untracked: does not block
    result = update_course(repo, code_dir)
    assert result.action == "updated"
    assert (code_dir / "lessons" / "lesson2.ipynb").is_file()
    assert (code_dir / "lessons" / "scratch.ipynb").is_file()
    assert update_course(repo, code_dir).action == "unchanged"


def test_update_refuses_with_local_changes(remote: Remote, code_dir: Path) -> None:
    repo = resolve_course(remote.url)
    get_course(repo, code_dir)
    remote.commit({"README.md": "# new upstream\n"})
    readme = code_dir / "lessons" / "README.md"
    readme.write_text("my edits\n")
    with pytest.raises(DlboxError) as info:
        update_course(repo, code_dir)
    assert "local changes" in info.value.message and "README.md" in info.value.message
    assert "stash" in (info.value.hint or "")
    assert readme.read_text() == "my edits\n"


def test_update_of_a_course_not_cloned(code_dir: Path) -> None:
    with pytest.raises(DlboxError, match="not cloned yet"):
        update_course(CATALOG["fastbook"], code_dir)


def test_folder_in_the_way_is_not_overwritten(remote: Remote, code_dir: Path) -> None:
    (code_dir / "lessons").mkdir(parents=True)
    (code_dir / "lessons" / "mine.txt").write_text("keep")
    with pytest.raises(DlboxError, match="not a git clone"):
        get_course(resolve_course(remote.url), code_dir)
    assert (code_dir / "lessons" / "mine.txt").read_text() == "keep"


def test_clone_of_another_repo_is_left_alone(
    remote: Remote, code_dir: Path, tmp_path: Path
) -> None:
    get_course(resolve_course(remote.url), code_dir)
    other = Remote(_dir(tmp_path / "other"), "lessons")
    with pytest.raises(DlboxError, match="already a clone of"):
        get_course(resolve_course(other.url), code_dir)


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- offline / unreachable -------------------------------------------------------------------


def test_unreachable_remote_is_a_clear_error(tmp_path: Path, code_dir: Path) -> None:
    url = (tmp_path / "gone" / "lessons.git").as_uri()
    with pytest.raises(ProcessError) as info:
        get_course(resolve_course(url), code_dir)
    assert f"Could not clone {url}: there is no git repository" in info.value.message
    assert info.value.hint and info.value.log_path and info.value.log_path.is_file()
    assert not (code_dir / "lessons").exists()


def test_failure_messages_name_the_cause(tmp_path: Path) -> None:
    log = tmp_path / "log"
    offline = git.failure(
        "clone",
        "https://github.com/fastai/course22",
        ["git"],
        128,
        [
            "fatal: unable to access 'https://github.com/fastai/course22/': "
            "Could not resolve host: github.com"
        ],
        log,
        "dlbox course get course22",
    )
    assert "unreachable" in offline.message and "network" in (offline.hint or "")
    private = git.failure(
        "clone",
        "https://github.com/x/y",
        ["git"],
        128,
        ["fatal: could not read Username for 'https://github.com': terminal prompts disabled"],
        log,
        "dlbox course get x",
    )
    assert "asks for a login" in private.message and "or there is none" in private.message
    assert "credential.helper" in (private.hint or "")
    ssh_dns = git.failure(
        "clone",
        "git@github.com:x/y",
        ["git"],
        128,
        [
            "ssh: Could not resolve hostname github.com: Name or service not known",
            "fatal: Could not read from remote repository.",
        ],
        log,
        "retry",
    )
    assert "unreachable" in ssh_dns.message


def test_ensure_course_returns_a_warning_when_offline(tmp_path: Path, code_dir: Path) -> None:
    url = (tmp_path / "gone" / "lessons.git").as_uri()
    cfg = load_settings({"course": url, "code_dir": str(code_dir)}, environ={})
    result = ensure_course(cfg)
    assert result.action == "skipped"
    assert result.warning and "Could not clone" in result.warning
    assert result.notebook_dir == code_dir


def test_ensure_course_clones_then_reuses(remote: Remote, code_dir: Path) -> None:
    cfg = load_settings({"course": remote.url, "code_dir": str(code_dir)}, environ={})
    assert ensure_course(cfg).action == "cloned"
    again = ensure_course(cfg)
    assert again.action == "present" and again.warning is None
    assert again.notebook_dir == code_dir / "lessons"


def test_ensure_course_without_a_course_and_with_a_subdir(code_dir: Path) -> None:
    cfg = load_settings({"code_dir": str(code_dir), "course_subdir": "mine"}, environ={})
    result = ensure_course(cfg)
    assert result.action == "none" and result.notebook_dir == code_dir / "mine"
    assert result.notebook_subdir == "mine"


def test_ensure_course_with_an_unknown_name_is_a_config_error(code_dir: Path) -> None:
    cfg = load_settings({"course": "course99", "code_dir": str(code_dir)}, environ={})
    with pytest.raises(ConfigError, match="flag --course"):
        ensure_course(cfg)


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_get_list_update(
    remote: Remote, code_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_CODE_DIR", str(code_dir))
    code, out = invoke("course", "get", remote.url)
    assert code == 0, out
    assert "cloned" in out and "dlbox config set course" in out
    code, out = invoke("course", "list", "--json")
    courses = {c["name"]: c for c in json.loads(out)["courses"]}
    assert courses["lessons"]["cloned"] is True and courses["course22"]["cloned"] is False
    remote.commit({"lesson3.ipynb": "{}\n"})
    code, out = invoke("course", "update", remote.url)
    assert code == 0 and "updated" in out
    code, out = invoke("course", "update", "--json")  # no name, no course: every clone
    assert code == 0 and json.loads(out)["courses"][0]["action"] == "unchanged"
    code, out = invoke("course", "update", "lessons")  # a clone's folder name works too
    assert code == 0 and "already up to date" in out
    (code_dir / "lessons" / "README.md").write_text("edited")
    code, out = invoke("course", "update", remote.url)
    assert code == 1 and "local changes" in out and "README.md" in out


def test_cli_offline_get_is_a_clear_message(
    tmp_path: Path, code_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_CODE_DIR", str(code_dir))
    url = (tmp_path / "gone.git").as_uri()
    code, out = invoke("course", "get", url)
    assert code == 1
    assert "Could not clone" in out and "Fix:" in out and "Traceback" not in out


def test_cli_unknown_course_and_nothing_to_update(
    code_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_CODE_DIR", str(code_dir))
    code, out = invoke("course", "get", "course99")
    assert code == 2 and "Unknown course" in out
    code, out = invoke("course", "update")
    assert code == 1 and "no course clones" in out


def test_credentials_in_a_course_url_are_never_shown(tmp_path: Path) -> None:
    """A token written into a git URL stays out of messages, argv and JSON."""
    url = f"file://user:S3CRETTOKEN@localhost{tmp_path}/nowhere.git"
    with pytest.raises(DlboxError) as info:
        get_course(resolve_course(url), tmp_path / "code")
    err = info.value
    shown = json.dumps(err.to_dict()) + err.message + (err.hint or "")
    assert "S3CRETTOKEN" not in shown
    if err.log_path:
        assert "S3CRETTOKEN" not in err.log_path.read_text()
    assert "S3CRETTOKEN" not in json.dumps(resolve_course(url).to_dict())


def test_a_failed_clone_leaves_nothing_behind(tmp_path: Path) -> None:
    code = tmp_path / "code"
    with pytest.raises(DlboxError):
        get_course(resolve_course((tmp_path / "missing.git").as_uri()), code)
    assert not any(code.iterdir())  # no half clone to be mistaken for a course later


def test_credentials_reach_git_through_its_environment_only(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`course get https://user:TOKEN@host/repo`: the token is in no process's argv and not in
    the clone's world-readable .git/config; git gets it from a credential helper reading env."""
    shim = tmp_path / "shim"
    shim.mkdir()
    seen = tmp_path / "git-calls.log"
    real = process.run(["sh", "-c", "command -v git"], timeout=10).stdout.strip()
    (shim / "git").write_text(
        "#!/bin/sh\n"
        f'printf "ARGV %s\\n" "$*" >> "{seen}"\n'
        f'printf "ENV %s\\n" "$DLBOX_GIT_PASSWORD" >> "{seen}"\n'
        f'exec {real} "$@"\n'
    )
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}:{os.environ['PATH']}")
    url = remote.url.replace("file://", "file://learner:S3CRETTOKEN@", 1)
    got = get_course(resolve_course(url), tmp_path / "code")
    calls = seen.read_text()
    argv_lines = [line for line in calls.splitlines() if line.startswith("ARGV")]
    assert argv_lines and not any("S3CRETTOKEN" in line for line in argv_lines)
    assert "ENV S3CRETTOKEN" in calls  # handed to git, out of sight
    assert got.path is not None
    config = (got.path / ".git" / "config").read_text()
    assert "S3CRETTOKEN" not in config and "learner" not in config

    clean, options, env = git.split_credentials("https://u%40x:p%2Fw@example.org/r.git")
    assert clean == "https://example.org/r.git"
    assert env == {"DLBOX_GIT_USERNAME": "u@x", "DLBOX_GIT_PASSWORD": "p/w"}
    helper = options[-1].removeprefix("credential.helper=!")
    # git runs a "!" helper as `sh -c "HELPER get"` (the action appended to the command)
    answer = process.run(["sh", "-c", f"{helper} get"], env=env, timeout=10).stdout
    assert answer == "username=u@x\npassword=p/w\n"
    assert git.split_credentials("https://example.org/r.git") == (
        "https://example.org/r.git",
        [],
        {},
    )
