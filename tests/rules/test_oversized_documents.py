"""Every document a check reads from git is refused unread past the size limit, as a
rule file is: a spec, evidence or a run artifact of megabytes would cost minutes and
gigabytes to parse. The check's process runs under an address-space cap that a parse
would exceed."""

from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import commit_as, findings
from tests.helpers import fos_process, git
from tests.lifecycle_helpers import EMAIL, make_team, new_item

LIMIT = "file is larger than 1024 KiB"


def test_a_spec_over_the_size_limit_is_refused_unread(factory_repo: Path) -> None:
    make_team(factory_repo)
    spec_id = new_item(factory_repo)
    base = commit_as(factory_repo, EMAIL["olivia"], "new item")
    spec = factory_repo / ".factory" / "specs" / spec_id / "spec.md"
    text = spec.read_text()
    notes = "notes:\n" + "".join(f"  - n{n}\n" for n in range(300_000))
    spec.write_text(text.replace("\n---\n", "\n" + notes + "---\n", 1))
    assert spec.stat().st_size > 2 * 1024 * 1024
    git(factory_repo, "add", "-A")
    staged = fos_process(factory_repo, "check", "--staged", memory=256 << 20)
    assert staged.code == 1, staged.output
    assert f".factory/specs/{spec_id}/spec.md: block: invalid document: {LIMIT}" in staged.out
    commit_as(factory_repo, EMAIL["olivia"], "a huge spec")
    result = fos_process(
        factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json", memory=256 << 20
    )
    assert result.code == 1 and result.out.startswith("{"), result.output
    refused = [f for f in findings(result.out) if LIMIT in f["message"]]
    assert [(f["rule_id"], f["path"]) for f in refused] == [
        ("fos:invalid-document", f".factory/specs/{spec_id}/spec.md")
    ]
