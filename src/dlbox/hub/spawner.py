"""The DockerSpawner that dlbox's hub configures: a port per spawn on 127.0.0.1 (host network),
and GPUs given out per user by policy. Loaded inside the hub process only (`dlbox[hub]`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from dockerspawner import DockerSpawner  # type: ignore[import-untyped]
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from traitlets import List, Unicode

from dlbox.hub.gpu_assign import POLICIES, GpusTaken, assign_gpus, host_config_for, visible_devices
from dlbox.hub.plan import free_loopback_port

GPU_LABEL = "io.dlbox.gpus"
PORT_LABEL = "io.dlbox.port"
USER_LABEL = "io.dlbox.hub-user"


class DlboxDockerSpawner(DockerSpawner):  # type: ignore[misc]
    gpu_policy = Unicode("round-robin", help=f"One of {', '.join(POLICIES)}.").tag(config=True)
    gpu_mode = Unicode("none", help="The probe's GPU mechanism: none, gpus, cdi, runtime.").tag(
        config=True
    )
    gpu_ids = List(Unicode(), help="GPU ids the probe found (empty: no GPU).").tag(config=True)

    # server key -> GPU ids its running container holds (this hub process is the only giver).
    held: ClassVar[dict[str, tuple[str, ...]]] = {}
    dlbox_gpus: tuple[str, ...] = ()  # this spawn's GPUs
    _configured: tuple[dict[str, Any], dict[str, Any]] | None = None

    @property
    def server_key(self) -> str:
        return f"{self.user.name}/{self.name}" if self.name else str(self.user.name)

    def choose_gpus(self) -> tuple[str, ...]:
        return assign_gpus(self.gpu_policy, list(self.gpu_ids), self.held, self.server_key)

    async def start(self) -> Any:
        try:
            self.dlbox_gpus = self.choose_gpus()
        except GpusTaken as exc:
            # An HTTPError's message is what the hub shows the user (and its REST API returns).
            raise web.HTTPError(503, f"{exc.message} {exc.hint}") from None
        self.held[self.server_key] = self.dlbox_gpus
        # Host network: the server binds 127.0.0.1 on a port of its own, chosen now.
        self.ip = "127.0.0.1"
        self.port = free_loopback_port()
        try:
            found = await super().start()
            await self.until_answering()
            return found
        except BaseException:
            self.held.pop(self.server_key, None)
            raise

    async def until_answering(self, every: float = 0.05) -> None:
        """Wait here, polling every 50 ms, until the new server answers: the hub's own check
        backs off exponentially (0.2 s, 0.4 s, ... 5 s) and would see it seconds late. Returns
        early if the container stops (the hub then reports the failure) or at the timeout."""
        client = AsyncHTTPClient()
        url = f"http://127.0.0.1:{int(self.port)}{self.server.base_url}api"
        deadline = time.monotonic() + float(self.http_timeout)
        checked = time.monotonic()
        while time.monotonic() < deadline:
            try:
                await client.fetch(url, request_timeout=2, follow_redirects=False)
                return
            except (HTTPClientError, OSError):
                pass
            if time.monotonic() - checked > 1:
                checked = time.monotonic()
                if await self.poll() is not None:
                    return
            await asyncio.sleep(every)

    async def stop(self, now: bool = False) -> Any:
        try:
            return await super().stop(now=now)
        finally:
            self.held.pop(self.server_key, None)

    async def get_ip_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", int(self.port)

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        env["CUDA_VISIBLE_DEVICES"] = visible_devices(self.dlbox_gpus)
        if self.gpu_mode == "runtime" and self.dlbox_gpus:
            env["NVIDIA_VISIBLE_DEVICES"] = ",".join(self.dlbox_gpus)
            env["NVIDIA_DRIVER_CAPABILITIES"] = "compute,utility"
        return env

    async def create_object(self) -> Any:
        # The configured host config and create arguments, plus this spawn's GPUs and labels
        # (kept apart from the configured ones, so one spawn's GPUs never leak into the next).
        if self._configured is None:
            self._configured = (
                dict(getattr(self, "extra_host_config") or {}),  # noqa: B009 - traitlets
                dict(getattr(self, "extra_create_kwargs") or {}),  # noqa: B009
            )
        host, create = dict(self._configured[0]), dict(self._configured[1])
        gpus = self.dlbox_gpus
        host.update(host_config_for(self.gpu_mode, gpus))
        create["labels"] = {
            **dict(create.get("labels") or {}),
            USER_LABEL: str(self.user.name),
            GPU_LABEL: ",".join(gpus) or "none",
            PORT_LABEL: str(self.port),
        }
        setattr(self, "extra_host_config", host)  # noqa: B010 - traitlets
        setattr(self, "extra_create_kwargs", create)  # noqa: B010
        return await super().create_object()
