"""`fos` entry point.

The git hooks call `fos check --staged` and `fos check --message-file` on every
commit, so those invocations go to `factory_os.hot` without importing click,
pydantic or gitpython (DESIGN section 7). Everything else goes to the click CLI.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    import gc

    # a short-lived process: collecting cycles only costs time, in the imports too
    gc.disable()
    try:
        from factory_os import hot

        code = hot.try_run(args)
    finally:
        gc.enable()
    if code is not None:
        if argv is None:  # the process's own command line: it ends here
            hot.exit_now(code)
        return code
    # A command reads thousands of small documents that live until it ends and hold
    # no cycles: the default thresholds would rescan them over and over (a tenth to a
    # quarter of a cold `fos validate`). Cycles are still collected, less often.
    gc.set_threshold(100_000, 20, 100)
    from factory_os.cli import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
