"""The device side of the dashboard: one DeviceLink, its requests run one at
a time on a worker thread (the link matches replies by sequence number and
is not for concurrent callers), its unsolicited lines (telemetry, alarms,
events, a boot banner) handed to the event loop with the wall time the host
took them off the port."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from ..errors import DeviceLost
from ..link import DeviceLink
from ..telemetry import Message

T = TypeVar("T")


class DeviceBridge:
    def __init__(self, link: DeviceLink, loop: asyncio.AbstractEventLoop,
                 on_message: Callable[[Message, float], None], on_lost: Callable[[str], None]):
        self.link = link
        self._loop = loop
        self._on_message = on_message
        self._on_lost = on_lost
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vacuumctl-ui-link")
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._pump_messages, name="vacuumctl-ui-messages", daemon=True)

    def start(self) -> None:
        self._pump.start()

    async def request(self, text: str, timeout_s: float | None = None) -> str:
        """One command on the worker thread; ``ok`` text back, DeviceError etc. raised."""
        return await self.call(self.link.request, text, timeout_s)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Anything that talks to the link (the CLI's own helpers take the
        link and call request()): run it on the one worker thread."""
        return await self._loop.run_in_executor(self._worker, fn, *args)

    def _pump_messages(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.link.next_message(0.2)
            except DeviceLost as e:
                self._loop.call_soon_threadsafe(self._on_lost, str(e))
                return
            if msg is None:
                continue
            rx_ms = time.time() * 1000.0  # the host has the line: latency is measured from here
            try:
                self._loop.call_soon_threadsafe(self._on_message, msg, rx_ms)
            except RuntimeError:  # the loop has closed: shutting down
                return

    def close(self) -> None:
        self._stop.set()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self.link.close()
        if self._pump.is_alive():
            self._pump.join(timeout=1.0)
