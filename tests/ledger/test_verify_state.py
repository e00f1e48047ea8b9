"""What `fos verify` remembers is typed records, stored as the JSON it always was."""

from __future__ import annotations

import json
from pathlib import Path

from factory_os.ledger import events as ledger
from factory_os.ledger.report import FileRecord
from factory_os.ledger.segments import read_json
from factory_os.ledger.verify import verify_worktree
from factory_os.ledger.verify_state import HeadAt, IntactFile, LastEntry, VerifyState
from tests.helpers import commit_all
from tests.ledger_helpers import make_factory, only_segment


def _state_file(repo: Path) -> Path:
    (path,) = (repo / ".git" / "fos" / "verify").iterdir()
    return path


def test_the_state_reads_back_typed_and_writes_the_same_json(repo: Path) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="factory.initialized", actor="test")
    rule = factory.dir / "rules" / "R-aaaaaa.yaml"
    recording = ledger.record_file(
        factory, rule, "id: R-aaaaaa\n", kind="rule.added", actor="test", subject="R-aaaaaa"
    )
    commit_all(repo, "ledger")
    assert not verify_worktree(factory).findings
    stored = read_json(_state_file(repo))
    state = VerifyState.from_json(stored)
    assert state is not None
    segment = factory.rel(only_segment(repo))
    assert state.heads == {recording: HeadAt(1, segment, 2)}
    assert state.last == {segment: LastEntry(recording, 1)}
    sha = stored["refs"][".factory/rules/R-aaaaaa.yaml"][0][0]
    assert state.refs == {".factory/rules/R-aaaaaa.yaml": [FileRecord(sha, segment, 2, recording)]}
    assert isinstance(state.files[".factory/rules/R-aaaaaa.yaml"], IntactFile)
    assert state.entries == 2 and first != recording
    # lists and objects, as before the records were typed: an older fos reads it
    assert json.loads(json.dumps(state.to_json())) == stored
    assert stored["heads"][recording] == [1, segment, 2]


def test_a_damaged_state_reads_as_none_and_verify_reads_everything(repo: Path) -> None:
    factory = make_factory(repo)
    for n in range(3):
        ledger.append(factory, kind="test.event", actor="test", data={"n": n})
    assert verify_worktree(factory).read == 3
    ledger.append(factory, kind="test.event", actor="test")
    assert verify_worktree(factory).read == 1  # the typed state is trusted: incremental
    stored = read_json(_state_file(repo))
    assert stored is not None
    stored["last"] = {name: "not a pair" for name in stored["last"]}
    assert VerifyState.from_json(stored) is None
    _state_file(repo).write_text(json.dumps(stored))
    assert verify_worktree(factory).read == 4
