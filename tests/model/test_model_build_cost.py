"""Building the models costs no tokenizer.

pydantic reads the signature of each field's default factory; the signature of a
builtin such as `list` is parsed from its text with Python's tokenizer, whose
pattern takes about ten milliseconds to compile, on every cold `fos validate`,
`fos context` and check that reads a document.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = (
    "import tokenize\n"
    "from factory_os.model import SCHEMAS\n"
    "for model in SCHEMAS.values():\n"
    "    model.model_rebuild(force=True)\n"
    "print('tokenizer compiled:', tokenize._compile.cache_info().currsize)\n"
)


def test_building_every_model_compiles_no_tokenizer() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "tokenizer compiled: 0"
