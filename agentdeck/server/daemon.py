"""The session daemon: serves one repository's Session over a Unix socket (0600, in a 0700 directory).

Started by any CLI command that finds none running (`agentdeck daemon` does it by hand).
It holds an flock on `daemon.lock` for its whole life, so a second daemon for the same
repository exits at once and clients can tell a dead daemon's leftovers from a live one.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentdeck.api import Command, Enqueue, PlanSprint, StartSprint, Subscribe, parse_command
from agentdeck.config import Settings
from agentdeck.replies import Subscribed
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.session import Session, Subscription
from agentdeck.runtime.store import Store, StoreError
from agentdeck.server import protocol
from agentdeck.server.paths import SessionPaths
from agentdeck.text import one_line

# Flush a subscriber's socket once this much is buffered, not after every event.
_DRAIN_BYTES = 256 * 1024


class AlreadyRunning(Exception):
    pass


def acquire_lock(paths: SessionPaths) -> int:
    """Take the daemon lock and write the pid file; raise AlreadyRunning if another daemon has it."""
    paths.make_dir()
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise AlreadyRunning from None
        raise
    paths.pid.write_text(f"{os.getpid()}\n")
    return fd


class Daemon:
    def __init__(self, repo_root: Path, settings: Settings, paths: SessionPaths) -> None:
        self.repo_root = repo_root
        self.settings = settings
        self.paths = paths
        self.session: Session | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        # Replies still to come for slow commands (a strong reference: asyncio keeps tasks only weakly).
        self._answering: set[asyncio.Task] = set()
        self._ready = asyncio.Event()

    async def serve(self) -> None:
        store = Store(self.paths.db)
        session = self.session = Session(self.repo_root, self.settings, store)
        with contextlib.suppress(FileNotFoundError):
            self.paths.socket.unlink()  # a dead daemon's; we hold the lock, so it is not live
        # The socket is born 0600: no window where others may connect. umask is per process,
        # so this happens before any agent (or worker thread) exists.
        old_umask = os.umask(0o177)
        try:
            server = await asyncio.start_unix_server(
                self._handle, path=self.paths.socket_address(), limit=protocol.FRAME_LIMIT
            )
        finally:
            os.umask(old_umask)
        os.chmod(self.paths.socket, 0o600)
        await session.start()  # crash recovery first; clients wait for it in _handle
        self._ready.set()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(session.shutdown()))
        stop_inbox = asyncio.Event()
        inbox_task = asyncio.create_task(self._run_inbox(stop_inbox))
        print(f"agentdeck session daemon {os.getpid()} serving {self.repo_root}", file=sys.stderr, flush=True)
        try:
            await session.stopped.wait()
        finally:
            stop_inbox.set()
            server.close()
            with contextlib.suppress(FileNotFoundError):
                self.paths.socket.unlink()
            # Let followers receive the last events before their connection closes.
            await asyncio.sleep(0)
            for writer in list(self._writers):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.drain(), 2)
                writer.close()
            inbox_task.cancel()
            await asyncio.gather(inbox_task, return_exceptions=True)
            store.close()

    async def _run_inbox(self, stop: asyncio.Event) -> None:
        from agentdeck.runtime.inbox import Inbox, InboxTask

        session = self.session
        assert session is not None

        async def enqueue(item: InboxTask) -> str:
            reply = await session.execute(
                Enqueue(
                    task=item.task,
                    priority=item.priority,
                    after=item.after,
                    model=item.model,
                    source="inbox",
                    skills=item.skills,
                    role=item.role,
                )
            )
            return reply.task_id

        inbox = Inbox(self.settings.session.inbox_dir, enqueue, session.publish)
        try:
            inbox.prepare()
            _ignore_in_git(self.repo_root, self.settings.session.inbox_dir)
            await inbox.scan()
            await inbox.watch(stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the inbox is a convenience: never take the session down with it
            print(
                f"agentdeck: the inbox {inbox.directory} stopped working: {exc}", file=sys.stderr, flush=True
            )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: the hello, then requests until it leaves.

        Whatever a client sends, the daemon answers each line with a reply (an error reply
        that says what was wrong, for a bad one) or sends an `error` line and closes this
        connection; it never lets one client's bytes raise out of here.
        """
        await self._ready.wait()
        session = self.session
        assert session is not None
        self._writers.add(writer)
        pump: asyncio.Task | None = None
        try:
            try:
                line = await reader.readline()
            except ValueError:  # longer than FRAME_LIMIT
                await _send(writer, {"type": "error", "error": protocol.too_large()})
                return
            if not line:
                return  # gone before saying hello
            try:
                refusal = protocol.check_hello(protocol.decode(line))
            except protocol.ProtocolError as exc:
                refusal = f"{exc}; {protocol.HELLO_HINT}"
            if refusal:
                await _send(writer, {"type": "error", "error": _error_text(refusal)})
                return
            await _send(
                writer,
                {
                    "type": "welcome",
                    "protocol": protocol.PROTOCOL_VERSION,
                    "pid": os.getpid(),
                    "last_seq": session.store.last_seq,
                },
            )
            while True:
                try:
                    line = await reader.readline()
                except ValueError:
                    # Over FRAME_LIMIT: the rest of that line would be read as more requests, so
                    # this connection cannot go on; the error line says why it ends.
                    await _send(writer, {"type": "error", "error": protocol.too_large()})
                    return
                if not line:
                    return
                request_id, command, error = _parse_line(line)
                if error is not None:
                    await _send(
                        writer,
                        {"type": "reply", "id": request_id, "ok": False, "error": error, "code": "usage"},
                    )
                    continue
                assert command is not None  # _parse_line gives a command or an error
                if isinstance(command, Subscribe):
                    if pump is not None:
                        pump.cancel()
                    subscription = Subscription(session, command.from_seq, command.task_id, command.exclude)
                    await _send(
                        writer,
                        {
                            "type": "reply",
                            "id": request_id,
                            "ok": True,
                            "result": Subscribed(last_seq=subscription.high).model_dump(mode="json"),
                        },
                    )
                    pump = asyncio.create_task(self._pump(subscription, writer, command.follow))
                    continue
                if isinstance(command, (PlanSprint, StartSprint)):
                    # These wait on a model (a sprint's planner, its contracts): they answer when done,
                    # while this connection goes on serving the client's other requests (a steer must
                    # not wait behind a planner). They run to the end even if the client leaves: a
                    # sprint is never left half-started.
                    task = asyncio.create_task(self._answer_later(writer, request_id, command))
                    self._answering.add(task)
                    task.add_done_callback(self._answering.discard)
                    continue
                await _send(writer, await self._execute(request_id, command))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # a client that goes away (even mid-reply) detaches; agents go on
        finally:
            if pump is not None:
                pump.cancel()
            self._writers.discard(writer)
            writer.close()

    async def _answer_later(
        self, writer: asyncio.StreamWriter, request_id: int | str | None, command: Command[Any]
    ) -> None:
        reply = await self._execute(request_id, command)
        with contextlib.suppress(ConnectionError):  # the client left meanwhile: nobody to tell
            await _send(writer, reply)

    async def _execute(self, request_id: int | str | None, command: Command[Any]) -> dict[str, Any]:
        session = self.session
        assert session is not None
        try:
            result = await session.execute(command)
        except CommandError as exc:
            return {
                "type": "reply",
                "id": request_id,
                "ok": False,
                "error": _error_text(str(exc)),
                "code": exc.code,
            }
        except Exception as exc:
            # A bug of the daemon, not the client's fault: the client gets one line, the log the
            # traceback (the fault tests look for it), and the session goes on serving.
            with contextlib.suppress(OSError):  # daemon.log may be on a full disk: the reply still goes
                print(
                    f"agentdeck: the daemon failed on a {command.type!r} command:",
                    file=sys.stderr,
                    flush=True,
                )
                traceback.print_exc(file=sys.stderr)
            error = f"the session daemon failed on this {command.type} command ({type(exc).__name__}: {exc}); see {self.paths.log}"
            return {
                "type": "reply",
                "id": request_id,
                "ok": False,
                "error": _error_text(error),
                "code": "failed",
            }
        return {"type": "reply", "id": request_id, "ok": True, "result": result.model_dump(mode="json")}

    async def _pump(self, subscription: Subscription, writer: asyncio.StreamWriter, follow: bool) -> None:
        try:
            for event in subscription.replay():
                _write_line(writer, event.model_dump_json().encode() + b"\n")
                if writer.transport.get_write_buffer_size() > _DRAIN_BYTES:
                    await writer.drain()
            writer.write(protocol.encode({"type": "replayed", "last_seq": subscription.high}))
            await writer.drain()
            while follow:
                event = await subscription.queue.get()
                _write_line(writer, event.model_dump_json().encode() + b"\n")
                if subscription.queue.empty() or writer.transport.get_write_buffer_size() > _DRAIN_BYTES:
                    await writer.drain()
                if subscription.overflowed:
                    writer.write(
                        protocol.encode(
                            {
                                "type": "error",
                                "error": f"this client fell too far behind; reattach from seq {event.seq}",
                            }
                        )
                    )
                    writer.close()
                    return
        except (ConnectionError, RuntimeError):
            pass
        finally:
            subscription.close()


def _error_text(text: str) -> str:
    """Errors go out as one short line, however long the request they quote was."""
    return one_line(text, protocol.ERROR_CHARS)


def _write_line(writer: asyncio.StreamWriter, line: bytes) -> None:
    if writer.transport.is_closing():
        # The client has gone (maybe mid-reply): writing on only fills the log with asyncio's warnings.
        raise ConnectionResetError("the client closed the connection")
    writer.write(line)


async def _send(writer: asyncio.StreamWriter, message: dict) -> None:
    _write_line(writer, protocol.encode(message))
    await writer.drain()


def _parse_line(line: bytes) -> tuple[int | str | None, Command[Any] | None, str | None]:
    """(request id, command, None) for a good request line, or (id to answer, None, what is wrong)."""
    message: object = None
    try:
        message = protocol.decode(line)
        request_id, body = protocol.parse_request(message)
        return request_id, parse_command(body), None
    except protocol.ProtocolError as exc:
        error = str(exc)
    except ValidationError as exc:
        error = protocol.describe_invalid(exc)
    return protocol.request_id_of(message), None, _error_text(error)


# What an older agentdeck wrote: it hid .agentdeck/skills/ from git too.
_OLD_GITIGNORE = "# agentdeck's inbox: not part of the project\n*\n"
# The inbox stays out of git; the repository's skills (.agentdeck/skills/) are the project's to commit.
GITIGNORE = "# agentdeck's inbox: not part of the project; skills/ is (commit it to share skills)\n*\n!skills/\n!skills/**\n"


def _ignore_in_git(repo_root: Path, inbox: Path) -> None:
    """Keep the inbox out of the user's `git status` when it lives in the working tree."""
    try:
        relative = inbox.resolve().relative_to(repo_root.resolve())
    except ValueError:
        return
    top = repo_root / relative.parts[0]
    ignore = top / ".gitignore"
    if top.name == ".agentdeck" and (not ignore.exists() or ignore.read_text() == _OLD_GITIGNORE):
        ignore.write_text(GITIGNORE)


def run_daemon(repo_root: Path, settings: Settings, paths: SessionPaths) -> int:
    """The whole of `agentdeck daemon`: 0 after a clean stop, or when one already runs."""
    try:
        lock_fd = acquire_lock(paths)
    except AlreadyRunning:
        print("agentdeck: a session daemon already runs for this repository", file=sys.stderr)
        return 0
    try:
        asyncio.run(Daemon(repo_root, settings, paths).serve())
    except StoreError as exc:  # damaged or locked session.db: one clear line (the CLI shows it), no traceback
        print(f"agentdeck: {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        for path in (paths.socket, paths.pid):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        os.close(lock_fd)
    return 0
