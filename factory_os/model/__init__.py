"""Pydantic models of every file kind under `.factory/` (DESIGN section 3)."""

from __future__ import annotations

from pydantic import BaseModel

from factory_os.model.dna import Decision
from factory_os.model.documents import DigestFrontMatter, IncidentFrontMatter, KnowledgeFrontMatter
from factory_os.model.factory import FactoryConfig
from factory_os.model.ledger import LedgerEntry
from factory_os.model.lifecycle import Lifecycle
from factory_os.model.raci import Raci
from factory_os.model.rule import Rule, RuleDraft
from factory_os.model.spec import (
    BuildEvidence,
    CaseReport,
    LaunchRecord,
    RankingEvidence,
    SpecFrontMatter,
)
from factory_os.model.team import Roles, Team

# schema name -> model; `fos schemas` writes schemas/<name>.schema.json for each
SCHEMAS: dict[str, type[BaseModel]] = {
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
}
