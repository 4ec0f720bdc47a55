"""The scheduler on real SQLite and PostgreSQL, sending to the Slack stand-in over HTTP:
reminder DMs, digests, 429 and 500 answers, dead rows, downtime, leases of dead instances."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.background import run_forever
from bot.config import AppConfig, DigestSchedule, Team
from bot.followups import changes
from bot.health import SchedulerHealth
from bot.reminders import planner, render
from bot.reminders.cli import remind_command
from bot.reminders.scheduler import SchedulerState, TickReport, delivery_counts, tick
from storage.db import Database
from storage.models import Delivery, Praktik
from tests.reminder_support import (
    TOKEN,
    by_status,
    deliveries,
    followup,
    local,
    seed,
    with_reminders,
    with_teams,
)
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
MONDAY = dt.date(2026, 11, 30)
AT_8 = local(MONDAY, 8)  # 07:00 UTC

# Delivery mechanics on the due day only (lead times: tests/test_slack_edges.py).
pytestmark = pytest.mark.due_day_only


def quiet(config: AppConfig, **delivery: Any) -> AppConfig:
    """No jitter, so retry times are exact."""
    return with_reminders(
        config, delivery={"backoff_jitter": 0.0, "backoff_base_seconds": 10, **delivery}
    )


async def run_tick(
    db: Database,
    client: AsyncWebClient,
    config: AppConfig,
    now: dt.datetime,
    instance: str = "i1",
    state: SchedulerState | None = None,
) -> TickReport:
    return await tick(
        db=db, client=client, config=config, now=now, instance_id=instance, state=state
    )


def posts(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [c.params for c in slack.calls_to("chat.postMessage") if c.status == 200]


# --- the reminder DM -----------------------------------------------------------------------


async def test_due_reminders_are_sent_once_at_the_local_time(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    seeded = await seed(db, consultants=3, per_consultant=2, due=MONDAY)
    early = await run_tick(db, client, config, AT_8 - dt.timedelta(seconds=1))
    assert (early.materialised, early.sent) == (0, 0)
    report = await run_tick(db, client, config, AT_8 + dt.timedelta(seconds=30))
    assert (report.materialised, report.claimed, report.sent) == (6, 6, 6)
    again = await run_tick(db, client, config, AT_8 + dt.timedelta(minutes=5), instance="i2")
    assert (again.materialised, again.sent) == (0, 0)

    assert len(posts(slack)) == 6
    assert len(slack.calls_to("conversations.open")) == 3  # one DM channel per consultant
    for user in seeded.slack_users:
        assert len(slack.messages[f"D{user}"]) == 2
    rows = await deliveries(db)
    assert by_status(rows) == {"sent": 6}
    assert {r.key for r in rows} == {f"followup:{f}:due:2026-11-30" for f in seeded.followup_ids}
    assert all(r.slack_ts and r.slack_channel and r.attempts == 1 for r in rows)
    assert {r.due_at for r in rows} == {AT_8}


async def test_reminder_content(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    await run_tick(db, client, config, AT_8)
    [message] = slack.messages[f"D{seeded.slack_users[0]}"]
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Midtvejsopfølgning" in text
    assert "mandag den 30. november 2026" in text
    assert "RS-00000-000" in text and "Jobpraktik" in text and "Testfirma 0-0 ApS" in text
    assert "P-1001" in text  # the short reference the team digest uses
    assert "Påmindelse: Midtvejsopfølgning for P-1001 (RS-00000-000)" in message["text"]
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    fid = seeded.followup_ids[0]
    assert actions["block_id"] == f"rem|{fid}|0"  # the follow-up's version it acts on
    elements = {e["action_id"]: e for e in actions["elements"]}
    # The main controls as buttons; postponing in the overflow menu.
    assert list(elements) == [
        "pb_rem_start:prepare",
        "pb_rem_start:form",
        "pb_rem_held",
        "pb_rem_more",
    ]
    assert [(o["text"]["text"], o["value"]) for o in elements["pb_rem_more"]["options"]] == [
        ("Udskyd 1 arbejdsdag", "postpone:1"),
        ("Udskyd 2 arbejdsdage", "postpone:2"),
        ("Udskyd 5 arbejdsdage", "postpone:5"),
        ("Udskyd til en anden dato …", "pick_date"),
    ]
    pid = seeded.praktik_ids[0]
    assert json.loads(elements["pb_rem_start:prepare"]["value"]) == {
        "flow": "forbered_moede",
        "praktik": pid,
        "followup": fid,
    }
    assert json.loads(elements["pb_rem_start:form"]["value"]) == {
        "flow": "opfoelgning",
        "praktik": pid,
        "followup": fid,
    }
    assert elements["pb_rem_held"]["value"] == str(fid)


async def test_early_and_overdue_reminders(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    cfg = with_reminders(config, remind_days_before=2, overdue_every_working_days=1)
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    channel = f"D{seeded.slack_users[0]}"
    await run_tick(db, client, cfg, local(dt.date(2026, 11, 26), 8))  # Thursday
    await run_tick(db, client, cfg, local(MONDAY, 8))
    await run_tick(db, client, cfg, local(dt.date(2026, 12, 1), 8))
    texts = [m["text"] for m in slack.messages[channel]]
    assert texts[0].startswith(
        "Påmindelse: Midtvejsopfølgning for P-1001 (RS-00000-000) forfalder mandag"
    )
    assert "om 2 arbejdsdage" in json.dumps(slack.messages[channel][0]["blocks"])
    assert "forfalder i dag" in texts[1]
    assert texts[2].startswith("Overskredet: Midtvejsopfølgning")
    keys = [r.key for r in await deliveries(db)]
    fid = seeded.followup_ids[0]
    assert keys == [
        f"followup:{fid}:early:2026-11-26",
        f"followup:{fid}:due:2026-11-30",
        f"followup:{fid}:overdue:2026-12-01",
    ]


async def test_no_reminder_that_could_never_have_fired(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    """A follow-up registered at 10:00 and due today gets no 08:00 reminder (and no
    'missed' row); its overdue reminders come as planned."""
    await seed(db, consultants=1, per_consultant=1, due=MONDAY, scheduled_at=local(MONDAY, 10))
    report = await run_tick(db, client, config, local(MONDAY, 11))
    assert (report.materialised, report.missed, report.sent) == (0, 0, 0)
    later = await run_tick(db, client, config, local(dt.date(2026, 12, 2), 8))
    assert later.sent == 1
    assert [r.kind for r in await deliveries(db)] == ["overdue"]


async def test_held_postponed_and_ended_are_not_reminded(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    seeded = await seed(db, consultants=1, per_consultant=3, due=MONDAY)
    held, moved, ended = seeded.followup_ids
    async with db.transaction() as session:
        await changes.mark_followup_held(
            session, config=config, followup_id=held, now=AT_8 - dt.timedelta(hours=1)
        )
        await changes.postpone_followup(
            session, config=config, followup_id=moved, now=AT_8 - dt.timedelta(hours=1),
            working_days=1,
        )  # fmt: skip
        from storage.models import Praktik

        praktik = await session.get(Praktik, seeded.praktik_ids[2])
        assert praktik is not None
        praktik.status = "ended"
        session.add(praktik)
    report = await run_tick(db, client, config, AT_8)
    assert report.sent == 0
    tuesday = await run_tick(db, client, config, local(dt.date(2026, 12, 1), 8))
    assert tuesday.sent == 1
    assert [r.key for r in await deliveries(db)] == [f"followup:{moved}:due:2026-12-01"]
    assert ended  # never reminded


async def test_a_row_whose_followup_changed_after_materialising_is_cancelled(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    """The check at send time: the row exists, then the follow-up is held by a path that
    does not cancel rows (a direct update) — the scheduler cancels instead of sending."""
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    async with db.transaction() as session:
        await planner.materialise(session, config=config, now=AT_8)
    from sqlalchemy import update

    from storage.models import FollowUp

    async with db.transaction() as session:
        await session.exec(update(FollowUp).values(status="held"))
    report = await run_tick(db, client, config, AT_8)
    assert (report.sent, report.cancelled) == (0, 1)
    [row] = await deliveries(db)
    assert (row.status, row.last_error) == ("cancelled", "follow-up held")
    assert posts(slack) == []
    assert seeded.followup_ids


# --- 429, 500, dead ------------------------------------------------------------------------


async def test_retry_after_is_honoured_then_backoff_then_sent(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    cfg = quiet(config, max_attempts=5)
    await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    slack.fail_next("chat.postMessage", status=500, times=2)

    def attempts() -> int:
        return len(slack.calls_to("chat.postMessage"))

    t0 = AT_8
    r = await run_tick(db, client, cfg, t0)
    assert (attempts(), r.rate_limited, r.sent) == (1, 1, 0)
    [row] = await deliveries(db)
    assert (row.status, row.attempts) == ("pending", 0)  # a 429 uses no attempt
    retry_at = row.next_attempt_at
    assert t0 + dt.timedelta(seconds=30) <= retry_at < t0 + dt.timedelta(seconds=31)

    # No call before Retry-After, whichever instance ticks.
    for instance, seconds in (("i1", 1), ("i2", 15), ("i3", 29)):
        await run_tick(db, client, cfg, t0 + dt.timedelta(seconds=seconds), instance)
        assert attempts() == 1
    r = await run_tick(db, client, cfg, t0 + dt.timedelta(seconds=31), "i2")
    assert (attempts(), r.retried) == (2, 1)  # HTTP 500: back off 10 s
    [row] = await deliveries(db)
    assert (row.status, row.attempts, row.last_error) == (
        "pending",
        1,
        "slack: internal_error (HTTP 500)",
    )
    await run_tick(db, client, cfg, t0 + dt.timedelta(seconds=40))
    assert attempts() == 2
    await run_tick(db, client, cfg, t0 + dt.timedelta(seconds=42))
    assert attempts() == 3  # the second 500: back off 20 s
    await run_tick(db, client, cfg, t0 + dt.timedelta(seconds=60))
    assert attempts() == 3
    r = await run_tick(db, client, cfg, t0 + dt.timedelta(seconds=63))
    assert (attempts(), r.sent) == (4, 1)
    [row] = await deliveries(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(posts(slack)) == 1


async def test_dead_after_the_configured_attempts_and_shown_in_health_and_status(
    db: Database,
    db_url: str,
    slack: SlackStandIn,
    client: AsyncWebClient,
    config: AppConfig,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = quiet(config, max_attempts=3)
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    slack.fail_next("chat.postMessage", status=429, retry_after=5)
    slack.fail_next("chat.postMessage", status=500, times=10)
    now = AT_8
    for _ in range(8):
        await run_tick(db, client, cfg, now)
        now += dt.timedelta(minutes=5)
    assert len(slack.calls_to("chat.postMessage")) == 4  # one 429, then 3 attempts
    [row] = await deliveries(db)
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error == "slack: internal_error (HTTP 500)"

    health = SchedulerHealth()
    health.started("i1", 60)
    health.succeeded(now, TickReport("i1", now), await delivery_counts(db))
    snapshot = health.snapshot(now)
    assert (snapshot.status, snapshot.dead) == ("ok", 1)

    monkeypatch.setenv("DATABASE_URL", db_url)
    status_config = config.model_copy(
        update={"storage": config.storage.model_copy(update={"url": db_url})}
    )
    assert await remind_command(config=status_config, now=None, dry_run=False, status=True) == 0
    out = capsys.readouterr().out
    assert "dead       1" in out
    assert f"followup:{seeded.followup_ids[0]}:due:2026-11-30" in out
    assert "internal_error" in out


async def test_errors_a_retry_cannot_fix_are_dead_at_once(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    report = await run_tick(db, client, quiet(config), AT_8)
    assert report.dead == 1
    [row] = await deliveries(db)
    assert (row.status, row.attempts) == ("dead", 1)


async def test_stand_in_rate_limit_per_channel(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    """Two reminders for one consultant: the stand-in allows one message a second per
    channel; the second waits for Retry-After and goes out on a later tick."""
    clock = [1000.0]
    slack.clock = lambda: clock[0]
    slack.rate_limit_enabled = True
    await seed(db, consultants=1, per_consultant=2, due=MONDAY)
    first = await run_tick(db, client, quiet(config), AT_8)
    assert (first.sent, first.rate_limited) == (1, 1)
    clock[0] += 0.5
    early = await run_tick(db, client, quiet(config), AT_8 + dt.timedelta(seconds=0.5))
    assert early.claimed == 0
    clock[0] += 1.5
    # Retry-After counts from when the 429 came, which is later than AT_8 by however long
    # the first tick ran (over a second on a loaded machine): tick well after it.
    second = await run_tick(db, client, quiet(config), AT_8 + dt.timedelta(seconds=30))
    assert second.sent == 1
    assert len(posts(slack)) == 2
    assert by_status(await deliveries(db)) == {"sent": 2}


# --- downtime ----------------------------------------------------------------------------


async def test_after_downtime_late_ones_are_sent_once_and_older_ones_counted_missed(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    cfg = with_reminders(
        config,
        overdue_every_working_days=2,
        overdue_max_reminders=3,
        delivery={"max_lateness_hours": 12, "catch_up_days": 7},
    )
    seeded = await seed(
        db,
        consultants=1,
        per_consultant=3,
        due=[dt.date(2026, 11, 24), dt.date(2026, 11, 26), MONDAY],
    )
    a, b, c = seeded.followup_ids
    back = local(MONDAY, 10)  # the scheduler was down from 23 to 30 November, 10:00
    report = await run_tick(db, client, cfg, back)
    assert (report.sent, report.missed) == (3, 3)
    rows = {r.key: r.status for r in await deliveries(db)}
    assert rows == {
        f"followup:{a}:due:2026-11-24": "missed",
        f"followup:{a}:overdue:2026-11-26": "missed",
        f"followup:{a}:overdue:2026-11-30": "sent",  # 2 hours late: still sent
        f"followup:{b}:due:2026-11-26": "missed",
        f"followup:{b}:overdue:2026-11-30": "sent",
        f"followup:{c}:due:2026-11-30": "sent",
    }
    again = await run_tick(db, client, cfg, back + dt.timedelta(minutes=1), "i2")
    assert (again.sent, again.materialised) == (0, 0)
    assert len(posts(slack)) == 3
    assert (await delivery_counts(db))["missed"] == 3


async def test_a_pending_row_that_becomes_too_late_is_marked_missed(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    cfg = quiet(config, max_lateness_hours=1)
    await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    slack.fail_next("chat.postMessage", status=429, retry_after=7200)
    await run_tick(db, client, cfg, AT_8)
    report = await run_tick(db, client, cfg, AT_8 + dt.timedelta(hours=2, seconds=1))
    assert (report.missed, report.sent) == (1, 0)
    [row] = await deliveries(db)
    assert row.status == "missed"
    assert len(slack.calls_to("chat.postMessage")) == 1


# --- dead instances ------------------------------------------------------------------------


async def _black_hole() -> tuple[asyncio.Server, str]:
    """A 'Slack' that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/api/"


def write_config(tmp_path: Path, **delivery: Any) -> Path:
    raw = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    raw.setdefault("reminders", {}).setdefault("delivery", {}).update(delivery)
    raw["reminders"]["remind_days_before"] = 0  # as the `config` fixture here: the due day
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


async def start_remind(
    db_url: str, config_path: Path, api_url: str, now: dt.datetime, *extra: str
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PRAKTIKBOT_CONFIG": str(config_path),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": api_url,
        "PYTHONUNBUFFERED": "1",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "remind", "--now", now.isoformat(), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
    )  # fmt: skip


async def test_an_instance_killed_while_holding_claims(
    db: Database,
    db_url: str,
    slack: SlackStandIn,
    client: AsyncWebClient,
    config: AppConfig,
    tmp_path: Path,
) -> None:
    """A real process claims a batch, hangs on Slack and is killed (SIGKILL). Another
    instance sends the rest at once and the abandoned ones after the lease: each once."""
    lease = 120
    cfg = with_reminders(config, delivery={"batch_size": 25, "lease_seconds": lease})
    seeded = await seed(db, consultants=20, per_consultant=3, due=MONDAY)
    server, black_hole = await _black_hole()
    config_path = write_config(tmp_path, batch_size=25, lease_seconds=lease)
    proc = await start_remind(db_url, config_path, black_hole, AT_8)
    try:
        for _ in range(300):
            claimed = [r for r in await deliveries(db) if r.status == "sending"]
            if claimed:
                break
            await asyncio.sleep(0.05)
        assert len(claimed) == 25
        assert {r.lease_owner for r in claimed} == {claimed[0].lease_owner}
        assert claimed[0].lease_owner and claimed[0].lease_owner.startswith("cli-")
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        server.close()

    soon = await run_tick(db, client, cfg, AT_8 + dt.timedelta(seconds=30), "survivor")
    assert soon.sent == 60 - 25  # the abandoned claims wait for their lease
    assert by_status(await deliveries(db)) == {"sent": 35, "sending": 25}
    after = await run_tick(db, client, cfg, AT_8 + dt.timedelta(seconds=lease + 5), "survivor")
    assert after.sent == 25
    rows = await deliveries(db)
    assert by_status(rows) == {"sent": 60}
    assert len(posts(slack)) == 60
    delivered = [m["text"] for user in seeded.slack_users for m in slack.messages[f"D{user}"]]
    assert len(delivered) == len(set(delivered)) == 60


async def test_abandoned_claims_on_their_last_attempt_become_dead(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    from bot.reminders.scheduler import _Tick

    cfg = quiet(config, max_attempts=1, lease_seconds=60)
    await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    ghost = _Tick(
        db=db, client=None, config=cfg, now=AT_8, instance_id="ghost", state=SchedulerState()
    )
    await ghost.housekeeping()
    claimed, _ = await ghost.claim()
    assert len(claimed) == 1  # ... and the ghost dies here
    report = await run_tick(db, client, cfg, AT_8 + dt.timedelta(seconds=61))
    assert (report.dead, report.sent) == (1, 0)
    [row] = await deliveries(db)
    assert (row.status, row.last_error) == ("dead", "lease expired on the last attempt")


# --- run_forever ---------------------------------------------------------------------------


async def test_run_forever_survives_a_database_outage(
    tmp_path: Path, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    """The database file is unreachable (directory gone): ticks fail, health degrades,
    the loop keeps going; when it is back the backlog is sent, once."""
    import shutil

    from storage.migrate import upgrade_async

    good = tmp_path / "db" / "bot.sqlite3"
    url = f"sqlite+aiosqlite:///{good}"
    await upgrade_async(url)
    database = Database(url)
    await seed(database, consultants=2, per_consultant=2, due=MONDAY)
    await database.dispose()
    db = Database(url)
    shutil.move(str(good.parent), str(tmp_path / "away"))
    (tmp_path / "db").write_text("not a directory")  # the file cannot even be created

    cfg = with_reminders(config, delivery={"tick_seconds": 1, "tick_jitter": 0})
    health = SchedulerHealth()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_forever(
            db=db, client=client, config=cfg, instance_id="loop", stop=stop,
            clock=lambda: AT_8, health=health,
        )
    )  # fmt: skip
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if health.consecutive_failures >= 1:
                break
        snapshot = health.snapshot(AT_8)
        assert snapshot.status == "degraded"
        assert snapshot.last_error and snapshot.last_error.startswith("database:")
        assert not task.done()
        (tmp_path / "db").unlink()
        shutil.move(str(tmp_path / "away"), str(tmp_path / "db"))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if health.last_success_at is not None:
                break
        assert health.snapshot(AT_8).status == "ok"
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await db.dispose()
    assert len(posts(slack)) == 4
    assert health.snapshot(AT_8).running is False


# --- digests -------------------------------------------------------------------------------


def team(channel: str = "C0TEAMNORD", **digest: Any) -> Team:
    schedule = {"weekdays": ["mon"], "time": "08:30", **digest}
    return Team(
        id="team_nord",
        name="Team Nord",
        channel=channel,
        digest=DigestSchedule.model_validate(schedule),
    )


async def test_team_digest_holds_mentions_short_refs_and_counts_only(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    cfg = with_teams(config, team())
    overdue = await seed(
        db, consultants=2, per_consultant=2, due=dt.date(2026, 11, 25), team_id="team_nord",
        slack_prefix="UNORD", case_prefix="NORD", praktik_type="kompetencepraktik",
    )  # fmt: skip
    this_week = await seed(
        db, consultants=1, per_consultant=3, due=dt.date(2026, 12, 3), team_id="team_nord",
        slack_prefix="UNORX", case_prefix="NORX",
    )  # fmt: skip
    await seed(
        db, consultants=1, per_consultant=2, due=dt.date(2026, 12, 3), team_id="team_syd",
        slack_prefix="USYD", case_prefix="SYD",
    )  # fmt: skip
    await seed(  # next week: not in this week's digest
        db, consultants=1, per_consultant=1, due=dt.date(2026, 12, 8), team_id="team_nord",
        slack_prefix="UNEXT", case_prefix="NEXT",
    )  # fmt: skip
    await run_tick(db, client, cfg, local(MONDAY, 8, 29))
    assert slack.messages.get("C0TEAMNORD") is None
    await run_tick(db, client, cfg, local(MONDAY, 8, 31))
    [digest] = slack.messages["C0TEAMNORD"]
    posted = json.dumps({"text": digest["text"], "blocks": digest["blocks"]}, ensure_ascii=False)

    for user in overdue.slack_users + this_week.slack_users:
        assert f"<@{user}>" in posted
    async with db.transaction() as session:
        refs = {p.id: str(p.short_ref) for p in (await session.exec(select(Praktik))).all()}
    for pid in overdue.praktik_ids + this_week.praktik_ids:
        assert refs[pid] in posted  # the bot's own reference, e.g. P-1001
    assert "NORD-" not in posted and "NORX-" not in posted  # never the typed case reference
    assert "*Overskredne: 2*" in posted and "*Denne uge: 3*" in posted
    assert "I alt: 4 overskredne, 3 denne uge, 0 i risiko" in posted
    forbidden = [
        "Testfirma", "ApS", "sygedagpenge", "Sygedagpenge", "Kompetencepraktik",
        "kompetencepraktik", "Jobpraktik", "jobpraktik", "Kontaktperson", "Delmål",
        "Konsulent ", "SYD-", "USYD", "NEXT-", "Midtvejs", "midtvejs",
    ]  # fmt: skip
    assert [word for word in forbidden if word in posted] == []
    [row] = [r for r in await deliveries(db) if r.kind == "digest"]
    assert (row.key, row.status, row.recipient) == (
        "digest:team_nord:2026-11-30",
        "sent",
        "C0TEAMNORD",
    )


async def test_a_large_digest_is_split_within_block_kit_limits(
    db: Database, slack: SlackStandIn, client: AsyncWebClient, config: AppConfig
) -> None:
    cfg = with_teams(config, team())
    await seed(
        db, consultants=120, per_consultant=2, due=dt.date(2026, 12, 2), team_id="team_nord",
        slack_prefix="UBIG",
    )  # fmt: skip
    report = await run_tick(db, client, cfg, local(MONDAY, 8, 30))
    assert report.sent >= 1
    messages = slack.messages["C0TEAMNORD"]
    assert len(messages) >= 3
    assert all(len(m["blocks"]) <= 50 for m in messages)
    everything = json.dumps([m["blocks"] for m in messages])
    assert all(f"<@UBIG{n:05d}>" in everything for n in range(120))
    assert messages[-1]["blocks"][-1]["elements"][0]["text"].endswith(f"af {len(messages)})")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [200] * len(messages)


def test_digest_render_limits_per_section() -> None:
    entries = [
        render.DigestEntry("UONE", "Én", f"SAG-{n:06d}-LANG-REFERENCE-TEKST", MONDAY)
        for n in range(400)
    ]
    [(text, blocks)] = render.digest_messages(team_name="T", day=MONDAY, entries=entries)
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "og 360 flere" in sections[0]["text"]["text"]
    assert "400 denne uge" in text


async def test_dry_run_lists_and_changes_nothing(
    db: Database,
    db_url: str,
    config: AppConfig,
    slack: SlackStandIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded = await seed(db, consultants=1, per_consultant=2, due=MONDAY)
    cfg = config.model_copy(update={"storage": config.storage.model_copy(update={"url": db_url})})
    assert await remind_command(config=cfg, now=AT_8, dry_run=True, status=False) == 0
    out = capsys.readouterr().out
    assert "2 would be sent" in out
    for fid in seeded.followup_ids:
        assert f"followup:{fid}:due:2026-11-30 to URS00000 (new)" in out
    assert "Testfirma" not in out and "RS-" not in out
    assert await deliveries(db) == []
    assert slack.calls == []


async def test_cli_tick_sends(
    db: Database,
    db_url: str,
    config: AppConfig,
    slack: SlackStandIn,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    cfg = config.model_copy(update={"storage": config.storage.model_copy(update={"url": db_url})})
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert await remind_command(config=cfg, now=AT_8, dry_run=False, status=False) == 2
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    assert await remind_command(config=cfg, now=AT_8, dry_run=False, status=False) == 0
    out = capsys.readouterr().out
    assert "sent 1" in out
    assert len(posts(slack)) == 1
    assert isinstance((await deliveries(db))[0], Delivery)
    assert (await followup(db, (await deliveries(db))[0].followup_id or 0)).status == "planned"
