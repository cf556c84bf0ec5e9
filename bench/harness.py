"""Shared plumbing for the ratio benchmarks: the engine, timed builds, cleanup of what a run
made (images by tag, build-cache records by a per-run nonce), and the results table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dlbox.engines.base import BuildRequest
from dlbox.engines.detect import select_engine
from dlbox.engines.docker import DockerEngine
from dlbox.image.ca import CaBundle, detect_ca_bundle
from dlbox.image.render import CA_SECRET_ID

ROOT = Path(__file__).resolve().parents[1]
TINY_LOCKS = ROOT / "tests" / "fixtures" / "tiny-env" / "locks"


@dataclass
class Row:
    name: str
    dlbox: float | None
    baseline: float | None
    unit: str
    goal: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.dlbox is None or not self.baseline:
            return None
        return self.dlbox / self.baseline


@dataclass
class Bench:
    quick: bool
    engine: DockerEngine
    ca: CaBundle
    nonce: str = field(default_factory=lambda: f"{os.getpid()}-{int(time.time())}")
    rows: list[Row] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # images this run made
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dlbox-bench-")))

    @classmethod
    def create(cls, quick: bool) -> Bench:
        engine = select_engine("docker").container
        if not isinstance(engine, DockerEngine):
            raise SystemExit("bench: needs a Docker engine with BuildKit")
        return cls(quick=quick, engine=engine, ca=detect_ca_bundle())

    @property
    def marker(self) -> str:
        """A no-op shell word put in every RUN of this run's cold builds: no cache can match it,
        and this run's build-cache records can be found (and only they pruned) by it."""
        return f": dlbox-bench-{self.nonce} &&"

    def docker(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.engine.client, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def build(self, context: Path, tag: str, *, no_cache: bool = False) -> float:
        """Seconds for a BuildKit build of context (CA secret, host network, as dlbox does)."""
        secrets = ((CA_SECRET_ID, self.ca.path),) if self.ca.path else ()
        request = BuildRequest(
            context_dir=context, tag=tag, secrets=secrets, network="host", no_cache=no_cache
        )
        argv, env = self.engine.build_argv(request)
        log = self.log_dir / f"{tag.replace(':', '_').replace('/', '_')}.log"
        start = time.perf_counter()
        with open(log, "w") as fh:
            done = subprocess.run(
                argv,
                env={**os.environ, **env},
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=3600,
            )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            tail = "\n".join(log.read_text().splitlines()[-25:])
            raise SystemExit(f"bench: building {tag} failed (log {log}):\n{tail}")
        self.tags.append(tag)
        return seconds

    def image_size(self, tag: str) -> int:
        return int(self.docker("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())

    def layers(self, tag: str) -> list[str]:
        out = self.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", tag)
        found: list[str] = json.loads(out.stdout or "[]")
        return found

    def mark_runs(self, dockerfile: str) -> str:
        """Every RUN of a Dockerfile with this run's marker in front of its command."""
        pattern = r"^RUN((?:[ \t]+--mount=\S+[ \t]*\\\n)*(?:[ \t]+--mount=\S+)?)[ \t]+"
        return re.sub(pattern, lambda m: f"RUN{m.group(1)} {self.marker} ", dockerfile, flags=re.M)

    def cleanup(self) -> None:
        """Remove the images this run tagged and its own build-cache records (by marker)."""
        for tag in dict.fromkeys(self.tags):
            self.docker("rmi", "--force", tag)
        out = self.docker("system", "df", "-v", "--format", "{{json .BuildCache}}", timeout=120)
        try:
            records = json.loads(out.stdout or "[]") or []
        except json.JSONDecodeError:
            records = []
        mine = [r["ID"] for r in records if f"dlbox-bench-{self.nonce}" in r.get("Description", "")]
        for record in mine:
            self.docker("builder", "prune", "--force", "--filter", f"id={record}", timeout=300)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  {row.name}: dlbox {fmt(row.dlbox, row.unit)}, baseline "
            f"{fmt(row.baseline, row.unit)}" + (f" ({row.note})" if row.note else ""),
            file=sys.stderr,
            flush=True,
        )


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "GB":
        return f"{value:.2f} GB"
    if unit == "MB/s":
        return f"{value:.0f} MB/s"
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{value:.1f} s"


def table(rows: list[Row]) -> str:
    lines = ["| benchmark | dlbox | baseline | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "n/a"
        met = "n/a" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(
            f"| {r.name} | {fmt(r.dlbox, r.unit)} | {fmt(r.baseline, r.unit)} | "
            f"{ratio} | {r.goal} | {met} |"
        )
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    return "\n".join(lines) + ("\n\n" + "\n".join(notes) if notes else "") + "\n"
