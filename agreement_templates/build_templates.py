#!/usr/bin/env python3
"""Build the agreement templates (.docx) and manifest.json from their source text.

The legal wording lives in ``source/<kind>_<language>.md`` so that lawyers can
review every change in git; the .docx files are derived and reproducible
(fixed timestamps and properties). Run from the repository root:

    .venv/bin/python agreement_templates/build_templates.py          # rebuild
    .venv/bin/python agreement_templates/build_templates.py --check  # verify

Source markup, one construct per line (blocks are separated by blank lines):
    ---/key: value/---  front matter: kind, language, version, title
    # text     title            ## text   heading        ### text  sub-heading
    - text     bullet (indented lines continue it)       > text    indented line
    | a | b |  table row, cells split by ' | '; the first row is the header; @widths 40 30 30
    {%p ..%}   a docxtpl paragraph tag; a row whose only cell is {%tr ..%} is a row tag
    ===        page break       @center text              @header: / @footer: text
    **bold**   inline bold      {PAGE} {PAGES} page fields in a header or footer
Any other lines of a block are joined into one justified paragraph.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "source"
if str(HERE) not in sys.path:  # imported by the tests rather than run as a script
    sys.path.insert(0, str(HERE))

from docx_writer import build_docx  # noqa: E402


def parse_source(path: Path) -> tuple[dict[str, str], list[list[str]]]:
    """Front matter and blank-line separated blocks of ``path``."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = dict(
        (k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in front.splitlines())
    )
    blocks, current = [], []
    for line in body.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return meta, blocks


def variables_used(path: Path) -> list[str]:
    env = SandboxedEnvironment(autoescape=True)
    return sorted(DocxTemplate(str(path)).get_undeclared_template_variables(jinja_env=env))


def build_all(out_dir: Path) -> list[dict[str, Any]]:
    """Write every template and ``manifest.json`` into ``out_dir``."""
    entries = []
    for source in sorted(SOURCE_DIR.glob("*.md")):
        meta, blocks = parse_source(source)
        name = f"{meta['kind']}_{meta['language']}"
        if source.stem != name:
            raise ValueError(f"{source.name}: the file must be named {name}.md")
        target = out_dir / f"{name}.docx"
        target.write_bytes(build_docx(meta, blocks))
        entries.append(
            {
                "name": name,
                "kind": meta["kind"],
                "language": meta["language"],
                "version": int(meta["version"]),
                "file": target.name,
                "title": meta["title"],
                "variables": variables_used(target),
            }
        )
    manifest = json.dumps({"templates": entries}, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "manifest.json").write_text(manifest, encoding="utf-8")
    return entries


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def differences(committed: Path = HERE) -> list[str]:
    """Files whose committed content differs from a fresh build (compared by
    zip member content, so a different zlib cannot cause a false alarm)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        build_all(fresh)
        problems = []
        for path in sorted(fresh.iterdir()):
            old = committed / path.name
            if not old.exists():
                problems.append(f"{path.name}: missing")
            elif path.suffix == ".docx" and _members(old) != _members(path):
                problems.append(f"{path.name}: differs from its source")
            elif path.suffix == ".json" and old.read_bytes() != path.read_bytes():
                problems.append(f"{path.name}: differs from the sources")
        return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for entry in build_all(HERE):
        print(f"{entry['file']}: v{entry['version']}, {len(entry['variables'])} variables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
