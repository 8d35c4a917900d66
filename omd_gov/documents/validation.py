"""Checking an uploaded ``.docx`` template before it is accepted.

The checks run cheapest and most dangerous first, and each refusal says
exactly what is wrong (``TemplateRejected``, a 422 problem):

1. size, then the ZIP directory (entry count and declared uncompressed size),
   read WITHOUT decompressing anything: a zip bomb never gets unpacked.
   Later reads go through ``zipfile``, which stops at the declared size.
2. in a contained child process (time and memory limits, see
   ``rendering.run_contained``), because the rest parses untrusted input:
   every XML part parsed with defusedxml (no DTD, so no XXE and no entity
   expansion), the package opened as a Word document, each part's Jinja
   syntax checked (the error names the part and paragraph), and the
   variables collected with docxtpl's ``get_undeclared_template_variables``;
3. every variable must be in the documented context (docs/TEMPLATES.md);
4. a test render against the sample context, under the render time limit.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError, meta

from omd_gov.documents.rendering import Limits, RenderError, render_docx, run_contained, sandbox_env
from omd_gov.errors import Unprocessable

REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")
FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


class TemplateRejected(Unprocessable):
    title, slug = "Template refused", "template-refused"


@dataclass(frozen=True)
class PackageLimits:
    max_bytes: int
    max_unzipped_bytes: int
    max_entries: int


def reject(code: str, message: str, **extra: Any) -> TemplateRejected:
    return TemplateRejected(message, [{"field": "file", "code": code, "message": message, **extra}])


def check_template(
    data: bytes,
    package: PackageLimits,
    limits: Limits,
    known: Collection[str],
    sample_context: Mapping[str, Any],
) -> list[str]:
    """Raise :class:`TemplateRejected` or return the template's variables."""
    check_package(data, package)
    try:
        report = run_contained(analyse, (data,), limits)
    except RenderError as error:
        raise reject(
            "too_complex", f"the template could not be analysed: {error.message}"
        ) from None
    if report["problems"]:
        first = report["problems"][0]["message"]
        raise TemplateRejected(first, report["problems"])
    variables: list[str] = report["variables"]
    unknown = [name for name in variables if name not in known]
    if unknown:
        raise TemplateRejected(
            f"the template uses {len(unknown)} variable(s) outside the documented context: "
            f"{', '.join(unknown)} (see docs/TEMPLATES.md)",
            [
                {
                    "field": "file",
                    "code": "unknown_variable",
                    "variable": name,
                    "message": f"unknown variable '{name}'",
                }
                for name in unknown
            ],
        )
    trial_render(data, sample_context, limits)
    return variables


def check_package(data: bytes, limits: PackageLimits) -> None:
    """Size and ZIP-directory checks; nothing is decompressed here."""
    if len(data) > limits.max_bytes:
        raise reject(
            "too_large",
            f"the file is {len(data)} bytes; templates may be at most {limits.max_bytes} bytes",
        )
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise reject("not_docx", "the file is not a valid .docx: it is not a ZIP package") from None
    if len(infos) > limits.max_entries:
        raise reject(
            "zip_bomb",
            f"the package has {len(infos)} entries; at most {limits.max_entries} are allowed",
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unzipped_bytes:
        raise reject(
            "zip_bomb",
            f"the package would unpack to {unpacked} bytes (from {len(data)}); "
            f"at most {limits.max_unzipped_bytes} are allowed",
        )
    names = [info.filename for info in infos]
    if len(set(names)) != len(names) or any(info.flag_bits & 0x1 for info in infos):
        raise reject("not_docx", "the file is not a valid .docx: duplicate or encrypted entries")
    missing = [part for part in REQUIRED_PARTS if part not in names]
    if missing:
        raise reject("not_docx", f"the file is not a valid .docx: it has no {' or '.join(missing)}")


def trial_render(data: bytes, sample_context: Mapping[str, Any], limits: Limits) -> None:
    try:
        render_docx(data, sample_context, limits)
    except RenderError as error:
        raise reject(
            f"render_{error.code}",
            f"the template failed its test render with the sample context: {error.message}",
        ) from None


def analyse(data: bytes) -> dict[str, Any]:
    """In the child: XML safety, Word structure, Jinja syntax and variables."""
    problems = _xml_problems(data)
    if problems:
        return {"problems": problems, "variables": []}
    try:
        template = DocxTemplate(io.BytesIO(data))
        template.get_docx()
    except Exception as error:  # python-docx raises many types for a broken package
        # python-docx names the stream's repr in its message: keep only the reason.
        detail = str(error) if isinstance(error, ValueError) else type(error).__name__
        detail = re.sub(r"^file '.*?' ", "", detail)
        message = f"the file is not a valid .docx ({detail[:200]})"
        return {"problems": [_problem("not_docx", message)], "variables": []}
    problems = [p for label, xml in _jinja_parts(template) if (p := _syntax_problem(label, xml))]
    if problems:
        return {"problems": problems, "variables": []}
    names = set(template.get_undeclared_template_variables(jinja_env=sandbox_env()))
    for label, xml in _jinja_parts(template):
        if label.startswith("footnotes"):  # not covered by docxtpl's own scan
            names |= meta.find_undeclared_variables(sandbox_env().parse(xml))
    return {"problems": [], "variables": sorted(names)}


def _problem(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"field": "file", "code": code, "message": message, **extra}


def _xml_problems(data: bytes) -> list[dict[str, Any]]:
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            try:
                fromstring(archive.read(name), forbid_dtd=True)
            except DefusedXmlException as error:
                problems.append(
                    _problem(
                        "xxe",
                        f"part {name} declares a DTD or entities ({type(error).__name__}); "
                        "Word never writes them, and they enable XML external entity attacks",
                        part=name,
                    )
                )
            except (ParseError, zipfile.BadZipFile) as error:
                problems.append(
                    _problem("not_docx", f"part {name} is not well-formed XML: {error}", part=name)
                )
    return problems


def _jinja_parts(template: DocxTemplate) -> list[tuple[str, str]]:
    """Each part docxtpl renders, pre-processed exactly as its render does it."""
    docx = template.get_docx()
    parts = [("the document body", template.get_xml())]
    for uri, label in ((template.HEADER_URI, "header"), (template.FOOTER_URI, "footer")):
        for _key, part in template.get_headers_footers(uri):
            parts.append((f"{label} {part.partname}", template.get_part_xml(part)))
    for part in docx.part.package.parts:
        if part.content_type == FOOTNOTES:
            parts.append((f"footnotes {part.partname}", part.blob.decode("utf-8")))
    return [
        (label, re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(xml))) for label, xml in parts
    ]


def _syntax_problem(label: str, xml: str) -> dict[str, Any] | None:
    try:
        sandbox_env().parse(xml)
    except TemplateSyntaxError as error:
        lines = xml.splitlines()
        line = lines[error.lineno - 1] if 0 < error.lineno <= len(lines) else ""
        text = re.sub(r"<[^>]+>", "", line).strip()
        # Line 1 is the part's opening tags; each later line is one paragraph.
        paragraph = max(error.lineno - 1, 1)
        near = f' near "{text[:80]}"' if text else ""
        message = f"Jinja syntax error in {label}, paragraph {paragraph}{near}: {error.message}"
        return _problem("syntax_error", message, part=label, paragraph=paragraph)
    return None
