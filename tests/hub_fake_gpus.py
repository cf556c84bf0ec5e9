"""A DockerSpawner for tests on machines without GPUs: the engine's device requests are faked
at the spawner's boundary with the engine only. dlbox's spawner decides the GPUs and builds the
request as always; this records the request in a label and removes it before the (real) engine
creates the (real) container, which could not get a GPU here."""

from __future__ import annotations

import json
from typing import Any

from dlbox.hub.spawner import DlboxDockerSpawner

REQUESTS_LABEL = "io.dlbox.test.device-requests"


class FakeGpuSpawner(DlboxDockerSpawner):
    async def docker(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if method == "create_container":
            host = kwargs.get("host_config") or {}
            requests = host.pop("DeviceRequests", None)
            labels = dict(kwargs.get("labels") or {})
            labels[REQUESTS_LABEL] = json.dumps(requests)
            kwargs["labels"] = labels
        return await super().docker(method, *args, **kwargs)
