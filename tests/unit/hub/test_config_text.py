"""The generated jupyterhub_config.py: valid Python that sets what the hub needs, no secret."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from traitlets.config import Config

from dlbox.hub.config_text import HubConfig, render_config


def config(tmp_path: Path, **changes: Any) -> HubConfig:
    base: dict[str, Any] = dict(
        state_dir=tmp_path,
        image="dlbox-env:abc123",
        port=8000,
        hub_port=8081,
        api_port=8001,
        admin="teacher",
        data_dir=Path("/srv/data"),
        shm_bytes=2 * 1024**3,
        python="/opt/venv/bin/python",
    )
    base.update(changes)
    return HubConfig(**base)


def load(text: str, tmp_path: Path) -> Config:
    (tmp_path / "service_token").write_text("s3cret-service-token\n")
    c = Config()
    exec(compile(text, "jupyterhub_config.py", "exec"), {"get_config": lambda: c})
    return c


def test_config_is_python_and_sets_the_spawner_as_asked(tmp_path: Path) -> None:
    text = render_config(config(tmp_path, mem_limit="8G", cpu_limit=2.0, gpu_ids=("0", "1")))
    c = load(text, tmp_path)
    assert c.JupyterHub.spawner_class == "dlbox.hub.spawner.DlboxDockerSpawner"
    assert c.DockerSpawner.image == "dlbox-env:abc123"
    assert c.DockerSpawner.pull_policy == "never"
    assert c.DockerSpawner.cmd == ["jupyterhub-singleuser"]
    assert c.DockerSpawner.network_name == "host"
    assert c.DockerSpawner.volumes == {
        "dlbox-hub-{username}-code": "/code",
        "/srv/data": {"bind": "/data", "mode": "ro"},
    }
    assert c.DockerSpawner.extra_host_config == {"shm_size": 2 * 1024**3, "init": True}
    assert c.DockerSpawner.extra_create_kwargs["user"] == "1000:1000"
    assert c.DockerSpawner.extra_create_kwargs["labels"] == {"io.dlbox.hub": str(tmp_path)}
    assert c.DockerSpawner.mem_limit == "8G"
    assert c.DockerSpawner.cpu_limit == 2.0
    assert c.DlboxDockerSpawner.gpu_ids == ["0", "1"]
    assert c.DlboxDockerSpawner.gpu_policy == "round-robin"


def test_hub_binds_loopback_and_proxy_is_dlboxs(tmp_path: Path) -> None:
    c = load(render_config(config(tmp_path)), tmp_path)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000/"
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:8081/"
    assert c.ConfigurableHTTPProxy.should_start is False
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8001"
    assert c.JupyterHub.cookie_secret_file == str(tmp_path / "cookie_secret")


def test_no_secret_in_the_text_and_services_read_it_from_the_file(tmp_path: Path) -> None:
    text = render_config(config(tmp_path))
    assert "s3cret" not in text
    c = load(text, tmp_path)
    service, culler = c.JupyterHub.services
    assert service == {"name": "dlbox", "api_token": "s3cret-service-token"}
    assert culler["command"] == [
        "/opt/venv/bin/python",
        "-m",
        "jupyterhub_idle_culler",
        "--timeout=3600",
        "--cull-every=60",
    ]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert "delete:servers" in roles["dlbox-idle-culler"]["scopes"]
    assert "admin:servers" in roles["dlbox-service"]["scopes"]


def test_native_auth_admin_approves_and_pam_option(tmp_path: Path) -> None:
    c = load(render_config(config(tmp_path)), tmp_path)
    assert c.JupyterHub.authenticator_class == "dlbox.hub.auth.DlboxNativeAuthenticator"
    assert c.Authenticator.admin_users == {"teacher"}
    assert c.NativeAuthenticator.open_signup is False
    pam = load(render_config(config(tmp_path, authenticator="pam")), tmp_path)
    assert pam.JupyterHub.authenticator_class == "pam"
    assert pam.Authenticator.allow_existing_users is True
    assert "allow_all" not in pam.Authenticator


def test_course_seed_and_tls_url(tmp_path: Path) -> None:
    cfg = config(tmp_path, course_dir=Path("/srv/course"), tls=True, host="0.0.0.0", port=443)
    c = load(render_config(cfg), tmp_path)
    assert c.DockerSpawner.volumes["/srv/course"] == {"bind": "/opt/dlbox/course", "mode": "ro"}
    assert c.DockerSpawner.environment["DLBOX_COURSE_SEED"] == "/opt/dlbox/course"
    assert c.JupyterHub.bind_url == f"https://{socket.getfqdn()}:443/"  # what users open
    assert cfg.local_url == "https://127.0.0.1:443/"  # what dlbox polls


def test_same_settings_same_text(tmp_path: Path) -> None:
    assert render_config(config(tmp_path)) == render_config(config(tmp_path))


def test_dlbox_service_cannot_mint_user_tokens(tmp_path: Path) -> None:
    """Least privilege: dlbox's own token manages users and servers, never acts as a user."""
    c = load(render_config(config(tmp_path)), tmp_path)
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["dlbox-service"]["services"] == ["dlbox"]
    assert set(roles["dlbox-service"]["scopes"]) == {
        "admin:users",
        "admin:servers",
        "list:users",
        "read:users",
    }
    assert not any("tokens" in s for r in roles.values() for s in r["scopes"])


def test_extra_config_runs_last_and_can_add_a_service(tmp_path: Path) -> None:
    extra = tmp_path / "extra.py"
    extra.write_text(
        "c.JupyterHub.services.append({'name': 'tester', 'api_token': 'from-extra'})\n"
        "c.JupyterHub.load_roles.append(\n"
        "    {'name': 'tester', 'services': ['tester'], 'scopes': ['tokens']})\n"
        "c.DockerSpawner.start_timeout = 60\n"
    )
    text = render_config(config(tmp_path, extra_config=extra))
    c = load(text, tmp_path)
    assert [s["name"] for s in c.JupyterHub.services] == ["dlbox", "idle-culler", "tester"]
    assert c.JupyterHub.load_roles[-1]["scopes"] == ["tokens"]
    assert c.DockerSpawner.start_timeout == 60  # after dlbox's own 300
    assert "from-extra" not in text  # the file is read by the hub, not copied in
    assert "exec(" not in render_config(config(tmp_path))


def test_podman_socket_is_the_spawners_docker_host(tmp_path: Path) -> None:
    podman = config(tmp_path, docker_host="unix:///run/podman/podman.sock")
    c = load(render_config(podman), tmp_path)
    assert c.DockerSpawner.client_kwargs == {"base_url": "unix:///run/podman/podman.sock"}
    assert load(render_config(config(tmp_path)), tmp_path).DockerSpawner.client_kwargs == {}
