"""Preparing the frozen PDF for a signing round: LibreOffice's PDF plus one
incremental update that adds an empty signature form (``/AcroForm`` with no
fields and ``/SigFlags 3``).

Why: the uploads are checked with pyHanko's change analysis from the round's
first revision, and that analysis compares the form of one revision with the
next; it cannot start from a PDF that has no form at all. The frozen PDF's
bytes stay an exact prefix of the prepared one, so the text legal approved is
still what every party signs.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter


def prepare_for_signing(pdf: bytes) -> bytes:
    """``pdf`` itself if it already has a form, else ``pdf`` plus the empty form."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if "/AcroForm" in writer.root:
        return pdf
    form = generic.DictionaryObject(
        {
            generic.NameObject("/Fields"): generic.ArrayObject(),
            # SignaturesExist | AppendOnly: readers keep later saves incremental.
            generic.NameObject("/SigFlags"): generic.NumberObject(3),
        }
    )
    writer.root["/AcroForm"] = writer.add_object(form)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
