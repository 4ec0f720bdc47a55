"""The `praktikbot` command line: the contracts other tools rely on."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import AppConfig, ConfigError, load_config
from dialogues.model import Flow

if TYPE_CHECKING:
    from bot.retention import Removed
    from bot.slack.settings import SlackSettings
from dialogues.structure import FLOWS_DIR, FlowError, load_flows, mermaid


def _config_or_exit() -> AppConfig:
    try:
        return load_config()
    except ConfigError as exc:
        sys.exit(f"praktikbot: {exc}")


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import TerminalChat
    from bot.conversations import ConversationService
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    flows = _flows_or_exit(config)
    _configure_logging("WARNING")  # the terminal is for the conversation
    upgrade(config.storage.url)
    user = args.user or os.environ.get("PRAKTIKBOT_USER") or getpass.getuser()

    async def run() -> None:
        db = Database(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
        service = ConversationService(db=db, config=config, flows=flows)
        try:
            await TerminalChat(service=service, db=db, config=config, flows=flows, user=user).run()
        finally:
            await db.dispose()

    _utf8_stdio()
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        print("\nFarvel. Dine svar er gemt.")
    return 0


def _utf8_stdio() -> None:
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")


def _flows_or_exit(config: AppConfig) -> dict[str, Flow]:
    """The flows, checked, and app.yaml's risk rules checked against them."""
    from dialogues.risk import unknown_steps

    try:
        flows = load_flows(config.flows_dir or FLOWS_DIR)
    except FlowError as exc:
        sys.exit("\n".join(f"praktikbot: flow error: {p.line}" for p in exc.problems))
    problems = unknown_steps(config.risk, {f.id: {s.id for s in f.steps} for f in flows.values()})
    if problems:
        sys.exit("\n".join(f"praktikbot: configuration error: {p}" for p in problems))
    return flows


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    config = _config_or_exit()
    upgrade(config.storage.url)
    print("Database is up to date.")
    return 0


def cmd_flows_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    directory = Path(args.dir) if args.dir else (_config_or_exit().flows_dir or FLOWS_DIR)
    try:
        flows = load_flows(directory)
    except FlowError as exc:
        for problem in exc.problems:
            print(f"FAIL {problem.line}", file=sys.stderr)
        return 1
    for flow in flows.values():
        print(f"ok   {flow.source}: {flow.id} ({len(flow.steps)} steps, version {flow.version})")
    return 0


def cmd_flows_schema(args: argparse.Namespace) -> int:
    from dialogues.structure import schema_text

    print(schema_text(), end="")
    return 0


def cmd_flows_diagram(args: argparse.Namespace) -> int:
    flows = _flows_or_exit(_config_or_exit())
    flow = flows.get(args.flow)
    if flow is None:
        print(f"Unknown flow '{args.flow}'. Known: {', '.join(sorted(flows))}", file=sys.stderr)
        return 1
    print(mermaid(flow), end="")
    return 0


def cmd_flows_test(args: argparse.Namespace) -> int:
    from dialogues.replay import replay_all

    config = _config_or_exit()
    flows = _flows_or_exit(config)
    from bot.context import flow_context

    failures = 0
    examples = (config.flows_dir or FLOWS_DIR) / "examples"
    for name, problems in replay_all(flows, flow_context(config), examples):
        if problems:
            failures += 1
            print(f"FAIL {name}")
            for problem in problems:
                print(f"     {problem}")
        else:
            print(f"ok   {name}")
    return 1 if failures else 0


def _slack_settings_or_exit(mode: str) -> SlackSettings:
    from bot.slack.settings import SettingsError, slack_settings

    try:
        return slack_settings("http" if mode == "http" else "socket")
    except SettingsError as exc:
        sys.exit(f"praktikbot: {exc}")


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.background import Background
    from bot.slack import run

    settings = _slack_settings_or_exit("http")
    config = _config_or_exit()
    flows = _flows_or_exit(config)
    _configure_logging()
    asyncio.run(
        run.serve(
            config=config,
            flows=flows,
            settings=settings,
            host=args.host,
            port=args.port,
            background=None if args.no_scheduler else Background(),
        )
    )
    return 0


def cmd_socket(args: argparse.Namespace) -> int:
    from bot.background import Background
    from bot.slack import run

    settings = _slack_settings_or_exit("socket")
    config = _config_or_exit()
    flows = _flows_or_exit(config)
    _configure_logging()
    asyncio.run(
        run.socket(
            config=config,
            flows=flows,
            settings=settings,
            background=None if args.no_scheduler else Background(),
        )
    )
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    from bot.reminders.cli import parse_now, remind_command

    config = _config_or_exit()
    _configure_logging("WARNING")
    try:
        now = parse_now(args.now, config) if args.now else None
    except ValueError:
        print(f"praktikbot remind: --now {args.now!r} is not an ISO time.", file=sys.stderr)
        return 2
    return asyncio.run(
        remind_command(config=config, now=now, dry_run=args.dry_run, status=args.status)
    )


def _print_removed(removed: Removed, *, dry_run: bool, what: str) -> None:
    verb = "Would delete" if dry_run else "Deleted"
    print(f"{verb} {removed.total} rows {what}.")
    for table, count in sorted(removed.counts.items()):
        print(f"  {table:<18} {count}")


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def cmd_purge(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.retention import purge
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    upgrade(config.storage.url)
    now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=config.tz)

    async def run() -> None:
        db = Database(config.storage.url)
        try:
            removed = await purge(db, config, now=now, actor=_operator(), dry_run=args.dry_run)
        finally:
            await db.dispose()
        _print_removed(removed, dry_run=args.dry_run, what="past retention")

    asyncio.run(run())
    return 0


ERASED_TABLES = (
    "praktikker, followups, deliveries, conversations, answers, case_notes, progress_scores, "
    "plan_steps, risk_flags, followup_proposals"
)


def cmd_erase(args: argparse.Namespace) -> int:
    from bot.retention import erase_case
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    upgrade(config.storage.url)

    async def run(dry_run: bool) -> Removed:
        db = Database(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
        try:
            removed = await erase_case(db, case_ref=args.case, actor=_operator(), dry_run=dry_run)
        finally:
            await db.dispose()
        _print_removed(removed, dry_run=dry_run, what="about the case")
        return removed

    if not args.yes:
        if not asyncio.run(run(dry_run=True)).total:
            print("Nothing is stored about that case.")
            return 1
        print("Run again with --yes to erase it (an audit entry without the case remains).")
        return 0
    removed = asyncio.run(run(dry_run=False))
    if removed.bytes_removed is None:
        print(
            "PostgreSQL keeps the deleted rows' bytes in the table files until they are "
            f"rewritten: run VACUUM (FULL) {ERASED_TABLES}; then CHECKPOINT; "
            "(WAL, archives, replicas and backups: see the README, Data protection)."
        )
    elif removed.bytes_removed:
        print("The deleted data is gone from the database file and its WAL.")
    else:
        print(
            "The rows are deleted, but other connections kept the database busy, so their "
            "bytes may still be in the file or its WAL: run the same command again.",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    import json

    from bot.slack.manifest import manifest

    if args.mode == "http" and not args.url:
        print(
            "praktikbot: --url is required for HTTP mode (the bot's public https URL)",
            file=sys.stderr,
        )
        return 2
    from bot.access import RoleResolver

    config = _config_or_exit()
    groups = RoleResolver(config).uses_groups()
    flows = _flows_or_exit(config)
    print(
        json.dumps(
            manifest(args.mode, args.url, flows=flows, user_groups=groups),
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def _configure_logging(level: str | None = None) -> None:
    from bot.logs import configure_logging

    configure_logging(level)


def cmd_report(args: argparse.Namespace) -> int:
    from bot.report import outcomes, render_table
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    flows = _flows_or_exit(config)
    upgrade(config.storage.url)

    async def run() -> str:
        db = Database(config.storage.url)
        try:
            return render_table(await outcomes(db, config, actor=_operator(), flows=flows))
        finally:
            await db.dispose()

    print("Afgang til job eller uddannelse efter praktik, pr. type")
    print(asyncio.run(run()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="praktikbot",
        description="Dialogue tool for virksomhedspraktik: terminal chat, Slack bot, reminders.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="chat with the bot in the terminal")
    chat.add_argument("--user", help="your name (default: PRAKTIKBOT_USER or the OS user)")
    chat.set_defaults(func=cmd_chat)

    serve = sub.add_parser("serve", help="run the Slack bot in HTTP mode (and the reminders)")
    serve.add_argument("--host", default=os.environ.get("PRAKTIKBOT_HOST", "0.0.0.0"))  # noqa: S104
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    serve.add_argument("--no-scheduler", action="store_true", help="do not send reminders")
    serve.set_defaults(func=cmd_serve)

    socket = sub.add_parser("socket", help="run the Slack bot in Socket Mode (and the reminders)")
    socket.add_argument("--no-scheduler", action="store_true", help="do not send reminders")
    socket.set_defaults(func=cmd_socket)

    remind = sub.add_parser("remind", help="run one reminder tick (or list / show status)")
    remind.add_argument("--now", help="as of this ISO time (local time without an offset)")
    remind.add_argument("--dry-run", action="store_true", help="only list what would be sent")
    remind.add_argument("--status", action="store_true", help="counts by status and dead rows")
    remind.set_defaults(func=cmd_remind)

    manifest = sub.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument("--mode", choices=["http", "socket"], default="http")
    manifest.add_argument("--url", help="public base URL of the bot (HTTP mode)")
    manifest.set_defaults(func=cmd_manifest)

    report = sub.add_parser("report", help="reports for the municipality")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    report_sub.add_parser(
        "outcomes", help="which praktikker led to job or education, by type"
    ).set_defaults(func=cmd_report)

    purge_cmd = sub.add_parser("purge", help="delete conversation data past retention")
    purge_cmd.add_argument("--now", help="as of this ISO time")
    purge_cmd.add_argument("--dry-run", action="store_true", help="only count")
    purge_cmd.set_defaults(func=cmd_purge)

    erase = sub.add_parser("erase", help="remove everything about one case")
    erase.add_argument(
        "--case",
        required=True,
        help="the case reference or the short reference (P-1042); letter case and "
        "surrounding spaces are ignored",
    )
    erase.add_argument("--yes", action="store_true", help="really erase (else: only count)")
    erase.set_defaults(func=cmd_erase)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the schema").set_defaults(
        func=cmd_db_upgrade
    )

    flows = sub.add_parser("flows", help="check, draw and test the flow files")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True)
    check = flows_sub.add_parser("check", help="validate all flow files")
    check.add_argument("--dir", help="directory of flow files (default: the shipped flows)")
    check.set_defaults(func=cmd_flows_check)
    diagram = flows_sub.add_parser("diagram", help="print a Mermaid diagram of a flow")
    diagram.add_argument("flow")
    diagram.set_defaults(func=cmd_flows_diagram)
    flows_sub.add_parser("test", help="replay the example conversations").set_defaults(
        func=cmd_flows_test
    )
    flows_sub.add_parser(
        "schema", help="print the JSON Schema of a flow file (dialogues/flows/flow.schema.json)"
    ).set_defaults(func=cmd_flows_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
