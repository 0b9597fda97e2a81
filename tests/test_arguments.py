"""FEEDS arguments that are no file (URLs, catalog names), and definition files read as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusstream.arguments import from_argument, read
from statusstream.errors import DefinitionError, UsageError
from statusstream.feeds import parse_line

SECRET = "s3cr3t-T0KEN"


def test_an_argument_url_is_one_feed() -> None:
    """An http(s) URL argument is a feed with that URL and no name; credentials become a header."""
    spec = from_argument(f"https://bot:{SECRET}@a.test/feed", "argument 1")
    assert (spec.url, spec.name, spec.origin) == ("https://a.test/feed", None, "argument 1")
    assert [name for name, _ in spec.headers] == ["Authorization"]


def test_an_argument_catalog_name_is_that_page() -> None:
    """A catalog name argument is the entry's URL, title and provider, as in a file."""
    spec = from_argument("GitHub", "argument 2")
    assert spec == parse_line("github", "argument 2")


def test_a_bad_argument_url_names_the_argument() -> None:
    """A URL argument that fails the checks says which argument and why."""
    with pytest.raises(ValueError, match=r"^argument 3: unsupported scheme 'ftp'"):
        from_argument("ftp://a.test/feed", "argument 3")


@pytest.mark.parametrize(
    ("word", "ending"),
    [
        ("githb", "; did you mean 'github' from the catalog?"),
        (
            "www.githubstatus.com/history.rss",
            "; did you mean 'https://www.githubstatus.com/history.rss'?",
        ),
        ("feeds.txtt", " (statusstream --catalog lists the names)"),
    ],
)
def test_any_other_argument_names_the_three_possibilities(word: str, ending: str) -> None:
    """Neither URL nor catalog name: the message names file, URL and catalog name, and a hint."""
    with pytest.raises(ValueError) as caught:
        from_argument(word, "argument 1")
    assert str(caught.value) == (
        f"{word!r} is not a file, an http(s):// URL or a catalog name{ending}"
    )


def test_a_definitions_file_is_read_as_utf8_without_its_bom(tmp_path: Path) -> None:
    """A file is UTF-8 text; a byte order mark at its start is not part of the text."""
    path = tmp_path / "feeds.txt"
    path.write_bytes("\ufeffStörungen https://a.test/feed\n".encode())
    assert read(str(path)) == "Störungen https://a.test/feed\n"


def test_a_file_that_is_not_utf8_names_the_byte_and_its_offset(tmp_path: Path) -> None:
    """Bytes that are no UTF-8: a definition error with the file, the byte and its offset."""
    path = tmp_path / "feeds.txt"
    path.write_bytes(b"https://a.test/\xff\n")
    with pytest.raises(DefinitionError) as caught:
        read(str(path))
    assert str(caught.value) == f"{path}: not UTF-8 text (byte 0xff at offset 15)"


def test_a_file_that_cannot_be_read_is_a_usage_error(tmp_path: Path) -> None:
    """A file that vanished or cannot be opened: a usage error naming it and the reason."""
    path = tmp_path / "gone.txt"
    with pytest.raises(UsageError) as caught:
        read(str(path))
    assert str(caught.value) == f"{path}: cannot read: No such file or directory"
