"""Work items on disk and in the ledger: reading the operating model, creating an item,
changing who holds a role, retiring it.

An item is `.factory/specs/<SP-id>/`: `spec.md` (front matter `model.spec.SpecFrontMatter`
and the spec's sections) and the evidence of its stages beside it. Its state is
never stored: `load_items` replays the ledger.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory_os import atomic, clock, store
from factory_os.errors import EnvironmentProblem, FosError, InvalidInput, UsageError
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.paths import SPECS_DIR
from factory_os.rules.actor import acting_member as identity_of
from factory_os.store import Factory
from factory_os.work import evidence, gates, items, operating, projection
from factory_os.work.items import HAND_EDIT_RULE, Item
from factory_os.work.operating import ROLE_FIELDS, Lifecycle, Member, OperatingModel, role_field

if TYPE_CHECKING:
    # the models are imported where a file is written: status and the checks never need them
    from factory_os.model.spec import SpecFrontMatter

LIFECYCLE_FILE = "lifecycle.yaml"
SPEC_FILE = items.SPEC_FILE
RETIREMENT_FILE = items.RETIREMENT_FILE
PLACEHOLDER = evidence.PLACEHOLDER
DEFAULT_SECTIONS = ("Job statement", "Inputs", "Outputs", "Tools", "Stop conditions")


class Refused(FosError):
    """The operating model forbids it; the message names the rule and who can unblock it."""


def load_model(factory: Factory) -> OperatingModel:
    path = factory.dir / LIFECYCLE_FILE
    if not path.exists():
        raise EnvironmentProblem(
            f"{factory.rel(path)} is missing: the lifecycle's gates are not defined"
            " (`fos init --force` writes the default)"
        )
    return operating.load(factory)


# the items, kept between runs: only what the ledger gained since is folded in
ITEMS = projection.Projection(
    "work-items-3", frozenset(items.KINDS), items.fold, items.dump, items.load
)


def load_items(factory: Factory) -> dict[str, Item]:
    return projection.state(factory, ITEMS)


def item_dir(factory: Factory, spec_id: str) -> Path:
    return factory.root / SPECS_DIR / spec_id


def find_item(factory: Factory, spec_id: str, *, live: bool = True) -> Item:
    item = load_items(factory).get(spec_id)
    if item is None:
        raise UsageError(f"no work item {spec_id} in the ledger (`fos spec status` lists them)")
    if live and item.retired is not None:
        raise Refused(
            f"{gates.STAGE_RULE}: {spec_id} is retired ({item.retired.data.get('reason', '')}):"
            " a retired item takes no more steps, and no one reopens it (`fos spec new` starts"
            " another)"
        )
    return item


def acting_member(factory: Factory, model: OperatingModel, actor: str | None) -> Member:
    """The member who is acting, as the one identity function says: a non-member writes
    nothing."""
    who = identity_of(factory.root, actor).id
    member = model.member(who)
    if member is None:
        raise Refused(
            f"{gates.ROLE_RULE}: {who} is not a member of team.yaml, so it cannot act on work"
            " items (a member adds it, in a team.yaml change an approver approves)"
        )
    return member


def digest_of(factory: Factory) -> gates.Digest:
    """The sha256 of a file of the work tree (a factory-relative path), or None."""

    def digest(path: str) -> str | None:
        try:
            return hashlib.sha256((factory.root / path).read_bytes()).hexdigest()
        except OSError:
            return None

    return digest


@dataclass(frozen=True)
class NewSpec:
    title: str
    owner: str
    sponsor: str
    builder: str | None = None
    reviewer: str | None = None
    safety_lead: str | None = None
    risk: str = "high"
    kind: str = "agent"
    cost_ceiling: str | None = None
    platforms: Sequence[str] = ()
    reason: str | None = None


def new_spec(factory: Factory, spec: NewSpec, *, actor: str | None = None) -> str:
    """Create a work item at the first stage; return its id."""
    model = load_model(factory)
    member = acting_member(factory, model, actor)
    front = _validated(
        {
            "id": "SP-000000",
            "title": spec.title.strip(),
            "kind": spec.kind,
            "risk": spec.risk,
            "owner": spec.owner,
            "sponsor": spec.sponsor,
            "builder": spec.builder,
            "reviewer": spec.reviewer,
            "safety_lead": spec.safety_lead,
            "platforms": list(dict.fromkeys(spec.platforms)),
            "cost_ceiling": spec.cost_ceiling,
            "same_person_reason": spec.reason,
        }
    )
    roles = {name: getattr(front, name) for name in ROLE_FIELDS if getattr(front, name)}
    _check_holders(model, roles)
    first = model.lifecycle.order()[0]
    excused = front.risk == "low" and bool(front.same_person_reason)
    problems = gates.duty_checks(roles, excused, model)
    if problems:
        raise Refused(f"{gates.DUTIES_RULE}: {problems[0].text}: name another member for one")
    spec_id = new_id("SP", lambda c: item_dir(factory, c).exists())
    front = front.model_copy(update={"id": spec_id})
    path = item_dir(factory, spec_id) / SPEC_FILE
    text = render_spec(front, _sections(model.lifecycle), store.schema_ref(path, factory, "spec"))
    data: dict[str, Any] = {
        "stage": first,
        "title": front.title,
        "roles": roles,
        "risk": front.risk,
        "platforms": front.platforms,
    }
    if front.same_person_reason:
        data["reasoned"] = True
    events.record_file(
        factory, path, text, kind=items.CREATED, actor=member.id, subject=spec_id, data=data
    )
    return spec_id


def _check_holders(model: OperatingModel, roles: dict[str, str]) -> None:
    for name, member_id in roles.items():
        problem = gates.holder_refusal(model, name, member_id)
        if problem:
            raise Refused(f"{gates.ROLE_RULE}: {problem}")


def _validated(fields: dict[str, Any]) -> SpecFrontMatter:
    from pydantic import ValidationError

    from factory_os.model.spec import SpecFrontMatter

    try:
        return SpecFrontMatter.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"{where.replace('_', '-')}: {first['msg']}") from None


def _sections(lifecycle: Lifecycle) -> list[str]:
    """The sections the lifecycle asks spec.md to have, else a default set."""
    for gate in lifecycle.stages.values():
        for kind in gate.evidence:
            if kind.file == SPEC_FILE and kind.format == "markdown":
                return list(kind.sections)
    return list(DEFAULT_SECTIONS)


def render_spec(front: SpecFrontMatter, sections: Sequence[str], schema: str) -> str:
    fields = front.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    head = store.dump_yaml(fields, schema=schema)
    body = "".join(f"\n## {section}\n\n{PLACEHOLDER}\n" for section in sections)
    return f"---\n{head}---\n# {front.title}\n{body}"


def transfer(
    factory: Factory,
    spec_id: str,
    *,
    to: str,
    reason: str,
    role: str | None = None,
    actor: str | None = None,
) -> str:
    """Give ROLE (default: the owner's) on SPEC_ID to member TO; rewrite spec.md and record it."""
    model = load_model(factory)
    member = acting_member(factory, model, actor)
    item = find_item(factory, spec_id)
    role = role or model.lifecycle.owner_role
    name = role_field(role)
    if name not in ROLE_FIELDS:
        raise UsageError(f"{role} is not a role a spec names ({', '.join(ROLE_FIELDS)})")
    if not reason.strip():
        raise UsageError("a transfer needs --reason")
    allowed = gates.transfer_refusal(item, model, member.id, role, to)
    if not allowed.ok:
        raise Refused(f"{allowed.rule}: {allowed.text}")
    path = item_dir(factory, spec_id) / SPEC_FILE
    text = _with_field(factory, path, name, to)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    atomic.write_atomic(path, text)
    return events.append(
        factory,
        kind=items.TRANSFERRED,
        actor=member.id,
        subject=spec_id,
        refs=[(factory.rel(path), digest)],
        data={"role": role, "from": item.roles.get(name, ""), "to": to, "reason": reason.strip()},
    )


def _with_field(factory: Factory, path: Path, name: str, value: str) -> str:
    rel = factory.rel(path)
    front, body, _line = store.split_front_matter(store.read_text(path, rel), rel)
    doc = store.parse_yaml(front, rel, line_offset=1)
    if not isinstance(doc.tree, dict):
        raise InvalidInput.one(rel, 2, "front matter is not a mapping")
    doc.tree[name] = value
    return f"---\n{store.dump_yaml(doc.tree)}---\n{body}"


def check_front_matter(item: Item, text: str, rel: str) -> None:
    """Refuse TEXT as ITEM's spec.md when its front matter is not a valid spec
    (InvalidInput) or says other than the ledger about the item: its id, risk tier
    or who holds a role (Refused: a role changes with `fos spec transfer`)."""
    front, _body, _line = store.split_front_matter(text, rel)
    doc = store.parse_yaml(front, rel, line_offset=1)
    spec = _front_matter(doc)
    written = {name: getattr(spec, name) for name in ROLE_FIELDS}
    differs = [
        (name, value, item.roles.get(name))
        for name, value in written.items()
        if value != item.roles.get(name)
    ]
    if spec.id != item.id:
        raise Refused(
            f"{HAND_EDIT_RULE}: {rel}: id is {spec.id}, but this is the spec of {item.id}:"
            f" restore `id: {item.id}`"
        )
    if spec.risk != item.risk:
        raise Refused(
            f"{HAND_EDIT_RULE}: {rel}: risk is {spec.risk}, but the ledger says {item.risk}:"
            f" restore `risk: {item.risk}` (a risk tier is set once, by `fos spec new`)"
        )
    if differs:
        name, value, recorded = differs[0]
        raise Refused(
            f"{HAND_EDIT_RULE}: {rel}: {name} is {value or 'unset'}, but the ledger says"
            f" {recorded or 'unset'}: change it with"
            f" `fos spec transfer {item.id} --role {name.replace('_', '-')} --to ...`"
        )


def _front_matter(doc: store.YamlDocument) -> SpecFrontMatter:
    from factory_os.model.spec import SpecFrontMatter

    return store.validate(SpecFrontMatter, doc)


def retire(factory: Factory, spec_id: str, *, reason: str, actor: str | None = None) -> str:
    """Retire SPEC_ID: its retirement record and `spec.retired`; only its owner may."""
    model = load_model(factory)
    member = acting_member(factory, model, actor)
    item = find_item(factory, spec_id)
    problem = gates.retire_refusal(item, model, member.id)
    if problem:
        raise Refused(f"{gates.ROLE_RULE}: {problem}")
    if not reason.strip():
        raise UsageError("retiring needs --reason")
    path = item_dir(factory, spec_id) / RETIREMENT_FILE
    text = (
        f"# Retirement of {spec_id}\n\n- date: {clock.stamp()}\n- by: {member.id}\n"
        f"- stage: {item.stage}\n\n## Reason\n\n{reason.strip()}\n"
    )
    return events.record_file(
        factory,
        path,
        text,
        kind=items.RETIRED,
        actor=member.id,
        subject=spec_id,
        data={"reason": reason.strip(), "stage": item.stage},
    )
