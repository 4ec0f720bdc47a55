"""Driving `praktikbot` from the tests: its commands in this process, or as a real process.

- `run_cli(*args)`: the entry point `bot.cli.main` called in this process with `args`, its
  stdout and stderr captured, as a `CompletedProcess`. Nothing of ours is replaced; what
  a process would add is one to two seconds of imports per call.
- `run_process(*args)`: `python -m bot.cli …` as a real process, for the one test per
  command that keeps the installed entry point, its exit status and its streams honest.
- `Chat`: `praktikbot chat` in this process — the terminal conversation (`bot.chat`) on
  the real service and database, as `praktikbot chat` wires them, with lines typed into
  its stdin and its stdout read back.
- `Terminal`: `praktikbot chat` as a real process, for what only a process shows (killed
  mid-flow, Ctrl-D, the process's exit status). Same interface as `Chat`.
- `all_rows(db_url, model)` (tests/db_support.py): every row of a table, read through a
  connection of its own.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import logging
import os
import queue
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def environment(env: Mapping[str, str | None] | None) -> Iterator[None]:
    """`os.environ` with `env`'s entries set (None: removed), restored afterwards."""
    saved = {key: os.environ.get(key) for key in env or {}}
    for key, value in (env or {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def logging_kept() -> Iterator[None]:
    """The logging setup as it was: a command configures logging for its process (a
    handler on stderr, the root level); in this process that must not outlive the call."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


def run_cli(
    *args: str, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """`praktikbot ARGS` through its entry point in this process, `env` set for the call
    (a None value unsets a variable):
    exit code, stdout and stderr as a process would give them. In an async test call it
    in a thread (`asyncio.to_thread`): a command may run its own event loop."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        environment(env),
        logging_kept(),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's refusals, sys.exit("praktikbot: …")
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
                code = 1
            else:
                code = int(exc.code or 0)
    return subprocess.CompletedProcess(
        ["praktikbot", *args], code, stdout=out.getvalue(), stderr=err.getvalue()
    )


def run_process(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli ARGS` as a real process; `env` is added to this environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


class ChatDriver(Protocol):
    """What a terminal test does with `praktikbot chat`: `Chat` or `Terminal`."""

    async def expect(self, text: str, timeout: float = 20) -> str: ...
    async def send(self, line: str, expect: str | None = None) -> str: ...
    async def close(self) -> int: ...


class _Output:
    """What has been printed, and whether `text` is in the part not yet read."""

    def __init__(self) -> None:
        self.output = ""
        self.seen = 0

    def take(self, text: str) -> str | None:
        """The output up to and including `text` (consumed), or None if not there yet."""
        at = self.output.find(text, self.seen)
        if at < 0:
            return None
        end = at + len(text)
        seen, self.seen = self.output[self.seen : end], end
        return seen

    def unread(self) -> str:
        return self.output[self.seen :]


class _Stdin(io.StringIO):
    """A terminal's input: lines as typed; "" (end of input) once closed, or once the chat
    reading it has ended (a failed test leaves no thread waiting for a line)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.task: asyncio.Task[None] | None = None

    def readline(self, size: int = -1, /) -> str:  # type: ignore[override]  # as typeshed
        while True:
            try:
                return self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.task is not None and self.task.done():
                    return ""


class _Stdout(io.StringIO):
    def __init__(self, output: _Output, changed: asyncio.Event) -> None:
        super().__init__()
        self.out, self.changed = output, changed

    def write(self, text: str) -> int:
        self.out.output += text
        self.changed.set()
        return len(text)


class Chat:
    """`praktikbot chat` in this process: `bot.chat.TerminalChat` on the real service and
    database, configured from app.yaml (and DATABASE_URL/PRAKTIKBOT_CONFIG from `env`),
    with the flows checked as `praktikbot chat` checks them."""

    def __init__(self, db_url: str, user: str, env: Mapping[str, str] | None) -> None:
        from bot.chat import TerminalChat
        from bot.cli import _flows_or_exit
        from bot.config import load_config
        from bot.conversations import ConversationService

        with environment({**(env or {}), "DATABASE_URL": db_url}):
            config = load_config()
        flows = _flows_or_exit(config)
        self.db = Database(config.storage.url)
        self.out, self.changed = _Output(), asyncio.Event()
        self.stdin = _Stdin()
        self.chat = TerminalChat(
            service=ConversationService(db=self.db, config=config, flows=flows),
            db=self.db,
            config=config,
            flows=flows,
            user=user,
            stdin=self.stdin,
            stdout=_Stdout(self.out, self.changed),
        )
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls, db_url: str, user: str = "anna", env: Mapping[str, str] | None = None
    ) -> Chat:
        chat = cls(db_url, user, env)
        chat.task = chat.stdin.task = asyncio.create_task(chat.chat.run())
        return chat

    async def expect(self, text: str, timeout: float = 20) -> str:
        """Wait until `text` appears in output not yet consumed; return that output."""
        assert self.task is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (seen := self.out.take(text)) is None:
            if self.task.done():
                self.task.result()  # its exception, if it failed
                raise AssertionError(f"chat ended before {text!r}:\n{self.out.unread()}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{text!r} not seen; output so far:\n{self.out.unread()}")
            self.changed.clear()
            waiter = asyncio.ensure_future(self.changed.wait())
            await asyncio.wait(
                {waiter, self.task}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
        return seen

    async def send(self, line: str, expect: str | None = None) -> str:
        self.stdin.lines.put(line + "\n")
        return await self.expect(expect) if expect else ""

    async def close(self) -> int:
        """End of input (Ctrl-D); 0 once the chat has ended as `praktikbot chat` does."""
        assert self.task is not None
        self.stdin.lines.put("")
        try:
            await asyncio.wait_for(self.task, 20)
        finally:
            await self.db.dispose()
        return 0

    async def stop(self) -> None:
        """Leave the chat where it is (the test is done with it)."""
        assert self.task is not None
        self.task.cancel()
        self.stdin.lines.put("")  # the thread waiting for a line
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.db.dispose()


class Terminal:
    """A running `praktikbot chat` process, read until the text we wait for appears."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.out = _Output()
        self.decoder = codecs.getincrementaldecoder("utf-8")()  # a chunk may end mid-letter

    @property
    def output(self) -> str:
        return self.out.output

    @classmethod
    async def start(
        cls, db_url: str, user: str = "anna", env: Mapping[str, str] | None = None
    ) -> Terminal:
        env = {**os.environ, **(env or {}), "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "chat",
            "--user",
            user,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
        return cls(proc)

    async def expect(self, text: str, timeout: float = 20) -> str:
        """Wait until `text` appears in output not yet consumed; return that output."""
        assert self.proc.stdout is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (seen := self.out.take(text)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{text!r} not seen; output so far:\n{self.out.unread()}")
            try:
                chunk = await asyncio.wait_for(self.proc.stdout.read(4096), remaining)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"process ended before {text!r}:\n{self.out.unread()}")
            self.out.output += self.decoder.decode(chunk)
        return seen

    async def send(self, line: str, expect: str | None = None) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        await self.proc.stdin.drain()
        return await self.expect(expect) if expect else ""

    async def close(self) -> int:
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        return await asyncio.wait_for(self.proc.wait(), 20)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        self.kill()
        await self.proc.wait()
