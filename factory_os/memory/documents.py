"""Reading the factory's documents into validated models.

Every loader raises InvalidInput with `path:line` problems; `scan` reads
everything and collects the problems of every file instead of stopping at the
first, which is what `fos validate` needs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from factory_os import store
from factory_os.errors import InvalidInput, Problem, UsageError
from factory_os.model.dna import Decision, parse_dna
from factory_os.model.documents import DigestFrontMatter, IncidentFrontMatter, KnowledgeFrontMatter
from factory_os.model.factory import FactoryConfig
from factory_os.model.lifecycle import Lifecycle
from factory_os.model.raci import Raci
from factory_os.model.rule import Rule
from factory_os.model.spec import SpecFrontMatter
from factory_os.model.team import Roles, Team
from factory_os.store import Factory, YamlDocument

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

CONFIG_FILES = {"factory.yaml": FactoryConfig, "team.yaml": Team, "roles.yaml": Roles,
                "raci.yaml": Raci, "lifecycle.yaml": Lifecycle}  # fmt: skip
# directories whose files are documents of one kind: (dir, suffix)
DOCUMENT_DIRS = {"rules": ".yaml", "incidents": ".md", "knowledge": ".md", "digests": ".md"}
# directories `fos` owns but whose contents are checked elsewhere (ledger: `fos verify`)
OTHER_DIRS = ("ledger", "specs", "runs", store.SCHEMA_DIR)
OTHER_FILES = ("DNA.md", ".gitattributes", "README.md")


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A validated document, with where it came from (for messages with lines)."""

    value: M
    path: Path
    doc: YamlDocument
    body: str = ""

    @property
    def rel(self) -> str:
        return self.doc.rel

    @property
    def stem(self) -> str:
        return self.path.stem

    def line_of(self, *loc: int | str) -> int:
        return self.doc.line_of(loc)


def load_yaml_model(
    factory: Factory, path: Path, model: type[M], raw: bytes | None = None
) -> Loaded[M]:
    """The YAML file at PATH as a MODEL; RAW, when given, is its bytes, already read."""
    rel = factory.rel(path)
    doc = store.parse_yaml(_text(path, rel, raw), rel)
    return Loaded(store.validate(model, doc), path, doc)


def load_markdown_model(
    factory: Factory, path: Path, model: type[M], raw: bytes | None = None
) -> Loaded[M]:
    """The front matter of the Markdown file at PATH as a MODEL, and its body; RAW, when
    given, is its bytes, already read."""
    rel = factory.rel(path)
    front, body, _body_line = store.split_front_matter(_text(path, rel, raw), rel)
    doc = store.parse_yaml(front, rel, line_offset=1)
    return Loaded(store.validate(model, doc), path, doc, body)


def _text(path: Path, rel: str, raw: bytes | None) -> str:
    return store.read_text(path, rel) if raw is None else store.text_of(raw, rel)


def load_config(factory: Factory) -> FactoryConfig:
    return load_yaml_model(factory, factory.dir / "factory.yaml", FactoryConfig).value


def load_team(factory: Factory) -> Team:
    return load_yaml_model(factory, factory.dir / "team.yaml", Team).value


def load_roles(factory: Factory) -> Roles:
    return load_yaml_model(factory, factory.dir / "roles.yaml", Roles).value


def load_raci(factory: Factory) -> Raci:
    return load_yaml_model(factory, factory.dir / "raci.yaml", Raci).value


def load_decisions(factory: Factory) -> list[Decision]:
    path = factory.dir / "DNA.md"
    if not path.exists():
        return []
    rel = factory.rel(path)
    return parse_dna(store.read_text(path, rel), rel)


def single_line(value: str, option: str) -> str:
    """VALUE stripped, when it is one non-empty line (OPTION names it in the error)."""
    text = value.strip()
    if not text or "\n" in text or "\r" in text:
        raise UsageError(f"{option} must be one non-empty line")
    return text


def document_paths(factory: Factory, directory: str) -> list[Path]:
    """The document files of DIRECTORY, sorted by name (hidden files are skipped)."""
    suffix = DOCUMENT_DIRS[directory]
    folder = factory.dir / directory
    try:
        # names, not Paths, compared and sorted: a thousand Paths cost milliseconds
        names = os.listdir(folder)
    except (NotADirectoryError, FileNotFoundError):
        return []
    # for a name that is not hidden, ending in SUFFIX is having it as its Path.suffix
    return [folder / n for n in sorted(n for n in names if n.endswith(suffix) and n[0] != ".")]


def spec_paths(factory: Factory) -> list[Path]:
    """`specs/<id>/spec.md` of every work item, sorted."""
    folder = factory.dir / "specs"
    if not folder.is_dir():
        return []
    return sorted(
        p / "spec.md" for p in folder.iterdir() if p.is_dir() and (p / "spec.md").exists()
    )


def load_rules(factory: Factory) -> list[Loaded[Rule]]:
    return [load_yaml_model(factory, p, Rule) for p in document_paths(factory, "rules")]


def load_incidents(factory: Factory) -> list[Loaded[IncidentFrontMatter]]:
    return [
        load_markdown_model(factory, p, IncidentFrontMatter)
        for p in document_paths(factory, "incidents")
    ]


def load_knowledge(factory: Factory) -> list[Loaded[KnowledgeFrontMatter]]:
    return [
        load_markdown_model(factory, p, KnowledgeFrontMatter)
        for p in document_paths(factory, "knowledge")
    ]


@dataclass
class Scan:
    """Everything that could be read, and every problem met on the way."""

    config: Loaded[FactoryConfig] | None = None
    team: Loaded[Team] | None = None
    roles: Loaded[Roles] | None = None
    raci: Loaded[Raci] | None = None
    lifecycle: Loaded[Lifecycle] | None = None
    specs: list[Loaded[SpecFrontMatter]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    rules: list[Loaded[Rule]] = field(default_factory=list)
    incidents: list[Loaded[IncidentFrontMatter]] = field(default_factory=list)
    knowledge: list[Loaded[KnowledgeFrontMatter]] = field(default_factory=list)
    digests: list[Loaded[DigestFrontMatter]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def scan(factory: Factory) -> Scan:
    """Read every file under `.factory/`, collecting problems rather than stopping."""
    result = Scan()

    def attempt(read: Callable[..., T], *args: Any) -> T | None:
        result.files += 1
        try:
            return read(*args)
        except InvalidInput as exc:
            result.problems.extend(exc.problems)
            return None

    for name, model in CONFIG_FILES.items():
        path = factory.dir / name
        if not path.exists():
            result.problems.append(Problem(factory.rel(path), 0, "file is missing"))
            continue
        setattr(result, name.removesuffix(".yaml"), attempt(load_yaml_model, factory, path, model))
    result.decisions = attempt(load_decisions, factory) or []
    readers: dict[str, tuple[type[BaseModel], bool]] = {
        "rules": (Rule, False),
        "incidents": (IncidentFrontMatter, True),
        "knowledge": (KnowledgeFrontMatter, True),
        "digests": (DigestFrontMatter, True),
    }
    for directory, (model, markdown) in readers.items():
        loader = load_markdown_model if markdown else load_yaml_model
        for path in document_paths(factory, directory):
            loaded = attempt(loader, factory, path, model)
            if loaded is not None:
                getattr(result, directory).append(loaded)
    for path in spec_paths(factory):
        loaded = attempt(load_markdown_model, factory, path, SpecFrontMatter)
        if loaded is not None:
            result.specs.append(loaded)
    result.problems.extend(_strays(factory))
    return result


def _strays(factory: Factory) -> Iterator[Problem]:
    """Files under .factory/ that no reader claims: a typo in a name, a wrong suffix."""
    directories = set(DOCUMENT_DIRS) | set(OTHER_DIRS)
    known = set(CONFIG_FILES) | directories | set(OTHER_FILES)
    for entry in sorted(factory.dir.iterdir()):
        if entry.name not in known and not entry.name.startswith("."):
            yield Problem(factory.rel(entry), 0, "not a factory file (unknown name)")
        elif entry.name in directories and not entry.is_dir():
            # a file named rules/ would otherwise read as a factory without rules
            yield Problem(factory.rel(entry), 0, "should be a directory, but is a file")
    for directory, suffix in DOCUMENT_DIRS.items():
        folder = factory.dir / directory
        try:
            # DirEntry, not Path: whether an entry is a directory without a stat of each
            with os.scandir(folder) as scan:
                items = sorted((item.name, item) for item in scan)
        except (NotADirectoryError, FileNotFoundError):
            continue
        for name, item in items:
            if name.startswith("."):
                continue
            if item.is_dir() or not name.endswith(suffix):
                yield Problem(
                    factory.rel(folder / name),
                    0,
                    f"not a {directory} document (expected *{suffix})",
                )
