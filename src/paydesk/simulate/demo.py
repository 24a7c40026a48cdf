"""The demo: role groups, PSPs, one user per role, a seeded world, and the server with its scheduler.

Owns ``paydesk demo`` end to end (and the serving half of ``paydesk serve``). Protects idempotency: a second run
creates no duplicate users, PSPs or transactions and prints the same logins. Demo passwords are random, never
hard-coded; they and the agent's API token are kept in ``$PAYDESK_HOME/demo_logins.json`` (mode 0600), the only
place a plain token exists, so a rerun can print them again.
"""

from __future__ import annotations

import importlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from paydesk.core.audit import audit_record
from paydesk.core.roles import Role, ensure_role_groups
from paydesk.core.scheduler import PERIODIC_JOBS, EmbeddedScheduler, PeriodicJob
from paydesk.core.tokens import api_token_authenticate, api_token_issue
from paydesk.simulate.inquiries import seed_inquiries
from paydesk.simulate.seed import SeedResult, psps_ensure, seed_world

LOGINS_FILE = "demo_logins.json"
SIMULATE_JOB = "paydesk.simulate.tasks.simulate_live_tick"
TOKEN_USER = Role.AGENT.value


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    role: str
    password: str
    superuser: bool = False


@dataclass(frozen=True, slots=True)
class DemoSummary:
    logins: tuple[DemoLogin, ...]
    token: str
    token_user: str
    world: SeedResult
    created_users: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "logins": [{"username": x.username, "role": x.role, "password": x.password} for x in self.logins],
            "token": self.token,
            "token_user": self.token_user,
            "world": self.world.as_dict(),
            "created_users": list(self.created_users),
        }


def _logins_path() -> Path:
    return Path(settings.PAYDESK_HOME) / LOGINS_FILE


def _read_logins() -> dict[str, Any]:
    path = _logins_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_logins(data: dict[str, Any]) -> None:
    path = _logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    tmp.chmod(0o600)
    tmp.replace(path)


def demo_users_ensure(passwords: dict[str, str]) -> tuple[list[DemoLogin], list[str]]:
    """One user per role (``admin`` is a superuser). Missing users are created with the known or a new password."""
    user_model = get_user_model()
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    logins: list[DemoLogin] = []
    created: list[str] = []
    with transaction.atomic():
        existing = {u.get_username(): u for u in user_model.objects.filter(username__in=[r.value for r in Role])}
        for role in Role:
            username = role.value
            superuser = role == Role.ADMIN
            password = passwords.get(username) or secrets.token_urlsafe(9)
            user = existing.get(username)
            if user is None:
                user = user_model.objects.create_user(
                    username=username, email=f"{username}@demo.paydesk.invalid", password=password
                )
                user.is_staff = superuser
                user.is_superuser = superuser
                user.save(update_fields=["is_staff", "is_superuser"])
                created.append(username)
                audit_record(
                    action="demo.user_create",
                    actor=None,
                    actor_label="demo",
                    object_type="user",
                    object_id=username,
                    data={"role": role.value, "superuser": superuser},
                )
            elif username not in passwords:
                # The logins file was lost: give the user a fresh password so the printed one works.
                user.set_password(password)
                user.save(update_fields=["password"])
                audit_record(
                    action="demo.password_reset", actor=None, actor_label="demo", object_type="user", object_id=username
                )
            user.groups.add(groups[role.value])
            logins.append(DemoLogin(username=username, role=role.value, password=password, superuser=superuser))
    return logins, created


def prepare(*, players: int, days: int, seed: int, console: Any | None) -> DemoSummary:
    """Everything the demo needs, created at most once: groups, PSPs, users, the agent's token, the world."""
    ensure_role_groups()
    psps_ensure()
    stored = _read_logins()
    passwords = {k: v for k, v in dict(stored.get("passwords") or {}).items() if isinstance(v, str)}
    logins, created = demo_users_ensure(passwords)
    token = str(stored.get("token") or "")
    token_owner = api_token_authenticate(token) if token else None
    if token_owner is None or token_owner.get_username() != TOKEN_USER:
        agent = get_user_model().objects.get(username=TOKEN_USER)
        token = api_token_issue(user=agent, name="demo")
    _write_logins({"passwords": {x.username: x.password for x in logins}, "token": token})
    if console is not None:
        console.print(f"Seeding the simulated world: {players:,} players over {days} days (seed {seed})…")
    world = seed_world(players=players, days=days, seed=seed, console=console)
    if console is not None:
        console.print(world.describe())
    # Players write in about their own payments; intake triages, diagnoses and drafts a reply for each.
    asked = seed_inquiries(tag=world.tag, seed=seed, players=players, anchor=world.anchor, console=console)
    if console is not None:
        console.print(f"player inquiries: {asked.registered:,} registered as tickets, {asked.already:,} already there")
    return DemoSummary(
        logins=tuple(logins), token=token, token_user=TOKEN_USER, world=world, created_users=tuple(created)
    )


def print_logins(summary: DemoSummary, *, console: Any, host: str = "127.0.0.1", port: int = 8000) -> None:
    from rich.table import Table

    url = f"http://{host}:{port}/"
    table = Table(title=f"Paydesk demo — {url}", title_justify="left")
    table.add_column("role")
    table.add_column("username")
    table.add_column("password")
    for login in summary.logins:
        role = f"{login.role} (superuser)" if login.superuser else login.role
        table.add_row(role, login.username, login.password)
    console.print(table)
    console.print(f"Sign in at [bold]{url}login/[/] · Django admin at {url}admin/ (admin user)")
    console.print(f"API token for [bold]{summary.token_user}[/]: {summary.token}")
    console.print(f"  curl -H 'Authorization: Bearer {summary.token}' {url}api/v1/transactions?player=<external id>")


def scheduler_jobs(*, trickle: bool) -> tuple[PeriodicJob, ...]:
    """The periodic jobs to run in-process; without trickle the simulated traffic job is left out."""
    return tuple(job for job in PERIODIC_JOBS if trickle or job.task_name != SIMULATE_JOB)


def serve(
    *,
    host: str,
    port: int,
    trickle: bool,
    console: Any,
    workers: int = 1,
    scheduler: bool = True,
) -> None:
    """Run uvicorn on the ASGI app, with the embedded scheduler thread unless ``scheduler`` is False."""
    from paydesk.config.serving import APP, run_server

    if trickle:
        from paydesk.simulate.psp_webhooks import enable_demo_webhooks

        enable_demo_webhooks(host=host, port=port)
    jobs = scheduler_jobs(trickle=trickle) if scheduler else ()
    if workers == 1:
        # The application is served from this process: load it now, before the scheduler thread starts importing
        # (see EmbeddedScheduler.start); uvicorn then finds it already imported.
        importlib.import_module(APP.split(":", 1)[0])
    runner = EmbeddedScheduler(jobs) if jobs else None
    if runner is not None:
        runner.start()
    names = ", ".join(job.task_name.rsplit(".", 1)[-1] for job in jobs) or "none"
    console.print(f"Serving Paydesk on [bold]http://{host}:{port}/[/] (periodic jobs: {names}); Ctrl+C stops it.")
    try:
        run_server(host=host, port=port, workers=workers)
    finally:
        if runner is not None:
            runner.stop()
