"""Array plumbing for big tables: row blocks, in-place row permutation and column
compaction, and column statistics that cannot overflow.

A 200,000 x 100 table is 160 MB; every full-size temporary (a shuffled copy, a
centred copy to compute a standard deviation) adds another 160 MB. The helpers
here work on the caller's array in place, or in blocks of about BLOCK_BYTES, so
loading needs little more than the table itself.

    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> order = np.array([3, 0, 5, 1, 2, 4])
    >>> expected = X[order]
    >>> permute_rows(X, order)
    >>> bool(np.array_equal(X, expected))
    True
    >>> column_moments(np.array([[1.0, 1e307], [3.0, -1e307]]))
    (array([2., 0.]), array([1.e+000, 1.e+307]))
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from lossfit._typing import Array

BLOCK_BYTES = 8 * 2**20
"""Rows are processed in blocks of about 8 MiB: small next to a big table, big
enough that the per-block Python overhead is negligible."""


def row_blocks(X: npt.NDArray[np.generic]) -> Iterator[slice]:
    """Slices of consecutive rows, about BLOCK_BYTES each (at least one row)."""
    n = len(X)
    row_bytes = max(1, X.itemsize * (int(np.prod(X.shape[1:])) if X.ndim > 1 else 1))
    step = max(1, BLOCK_BYTES // row_bytes)
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def all_finite(X: npt.NDArray[np.generic]) -> bool:
    """True when no value is NaN or infinite; min and max propagate both, with no temporary array."""
    if X.size == 0:
        return True
    return bool(np.isfinite(X.min()) and np.isfinite(X.max()))


def max_abs(X: Array) -> Array:
    """Per column, the largest absolute value (0 for no rows), without an |X| temporary."""
    if len(X) == 0:
        return np.zeros(X.shape[1])
    biggest: Array = np.maximum(X.max(axis=0), -X.min(axis=0))
    return biggest


def power_of_two_scale(X: Array) -> Array:
    """Per column, a power of two s with max|x| / s in [1, 2) (1 for an all-zero column).

    Dividing by a power of two is exact in floating point, so statistics computed
    on X / s and multiplied back by s are bit for bit those computed on X itself,
    whenever that computation neither overflows nor underflows; and on X / s they
    never overflow, since every value is below 2 in magnitude.
    """
    biggest = max_abs(X)
    _, exponent = np.frexp(biggest)  # biggest = m * 2**exponent, 0.5 <= m < 1
    scale: Array = np.ldexp(1.0, exponent - 1)
    scale[biggest == 0] = 1.0
    return scale


def column_moments(X: Array) -> tuple[Array, Array]:
    """Column means and standard deviations (ddof=0), without overflow and without a full-size copy.

    Notes
    -----
    ::

        s    = power of two with max|x| / s in [1, 2)      (per column)
        z    = x / s                                       (|z| < 2: nothing overflows)
        mean = (sum z / n) * s
        std  = sqrt(sum (z - mean_z)^2 / n) * s            (two passes, as numpy.std)

    The sums run over blocks of rows in order, each block's sum started from the
    running total, which is the order numpy itself adds the rows of a table with
    more than one column: for a table that fits in one block (and numbers that do
    not overflow) the results equal ``X.mean(axis=0)`` and ``X.std(axis=0)`` exactly.
    """
    n = len(X)
    scale = power_of_two_scale(X)
    total: Array | None = None
    for rows in row_blocks(X):
        part = X[rows] / scale
        if total is not None:
            part[0] += total
        total = part.sum(axis=0)
    mean_z = (total if total is not None else np.zeros(X.shape[1])) / max(n, 1)
    squares: Array | None = None
    for rows in row_blocks(X):
        dev = X[rows] / scale
        dev -= mean_z
        dev *= dev
        if squares is not None:
            dev[0] += squares
        squares = dev.sum(axis=0)
    std_z = np.sqrt((squares if squares is not None else np.zeros(X.shape[1])) / max(n, 1))
    return mean_z * scale, std_z * scale


def standardize_in_place(X: Array, mean: Array, std: Array) -> None:
    """X <- (X - mean) / std, row block by row block (the same arithmetic as the expression)."""
    for rows in row_blocks(X):
        block = X[rows]
        block -= mean
        block /= std


def permute_rows(X: npt.NDArray[np.generic], order: npt.NDArray[np.intp]) -> None:
    """Reorder the rows of X in place so that X becomes X[order]; `order` must be a permutation.

    Follows the permutation's cycles: along a cycle e0 -> e1 -> ... (e_{k+1} =
    order[e_k]) row e_k receives row e_{k+1} and the last row receives e0's
    original, saved first. The cycles are laid end to end (see `cycle_walk`) and
    the moves are done in blocks: within a block every source row is still
    unwritten (it lies later on its cycle), so a block is one vectorised
    gather-then-scatter. Extra memory: a few index arrays of len(X) and one block.
    """
    n = len(X)
    if n < 2:
        return
    walk, first, last = cycle_walk(order)
    step = max(1, BLOCK_BYTES // max(1, X[0].nbytes))
    carried = X[:0].copy()  # the saved head of the cycle still open at a block's end (at most one)
    for start in range(0, len(walk), step):
        rows, block = walk[start : start + step], slice(start, start + step)
        heads = np.concatenate([carried, X[rows[first[block]]]])  # saved before anything is written
        movers = rows[~last[block]]
        X[movers] = X[order[movers]]
        ends = rows[last[block]]
        X[ends] = heads[: len(ends)]  # cycles close in the order they opened
        carried = heads[len(ends) :]


def cycle_walk(order: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """The rows a permutation moves, cycle after cycle, each cycle from its smallest row.

    Returns (walk, first, last): `walk` lists every row with order[row] != row so
    that each cycle is contiguous and walk[k + 1] == order[walk[k]] inside a
    cycle; `first` and `last` mark where each cycle starts and ends.

    Vectorised by pointer doubling (log2(n) rounds of whole-array gathers): the
    smallest row on each cycle (its leader) is the minimum over 2**r steps, and
    the distance from every row forward to its leader is a list ranking.

    >>> walk, first, last = cycle_walk(np.array([1, 0, 2, 4, 5, 3]))
    >>> walk.tolist(), first.tolist(), last.tolist()
    ([0, 1, 3, 4, 5], [True, False, True, False, False], [False, True, False, False, True])
    """
    n = len(order)
    index = np.int32 if n < 2**31 else np.int64  # int32: half the memory traffic of the gathers below
    rows: npt.NDArray[np.signedinteger[Any]] = np.arange(n, dtype=index)
    nxt: npt.NDArray[np.signedinteger[Any]] = np.asarray(order).astype(index)
    rounds = max(1, math.ceil(math.log2(n))) if n > 1 else 0
    leader, step = rows.copy(), nxt.copy()
    for _ in range(rounds):  # leader[i] = min of the 2**r rows from i on
        np.minimum(leader, np.take(leader, step), out=leader)
        step = np.take(step, step)
    is_leader = leader == rows
    to_leader = (~is_leader).astype(index)  # steps forward from each row to its cycle's leader
    step = np.where(is_leader, rows, nxt).astype(index)
    for _ in range(rounds):
        to_leader += np.take(to_leader, step)
        step = np.take(step, step)
    # along a cycle: the leader first, then the rows ever closer to it going round
    position = np.where(is_leader, -1, n - to_leader)
    walk = np.lexsort((position, leader))
    walk = walk[(nxt != rows)[walk]]
    return walk.astype(np.intp), is_leader[walk], (to_leader == 1)[walk]


def compact_columns(data: Array, columns: Sequence[int]) -> Array:
    """data[:, columns] as a C-contiguous array that reuses data's memory (data is overwritten).

    Row block by row block, the chosen columns are copied to the front of data's
    buffer: block b's output ends before block b + 1's input starts (fewer
    columns than data has), so nothing is overwritten before it is read. The
    result is a view of data's first rows x len(columns) values.
    """
    n, width = data.shape
    d = len(columns)
    if not data.flags.c_contiguous or d >= width:
        return np.ascontiguousarray(data[:, list(columns)])
    flat = data.reshape(-1)
    index = list(columns)
    for rows in row_blocks(data):
        block = data[rows][:, index]  # a copy of the block's chosen columns
        flat[rows.start * d : rows.stop * d] = block.reshape(-1)
    return flat[: n * d].reshape(n, d)
