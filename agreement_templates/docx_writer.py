"""Write a template source (see build_templates.py) as a .docx with python-docx.

Styles: A4, Arial, justified body text, dark headings, grid tables with a
shaded header row that repeats on every page. Output is byte-stable: fixed
core properties and zip entry times.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

FIXED = datetime(2026, 1, 1, tzinfo=UTC)  # reproducible core properties
TEXT_WIDTH_CM = 16.0  # A4 minus 2.5 cm margins
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
INK = RGBColor(0x1F, 0x2A, 0x44)
FONT = "Arial"


def _runs(paragraph: Paragraph, text: str, bold: bool = False) -> None:
    """Add ``text`` with **bold** spans; a Jinja tag must stay inside one run,
    or docxtpl could not see it whole."""
    for i, piece in enumerate(text.split("**")):
        if piece.count("{{") != piece.count("}}") or piece.count("{%") != piece.count("%}"):
            raise ValueError(f"a template tag is split by bold markup: {text!r}")
        if piece:
            paragraph.add_run(piece).bold = bold or i % 2 == 1


def _field(paragraph: Paragraph, instruction: str) -> None:
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _header_footer(doc: DocumentObject, where: str, text: str) -> None:
    part = doc.sections[0].header if where == "header" else doc.sections[0].footer
    paragraph = part.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, piece in enumerate(text.replace("{PAGES}", "{PAGE:NUMPAGES}").split("{PAGE")):
        if i:
            instruction, _, piece = piece.partition("}")
            _field(paragraph, instruction.lstrip(":") or "PAGE")
        if piece:
            paragraph.add_run(piece).font.size = Pt(8)


def _shade(cell: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(doc: DocumentObject, rows: list[list[str]], widths: list[float]) -> Table:
    columns = max(len(row) for row in rows)
    table = doc.add_table(rows=0, cols=columns)
    table.style = doc.styles["Table Grid"]
    for index, cells in enumerate(rows):
        row = table.add_row()
        header = index == 0
        if header:  # repeat the header row on every page
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for column, text in enumerate(cells):
            cell = row.cells[column]
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            paragraph.paragraph_format.space_after = Pt(2)
            _runs(paragraph, text, bold=header)
            if header:
                _shade(cell, "DCE3EC")
    widths = widths[:columns] or [100 / columns] * columns
    table.autofit = False
    grid = table._tbl.tblGrid.gridCol_lst
    for index, column in enumerate(table.columns):
        width = Cm(TEXT_WIDTH_CM * widths[index] / 100)
        grid[index].w = width  # LibreOffice lays out by the grid, Word by the cells
        for cell in column.cells:
            cell.width = width
    spacer = doc.add_paragraph()  # breathing room before the next clause
    spacer.paragraph_format.space_after = Pt(2)
    return table


def _cells(line: str) -> list[str]:
    """Cells are separated by " | " (with spaces), so a Jinja filter such as
    ``x|join(', ')`` can sit inside a cell."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in inner.split(" | ")]


def _paragraph(doc: DocumentObject, text: str, style: str | None = None) -> Paragraph:
    paragraph = doc.add_paragraph(style=style)
    _runs(paragraph, text)
    return paragraph


PREFIX_STYLES = (
    ("### ", "Heading 2"),
    ("## ", "Heading 1"),
    ("# ", "Title"),
    ("- ", "List Bullet"),
)


def _line(doc: DocumentObject, line: str) -> Paragraph | None:
    """Render a line that stands on its own (see ``_standalone``)."""
    for prefix, style in PREFIX_STYLES:
        if line.startswith(prefix):
            return _paragraph(doc, line[len(prefix) :], style)
    if line.startswith("{%p"):
        return _paragraph(doc, line)
    if line.startswith("> "):
        paragraph = _paragraph(doc, line[2:])
        paragraph.paragraph_format.left_indent = Cm(1)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        return paragraph
    if line.startswith("@center "):
        paragraph = _paragraph(doc, line[len("@center ") :])
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return paragraph
    if line == "===":
        paragraph = doc.add_paragraph()
        paragraph.add_run().add_break(WD_BREAK.PAGE)
        return paragraph
    return None


class _Writer:
    """Writes the lines of one block in order: plain lines gather into one
    paragraph and table rows into one table until another construct comes."""

    def __init__(self, doc: DocumentObject):
        self.doc = doc
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self.widths: list[float] = []
        self.last: Paragraph | None = None

    def flush(self) -> None:
        if self.text:
            self.last = _paragraph(self.doc, " ".join(self.text))
            self.text = []
        if self.rows:
            _table(self.doc, self.rows, self.widths)
            self.rows, self.widths, self.last = [], [], None

    def line(self, line: str) -> None:
        if line.startswith("  ") and self.last is not None and not self.text:
            _runs(self.last, " " + line.strip())  # continues a bullet or indented line
        elif line.startswith("|"):
            if self.text:
                self.flush()
            self.rows.append(_cells(line))
        elif line.startswith("@widths "):
            self.widths = [float(n) for n in line.split()[1:]]
        elif line.startswith(("@header: ", "@footer: ")):
            where, _, content = line[1:].partition(": ")
            _header_footer(self.doc, where, content)
        elif _standalone(line):
            self.flush()
            self.last = _line(self.doc, line)
        else:
            if self.rows:
                self.flush()
            self.text.append(line.strip())


def _standalone(line: str) -> bool:
    starts = tuple(prefix for prefix, _ in PREFIX_STYLES) + ("{%p", "> ", "@center ")
    return line.startswith(starts) or line == "==="


def _block(doc: DocumentObject, lines: list[str]) -> None:
    writer = _Writer(doc)
    for line in lines:
        writer.line(line)
    writer.flush()


def _styles(doc: DocumentObject) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for name, size in (("Title", 17), ("Heading 1", 12.5), ("Heading 2", 11)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
        style.font.color.rgb = INK
        fonts = style.element.rPr.rFonts
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)  # the theme font would win otherwise
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        style.paragraph_format.space_before = Pt(12 if name != "Title" else 0)
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))


def _trim(doc: DocumentObject) -> None:
    """Drop parts Word does not need, to keep the committed files small."""
    for rels, unwanted in (
        (doc.part.rels, {STYLES_WITH_EFFECTS, RT.CUSTOM_XML}),
        (doc.part.package.rels, {RT.THUMBNAIL}),
    ):
        for rel_id in [rid for rid, rel in rels.items() if rel.reltype in unwanted]:
            rels.pop(rel_id)


def build_docx(meta: dict[str, str], blocks: list[list[str]]) -> bytes:
    doc = Document()
    _trim(doc)
    _styles(doc)
    _page(doc)
    for block in blocks:
        _block(doc, block)
    props = doc.core_properties
    props.title, props.subject = meta["title"], f"{meta['kind']} template v{meta['version']}"
    props.author = props.last_modified_by = "Municipal Data Office"
    props.language, props.revision = meta["language"], int(meta["version"])
    props.created = props.modified = FIXED.replace(tzinfo=None)
    props.last_printed = FIXED.replace(tzinfo=None)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _normalise(buffer.getvalue())


def _normalise(data: bytes) -> bytes:
    """Rewrite the zip with fixed entry times, so a rebuild is byte-stable."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()
