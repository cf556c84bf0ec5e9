"""The CDI spec generator against a fake driver tree (fake /dev entries, library folders and an
`ldconfig -p` listing them), validated with the CDI project's own JSON schema."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT7
from typer.testing import CliRunner

from dlbox.cli.app import app
from dlbox.errors import DlboxError
from dlbox.gpu import cdi

SCHEMA_DIR = Path(__file__).parents[2] / "fixtures" / "cdi-schema"
DRIVER = "550.54.15"


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMA_DIR / "schema.json").read_text())
    defs = json.loads((SCHEMA_DIR / "defs.json").read_text())
    registry: Registry = Registry().with_resource("defs.json", DRAFT7.create_resource(defs))
    return jsonschema.Draft7Validator(schema, registry=registry)


def fake_tree(root: Path, gpus: int = 2, arch_dir: str = "x86_64-linux-gnu") -> tuple[Path, str]:
    """/dev with GPU and control nodes, a library folder with the driver's files, and what
    `ldconfig -p` says about them (plus entries dlbox must leave out)."""
    dev = root / "dev"
    dev.mkdir()
    for name in [f"nvidia{i}" for i in range(gpus)] + [
        "nvidiactl",
        "nvidia-uvm",
        "nvidia-uvm-tools",
    ]:
        (dev / name).write_text("")
    (dev / "nvidia-caps").mkdir()
    (dev / "null").write_text("")
    lib = root / "usr" / "lib" / arch_dir
    lib.mkdir(parents=True)
    listing = [f"{len(cdi.DRIVER_LIBRARIES) + 2} libs found in cache `/etc/ld.so.cache'"]
    abi = "x86-64" if arch_dir.startswith("x86_64") else "AArch64"
    for base in ("libcuda.so", "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so"):
        real = lib / f"{base}.{DRIVER}"
        real.write_text("ELF")
        (lib / f"{base}.1").symlink_to(real.name)
        listing.append(f"\t{base}.1 (libc6,{abi}) => {lib / (base + '.1')}")
    listing.append(f"\tlibcuda.so.1 (libc6) => {root}/usr/lib/i386-linux-gnu/libcuda.so.1")
    listing.append(f"\tlibz.so.1 (libc6,{abi}) => {lib}/libz.so.1")
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "nvidia-smi").write_text("#!/bin/sh\n")
    return dev, "\n".join(listing) + "\n"


def _spec(tmp_path: Path, arch: str = "x86_64") -> dict[str, object]:
    arch_dir = f"{arch}-linux-gnu"
    dev, listing = fake_tree(tmp_path, arch_dir=arch_dir)
    files = cdi.find_driver_files(dev, listing, arch, [tmp_path / "usr" / "bin"])
    return cdi.build_spec(files, arch)


def test_spec_is_valid_cdi_with_devices_per_index_and_all(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    _validator().validate(spec)
    assert spec["cdiVersion"] == "0.5.0" and spec["kind"] == "nvidia.com/gpu"
    devices = {d["name"]: d["containerEdits"]["deviceNodes"] for d in spec["devices"]}  # type: ignore[index,union-attr,attr-defined]
    assert list(devices) == ["0", "1", "all"]
    assert devices["1"] == [{"path": "/dev/nvidia1", "hostPath": str(tmp_path / "dev/nvidia1")}]
    assert [n["path"] for n in devices["all"]] == ["/dev/nvidia0", "/dev/nvidia1"]
    # The schema does bite: a device without containerEdits is refused.
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate({**spec, "devices": [{"name": "0"}]})


def test_common_edits_hold_control_nodes_libraries_tools(tmp_path: Path) -> None:
    edits = _spec(tmp_path)["containerEdits"]
    assert isinstance(edits, dict)
    nodes = [n["path"] for n in edits["deviceNodes"]]
    assert nodes == ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"]
    mounts = {m["containerPath"]: m for m in edits["mounts"]}
    lib = "/usr/lib/x86_64-linux-gnu"
    assert set(mounts) == {
        f"{lib}/libcuda.so.1",
        f"{lib}/libnvidia-ml.so.1",
        f"{lib}/libnvidia-ptxjitcompiler.so.1",
        "/usr/bin/nvidia-smi",
    }  # not the i386 libcuda, not libz
    cuda = mounts[f"{lib}/libcuda.so.1"]
    assert cuda["hostPath"] == str(tmp_path / "usr/lib/x86_64-linux-gnu/libcuda.so.1")
    assert cuda["options"] == ["ro", "nosuid", "nodev", "bind"]
    assert edits["env"] == [f"TRITON_LIBCUDA_PATH={lib}"]


def test_aarch64_takes_the_aarch64_libraries(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "aarch64")
    _validator().validate(spec)
    paths = [m["containerPath"] for m in spec["containerEdits"]["mounts"]]  # type: ignore[index]
    assert "/usr/lib/aarch64-linux-gnu/libcuda.so.1" in paths


def test_the_yaml_says_the_same_as_the_data(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    text = cdi.render_yaml(spec, "a note\non two lines")
    assert text.startswith('# a note\n# on two lines\ncdiVersion: "0.5.0"\n')
    assert yaml.safe_load(text) == spec
    _validator().validate(yaml.safe_load(text))


def test_the_version_is_the_oldest_that_allows_these_devices() -> None:
    # CDI 0.5.0 added device names that start with a digit and hostPath on device nodes; 0.6.0
    # (annotations, dotted classes) is not needed, so older engines still read the spec.
    assert cdi.CDI_VERSION == "0.5.0"


def test_no_gpu_nodes_is_a_clear_error(tmp_path: Path) -> None:
    dev, listing = fake_tree(tmp_path, gpus=0)
    files = cdi.find_driver_files(dev, listing, "x86_64", [])
    with pytest.raises(DlboxError) as err:
        cdi.plan_spec(files, "x86_64", tmp_path / "cdi")
    assert "No NVIDIA GPU device nodes" in err.value.message


def test_no_libcuda_is_a_clear_error(tmp_path: Path) -> None:
    dev, _ = fake_tree(tmp_path)
    files = cdi.find_driver_files(dev, "", "x86_64", [])
    with pytest.raises(DlboxError) as err:
        cdi.plan_spec(files, "x86_64", tmp_path / "cdi")
    assert "libcuda.so.1" in err.value.message and "ldconfig" in (err.value.hint or "")


def test_write_is_atomic_and_world_readable(tmp_path: Path) -> None:
    dev, listing = fake_tree(tmp_path)
    files = cdi.find_driver_files(dev, listing, "x86_64", [])
    plan = cdi.plan_spec(files, "x86_64", tmp_path / "cdi", DRIVER)
    assert not plan.path.exists() and not plan.written
    done = cdi.write_spec(plan)
    assert done.written and done.path.read_text() == plan.text
    assert stat.S_IMODE(done.path.stat().st_mode) == 0o644
    assert os.listdir(done.path.parent) == [cdi.SPEC_FILE]
    assert f"driver {DRIVER}" in done.path.read_text().splitlines()[0]


def test_a_toolkit_spec_beside_it_is_refused(tmp_path: Path) -> None:
    dev, listing = fake_tree(tmp_path)
    folder = tmp_path / "cdi"
    folder.mkdir()
    (folder / "nvidia.yaml").write_text('cdiVersion: "0.5.0"\nkind: nvidia.com/gpu\n')
    files = cdi.find_driver_files(dev, listing, "x86_64", [])
    plan = cdi.plan_spec(files, "x86_64", folder)
    assert plan.conflicts == (folder / "nvidia.yaml",)
    with pytest.raises(DlboxError) as err:
        cdi.write_spec(plan)
    assert "nvidia.yaml" in err.value.message
    assert not (folder / cdi.SPEC_FILE).exists()


def test_target_folder_is_etc_cdi_for_root_else_the_users() -> None:
    assert cdi.target_dir(True) == Path("/etc/cdi")
    assert cdi.target_dir(False, {"HOME": "/home/ann"}) == Path("/home/ann/.config/cdi")
    assert cdi.target_dir(False, {"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path("/x/cdi")


def test_cli_shows_then_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev, listing = fake_tree(tmp_path)
    monkeypatch.setattr(cdi, "DEV", dev)
    monkeypatch.setattr(cdi, "read_ldconfig", lambda: listing)
    runner = CliRunner()
    shown = runner.invoke(app, ["gpu", "cdi", "--dir", str(tmp_path / "cdi")])
    assert shown.exit_code == 0, shown.output
    assert 'kind: "nvidia.com/gpu"' in shown.output
    assert f"would write {tmp_path / 'cdi' / cdi.SPEC_FILE}" in shown.output.replace("\n", "")
    assert not (tmp_path / "cdi").exists()
    wrote = runner.invoke(app, ["gpu", "cdi", "--write", "--json", "--dir", str(tmp_path / "cdi")])
    doc = json.loads(wrote.stdout)
    assert doc["written"] is True and doc["devices"] == ["0", "1", "all"]
    assert (tmp_path / "cdi" / cdi.SPEC_FILE).read_text() == doc["spec"]
