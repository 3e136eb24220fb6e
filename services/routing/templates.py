"""Process templates (流程模板) as data, and what the engine reads from them.

A template (:class:`~services.routing.schemas.TemplateDef`) lists steps; each
step names the roles that may act there, the actions allowed there and the step
each action leads to (``None``: the branch ends), a time limit in working days
and whether the step may be returned (退回), urged (催办) or circulated (传阅).

The engine gives a few actions a meaning beyond "go to the next step":

* ``distribute`` (分办) is the first step of an incoming template; its target is
  the first step of every division's branch;
* a step that allows ``instruct`` is a leader step (批示): it gets one task per
  chosen leader, and it is skipped when no leader was chosen;
* ``return`` goes back to the step named as its target, to whoever held it;
* ``archive`` (归档) ends the whole document;
* a step whose roles include ``registrar`` is held by the document's registry
  (文书处), any other by the division of the branch.

Pure code: pydantic and the standard library only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.common.errors import InvalidInput
from services.common.vocabulary import TENANT_ROLES, Role
from services.routing.schemas import (
    Action,
    StepDef,
    TemplateDef,
)

ACTION_NAMES = frozenset(a.value for a in Action)
#: actions of the outgoing route (发文) only
OUTGOING_ONLY = frozenset(
    {
        Action.submit,
        Action.check,
        Action.countersign,
        Action.issue,
        Action.number,
        Action.seal,
        Action.dispatch,
    }
)
#: every outgoing template has these steps (签发, 编号, 分发)
OUTGOING_REQUIRED = frozenset({Action.issue, Action.number, Action.dispatch})
#: actions of the incoming route (收文) only
INCOMING_ONLY = frozenset({Action.distribute, Action.sign, Action.instruct})


def _step(template: TemplateDef, key: str) -> StepDef:
    return next(s for s in template.steps if s.key == key)


def _bad(message: str) -> InvalidInput:
    return InvalidInput("bad_template", message)


def validate_template(template: TemplateDef) -> None:
    """Refuse a template the engine could not run (``InvalidInput("bad_template")``).

    Pydantic has checked the shapes; this checks that the steps hang together.
    """
    keys = [s.key for s in template.steps]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise _bad(f"step keys must be unique: {', '.join(duplicates)}")
    known = set(keys)
    if template.first_step not in known:
        raise _bad(f"first_step {template.first_step!r} is not a step")
    for step in template.steps:
        unknown_roles = sorted(set(step.roles) - TENANT_ROLES)
        if unknown_roles:
            raise _bad(f"step {step.key!r}: unknown roles {', '.join(unknown_roles)}")
        if not step.actions:
            raise _bad(f"step {step.key!r} allows no action")
        for action, target in step.actions.items():
            if action not in ACTION_NAMES:
                raise _bad(f"step {step.key!r}: unknown action {action!r}")
            if target is not None and target not in known:
                raise _bad(f"step {step.key!r}: action {action!r} leads to unknown step {target!r}")
        if Action.return_.value in step.actions:
            if not step.allow_return:
                raise _bad(f"step {step.key!r} lists return but does not allow_return")
            if step.actions[Action.return_.value] is None:
                raise _bad(f"step {step.key!r}: return must name the step it goes back to")
        leading = {Action.instruct.value, Action.issue.value} & set(step.actions)
        if leading and len(step.actions) > 2:
            raise _bad(f"leader step {step.key!r} allows only {leading.pop()} and return")
        if Action.countersign.value in step.actions:
            target = step.actions[Action.countersign.value]
            if target is None or Action.countersign.value in _step(template, target).actions:
                raise _bad(f"countersign step {step.key!r} must lead to another step")
    distributing = [s for s in template.steps if Action.distribute.value in s.actions]
    archiving = [s for s in template.steps if Action.archive.value in s.actions]
    if template.kind == "incoming":
        first = next(s for s in template.steps if s.key == template.first_step)
        if Action.distribute.value not in first.actions or first.actions["distribute"] is None:
            raise _bad("the first step of an incoming template must distribute to a step")
        if first.actions["distribute"] == first.key:
            raise _bad("distribute must lead to the divisions' first step")
    used = {a for s in template.steps for a in s.actions}
    if template.kind == "outgoing":
        wrong = sorted(used & {a.value for a in INCOMING_ONLY})
        if wrong:
            raise _bad(f"an outgoing template does not {', '.join(wrong)}")
        missing = sorted({a.value for a in OUTGOING_REQUIRED} - used)
        if missing:
            raise _bad(f"an outgoing template needs steps that {', '.join(missing)}")
    else:
        wrong = sorted(used & {a.value for a in OUTGOING_ONLY})
        if wrong:
            raise _bad(f"an incoming template does not {', '.join(wrong)}")
    if len(distributing) > 1 or (distributing and distributing[0].key != template.first_step):
        raise _bad("only the first step may distribute")
    if len(archiving) > 1:
        raise _bad("at most one step may archive")


@dataclass(frozen=True)
class Flow:
    """A validated template with its steps indexed: what the engine asks of it."""

    template: TemplateDef
    steps: dict[str, StepDef] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", {s.key: s for s in self.template.steps})

    @classmethod
    def of(cls, template: TemplateDef) -> Flow:
        validate_template(template)
        return cls(template)

    # -- steps -----------------------------------------------------------------------------
    def step(self, key: str) -> StepDef:
        try:
            return self.steps[key]
        except KeyError:
            raise InvalidInput("bad_template", f"no step {key!r} in the template") from None

    @property
    def first_step(self) -> StepDef:
        return self.steps[self.template.first_step]

    @property
    def distribution_target(self) -> str | None:
        """The first step of a division's branch (where ``distribute`` leads)."""
        return self.first_step.actions.get(Action.distribute.value)

    @property
    def archive_step(self) -> StepDef | None:
        return next((s for s in self.template.steps if Action.archive.value in s.actions), None)

    def is_registry_step(self, key: str) -> bool:
        """Held by the document's registry (文书处) rather than the branch's division."""
        return Role.registrar in self.step(key).roles

    @property
    def outgoing(self) -> bool:
        return self.template.kind == "outgoing"

    def lives_in_registry_instance(self, key: str) -> bool:
        """Distribution and archiving of a received document belong to the document, not
        to one division's branch; an outgoing document has one route (its drafting
        division's), the registry's steps included."""
        if self.outgoing:
            return False
        step = self.step(key)
        return Action.distribute.value in step.actions or Action.archive.value in step.actions

    def is_leader_step(self, key: str) -> bool:
        """批示 or 签发: a step held by a chosen leader (a secretary may enter it)."""
        actions = self.step(key).actions
        return Action.instruct.value in actions or Action.issue.value in actions

    def is_issue_step(self, key: str) -> bool:
        return Action.issue.value in self.step(key).actions

    def is_countersign_step(self, key: str) -> bool:
        return Action.countersign.value in self.step(key).actions

    def needs_signer(self, key: str, action: str) -> bool:
        """Whether this action sends the document on towards 签发 (through 会签 or
        straight), so that it must name the signing leader; from 会签 the leader
        named before is kept."""
        if action == Action.return_.value or self.is_countersign_step(key):
            return False
        target = self.step(key).actions.get(action)
        if target is not None and self.is_countersign_step(target):
            target = self.step(target).actions[Action.countersign.value]
        return target is not None and self.is_issue_step(target)

    # -- actions ----------------------------------------------------------------------------
    def actions_at(self, key: str) -> list[str]:
        """The actions a holder of a task at this step may take, in template order."""
        step = self.step(key)
        return [a for a in step.actions if a != Action.return_.value or step.allow_return]

    def target(self, key: str, action: str) -> str | None:
        return self.step(key).actions[action]


def step_roles(step: StepDef) -> list[str]:
    return sorted(set(step.roles))


def holds_any(roles: Iterable[str], wanted: Iterable[str]) -> bool:
    return not set(roles).isdisjoint(wanted)


DEFAULT_TEMPLATE_ID = uuid.UUID("317e4d8b-7fb3-51e8-8ae3-969d3f2679aa")
"""Id of version 1 of the platform default (uuid5 of ``gongwen:routing:template:incoming-default:1``)."""
