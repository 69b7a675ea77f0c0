"""How much memory a dataset would take, checked before it is allocated.

A generator asked for ``n_samples=10**12`` would otherwise reach NumPy's
``MemoryError: Unable to allocate 3.64 TiB`` (or the kernel's out-of-memory
killer). The estimate is deliberately rough and generous: the float64 table
(rows x (features + 1) x 8 bytes) times a small factor for the copies made
while drawing, splitting and standardizing it.

    >>> format_bytes(3.64 * 2**40), format_bytes(1536), format_bytes(12)
    ('3.6 TiB', '1.5 KiB', '12 B')
    >>> table_bytes(1000, 2)
    24000
"""

from __future__ import annotations

import os

from lossfit.errors import DataError

GENERATION_FACTOR = 4
"""Peak memory of drawing a sample, as a multiple of its float64 table: the
generators hold a few temporaries of the table's size (noise, a shuffled copy)."""

FALLBACK_LIMIT = 64 * 2**30
"""The limit when the machine's memory cannot be read (os.sysconf missing): 64 GiB."""


def physical_memory() -> int | None:
    """Bytes of RAM on this machine (SC_PHYS_PAGES x SC_PAGE_SIZE), or None where unknown."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows, or names this system lacks
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


def memory_limit() -> int:
    """The most a dataset may need: all of the machine's RAM, or FALLBACK_LIMIT when unknown."""
    return physical_memory() or FALLBACK_LIMIT


def table_bytes(rows: int, features: int) -> int:
    """Bytes of a float64 table: rows x (features + 1 target column) x 8."""
    return int(rows) * (int(features) + 1) * 8


def format_bytes(n: float) -> str:
    """A byte count in binary units, one decimal: 1.5 KiB, 3.6 TiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def check_generator_size(name: str, rows: int, features: int) -> None:
    """DataError when drawing `rows` x `features` would need more memory than the machine has.

    >>> check_generator_size("moons", 10**12, 2)
    Traceback (most recent call last):
    ...
    lossfit.errors.DataError: Dataset `moons` with n_samples=1000000000000 would need about 87.3 TiB ...
    """
    need = table_bytes(rows, features) * GENERATION_FACTOR
    limit = memory_limit()
    if need > limit:
        machine = "this machine has" if physical_memory() else "the limit is"
        raise DataError(
            f"Dataset `{name}` with n_samples={rows} would need about {format_bytes(need)} of memory "
            f"({rows:,} rows x {features + 1} columns x 8 bytes, x{GENERATION_FACTOR} while drawing and "
            f"splitting); {machine} {format_bytes(limit)}. Lower n_samples."
        )


def out_of_memory(what: str, need: int | None = None) -> DataError:
    """The DataError for a MemoryError raised while loading `what` (a phrase such as "Dataset file x.csv")."""
    size = f" (about {format_bytes(need)})" if need else ""
    return DataError(
        f"{what} does not fit in memory{size}; use fewer rows or features, or a machine with more memory."
    )
