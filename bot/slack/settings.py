"""Slack secrets and endpoints from the environment, checked before anything starts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(Exception):
    """A missing or malformed environment variable; the message says which and how to fix it."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str

    def __repr__(self) -> str:  # never print secrets
        return f"SlackSettings(api_url={self.api_url!r})"


def slack_settings(mode: Literal["http", "socket"]) -> SlackSettings:
    """Read and check SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN
    (Socket Mode), and SLACK_API_URL."""
    problems: list[str] = []
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        problems.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
    elif not re.fullmatch(r"xoxb-[A-Za-z0-9-]+", token):
        problems.append("SLACK_BOT_TOKEN does not look like a bot token (it starts with xoxb-)")
    secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip() or None
    app_token = os.environ.get("SLACK_APP_TOKEN", "").strip() or None
    if mode == "http":
        if secret is None:
            problems.append("SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret)")
        elif not re.fullmatch(r"[0-9a-f]{16,128}", secret):
            problems.append("SLACK_SIGNING_SECRET is malformed (expected hexadecimal characters)")
    else:
        if app_token is None:
            problems.append("SLACK_APP_TOKEN is not set (an app-level token, xapp-…)")
        elif not re.fullmatch(r"xapp-[A-Za-z0-9-]+", app_token):
            problems.append("SLACK_APP_TOKEN does not look like an app-level token (xapp-…)")
    api_url = os.environ.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://", api_url):
        problems.append("SLACK_API_URL must be an http(s) URL")
    if problems:
        raise SettingsError("Cannot start: " + "; ".join(problems) + ".")
    if not api_url.endswith("/"):
        api_url += "/"
    return SlackSettings(
        bot_token=token, signing_secret=secret, app_token=app_token, api_url=api_url
    )
