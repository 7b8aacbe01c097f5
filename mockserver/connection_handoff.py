"""Connections handed to worker processes in turn by the process that accepts them.

Where every worker accepts on the shared listening socket, the kernel gives a new connection to whichever
worker wakes first, and an event loop accepts every connection waiting at once: connections opened
together can land mostly on one worker, whose requests then queue while the other idles.
Here, as in Node's cluster module, the supervisor alone accepts and passes each connection's file
descriptor to the next worker in turn over a Unix socket (`SCM_RIGHTS`); a worker wraps it in its
HTTP protocol as if it had accepted it itself. A worker that cannot take more for now (its socket's
buffer full: it is stuck) is passed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from typing import Any

import uvicorn

logger = logging.getLogger(__name__)

# One byte goes with each descriptor (a message cannot be empty).
_TOKEN = b"c"
# When accepting fails (out of descriptors or memory, or a defect), the supervisor stops accepting this
# long, as asyncio's servers do: the listener stays readable meanwhile, and trying again at once would spin.
ACCEPT_RETRY_DELAY = 1.0
# What Linux's accept() answers for a connection that failed while it waited (accept(2), "Error
# handling"): to be treated as nothing waiting for it, and the next one taken.
_NETWORK_ERRORS = {
    errno.ENETDOWN,
    errno.EPROTO,
    errno.ENOPROTOOPT,
    errno.EHOSTDOWN,
    errno.EHOSTUNREACH,
    errno.EOPNOTSUPP,
    errno.ENETUNREACH,
    getattr(errno, "ENONET", errno.ENETDOWN),
}


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """(the supervisor's end, the worker's end) of a new channel; the supervisor's never blocks."""
    supervisor_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    supervisor_end.setblocking(False)
    return supervisor_end, worker_end


class Dealer:
    """The supervisor's side: listens on `listener` (bound), accepts every waiting connection and passes
    each to the next worker channel in turn (`channels`, which the supervisor may replace when a worker is
    restarted)."""

    def __init__(self, listener: socket.socket, channels: list[socket.socket], backlog: int) -> None:
        listener.listen(backlog)
        listener.setblocking(False)
        self.listener = listener
        self.channels = channels
        self._next = 0
        self._resting_until = 0.0

    @property
    def resting(self) -> bool:
        """Accepting stopped for `ACCEPT_RETRY_DELAY` after running out of descriptors or memory."""
        return time.monotonic() < self._resting_until

    def deal(self) -> None:
        """Hands out the connections waiting now; one no worker can take is closed."""
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if isinstance(exc, ConnectionAbortedError) or exc.errno in _NETWORK_ERRORS:
                    continue  # that connection failed before it was taken: the next one
                # Out of descriptors or memory, or a defect: no spinning, and the server stays up.
                logger.warning("cannot accept connections (%s): again in %g s", exc, ACCEPT_RETRY_DELAY)
                self._resting_until = time.monotonic() + ACCEPT_RETRY_DELAY
                return
            with conn:
                self._hand(conn)

    def _hand(self, conn: socket.socket) -> None:
        for _ in range(len(self.channels)):
            channel = self.channels[self._next]
            self._next = (self._next + 1) % len(self.channels)
            try:
                socket.send_fds(channel, [_TOKEN], [conn.fileno()])
            except OSError:  # full (a stuck worker), or closed (a dead one, not yet replaced)
                continue
            return


class HandedServer(uvicorn.Server):
    """A uvicorn worker that serves the connections its supervisor passes over `channel` instead of
    accepting on a socket of its own; otherwise uvicorn's server (its protocol, graceful shutdown)."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self._channel = channel
        self._connecting: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # no socket to listen on
        self._channel.setblocking(False)
        loop = asyncio.get_running_loop()
        loop.add_reader(self._channel.fileno(), self._take, loop)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self._channel.fileno())
        await super().shutdown(sockets)

    def _take(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                # One byte at a time: a read stops at each descriptor's message, so each comes alone.
                data, fds, _, _ = socket.recv_fds(self._channel, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            if not data:  # the supervisor is gone: it stops this worker too
                loop.remove_reader(self._channel.fileno())
                return
            for fd in fds:
                task = loop.create_task(self._connect(loop, socket.socket(fileno=fd)))
                self._connecting.add(task)
                task.add_done_callback(self._connecting.discard)

    async def _connect(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        conn.setblocking(False)
        try:
            await loop.connect_accepted_socket(self._protocol, conn)
        except OSError:  # closed by the client before it was taken
            with contextlib.suppress(OSError):
                conn.close()

    def _protocol(self) -> Any:
        # As uvicorn's `Server.startup` makes one for each connection it accepts.
        config = self.config
        return config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=self.server_state, app_state=self.lifespan.state
        )


def serve_handed(config: uvicorn.Config, channel: socket.socket, inherited: list[socket.socket]) -> None:
    """A forked worker's life: closes what it inherited and does not use (the listening socket, the
    supervisor's ends of the channels), so only the supervisor holds them, then serves until stopped."""
    for sock in inherited:
        sock.close()
    HandedServer(config, channel).run()
