"""The `praktikbot` command line: the contracts other tools rely on."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import gc_tuning
from dialogues.cpr import contains_cpr

# The configuration and the flows (pydantic, YAML, every model of `dialogues`) are
# imported by the commands that use them, not with this module: `serve`, `socket` and
# `remind` import them with the collector paused (`gc_tuning.paused`).
if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.retention import Removed
    from bot.slack.settings import SlackSettings
    from dialogues.model import Flow

ARG_CPR_REFUSED = (
    "praktikbot: {what} ligner et CPR-nummer. CPR-numre må ikke skrives her - de bliver "
    "gemt i shellens historik og kan ses i proceslisten. Brug sagens reference eller et "
    "pseudonym."
)


def _config_or_exit() -> AppConfig:
    from bot.config import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as exc:
        sys.exit(f"praktikbot: {exc}")


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import TerminalChat
    from bot.conversations import ConversationService
    from storage.db import Database
    from storage.migrate import upgrade

    user = args.user or os.environ.get("PRAKTIKBOT_USER") or getpass.getuser()
    if contains_cpr(user):  # the name is stored with every conversation
        print(ARG_CPR_REFUSED.format(what="Brugernavnet"), file=sys.stderr)
        return 2
    config = _config_or_exit()
    flows = _flows_or_exit(config)
    _configure_logging("WARNING")  # the terminal is for the conversation
    upgrade(config.storage.url)

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
    from dialogues.structure import FLOWS_DIR, FlowError, load_flows

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
    from dialogues.structure import FLOWS_DIR, FlowError, load_flows

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
    from dialogues.structure import mermaid

    flows = _flows_or_exit(_config_or_exit())
    flow = flows.get(args.flow)
    if flow is None:
        print(f"Unknown flow '{args.flow}'. Known: {', '.join(sorted(flows))}", file=sys.stderr)
        return 1
    print(mermaid(flow), end="")
    return 0


def cmd_flows_test(args: argparse.Namespace) -> int:
    from dialogues.replay import replay_all
    from dialogues.structure import FLOWS_DIR

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


def cmd_rules_check(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.config import ConfigError, config_path, load_config
    from bot.rules_check import applies_on, overview

    try:
        day = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        print(f"praktikbot rules check: --date {args.date!r} is not YYYY-MM-DD.", file=sys.stderr)
        return 2
    path = config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"FAIL {line.strip()}", file=sys.stderr)
        return 1
    print(f"ok   {path}: {len(config.rules)} rule sets fit together")
    for line in overview(config):
        print(line)
    print()
    for line in applies_on(config, day):
        print(line)
    return 0


def _slack_settings_or_exit(mode: str) -> SlackSettings:
    from bot.slack.settings import SettingsError, slack_settings

    try:
        return slack_settings("http" if mode == "http" else "socket")
    except SettingsError as exc:
        sys.exit(f"praktikbot: {exc}")


def cmd_serve(args: argparse.Namespace) -> int:
    with gc_tuning.paused():  # start-up: nothing it allocates is garbage
        from bot.background import Background
        from bot.slack import run

        settings = _slack_settings_or_exit("http")
        config = _config_or_exit()
        flows = _flows_or_exit(config)
        _configure_logging()
    gc_tuning.tune()
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
    with gc_tuning.paused():  # start-up, as in cmd_serve
        from bot.background import Background
        from bot.slack import run

        settings = _slack_settings_or_exit("socket")
        config = _config_or_exit()
        flows = _flows_or_exit(config)
        _configure_logging()
    gc_tuning.tune()
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
    with gc_tuning.paused():  # start-up, as in cmd_serve
        from bot.reminders.cli import parse_now, remind_command

        config = _config_or_exit()
        _configure_logging("WARNING")
    try:
        now = parse_now(args.now, config) if args.now else None
    except ValueError:
        print(f"praktikbot remind: --now {args.now!r} is not an ISO time.", file=sys.stderr)
        return 2
    gc_tuning.tune()
    return asyncio.run(
        remind_command(config=config, now=now, dry_run=args.dry_run, status=args.status)
    )


def _print_removed(removed: Removed, *, dry_run: bool, what: str) -> None:
    verb = "Would delete" if dry_run else "Deleted"
    print(f"{verb} {removed.total} rows {what}.")
    for table, count in sorted(removed.counts.items()):
        print(f"  {table:<18} {count}")
    if removed.cleared:
        verb = "Would clear" if dry_run else "Cleared"
        print(f"{verb} the agreement texts of {removed.cleared} praktikker (the rows stay).")


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def cmd_purge(args: argparse.Namespace) -> int:

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
    from bot.retention import ReferenceMovedError, erase_case
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    upgrade(config.storage.url)

    async def run(dry_run: bool) -> Removed:
        db = Database(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
        try:
            removed = await erase_case(db, case_ref=args.case, actor=_operator(), dry_run=dry_run)
        except ReferenceMovedError as exc:
            now = " and ".join(f"{ref} ({short})" if short else ref for ref, short in exc.current)
            raise CommandError(
                f"praktikbot erase: {exc.ref} is no longer a praktik's case reference - it was "
                f"corrected to {now}. Nothing is erased. To erase that case, with the answers "
                f"that still hold {exc.ref}, run: praktikbot erase --case {exc.current[0][0]}",
                code=1,
            ) from None
        finally:
            await db.dispose()
        _print_removed(removed, dry_run=dry_run, what="about the case")
        for ref, short in removed.kept_with:
            print(
                f"Kept: the conversations of the praktik {ref}" + (f" ({short})" if short else "")
                + " hold this reference as an earlier answer that was corrected; they are "
                "erased with that case."
            )  # fmt: skip
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
            manifest(args.mode, args.url, flows=flows, user_groups=groups, view=args.view),
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def _configure_logging(level: str | None = None) -> None:
    from bot.logs import configure_logging

    configure_logging(level)


def _date_arg(text: str | None, name: str, command: str = "report") -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"praktikbot {command}: {name} {text!r} is not a date (YYYY-MM-DD)"
        ) from None


class CommandError(Exception):
    """A command refused: one line for stderr (no traceback) and the exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _why_not(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such directory"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is not a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or exc.__class__.__name__


def claim_output(text: str, command: str) -> Path:
    """The file a command is to write, checked before it builds or records anything: a
    missing directory, a directory, or a place it may not write is refused (CommandError,
    exit 2). Changes nothing on disk."""
    import tempfile

    path = Path(text)
    try:
        if path.is_dir():
            raise IsADirectoryError(text)
        if path.exists():
            with path.open("ab"):  # may we write it? (appending nothing changes nothing)
                pass
        else:
            parent = path.parent
            if not parent.exists():
                raise FileNotFoundError(str(parent))
            if not parent.is_dir():
                raise NotADirectoryError(str(parent))
            with tempfile.TemporaryFile(dir=parent):  # may we create a file there?
                pass
    except OSError as exc:
        raise CommandError(f"praktikbot {command}: cannot write {text}: {_why_not(exc)}") from None
    return path


def write_output(path: Path, command: str, write: Callable[[Path], object]) -> None:
    """Run `write(path)`; an OSError (the disk full, the file removed meanwhile) becomes
    one line on stderr (CommandError, exit 2)."""
    try:
        write(path)
    except OSError as exc:
        raise CommandError(f"praktikbot {command}: cannot write {path}: {_why_not(exc)}") from None


def cmd_report(args: argparse.Namespace) -> int:
    """`praktikbot report`: the views (all, or --view), by --by, for --from/--to on the
    --period basis, as a table, CSV, JSON or XLSX. `report outcomes` is exit by type.
    Every argument and the output file are checked before anything is built or audited."""
    from bot.report import (
        BY_VIEWS,
        DIMENSIONS,
        PERIODS,
        VIEW_NAMES,
        Audience,
        Request,
        build_report,
        export,
    )
    from storage import queries
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    flows = _flows_or_exit(config)
    legacy = args.what == "outcomes"
    views = ["exit"] if legacy else _list_arg(args.view, VIEW_NAMES, "--view") or list(VIEW_NAMES)
    by = tuple(_list_arg(args.by, DIMENSIONS, "--by") or ["type"])
    if args.period not in PERIODS:
        raise CommandError(f"praktikbot report: --period must be one of {', '.join(PERIODS)}")
    today = _date_arg(args.today, "--today") or dt.datetime.now(config.tz).date()
    date_from = _date_arg(args.date_from, "--from")
    date_to = _date_arg(args.date_to, "--to")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise CommandError(
            f"praktikbot report: --from {date_from.isoformat()} lies after "
            f"--to {date_to.isoformat()}; the period would hold no day"
        )
    if args.by:
        ignoring = [name for name in views if name not in BY_VIEWS]
        if ignoring:
            used = [name for name in views if name in BY_VIEWS]
            print(
                f"praktikbot report: note: --by breaks down {', '.join(BY_VIEWS)} only; "
                f"{', '.join(ignoring)} {'is' if len(ignoring) == 1 else 'are'} shown "
                f"without it{'' if used else ' (so --by changes nothing here)'}",
                file=sys.stderr,
            )
    request = Request(today=today, by=by, period=args.period, date_from=date_from,
                      date_to=date_to)  # fmt: skip
    teams = frozenset(_list_arg(args.team, tuple(t.id for t in config.teams), "--team"))
    audience = Audience.teams(teams) if teams else Audience.everyone()
    if args.format == "xlsx" and not args.output:
        raise CommandError("praktikbot report: --format xlsx needs --output FILE.xlsx")
    output = claim_output(args.output, "report") if args.output else None
    upgrade(config.storage.url)

    async def run() -> tuple[export.Report, export.View | None]:
        db = Database(config.storage.url)
        try:
            report = await build_report(
                db, config, flows, request=request, audience=audience, actor=_operator(),
                views=views,
            )  # fmt: skip
            chart = None
            if args.format == "xlsx":
                by_type = Request(today, ("type",), request.period, request.date_from,
                                  request.date_to)  # fmt: skip
                chart = (
                    await build_report(
                        db,
                        config,
                        flows,
                        request=by_type,
                        audience=audience,
                        actor=_operator(),
                        views=["exit"],
                        action="view",
                        what="report_chart",
                    )
                ).views[0]
            if output is not None:
                try:
                    write(output, report, chart)
                except CommandError:
                    async with db.transaction() as session:  # the export did not happen
                        await queries.audit(
                            session,
                            actor=_operator(),
                            action="export_failed",
                            detail={"what": "report", "views": list(views)},
                        )
                    raise
            return report, chart
        finally:
            await db.dispose()

    def write(path: Path, report: export.Report, chart: export.View | None) -> None:
        if args.format == "xlsx":
            write_output(path, "report", lambda p: export.to_xlsx(report, p, chart=chart))
        else:
            write_output(path, "report", lambda p: p.write_text(render(report), encoding="utf-8"))

    def render(report: export.Report) -> str:
        formats = {"table": export.to_table, "csv": export.to_csv, "json": export.to_json}
        return formats[args.format](report)

    # The collector as serve sets it (bot.gc_tuning): a report's rows and suppression are
    # many short-lived objects, and with the default thresholds a report of every view
    # ran 160 collections, some of them full (80 ms of it).
    gc_tuning.tune()
    report, _ = asyncio.run(run())
    if output is not None:
        sheets = f" ({len(report.views)} ark og en graf)" if args.format == "xlsx" else ""
        print(f"Skrev {args.output}{sheets}.")
        return 0
    _utf8_stdio()
    sys.stdout.write(render(report))
    return 0


def _list_arg(text: str | None, allowed: Sequence[str], name: str) -> list[str]:
    if not text:
        return []
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise CommandError(
            f"praktikbot report: {name} {', '.join(unknown)} unknown; "
            f"choose from {', '.join(allowed) or '(none configured)'}"
        )
    if len(set(items)) != len(items):
        raise CommandError(f"praktikbot report: {name} names one twice")
    return items


def cmd_demo_seed(args: argparse.Namespace) -> int:
    """Fill a fresh store with a synthetic year (refuses a store that holds data)."""
    from bot.config import config_path
    from bot.demo import StoreNotEmptyError, demo_config, seed_demo
    from storage.db import Database
    from storage.migrate import upgrade

    config = _config_or_exit()
    today = _date_arg(args.today, "--today", "demo seed") or dt.datetime.now(config.tz).date()
    config_out = claim_output(args.config_out, "demo seed") if args.config_out else None
    upgrade(config.storage.url)

    async def run() -> int:
        db = Database(config.storage.url)
        try:
            seeded = await seed_demo(db, config, seed=args.seed, today=today)
        except StoreNotEmptyError as exc:
            print(f"praktikbot demo seed: {exc}.", file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(
            f"Syntetiske demodata (seed {args.seed}, til {today.isoformat()}): "
            f"{len(seeded.teams)} teams, {len(seeded.consultants)} konsulenter, "
            f"{seeded.praktikker} praktikker, {seeded.followups} opfølgninger, "
            f"{seeded.statuses} statusser efter praktik."
        )
        if config_out is not None:
            write_output(
                config_out,
                "demo seed",
                lambda path: demo_config(config_path(), config.storage.url, seeded, path),
            )
            print(
                f"Konfiguration med demo-teams: {args.config_out} - brug den med "
                f"PRAKTIKBOT_CONFIG={args.config_out} praktikbot report (eller serve)."
            )
        return 0

    return asyncio.run(run())


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
    manifest.add_argument(
        "--view",
        choices=["agent", "assistant"],
        default="agent",
        help="Slack's messaging view: agent (default for new apps) or the legacy assistant",
    )
    manifest.set_defaults(func=cmd_manifest)

    report = sub.add_parser(
        "report", help="outcome reports for the municipality (small cells suppressed)"
    )
    report.add_argument(
        "what", nargs="?", choices=["outcomes"], help="outcomes: exit to job/education by type"
    )
    report.add_argument(
        "--view",
        help="views, comma-separated: exit, cohorts, followup, overdue, duration, lead_time, "
        "companies (default: all)",
    )
    report.add_argument(
        "--by",
        help="breakdowns of exit, duration and lead_time: type,target_group,team,"
        "period,company (default: type)",
    )
    report.add_argument(
        "--period", default="end_quarter",
        help="the period's basis: start_month, start_quarter, end_month, end_quarter",
    )  # fmt: skip
    report.add_argument("--from", dest="date_from", help="first day (YYYY-MM-DD) of the period")
    report.add_argument("--to", dest="date_to", help="last day (YYYY-MM-DD) of the period")
    report.add_argument("--team", help="only these teams (ids, comma-separated)")
    report.add_argument("--format", choices=["table", "csv", "json", "xlsx"], default="table")
    report.add_argument("--output", help="write to this file (needed for xlsx)")
    report.add_argument("--today", help="as of this day (YYYY-MM-DD; default: today)")
    report.set_defaults(func=cmd_report)

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

    demo = sub.add_parser("demo", help="synthetic demo data")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    seed = demo_sub.add_parser("seed", help="fill a fresh store with a synthetic year")
    seed.add_argument("--seed", type=int, default=2026, help="random seed (same seed: same data)")
    seed.add_argument("--today", help="the year ends this day (YYYY-MM-DD; default: today)")
    seed.add_argument("--config-out", help="also write an app.yaml with the demo teams here")
    seed.set_defaults(func=cmd_demo_seed)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the schema").set_defaults(
        func=cmd_db_upgrade
    )

    rules = sub.add_parser("rules", help="the dated rule sets of app.yaml")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    rules_check = rules_sub.add_parser(
        "check", help="check the rule sets and show which applies on a date"
    )
    rules_check.add_argument("--date", help="the start date to show the rules for (YYYY-MM-DD)")
    rules_check.set_defaults(func=cmd_rules_check)

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


def refuse_cpr_arguments(argv: Sequence[str]) -> bool:
    """True (and a Danish refusal on stderr) when a command-line argument is CPR-like.
    Checked before parsing, so no error message can repeat it."""
    if any(contains_cpr(arg) for arg in argv):
        print(ARG_CPR_REFUSED.format(what="Et argument"), file=sys.stderr)
        return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if refuse_cpr_arguments(raw):
        return 2
    args = build_parser().parse_args(raw)
    try:
        return int(args.func(args))
    except CommandError as exc:
        print(exc.message, file=sys.stderr)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
