from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from factory_os.memory.packs import pack_files
from tests.helpers import fos, snapshot, write_tree

INCIDENT = (
    "---\n"
    "id: INC-abc123\n"
    "title: The deploy went out untested\n"
    "severity: high\n"
    "created_at: 2026-01-02T03:04:05Z\n"
    "created_by: alice@example.com\n"
    "---\n"
    "What happened.\n"
)
KNOWLEDGE = "---\ntitle: How we deploy\ntags: [deploy]\npaths: [deploy/**]\n---\nBody.\n"
DIGEST = (
    "---\n"
    "session: S-abc123\n"
    "actor: alice@example.com\n"
    "started_at: 2026-01-02T03:04:05Z\n"
    "ended_at: 2026-01-02T04:04:05Z\n"
    f"manifest_hash: {'ab' * 32}\n"
    "---\n"
    "## Done\n"
)
RULE = (
    "id: R-abc123\n"
    "title: No secrets\n"
    "statement: Never commit a secret.\n"
    "origin: INC-abc123\n"
    "created_at: 2026-01-02T03:04:05Z\n"
    "created_by: alice@example.com\n"
    "scope:\n"
    "  roles: [builder]\n"
    "check:\n"
    "  kind: forbidden-pattern\n"
    "  pattern: 'AKIA[0-9A-Z]{16}'\n"
)

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else 'lol'] * 10)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def check_invalid(repo: Path, files: dict[str, str | bytes], expected: list[str]) -> None:
    """Write FILES under .factory/, run validate, expect exactly EXPECTED and no change."""
    write_tree(repo / ".factory", files)
    before = snapshot(repo)
    result = fos(repo, "validate")
    assert snapshot(repo) == before
    assert result.code == 3, result.output
    assert "Traceback" not in result.output
    problems = [line for line in result.out.splitlines() if not line.endswith(" files")]
    assert problems == expected


def test_a_complete_factory_is_valid(factory_repo: Path) -> None:
    write_tree(
        factory_repo / ".factory",
        {
            "incidents/INC-abc123.md": INCIDENT,
            "knowledge/deploying.md": KNOWLEDGE,
            "digests/S-abc123.md": DIGEST,
            "rules/R-abc123.yaml": RULE,
            "ledger/seg.jsonl": "",
            "specs/SP-abc123/spec.md": "---\nid: SP-abc123\ntitle: T\nowner: test\n"
            "sponsor: test\n---\n# T\n",
            "runs/run_0123abcd/plan.json": "{}\n",
        },
    )
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output
    assert result.out == f"ok: {11 + len(pack_files('core'))} files valid\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"factory.yaml": "schema_version: 1\nname: [unclosed\n"},
            [".factory/factory.yaml:3: invalid YAML: expected ',' or ']', but got '<stream end>'"],
            id="malformed-yaml",
        ),
        pytest.param(
            {"team.yaml": "members:\n  - id: a\n\troles: [owner]\n"},
            [".factory/team.yaml:3: tab in indentation (YAML indents with spaces)"],
            id="tab",
        ),
        pytest.param(
            {"factory.yaml": "schema_version: 1\nname: f\ncontext:\n  budget_tokens: [8000]\n"},
            [".factory/factory.yaml:4: context.budget_tokens: Input should be a valid integer"],
            id="wrong-type",
        ),
        pytest.param(
            {"factory.yaml": "name: f\ngovernance:\n  escalation_sla_minutes: '30'\n"},
            [
                ".factory/factory.yaml:3: governance.escalation_sla_minutes:"
                " Input should be a valid integer"
            ],
            id="string-for-integer",
        ),
        pytest.param(
            {"factory.yaml": "schema_version: true\nname: f\ncontext:\n  digests: 2.5\n"},
            [
                ".factory/factory.yaml:1: schema_version: Input should be a valid integer",
                ".factory/factory.yaml:4: context.digests: Input should be a valid integer,"
                " got a number with a fractional part",
            ],
            id="bool-and-fraction-for-integer",
        ),
        pytest.param(
            {"factory.yaml": "name: f\nidentity:\n  require_signed_commits: yes\n"},
            [
                ".factory/factory.yaml:3: identity.require_signed_commits:"
                " Input should be a valid boolean"
            ],
            id="string-for-boolean",
        ),
        pytest.param(
            {"roles.yaml": "roles:\n  ceo:\n    description: CEO\n    approver: 1\n"},
            [".factory/roles.yaml:4: roles.ceo.approver: Input should be a valid boolean"],
            id="integer-for-boolean",
        ),
        pytest.param(
            {"factory.yaml": "schema_version: 1\nname: f\nhooks:\n  stages: []\n  colour: red\n"},
            [".factory/factory.yaml:5: hooks.colour: unknown key"],
            id="unknown-key",
        ),
        pytest.param(
            {"factory.yaml": "schema_version: 1\nname: f\nname: g\n"},
            [
                '.factory/factory.yaml:3: invalid YAML: found duplicate key "name" with value "g"'
                ' (original value: "f")'
            ],
            id="duplicate-key",
        ),
        pytest.param(
            {"roles.yaml": "roles:\n  ceo:\n    description: \x1b[31mred\n"},
            [".factory/roles.yaml:3: invalid YAML: control character U+001B is not allowed"],
            id="control-character",
        ),
        pytest.param(
            {"roles.yaml": b"roles:\n  ceo:\n    description: \x00\x01\x02\n"},
            [".factory/roles.yaml:3: binary content (NUL byte); expected UTF-8 text"],
            id="binary",
        ),
        pytest.param(
            {"roles.yaml": b"roles:\n  ceo:\n    description: caf\xe9\n"},
            [".factory/roles.yaml:3: not valid UTF-8 text"],
            id="not-utf8",
        ),
        pytest.param(
            {"team.yaml": "# padding\n" * 120_000},
            [".factory/team.yaml: file is larger than 1024 KiB"],
            id="too-large",
        ),
        pytest.param(
            {"team.yaml": "members:\n  - " + "[" * 150 + "]" * 150 + "\n"},
            [".factory/team.yaml:2: invalid YAML: nesting deeper than 100 levels"],
            id="deep-nesting",
        ),
        pytest.param(
            {"team.yaml": BOMB},
            [
                ".factory/team.yaml:5: YAML too large or too deep once aliases are expanded"
                " (alias bomb?)"
            ],
            id="alias-bomb",
        ),
        pytest.param(
            {"team.yaml": ""},
            [".factory/team.yaml:1: empty document"],
            id="empty-file",
        ),
        pytest.param(
            {"incidents/INC-abc123.md": "# no front matter\n"},
            [
                ".factory/incidents/INC-abc123.md:1: missing YAML front matter"
                " (the file must start with ---)"
            ],
            id="front-matter-missing",
        ),
        pytest.param(
            {"knowledge/deploying.md": "---\ntitle: x\n\nbody without an end\n"},
            [".factory/knowledge/deploying.md:1: front matter is not closed by a --- line"],
            id="front-matter-unclosed",
        ),
        pytest.param(
            {"digests/S-abc123.md": DIGEST.replace("actor: alice@example.com\n", "actor: ''\n")},
            [".factory/digests/S-abc123.md:3: actor: String should have at least 1 character"],
            id="front-matter-bad-value",
        ),
        pytest.param(
            {"incidents/INC-abc123.md": INCIDENT.replace("severity: high", "severity: severe")},
            [
                ".factory/incidents/INC-abc123.md:4: severity: Input should be"
                " 'low', 'medium', 'high' or 'critical'"
            ],
            id="incident-severity",
        ),
        pytest.param(
            {"DNA.md": "# DNA\n\n## Decision one\nStatus: accepted\n"},
            [".factory/DNA.md:3: a section heading must read `## D-<6+ hex>: Title` (a decision)"],
            id="dna-heading",
        ),
        pytest.param(
            {"DNA.md": "# DNA\n\n## D-abc123: Money in minor units\nStatus: approved\n"},
            [
                ".factory/DNA.md:4: D-abc123: status: Input should be"
                " 'proposed', 'accepted' or 'superseded'"
            ],
            id="dna-status",
        ),
        pytest.param(
            {"DNA.md": "## D-abc123: Money in minor units\nprose first\nStatus: accepted\n"},
            [".factory/DNA.md:1: D-abc123: missing `Status:` line under the heading"],
            id="dna-no-status",
        ),
        pytest.param(
            {"rules/R-abc123.yaml": RULE.replace("2026-01-02T03:04:05Z", "1767323045")},
            [
                ".factory/rules/R-abc123.yaml:5: created_at:"
                " Input should be written as 2026-01-31T09:00:00Z"
            ],
            id="number-for-timestamp",
        ),
        pytest.param(
            {"incidents/INC-abc123.md": INCIDENT.replace("03:04:05Z", "03:04:05")},
            [".factory/incidents/INC-abc123.md:5: created_at: Input should have timezone info"],
            id="timestamp-without-offset",
        ),
        pytest.param(
            {"knowledge/deploying.md": "---\ntitle: T\nreview_by: 0\n---\n"},
            [".factory/knowledge/deploying.md:3: review_by: Input should be written as 2026-01-31"],
            id="number-for-date",
        ),
        pytest.param(
            {"knowledge/deploying.md": "---\ntitle: T\ntags:\n  - ok\n  - Not A Slug\n---\n"},
            [
                ".factory/knowledge/deploying.md:5: tags.1: String should match pattern"
                " '^[a-z0-9][a-z0-9._-]*$'"
            ],
            id="front-matter-list-item",
        ),
        pytest.param(
            {
                "team.yaml": "members:\n  - id: a\n    name: A\n    kind: human\n"
                "    roles: [owner]\n    emails: [a@example.com]\n"
                "  - id: B\n    name: B\n    kind: agent\n    roles: [builder]\n"
                "    emails: [b@example.com]\n    signing_keys:\n      - ''\n"
            },
            [
                ".factory/team.yaml:7: members.1.id: String should match pattern"
                " '^[a-z0-9][a-z0-9._-]*$'",
                ".factory/team.yaml:13: members.1.signing_keys.0:"
                " String should have at least 1 character",
            ],
            id="second-list-item",
        ),
        pytest.param(
            {"notes.txt": "stray\n"},
            [".factory/notes.txt: not a factory file (unknown name)"],
            id="stray-file",
        ),
        pytest.param(
            {"rules/R-abc123.yml": RULE},
            [".factory/rules/R-abc123.yml: not a rules document (expected *.yaml)"],
            id="stray-suffix",
        ),
    ],
)
def test_bad_input_is_reported_at_its_line(
    factory_repo: Path, files: dict[str, str | bytes], expected: list[str]
) -> None:
    check_invalid(factory_repo, files, expected)


def test_an_anchored_boolean_is_still_a_boolean(factory_repo: Path) -> None:
    write_tree(
        factory_repo / ".factory",
        {"factory.yaml": "name: f\nidentity:\n  require_signed_commits: &signed true\n"},
    )
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output


def test_front_matter_after_a_byte_order_mark_is_read(factory_repo: Path) -> None:
    write_tree(factory_repo / ".factory", {"incidents/INC-abc123.md": "\ufeff" + INCIDENT})
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output


def test_quoted_timestamps_with_an_offset_are_valid(factory_repo: Path) -> None:
    incident = INCIDENT.replace("2026-01-02T03:04:05Z", "'2026-01-02T05:04:05+02:00'")
    write_tree(factory_repo / ".factory", {"incidents/INC-abc123.md": incident})
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output


def test_a_fifo_in_the_factory_is_reported_not_waited_on(factory_repo: Path) -> None:
    team = factory_repo / ".factory" / "team.yaml"
    team.unlink()
    os.mkfifo(team)
    proc = subprocess.run(
        [sys.executable, "-m", "factory_os", "validate"],
        cwd=factory_repo,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 3
    assert ".factory/team.yaml: not a regular file (a device, FIFO or socket)" in proc.stdout


@pytest.mark.parametrize("name", ["rules", "incidents", "ledger"])
def test_a_factory_directory_replaced_by_a_file_is_reported(factory_repo: Path, name: str) -> None:
    folder = factory_repo / ".factory" / name
    shutil.rmtree(folder)
    folder.write_text("x\n")
    before = snapshot(factory_repo)
    result = fos(factory_repo, "validate")
    assert result.code == 3
    assert result.out.splitlines()[0] == f".factory/{name}: should be a directory, but is a file"
    assert snapshot(factory_repo) == before


@pytest.mark.parametrize(
    ("check", "line", "where"),
    [
        ("  kind: forbidden-pattern\n  pattern: '(unclosed'\n", 11, "forbidden-pattern"),
        ("  kind: required-trailer\n  key: Ticket\n  pattern: '(unclosed'\n", 12,
         "required-trailer"),
    ],
)  # fmt: skip
def test_a_pattern_re2_cannot_compile_is_reported_cleanly(
    factory_repo: Path, check: str, line: int, where: str
) -> None:
    rule = RULE.split("check:\n")[0] + "check:\n" + check
    write_tree(
        factory_repo / ".factory",
        {"incidents/INC-abc123.md": INCIDENT, "rules/R-abc123.yaml": rule},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "factory_os", "validate"],
        cwd=factory_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stdout.splitlines()[0] == (
        f".factory/rules/R-abc123.yaml:{line}: check.{where}.pattern: Value error,"
        " not a valid RE2 pattern: missing ): (unclosed"
    )
    assert proc.stderr == ""


@pytest.mark.parametrize(
    ("glob", "why"),
    [
        ("src/[z-a]", "invalid character class range: z-a"),
        ("src/a[", "an unclosed or empty bracket"),
        ("src\\", "Invalid git pattern"),
    ],
)
def test_an_invalid_glob_is_reported_at_its_line(factory_repo: Path, glob: str, why: str) -> None:
    rule = RULE.replace("  roles: [builder]\n", f"  roles: [builder]\n  paths: ['{glob}']\n")
    files: dict[str, str | bytes] = {
        "incidents/INC-abc123.md": INCIDENT,
        "rules/R-abc123.yaml": rule,
    }
    write_tree(factory_repo / ".factory", files)
    result = fos(factory_repo, "validate")
    assert result.code == 3, result.output
    first = result.out.splitlines()[0]
    assert first.startswith(
        f".factory/rules/R-abc123.yaml:9: scope.paths.0: Value error, invalid glob {glob!r}"
    )
    assert why in first


def test_a_missing_config_file_is_reported(factory_repo: Path) -> None:
    (factory_repo / ".factory" / "roles.yaml").unlink()
    result = fos(factory_repo, "validate")
    assert result.code == 3
    assert ".factory/roles.yaml: file is missing" in result.out


def test_every_problem_of_every_file_in_one_run(factory_repo: Path) -> None:
    check_invalid(
        factory_repo,
        {
            "factory.yaml": "schema_version: 2\nname: f\n",
            "team.yaml": "members:\n  - id: a\n    name: A\n    kind: human\n"
            "    roles: [owner, wizard]\n    emails: [a@example.com]\n",
            "incidents/INC-abc123.md": "no front matter\n",
            "rules/R-abc123.yaml": RULE,
            "DNA.md": "## D-abc123: A\nStatus: superseded by D-fff000\n",
        },
        [
            ".factory/DNA.md:1: D-abc123 is superseded by D-fff000, which does not exist",
            ".factory/factory.yaml:1: schema_version: Input should be 1",
            ".factory/incidents/INC-abc123.md:1: missing YAML front matter"
            " (the file must start with ---)",
            ".factory/rules/R-abc123.yaml:4: origin INC-abc123 names no incident"
            " in .factory/incidents/",
            ".factory/team.yaml:5: member 'a' has role 'wizard', which roles.yaml does not define",
        ],
    )


# -- cross-references ------------------------------------------------------


def test_raci_roles_must_exist_and_every_stage_needs_an_a(factory_repo: Path) -> None:
    raci = (factory_repo / ".factory" / "raci.yaml").read_text()
    raci = raci.replace("roles: [owner, builder,", "roles: [owner, tester, builder,")
    old = "rank:     {owner: C, builder: C, reviewer: I, safety-lead: C, sponsor: A/R}"
    raci = raci.replace(old, old.replace("A/R", "R"))
    check_invalid(
        factory_repo,
        {"raci.yaml": raci},
        [
            ".factory/raci.yaml:4: role 'tester' is not defined in roles.yaml",
            ".factory/raci.yaml:7: stage 'rank' has no one Accountable (A)",
        ],
    )


def test_a_raci_stage_names_only_roles_of_the_matrix(factory_repo: Path) -> None:
    raci = (factory_repo / ".factory" / "raci.yaml").read_text()
    raci = raci.replace("  port:     {owner: I,", "  port:     {ghost: R, owner: I,")
    check_invalid(
        factory_repo,
        {"raci.yaml": raci},
        [".factory/raci.yaml:12: stage 'port' names role 'ghost', which is not in `roles`"],
    )


def test_raci_and_lifecycle_name_the_same_stages_in_one_order(factory_repo: Path) -> None:
    raci = (factory_repo / ".factory" / "raci.yaml").read_text()
    raci = "".join(
        line for line in raci.splitlines(keepends=True) if not line.startswith("  red-team:")
    )
    raci = raci.replace("  port:", "  porting:")
    check_invalid(
        factory_repo,
        {"raci.yaml": raci},
        [
            ".factory/lifecycle.yaml:45: stage 'red-team' is not a stage of raci.yaml",
            ".factory/lifecycle.yaml:57: stage 'port' is not a stage of raci.yaml",
            ".factory/raci.yaml:11: stage 'porting' has no gate in lifecycle.yaml",
        ],
    )


def test_a_team_may_rename_add_and_drop_stages(factory_repo: Path) -> None:
    raci = (factory_repo / ".factory" / "raci.yaml").read_text()
    raci = raci.replace("  port:", "  porting:")
    lifecycle = (factory_repo / ".factory" / "lifecycle.yaml").read_text()
    lifecycle = lifecycle.replace("  port:", "  porting:")
    write_tree(factory_repo / ".factory", {"raci.yaml": raci, "lifecycle.yaml": lifecycle})
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output


def test_lifecycle_stages_follow_the_raci_order(factory_repo: Path) -> None:
    raci = (factory_repo / ".factory" / "raci.yaml").read_text()
    lines = raci.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("  intake:"))
    lines[first], lines[first + 1] = lines[first + 1], lines[first]
    check_invalid(
        factory_repo,
        {"raci.yaml": "".join(lines)},
        [
            ".factory/lifecycle.yaml:8: stages are not in raci.yaml's order"
            " (rank, intake, spec, build, eval, red-team, port, launch, maintain)"
        ],
    )


def test_a_rules_roles_and_approvers_must_exist(factory_repo: Path) -> None:
    rule = RULE.replace("origin: INC-abc123", "origin: pack:core@1").replace(
        "id: R-abc123", "id: R-core-extra"
    )
    rule = rule.replace(
        "check:\n  kind: forbidden-pattern\n  pattern: 'AKIA[0-9A-Z]{16}'\n",
        "check:\n  kind: approval-required\n  approver_roles:\n    - ceo\n    - boss\n",
    )
    rule = rule.replace("roles: [builder]", "roles: [builder, intern]")
    check_invalid(
        factory_repo,
        {"rules/R-core-extra.yaml": rule},
        [
            ".factory/rules/R-core-extra.yaml:8: role 'intern' is not defined in roles.yaml",
            ".factory/rules/R-core-extra.yaml:13: role 'boss' is not defined in roles.yaml",
        ],
    )


def test_a_rules_approvers_are_approver_roles(factory_repo: Path) -> None:
    rule = RULE.replace(
        "check:\n  kind: forbidden-pattern\n  pattern: 'AKIA[0-9A-Z]{16}'\n",
        "check:\n  kind: approval-required\n  approver_roles: [owner, builder]\n",
    )
    check_invalid(
        factory_repo,
        {"incidents/INC-abc123.md": INCIDENT, "rules/R-abc123.yaml": rule},
        [
            ".factory/rules/R-abc123.yaml:11: role 'builder' cannot approve:"
            " roles.yaml does not make it an approver"
        ],
    )


def test_a_rule_from_an_unknown_pack_is_reported(factory_repo: Path) -> None:
    rule = RULE.replace("origin: INC-abc123", "origin: pack:nowhere@1")
    check_invalid(
        factory_repo,
        {"rules/R-abc123.yaml": rule},
        [".factory/rules/R-abc123.yaml:4: unknown pack 'nowhere'"],
    )


@pytest.mark.parametrize("rule_id", ["R-core-no-secrets", "R-no-secrets"])
def test_a_rule_from_an_incident_has_a_random_id(factory_repo: Path, rule_id: str) -> None:
    check_invalid(
        factory_repo,
        {
            "incidents/INC-abc123.md": INCIDENT,
            f"rules/{rule_id}.yaml": RULE.replace("id: R-abc123", f"id: {rule_id}"),
        },
        [
            f".factory/rules/{rule_id}.yaml:1: a rule from an incident or a decision has an id"
            " R-<6+ hex>, as `fos rule add` makes"
        ],
    )


def test_a_rule_from_an_existing_incident_is_valid(factory_repo: Path) -> None:
    write_tree(
        factory_repo / ".factory",
        {"incidents/INC-abc123.md": INCIDENT, "rules/R-abc123.yaml": RULE},
    )
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output


def test_ids_are_unique_across_files(factory_repo: Path) -> None:
    check_invalid(
        factory_repo,
        {
            "incidents/INC-abc123.md": INCIDENT,
            "rules/R-abc123.yaml": RULE,
            "rules/R-abc124.yaml": RULE,  # a copy that kept the id it was copied from
            "digests/S-abc123.md": DIGEST,
            "knowledge/inc-abc123.md": "---\ntitle: not an id of the same form\n---\n",
        },
        [
            ".factory/rules/R-abc124.yaml:1: file name must be its id: R-abc123.yaml",
            ".factory/rules/R-abc124.yaml:1: id R-abc123 is also used by"
            " .factory/rules/R-abc123.yaml",
        ],
    )


def test_a_document_is_named_after_its_id(factory_repo: Path) -> None:
    check_invalid(
        factory_repo,
        {"incidents/INC-abc999.md": INCIDENT},
        [".factory/incidents/INC-abc999.md:2: file name must be its id: INC-abc123.md"],
    )


def test_ids_have_the_branch_safe_form(factory_repo: Path) -> None:
    check_invalid(
        factory_repo,
        {"rules/R-0007.yaml": RULE.replace("id: R-abc123", "id: R-0007")},
        [
            ".factory/rules/R-0007.yaml:1: id: String should match pattern"
            " '^R-([0-9a-f]{6,}|[a-z][a-z0-9]*(-[a-z0-9]+)+)$'"
        ],
    )


@pytest.mark.parametrize("name", ["How We Deploy.md", "_draft.md", "Deploying.md"])
def test_a_knowledge_note_is_named_by_a_slug(factory_repo: Path, name: str) -> None:
    check_invalid(
        factory_repo,
        {f"knowledge/{name}": KNOWLEDGE},
        [
            f".factory/knowledge/{name}: a knowledge note's file name is its id:"
            " lowercase letters, digits, '.', '_' and '-' (for instance deploying-to-staging.md)"
        ],
    )


def test_member_ids_and_emails_are_unique(factory_repo: Path) -> None:
    member = (
        "  - id: {id}\n    name: X\n    kind: agent\n    roles: [builder]\n    emails: [{email}]\n"
    )
    team = "members:\n" + member.format(id="a", email="a@example.com")
    team += member.format(id="a", email="b@example.com")
    team += member.format(id="c", email="A@example.com")
    check_invalid(
        factory_repo,
        {"team.yaml": team},
        [
            ".factory/team.yaml:7: member id 'a' is used twice",
            ".factory/team.yaml:12: email a@example.com belongs to both 'a' and 'c'",
        ],
    )


def test_decision_supersede_links_resolve(factory_repo: Path) -> None:
    dna = (
        "# DNA\n\n"
        "## D-abc123: Old\nStatus: superseded by D-abc124\n\nprose\n\n"
        "## D-abc124: New\nStatus: accepted\n\n"
        "## D-abc125: Self\nStatus: superseded by D-abc125\n\n"
        "## D-abc126: Dangling\nStatus: superseded by D-999999\n"
    )
    check_invalid(
        factory_repo,
        {"DNA.md": dna},
        [
            ".factory/DNA.md:11: D-abc125 cannot supersede itself",
            ".factory/DNA.md:14: D-abc126 is superseded by D-999999, which does not exist",
        ],
    )


def test_decision_supersede_links_do_not_go_round_in_circles(factory_repo: Path) -> None:
    dna = (
        "## D-aaa111: A\nStatus: superseded by D-bbb222\n\n"
        "## D-bbb222: B\nStatus: superseded by D-ccc333\n\n"
        "## D-ccc333: C\nStatus: superseded by D-aaa111\n\n"
        "## D-ddd444: D\nStatus: superseded by D-bbb222\n"
    )
    check_invalid(
        factory_repo,
        {"DNA.md": dna},
        [
            ".factory/DNA.md:1: supersede links go round in a circle:"
            " D-aaa111 -> D-bbb222 -> D-ccc333 -> D-aaa111"
        ],
    )


# -- output ----------------------------------------------------------------


FILES = 6 + len(pack_files("core"))  # the config files, DNA.md and the core rules


def test_json_output_is_a_stable_object(factory_repo: Path) -> None:
    result = fos(factory_repo, "validate", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out) == {"ok": True, "files": FILES, "problems": []}
    write_tree(factory_repo / ".factory", {"notes.txt": "x", "team.yaml": "members: 3\n"})
    result = fos(factory_repo, "validate", "--format", "json")
    assert result.code == 3
    assert json.loads(result.out) == {
        "ok": False,
        "files": FILES,
        "problems": [
            {
                "path": ".factory/notes.txt",
                "line": 0,
                "message": "not a factory file (unknown name)",
            },
            {
                "path": ".factory/team.yaml",
                "line": 1,
                "message": "members: Input should be a valid list",
            },
        ],
    }


def test_validate_without_a_factory_is_an_environment_problem(repo: Path) -> None:
    result = fos(repo, "validate")
    assert result.code == 4
    assert "fos init" in result.err


def test_directories_among_the_documents_are_reported(factory_repo: Path) -> None:
    factory = factory_repo / ".factory"
    (factory / "rules" / "sub").mkdir()
    (factory / "rules" / "R-abc123.yaml").mkdir()
    (factory / "knowledge" / "dir.md").mkdir()
    (factory / "knowledge" / "link.md").symlink_to("../rules")
    (factory / "rules" / ".hidden.yaml").write_text("not read\n")
    result = fos(factory_repo, "validate")
    assert result.code == 3
    assert result.out.splitlines()[:-1] == [
        ".factory/knowledge/dir.md: is a directory, not a file",
        ".factory/knowledge/dir.md: not a knowledge document (expected *.md)",
        ".factory/knowledge/link.md: is a directory, not a file",
        ".factory/knowledge/link.md: not a knowledge document (expected *.md)",
        ".factory/rules/R-abc123.yaml: is a directory, not a file",
        ".factory/rules/R-abc123.yaml: not a rules document (expected *.yaml)",
        ".factory/rules/sub: not a rules document (expected *.yaml)",
    ]
