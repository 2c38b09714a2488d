"""Controllable in-memory services for the isolation tests (no sockets, virtual time).

A `FakeService` is started like a real one (`serve(cfg, task_status=...)`), reports ready
with a `FakeHandle`, then answers `ask()` over a memory channel inside its own nursery, as
the real adapters run their loops.  What each start does is scripted (`script`, one entry
per start, then "ready" for good): "ready" serves until `crash(exc)` is called, "crash"
raises right after reporting ready, "return" returns after ready, "fail-start" raises a
FileSystemError before ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import trio

from lanctl.errors import FileSystemError


class FakeHandle:
    """What the supervisor gets from a start: `generation` says which start it was."""

    def __init__(self, name: str, generation: int) -> None:
        self.name = name
        self.generation = generation
        self.reloads = 0
        self.reload_error: Exception | None = None

    def stats(self) -> dict[str, Any]:
        return {"generation": self.generation, "reloads": self.reloads}

    def reload(self) -> None:
        if self.reload_error is not None:
            raise self.reload_error
        self.reloads += 1

    def control(self, command: str, args: dict[str, Any]) -> Any:
        if command == "echo":
            return {"generation": self.generation, **args}
        raise KeyError(command)

    def log_stats(self) -> list[str]:
        return [f"{self.name} fake: generation {self.generation}"]


class FakeService:
    def __init__(self, name: str, script: Sequence[str] = ()) -> None:
        self.name = name
        self.script = list(script)
        self.starts: list[float] = []  # trio time of each start
        self.crashes: list[float] = []  # trio time of each crash asked by crash()
        self.handles: list[FakeHandle] = []
        self.running = 0  # instances inside their serving loop right now
        self._crash: trio.Event | None = None
        self._crash_with: BaseException | None = None
        self._requests: trio.MemorySendChannel[tuple[str, trio.MemorySendChannel[str]]] | None
        self._requests = None

    def crash(self, exc: BaseException) -> None:
        """Make the serving instance raise `exc` from inside its nursery."""
        assert self._crash is not None, f"{self.name} is not serving"
        self._crash_with = exc
        self._crash.set()

    async def ask(self, text: str) -> str:
        """A round trip through the serving instance (fails if none is serving)."""
        assert self._requests is not None, f"{self.name} is not serving"
        reply_send, reply_recv = trio.open_memory_channel[str](1)
        await self._requests.send((text, reply_send))
        return await reply_recv.receive()

    async def serve(
        self, cfg: object, ctx: object = None, *, task_status: Any = trio.TASK_STATUS_IGNORED
    ) -> None:
        self.starts.append(trio.current_time())
        mode = self.script.pop(0) if self.script else "ready"
        if mode == "fail-start":
            raise FileSystemError(f"{self.name} root inaccessible")
        handle = FakeHandle(self.name, len(self.starts))
        self.handles.append(handle)
        requests_send, requests_recv = trio.open_memory_channel[
            tuple[str, trio.MemorySendChannel[str]]
        ](0)
        crash = trio.Event()
        task_status.started(handle)
        if mode == "crash":
            raise RuntimeError(f"{self.name} crashed")
        if mode == "return":
            return
        self._crash, self._requests = crash, requests_send
        self.running += 1
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._answer, requests_recv, handle.generation)
                await crash.wait()
                self.crashes.append(trio.current_time())
                assert self._crash_with is not None
                raise self._crash_with
        finally:
            self.running -= 1
            self._crash, self._requests = None, None

    async def _answer(
        self,
        requests: trio.MemoryReceiveChannel[tuple[str, trio.MemorySendChannel[str]]],
        generation: int,
    ) -> None:
        async for text, reply in requests:
            await reply.send(f"{text} from {self.name} #{generation}")
