"""The import_conll and export_conll management commands, end to end through the database."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotator.models import Document, Project, SentenceTags, TaggerModel
from tests.conftest import BROKEN, SMALL, row_counts
from tests.paths import DEMO_SAMPLE

pytestmark = pytest.mark.django_db


def run_import(*paths: Path | str, project: str = "Corpus", **options) -> str:
    out = StringIO()
    call_command("import_conll", *map(str, paths), project=project, stdout=out, **options)
    return out.getvalue()


def run_export(tmp_path: Path, project: str = "Corpus", **options) -> bytes:
    target = tmp_path / "exported.conll"
    call_command("export_conll", project=project, output=str(target), **options)
    return target.read_bytes()


def tag_column(data: bytes, column: int = 1) -> list[str]:
    """The given column of every token line (marker lines such as <s> have no tab)."""
    rows = [line.split("\t") for line in data.decode().splitlines() if "\t" in line]
    return [row[column] for row in rows]


def test_import_prints_documents_sentences_tokens_and_labels():
    output = run_import(SMALL)

    assert "Imported into Corpus: 1 documents, 4 sentences, 26 tokens." in output
    assert "small.conll: scheme iob2" in output
    assert "Labels (4): Algorithm, Device, LOC, PER" in output


def test_import_warns_about_an_invalid_transition_with_its_line_number():
    output = run_import(SMALL)

    assert "Warnings (1):" in output
    assert "small.conll, line 23: invalid transition: I-Device after O" in output


def test_export_to_a_file_gives_the_imported_file_back_byte_for_byte(tmp_path):
    run_import(SMALL)

    assert run_export(tmp_path) == SMALL.read_bytes()


def test_the_wikipedia_sample_round_trips_byte_for_byte(tmp_path):
    output = run_import(DEMO_SAMPLE)

    assert "1 documents, 107 sentences, 2403 tokens." in output
    assert run_export(tmp_path) == DEMO_SAMPLE.read_bytes()


def test_a_broken_file_raises_an_error_naming_file_and_line_and_writes_nothing():
    before = row_counts()

    with pytest.raises(CommandError) as raised:
        run_import(BROKEN)

    message = str(raised.value)
    assert "nothing was imported" in message
    assert "broken.conll, line 8" in message
    assert "X-Algorithm" in message
    assert row_counts() == before


def test_when_the_second_of_two_files_is_broken_the_first_is_not_imported_either():
    before = row_counts()

    with pytest.raises(CommandError, match=r"broken\.conll, line 8"):
        run_import(SMALL, BROKEN)

    assert row_counts() == before
    assert not Project.objects.filter(name="Corpus").exists()


def test_a_broken_file_leaves_an_existing_project_as_it_was():
    run_import(SMALL)
    before = row_counts()
    labels = list(Project.objects.get(name="Corpus").labels)

    with pytest.raises(CommandError):
        run_import(BROKEN)

    assert row_counts() == before
    assert Project.objects.get(name="Corpus").labels == labels


def test_a_missing_file_is_reported_by_name(tmp_path):
    missing = tmp_path / "nowhere.conll"

    with pytest.raises(CommandError, match="nowhere.conll"):
        run_import(missing)


def test_exporting_an_unknown_project_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no project named 'Nobody'"):
        run_export(tmp_path, project="Nobody")


def test_export_with_scheme_bioes_marks_the_ends_and_single_token_entities(tmp_path):
    run_import(SMALL)

    tags = tag_column(run_export(tmp_path, scheme="bioes"))

    assert tags[:6] == ["B-PER", "E-PER", "O", "O", "S-LOC", "O"]
    assert tags[6:14] == [
        "O",
        "B-Algorithm",
        "I-Algorithm",
        "I-Algorithm",
        "E-Algorithm",
        "O",
        "O",
        "O",
    ]


def test_export_keeps_the_tokens_when_converting_the_scheme(tmp_path):
    run_import(SMALL)

    exported = run_export(tmp_path, scheme="bioes")

    assert tag_column(exported, 0) == tag_column(SMALL.read_bytes(), 0)
    assert tag_column(exported, 0)[4] == "New York"


def test_tag_column_option_reads_the_tag_from_a_middle_column(tmp_path):
    source = tmp_path / "pos.conll"
    source.write_bytes(
        b"Alan\tB-PER\tNNP\nTuring\tI-PER\tNNP\nsmiled\tO\tVBD\n\nHe\tO\tPRP\nleft\tO\tVBD\n"
    )

    output = run_import(source, tag_column=2)

    assert "1 documents, 2 sentences, 5 tokens." in output
    assert "Labels (1): PER" in output
    assert run_export(tmp_path) == source.read_bytes()


def test_without_tag_column_a_file_whose_last_column_is_not_a_tag_is_refused(tmp_path):
    source = tmp_path / "pos.conll"
    source.write_bytes(b"Alan\tB-PER\tNNP\nTuring\tI-PER\tNNP\n")

    with pytest.raises(CommandError, match=r"pos\.conll, line 1"):
        run_import(source)

    assert Document.objects.count() == 0


def test_encoding_latin_1_imports_and_exports_latin_1_bytes(tmp_path):
    source = tmp_path / "latin.conll"
    text = "Jürgen\tB-PER\nSchmidhuber\tI-PER\nlehrt\tO\nin\tO\nLugano\tB-LOC\n"
    source.write_bytes(text.encode("latin-1"))

    output = run_import(source, encoding="latin-1")

    assert "1 documents, 1 sentences, 5 tokens." in output
    sentence = Document.objects.get().sentences.get()
    assert sentence.tokens[0] == "Jürgen"
    assert run_export(tmp_path) == source.read_bytes()


def test_a_latin_1_file_read_as_utf_8_names_the_line_and_suggests_an_encoding(tmp_path):
    source = tmp_path / "latin.conll"
    source.write_bytes("Lugano\tB-LOC\nJürgen\tB-PER\n".encode("latin-1"))

    with pytest.raises(CommandError, match=r"latin\.conll, line 2: .*--encoding"):
        run_import(source)


def test_an_unknown_encoding_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="unknown encoding 'klingon'"):
        run_import(SMALL, encoding="klingon")


def test_a_codec_that_is_not_a_text_encoding_is_an_error_and_writes_nothing():
    before = row_counts()

    with pytest.raises(CommandError, match="zlib"):
        run_import(SMALL, encoding="zlib")

    assert row_counts() == before


def test_demo_prints_its_logins_and_the_address_it_is_served_on_and_can_run_twice():
    out = StringIO()
    call_command("demo", "--url", "http://127.0.0.1:8765/", stdout=out)
    text = out.getvalue()
    assert "alice    alice-demo" in text and "manager  manager-demo" in text
    assert "Open http://127.0.0.1:8765/ and log in" in text
    again = StringIO()
    call_command("demo", stdout=again)
    assert Project.objects.filter(name__startswith="Demo").count() == 1
    assert "Imported" not in again.getvalue()  # the second run finds the project
    assert "Open http://127.0.0.1:8000/" in again.getvalue()


def docstart_file(folder: Path, name: str, parts: int, sentences: int) -> Path:
    """A CoNLL-2003-style file: `parts` documents, each opened by -DOCSTART-."""
    lines = []
    for part in range(parts):
        lines += ["-DOCSTART- -X- -X- O", ""]
        for n in range(sentences):
            lines += [f"Paris{part}x{n} NNP B-NP I-LOC", "is VBZ B-VP O", f"big{n} JJ B-ADJP O", ""]
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_files_name_exports_every_document_imported_from_it(tmp_path):
    parts = docstart_file(tmp_path, "eng.testb", parts=3, sentences=2)
    run_import(parts, SMALL)
    assert Document.objects.filter(source_name="eng.testb").count() == 3

    assert run_export(tmp_path, document=["eng.testb"]) == parts.read_bytes()
    assert run_export(tmp_path, document=["eng.testb #2"]).count(b"-DOCSTART-") == 1


def test_a_name_that_is_neither_a_document_nor_a_file_is_refused_by_name(tmp_path):
    run_import(SMALL)

    with pytest.raises(CommandError, match="'eng.train'"):
        run_export(tmp_path, document=["small.conll", "eng.train"])


def test_train_and_preannotate_take_a_files_name_for_all_its_documents(tmp_path, settings):
    settings.MODEL_ROOT = tmp_path / "models"
    train = docstart_file(tmp_path, "eng.train", parts=2, sentences=8)
    test = docstart_file(tmp_path, "eng.testa", parts=2, sentences=3)
    run_import(train, test)
    out = StringIO()
    call_command(
        "train_model",
        project="Corpus",
        layer="imported",
        name="news",
        iterations=5,
        documents=["eng.train"],
        stdout=out,
    )
    model = TaggerModel.objects.get(name="news")
    assert model.trained_on["sentences"] + model.trained_on["held_out_sentences"] == 16

    out = StringIO()
    call_command("preannotate", project="Corpus", model="news", documents=["eng.testa"], stdout=out)
    layer = out.getvalue().strip()
    tagged = SentenceTags.objects.filter(layer__name=layer)
    assert tagged.count() == 6
    assert set(tagged.values_list("layer__document__source_name", flat=True)) == {"eng.testa"}

    target = tmp_path / "suggestions.conll"
    with pytest.raises(
        CommandError, match=r"not in 2 of the documents \('eng.train', 'eng.train #2'\)"
    ):
        call_command("export_conll", project="Corpus", layer=layer, output=str(target))
    assert not target.exists()  # refused before a byte is written

    call_command(
        "export_conll", project="Corpus", layer=layer, document=["eng.testa"], output=str(target)
    )
    assert target.read_text().count("-DOCSTART-") == 2
