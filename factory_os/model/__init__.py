"""Pydantic models of every file kind under `.factory/` (DESIGN section 3), and the
vocabularies every layer shares (`model.vocabulary`).

Nothing is imported here: the hook path reads `model.vocabulary` without pydantic.
`SCHEMAS` (schema name -> model) is built on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pydantic import BaseModel

    SCHEMAS: dict[str, type[BaseModel]]


def __getattr__(name: str) -> object:
    if name != "SCHEMAS":
        raise AttributeError(name)
    from factory_os.model.artifacts import ARTIFACT_SCHEMAS
    from factory_os.model.dna import Decision
    from factory_os.model.documents import (
        DigestFrontMatter,
        IncidentFrontMatter,
        KnowledgeFrontMatter,
    )
    from factory_os.model.factory import FactoryConfig
    from factory_os.model.ledger import LedgerEntry
    from factory_os.model.lifecycle import Lifecycle
    from factory_os.model.raci import Raci
    from factory_os.model.rule import Rule, RuleDraft
    from factory_os.model.run import RunDocument
    from factory_os.model.spec import (
        BuildEvidence,
        CaseReport,
        LaunchRecord,
        RankingEvidence,
        SpecFrontMatter,
    )
    from factory_os.model.team import Roles, Team

    # `fos schemas` writes schemas/<name>.schema.json for each
    return {
        "factory": FactoryConfig,
        "team": Team,
        "roles": Roles,
        "raci": Raci,
        "lifecycle": Lifecycle,
        "rule": Rule,
        "rule-draft": RuleDraft,
        "incident": IncidentFrontMatter,
        "knowledge": KnowledgeFrontMatter,
        "digest": DigestFrontMatter,
        "decision": Decision,
        "ledger-entry": LedgerEntry,
        "spec": SpecFrontMatter,
        "evidence-ranking": RankingEvidence,
        "evidence-build": BuildEvidence,
        "evidence-cases": CaseReport,
        "evidence-launch-record": LaunchRecord,
        "run": RunDocument,
        # the artifacts of a factory run, under schemas/artifacts/
        **{f"artifacts/{kind}": model for kind, model in ARTIFACT_SCHEMAS.items()},
    }
