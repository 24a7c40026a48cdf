import pytest
from django.contrib.auth.models import AnonymousUser, Group, User

from paydesk.core.roles import Capability, Role, can, roles_of

pytestmark = pytest.mark.django_db


def _user(name: str, *roles: Role) -> User:
    user = User.objects.create(username=name)
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    return user


def test_every_role_has_its_group_after_migrations() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_roles_of_reads_groups() -> None:
    assert roles_of(_user("a", Role.AGENT, Role.REGIONAL)) == {Role.AGENT, Role.REGIONAL}


def test_auditor_reads_but_cannot_work_or_approve() -> None:
    auditor = _user("aud", Role.AUDITOR)
    assert can(auditor, Capability.READ_LEDGER)
    assert can(auditor, Capability.READ_AUDIT)
    assert not can(auditor, Capability.WORK_TICKETS)
    assert not can(auditor, Capability.APPROVE_MONEY_ACTION)
    assert not can(auditor, Capability.CONFIGURE)


def test_agent_proposes_but_does_not_approve_money_actions() -> None:
    agent = _user("ag", Role.AGENT)
    assert can(agent, Capability.PROPOSE_MONEY_ACTION)
    assert not can(agent, Capability.APPROVE_MONEY_ACTION)


def test_anonymous_and_inactive_users_have_no_capability() -> None:
    inactive = _user("gone", Role.ADMIN)
    inactive.is_active = False
    assert not can(AnonymousUser(), Capability.READ_LEDGER)
    assert not can(inactive, Capability.READ_LEDGER)


def test_no_role_means_no_capability() -> None:
    nobody = _user("nobody")
    assert [cap for cap in Capability if can(nobody, cap)] == []
