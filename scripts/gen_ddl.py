"""Regenerate deploy/clickhouse/*.sql from the collector's schema (store/ddl.py).

    python scripts/gen_ddl.py          # write the files
    python scripts/gen_ddl.py --check  # exit 1 if they are stale

Each file is exactly what `spanwise schema print ARGS` prints (the ARGS are in
GENERATED below); tests/deploy/test_ddl_files.py asserts it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "collector"), str(ROOT / "sdk"), str(ROOT / "pricing")]

# file name → `spanwise schema print` arguments
GENERATED: dict[str, list[str]] = {
    "schema-single-node.sql": ["--database", "spanwise"],
    "schema-cluster.sql": ["--database", "spanwise", "--cluster", "spanwise"],
}


def render(args: list[str]) -> str:
    from click.testing import CliRunner
    from spanwise_collector.cli import cli

    result = CliRunner().invoke(cli, ["schema", "print", *args], catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"spanwise schema print {' '.join(args)} failed: {result.output}")
    return result.output


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, args in GENERATED.items():
        path = ROOT / "deploy" / "clickhouse" / name
        text = render(args)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not check:
            path.write_text(text)
    if stale:
        print(("stale: " if check else "wrote: ") + ", ".join(stale))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
