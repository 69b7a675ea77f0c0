"""The last table parsed from a data file, kept so one run reads its file once.

`lossfit train --dataset big.csv` needs the file's task twice before it loads
it (to pick the default loss, then to check the loss fits); parsing a 185 MB
CSV three times cost 37 s each. The table is remembered here between those calls:

- one entry at most (a second file replaces the first);
- keyed by the resolved path, the file's size, modification time (ns), inode
  and device, and the options that change the parse (target, features, header,
  task); a file of at most DIGEST_BYTES also by a hash of its content, since a
  rewrite within the file system's timestamp tick can leave size and mtime
  unchanged;
- the warnings the parse gave are kept and given again on every reuse, so a
  caller sees the same warnings whether or not the file was parsed again;
- `take` removes the entry: `load` hands the table's arrays to the Dataset (and
  may reorder them in place), so nothing keeps a big table alive after `load`
  returns. A table that `read` has given to a caller is marked shared: whoever
  takes it then must copy, not modify, its arrays.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("x,y\\n1,2\\n")
    >>> key = file_key(path, {"target": None})
    >>> key == file_key(path, {})
    True
    >>> remember(Entry(key, "a table", []))
    >>> peek(key).table, take(key).table, take(key)
    ('a table', 'a table', None)
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from typing import Any

DIGEST_BYTES = 1 << 20  # files up to 1 MiB are also keyed by their content


@dataclass
class Entry:
    """A parsed table, the warnings its parse gave, and whether a caller holds it."""

    key: tuple[Any, ...]
    table: Any
    caught: list[warnings.WarningMessage]
    shared: bool = False

    def warn_again(self) -> None:
        """Give the parse's warnings again, through the caller's warning filters."""
        for w in self.caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, registry=_REGISTRY)


_last: Entry | None = None
_REGISTRY: dict[Any, Any] = {}  # "default" filters show a warning once per process, as warnings.warn would


def file_key(path: str | os.PathLike[str], options: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies one parse of a file: where it is, its state on disk, and the parse options."""
    real = os.path.realpath(path)
    stat = os.stat(real)
    digest = ""
    if stat.st_size <= DIGEST_BYTES:
        with open(real, "rb") as handle:
            digest = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    given = {k: v for k, v in options.items() if v is not None}  # an option left out and one given as None agree
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in given.items()))
    return (real, stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev, digest, frozen)


def peek(key: tuple[Any, ...]) -> Entry | None:
    """The entry for `key`, left in place; None when the last parse was of something else."""
    return _last if _last is not None and _last.key == key else None


def take(key: tuple[Any, ...]) -> Entry | None:
    """The entry for `key`, removed; None when the last parse was of something else."""
    global _last
    entry = peek(key)
    if entry is not None:
        _last = None
    return entry


def remember(entry: Entry) -> None:
    """Keep `entry` (replacing whatever was kept)."""
    global _last
    _last = entry


def clear() -> None:
    """Forget the remembered table (frees its memory)."""
    global _last
    _last = None
