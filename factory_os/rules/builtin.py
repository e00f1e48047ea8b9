"""The checks factory-os always runs, named `fos:...`: what each is, in words.

They have no rule file, so SARIF takes their title and statement from here. A
test keeps this table in step with every `fos:` id the package reports.
"""

from __future__ import annotations

# rule id -> (title, statement)
BUILTIN: dict[str, tuple[str, str]] = {
    "fos:identity": (
        "Commits are made by members",
        "Every commit's author is a member of team.yaml, matched by email; a Factory-Member:"
        " trailer may only name the member that email already is.",
    ),
    "fos:signature": (
        "Commits are signed by their member",
        "Where factory.yaml requires signed commits, each commit carries a good signature"
        " by a key of its member.",
    ),
    "fos:entry-actor-mismatch": (
        "Ledger entries name their committer",
        "Every ledger entry a commit adds names that commit's member as its actor.",
    ),
    "fos:ledger-integrity": (
        "Ledger lines are entries fos wrote",
        "Every line a change adds to a ledger segment is an entry in canonical form whose id"
        " is the hash of its bytes and whose parents are entries of the ledger.",
    ),
    "fos:governed-change": (
        "Governed changes need an approver",
        "Retiring or superseding a rule, a rule from a decision, and changes to team.yaml,"
        " roles.yaml, raci.yaml, lifecycle.yaml or factory.yaml need the approval of an"
        " approver who is not the author (fos approve).",
    ),
    "fos:rules-in-force": (
        "Rules are never deleted or rewritten",
        "A rule file is never deleted or edited: supersede or retire the rule with fos rule;"
        " the rule as it was still applies to the change.",
    ),
    "fos:invalid-document": (
        "The factory's documents are valid",
        "Every document under .factory/ a check relies on matches its schema, and the names"
        " it uses (roles, members, rules) exist.",
    ),
    "fos:role-cannot": (
        "Roles stay out of their cannot paths",
        "A member never adds, modifies, deletes or renames a path that roles.yaml lists"
        " under `cannot` for a role they hold.",
    ),
    "fos:bot-path": (
        "Bots stay within their paths",
        "A member of kind bot in team.yaml (a dependency updater, a release job) adds,"
        " modifies, deletes or renames only the paths team.yaml lists for it.",
    ),
    "fos:override-ignored": (
        "Overrides apply only where they may",
        "An override lifts a rule only within its scope, before it expires, and never for"
        " its own granter's change; one a change adds counts only from its granter's own"
        " commit.",
    ),
    "fos:lifecycle-gate": (
        "A stage advances only through its gate",
        "A work item leaves its stage only when the stage's gate holds, and returns only"
        " where a failure sends it.",
    ),
    "fos:lifecycle-evidence": (
        "Evidence matches its file",
        "A stage's recorded evidence matches the file and the figures it names.",
    ),
    "fos:lifecycle-threshold": (
        "Evidence meets its thresholds",
        "A stage's evidence meets the thresholds lifecycle.yaml sets.",
    ),
    "fos:lifecycle-signoff": (
        "Sign-offs come from the role holder",
        "A gate is signed off by the members holding its roles on the item.",
    ),
    "fos:lifecycle-separation-of-duties": (
        "Separation of duties holds",
        "No member signs a stage in a role raci.yaml keeps apart from one they already hold.",
    ),
    "fos:lifecycle-veto": (
        "A veto stops the gate",
        "A stage does not advance while a veto stands against it.",
    ),
    "fos:lifecycle-resign": (
        "A transferred item is signed again",
        "After a role on an item is transferred, the gates it had signed are signed again.",
    ),
    "fos:lifecycle-last-stage": (
        "The last stage is the end",
        "A work item does not advance past the last stage of lifecycle.yaml.",
    ),
    "fos:lifecycle-stage": (
        "A step belongs to the item's stage",
        "Evidence and sign-offs are given for the stage a work item is at; a retired item"
        " takes no more steps.",
    ),
    "fos:lifecycle-role": (
        "Roles on an item are held by members",
        "Who holds a role on a work item is a member holding that role in team.yaml; only the"
        " owner transfers any role, retires the item, and only who answers for it logs its"
        " maintenance.",
    ),
    "fos:lifecycle-hand-edit": (
        "Owners change by transfer",
        "A spec's owner and builder change only through fos spec transfer, never by hand.",
    ),
    "fos:run-artifact": (
        "Run artifacts match their record",
        "Every artifact a run records matches its contract and the file stored with the run,"
        " and no file a run recorded is edited or deleted afterwards.",
    ),
    "fos:run-approval": (
        "Run gates are decided by those who may",
        "A run's gate is approved or refused only by a member allowed to decide it.",
    ),
    "fos:run-gates": (
        "Run gates are not loosened after they stop a run",
        "A run's gates are loosened only by an approver, and never a gate that is waiting.",
    ),
    "fos:run-gate": (
        "A run passes its gates in order",
        "A run's gate passes only when its artifacts are in and nothing stops the run.",
    ),
    "fos:run-ship": (
        "A run ships only after review and tests",
        "A run ships only with a passing review and passing tests.",
    ),
}


def described(rule_id: str) -> tuple[str, str]:
    """RULE_ID's title and statement, when it is built in; else the id itself."""
    return BUILTIN.get(rule_id, (rule_id, f"The check {rule_id}."))
