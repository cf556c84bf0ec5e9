"""Course repos: a small catalog plus any git URL, cloned (shallow) into the code folder, updated
with fast-forward pulls, and never clobbered: an existing clone is reused as it is, and local
changes are reported, not overwritten."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dlbox.config.load import Settings
from dlbox.course import git
from dlbox.errors import ConfigError, DlboxError, UsageError
from dlbox.names import is_valid_name


@dataclass(frozen=True)
class CourseRepo:
    name: str
    url: str
    folder: str  # the clone's folder inside code_dir
    open_in: str = ""  # folder inside the clone that Jupyter opens in ("" = the clone itself)
    description: str = ""
    ref: str | None = None  # branch or tag to clone (None: the remote's default branch)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "url": git.safe_url(self.url),
            "folder": self.folder,
            "open_in": self.open_in,
            "description": self.description,
            "ref": self.ref,
        }


CATALOG: dict[str, CourseRepo] = {
    repo.name: repo
    for repo in (
        CourseRepo(
            "course22",
            "https://github.com/fastai/course22",
            "course22",
            "",
            "Practical Deep Learning for Coders (2022) lesson notebooks",
        ),
        CourseRepo(
            "fastbook",
            "https://github.com/fastai/fastbook",
            "fastbook",
            "",
            "the fastai book (Deep Learning for Coders) as notebooks",
        ),
        CourseRepo(
            "fastai-dl1",
            "https://github.com/fastai/fastai",
            "fastai",
            "courses/dl1",
            "the classic fastai course, part 1 (courses/dl1 of the fastai repo)",
        ),
    )
}
ALIASES = {"fastai/course22": "course22", "fastai/fastbook": "fastbook", "dl1": "fastai-dl1"}
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_git_url(spec: str) -> bool:
    return bool(_URL.match(spec.strip()))


def folder_for(url: str) -> str:
    """The clone folder for a URL: its last path part without .git."""
    last = re.split(r"[/:]", url.strip().rstrip("/"))[-1]
    name = last[:-4] if last.endswith(".git") else last
    if not is_valid_name(name):
        raise UsageError(
            f"Cannot tell a folder name from {url!r}.",
            "Give the repository's full URL, e.g. https://github.com/OWNER/REPO.",
        )
    return name


def resolve_course(spec: str) -> CourseRepo:
    """A catalog name (or alias) or a git URL -> the repo to clone. Raises UsageError otherwise."""
    text = spec.strip()
    name = ALIASES.get(text.lower(), text.lower())
    if name in CATALOG:
        return CATALOG[name]
    if is_git_url(text):
        for repo in CATALOG.values():  # a catalog URL keeps its catalog layout
            if git.normalize_url(repo.url) == git.normalize_url(text) and not repo.open_in:
                return repo
        folder = folder_for(text)
        return CourseRepo(folder, text, folder)
    raise UsageError(
        f"Unknown course {spec!r}.",
        f"Use one of {', '.join(CATALOG)} (see `dlbox course list`) or a git URL "
        "such as https://github.com/OWNER/REPO.",
    )


@dataclass(frozen=True)
class CourseResult:
    name: str  # "" when no course is configured
    url: str
    path: Path | None  # the clone
    notebook_dir: Path  # where Jupyter should open
    action: str  # none | cloned | present | updated | unchanged | skipped
    local_changes: tuple[str, ...] = ()
    warning: str | None = None
    head: str = ""
    code_dir: Path | None = None

    @property
    def notebook_subdir(self) -> str:
        """notebook_dir relative to code_dir ("" = code_dir itself), for the container's /code."""
        if self.code_dir is None:
            return ""
        try:
            rel = self.notebook_dir.relative_to(self.code_dir).as_posix()
        except ValueError:
            return ""
        return "" if rel == "." else rel

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "url": git.safe_url(self.url),
            "path": str(self.path) if self.path else None,
            "notebook_dir": str(self.notebook_dir),
            "notebook_subdir": self.notebook_subdir,
            "action": self.action,
            "local_changes": list(self.local_changes),
            "warning": self.warning,
            "head": self.head,
        }


def _ignore(_line: str) -> None:
    return None


def _check_origin(repo: CourseRepo, dest: Path) -> None:
    origin = git.origin_url(dest)
    if origin and git.normalize_url(origin) != git.normalize_url(repo.url):
        raise DlboxError(
            f"{dest} is already a clone of {origin}, not of {repo.url}; dlbox leaves it alone.",
            f"Move {dest} aside (or use that repository) and run `dlbox course get` again.",
        )


def _result(
    repo: CourseRepo, code_dir: Path, action: str, changes: list[str], warning: str | None = None
) -> CourseResult:
    dest = code_dir / repo.folder
    notebook_dir = dest / repo.open_in if repo.open_in else dest
    if repo.open_in and not notebook_dir.is_dir():
        warning = warning or (
            f"{repo.open_in} is not in the clone of {git.safe_url(repo.url)}; "
            f"Jupyter opens in {dest} instead."
        )
        notebook_dir = dest
    return CourseResult(
        repo.name,
        repo.url,
        dest,
        notebook_dir,
        action,
        tuple(changes),
        warning,
        git.head(dest),
        code_dir,
    )


def get_course(
    repo: CourseRepo, code_dir: Path, on_line: Callable[[str], None] = _ignore
) -> CourseResult:
    """Clone repo into code_dir/<folder> (shallow), or reuse the clone that is already there."""
    dest = code_dir / repo.folder
    if git.is_clone(dest):
        _check_origin(repo, dest)
        return _result(repo, code_dir, "present", git.local_changes(dest))
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DlboxError(
            f"{dest} already exists and is not a git clone; dlbox will not overwrite it.",
            f"Move {dest} aside, then run `dlbox course get {repo.name}` again.",
        )
    try:
        code_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the code folder {code_dir}: {exc.strerror or exc}.",
            "Set code_dir to a folder you can write: `dlbox config set code_dir PATH`.",
        ) from exc
    # Clone beside the destination and rename when complete: a clone killed half-way (timeout,
    # Ctrl-C) never leaves a .git that a later run would take for a finished course.
    staging = Path(tempfile.mkdtemp(prefix=f".dlbox-clone-{repo.folder}+", dir=code_dir))
    # Credentials in the URL reach git through its environment, never argv or .git/config.
    clean_url, auth_options, secret_env = git.split_credentials(repo.url)
    argv = [
        "git",
        *auth_options,
        "clone",
        "--progress",
        "--depth",
        "1",
        *(["--branch", repo.ref] if repo.ref else []),
        "--",
        clean_url,
        str(staging / "repo"),
    ]
    try:
        rc, lines, log = git.streamed(
            argv,
            cwd=code_dir,
            log_name=f"course-clone-{repo.folder}",
            timeout=git.CLONE_TIMEOUT,
            on_line=on_line,
            secret_env=secret_env,
        )
        if rc != 0:
            what = repo.name if repo.name in CATALOG else git.safe_url(repo.url)
            retry = f"dlbox course get {what}"
            raise git.failure("clone", repo.url, argv, rc, lines, log, retry)
        if dest.exists():
            dest.rmdir()  # checked empty above
        (staging / "repo").rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _result(repo, code_dir, "cloned", [])


def update_course(
    repo: CourseRepo, code_dir: Path, on_line: Callable[[str], None] = _ignore
) -> CourseResult:
    """`git pull --ff-only` in the clone; refuses while tracked files have local changes."""
    dest = code_dir / repo.folder
    if not git.is_clone(dest):
        raise DlboxError(
            f"{repo.name} is not cloned yet (no git clone at {dest}).",
            f"Run `dlbox course get {repo.name}` first.",
        )
    _check_origin(repo, dest)
    changes = git.local_changes(dest)
    tracked = [line for line in changes if not line.startswith("??")]
    if tracked:
        shown = "\n".join("  " + line for line in tracked[:10])
        more = f"\n  ... and {len(tracked) - 10} more" if len(tracked) > 10 else ""
        raise DlboxError(
            f"{dest} has local changes, so dlbox will not update it:\n{shown}{more}",
            f"Keep your work first: copy the notebooks elsewhere, or `git -C {dest} stash` (or "
            f"commit), then run `dlbox course update {repo.name}` again.",
        )
    before = git.head(dest)
    argv = ["git", "pull", "--ff-only", "--progress"]
    rc, lines, log = git.streamed(
        argv,
        cwd=dest,
        log_name=f"course-update-{repo.folder}",
        timeout=git.PULL_TIMEOUT,
        on_line=on_line,
    )
    if rc != 0:
        raise git.failure(
            "update", repo.url, argv, rc, lines, log, f"dlbox course update {repo.name}"
        )
    after = git.head(dest)
    return _result(repo, code_dir, "updated" if after != before else "unchanged", changes)


def clones_in(code_dir: Path) -> list[CourseRepo]:
    """Every git clone directly inside code_dir, as repos (catalog entries where they match)."""
    found = []
    for folder in sorted(code_dir.iterdir()) if code_dir.is_dir() else []:
        if folder.is_dir() and git.is_clone(folder):
            url = git.normalize_url(git.origin_url(folder))
            known = [
                r
                for r in CATALOG.values()
                if r.folder == folder.name and git.normalize_url(r.url) == url
            ]
            found.append(known[0] if known else CourseRepo(folder.name, url, folder.name))
    return found


def update_targets(settings: Settings, spec: str | None) -> list[CourseRepo]:
    """What `dlbox course update [NAME]` updates: NAME, else the configured course, else every
    clone in code_dir."""
    if spec:
        try:
            return [resolve_course(spec)]
        except UsageError:
            # Not a catalog name or URL: maybe the folder name of a clone (`course update notes`).
            found = [r for r in clones_in(Path(settings["code_dir"])) if r.folder == spec]
            if not found:
                raise
            return found
    if settings["course"]:
        return [configured_repo(settings)]
    code_dir = Path(settings["code_dir"])
    found = clones_in(code_dir)
    if not found:
        raise DlboxError(
            f"There are no course clones in {code_dir} to update.",
            "Clone one with `dlbox course get NAME` (`dlbox course list` shows them).",
        )
    return found


def configured_repo(settings: Settings) -> CourseRepo:
    try:
        return resolve_course(str(settings["course"]))
    except UsageError as exc:
        raise ConfigError(
            f"Setting 'course' (from {settings.source('course')}): {exc.message}", exc.hint
        ) from exc


@dataclass(frozen=True)
class CourseEntry:
    repo: CourseRepo
    path: Path
    cloned: bool
    configured: bool

    def to_dict(self) -> dict[str, object]:
        return {
            **self.repo.to_dict(),
            "path": str(self.path),
            "cloned": self.cloned,
            "configured": self.configured,
        }


def list_courses(settings: Settings) -> list[CourseEntry]:
    """The catalog, the configured course and any other clone in code_dir, with their state."""
    code_dir = Path(settings["code_dir"])
    configured = configured_repo(settings) if settings["course"] else None
    repos = list(CATALOG.values())
    for extra in ([configured] if configured else []) + clones_in(code_dir):
        if all(r.folder != extra.folder for r in repos):
            repos.append(extra)
    return [
        CourseEntry(
            r,
            code_dir / r.folder,
            git.is_clone(code_dir / r.folder),
            configured is not None and configured.folder == r.folder,
        )
        for r in repos
    ]


def ensure_course(settings: Settings, on_line: Callable[[str], None] = _ignore) -> CourseResult:
    """For `up`: make sure the configured course is cloned. Never raises for git or network
    trouble (offline, remote gone, folder in the way): the result carries a warning instead, so
    Jupyter still starts. A course setting that names no known course is a ConfigError."""
    code_dir = Path(settings["code_dir"])
    subdir = str(settings["course_subdir"] or "").strip("/")
    if not settings["course"]:
        return CourseResult(
            "", "", None, code_dir / subdir if subdir else code_dir, "none", code_dir=code_dir
        )
    repo = configured_repo(settings)
    try:
        result = get_course(repo, code_dir, on_line)
    except DlboxError as exc:
        dest = code_dir / repo.folder
        have = git.is_clone(dest)
        warning = exc.message + (f" {exc.hint}" if exc.hint else "")
        return CourseResult(
            repo.name,
            repo.url,
            dest if have else None,
            code_dir / subdir if subdir else (dest if have else code_dir),
            "skipped",
            warning=warning,
            code_dir=code_dir,
        )
    if subdir:
        return CourseResult(
            result.name,
            result.url,
            result.path,
            code_dir / subdir,
            result.action,
            result.local_changes,
            result.warning,
            result.head,
            code_dir,
        )
    return result
