"""`praktikbot serve` as a real process, talking to the stand-in through SLACK_API_URL."""

from __future__ import annotations

import asyncio
import hmac
import os
import socket
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.server import web_app
from storage.db import Database
from tests.cli_support import run_cli
from tests.slack_harness import BOT_TOKEN, SIGNING_SECRET, message_text, sign
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_healthy(
    session: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise AssertionError("serve exited early")
        try:
            async with session.get(url) as response:
                return dict(await response.json())
        except aiohttp.ClientError:
            await asyncio.sleep(0.2)
    raise AssertionError("serve did not become healthy")


@pytest.mark.processes
async def test_serve_answers_a_signed_slash_command(db_url: str) -> None:
    async with SlackStandIn(bot_token=BOT_TOKEN) as slack:
        port = free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": db_url,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with aiohttp.ClientSession() as session:
                health = await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", proc)
                assert health["database"] == "ok"
                body = urllib.parse.urlencode(
                    {
                        "command": "/praktik",
                        "text": "ny",
                        "user_id": "UANNA",
                        "team_id": "T0TEST",
                        "channel_id": "DUANNA",
                        "trigger_id": slack.issue_trigger_id(),
                        "response_url": "http://127.0.0.1:1/unused",
                    }
                )
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": sign(body, stamp),
                }
                url = f"http://127.0.0.1:{port}/slack/events"
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 200
                    assert "Jeg starter 'Ny praktik'" in await response.text()
                # The gate is the only signature check (Bolt's own is off): a malformed
                # or forged signature and a signature over a timestamp more than five
                # minutes old are all refused before Bolt sees the request.
                forged = hmac.new(b"not the secret", f"v0:{stamp}:{body}".encode(), "sha256")
                old = str(int(time.time()) - 301)
                for refused in (
                    {**headers, "X-Slack-Signature": "v0=00"},
                    {**headers, "X-Slack-Signature": "v0=" + forged.hexdigest()},
                    {
                        **headers,
                        "X-Slack-Request-Timestamp": old,
                        "X-Slack-Signature": sign(body, old),
                    },
                ):
                    async with session.post(url, data=body, headers=refused) as bad:
                        assert bad.status == 401
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    sent = [message_text(m) for m in slack.messages.get("DUANNA", [])]
                    if any("Hvad er sagens reference" in t for t in sent):
                        break
                    await asyncio.sleep(0.2)
                else:
                    raise AssertionError(
                        f"no question posted; calls: {[c.method for c in slack.calls]}"
                    )
        finally:
            proc.terminate()
            output, _ = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, output.decode()
        assert SIGNING_SECRET not in output.decode()
        assert BOT_TOKEN not in output.decode()


async def test_serve_refuses_to_start_without_tokens(tmp_path: Path) -> None:
    """In this process (`serve` as a process: the tests above)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("SLACK_")}
    env["SLACK_BOT_TOKEN"] = "not-a-token"
    result = await asyncio.to_thread(run_cli, "serve", env=env)
    assert result.returncode == 1
    text = result.stderr
    assert "SLACK_BOT_TOKEN does not look like a bot token" in text
    assert "SLACK_SIGNING_SECRET is not set" in text
    assert "Traceback" not in text


async def test_socket_mode_refuses_to_start_without_an_app_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["SLACK_BOT_TOKEN"] = BOT_TOKEN
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "socket",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "SLACK_APP_TOKEN is not set" in err.decode()


def test_the_endpoint_needs_the_signing_secret(tmp_path: Path) -> None:
    """The gate is the endpoint's only signature check: without a secret there is none."""
    bolt = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN), request_verification_enabled=False)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}")
    with pytest.raises(ValueError, match="signing secret"):
        web_app(bolt, db, signing_secret="")
