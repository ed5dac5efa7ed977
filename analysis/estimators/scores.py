"""Linearised scores of domain estimators, kept in factored form.

Every linear(ised) estimator of this package has, for domain ``d`` and item ``j``, the
score of row ``i``::

    x[i, (d, j)] = [domain[i] == d] * (alpha[d, j] * A[i, j] + beta[d, j] * B[i, j])

(R's ``x * pweights / psum`` in ``svymean``; ``A`` and ``B`` already carry the
weights). Because a row belongs to a single domain, sums of the scores over any
grouping of the rows (PSUs, post-strata, cells) for *all* domains and items are one
``np.bincount`` pass per item on the key ``group * (D + 1) + domain`` — the same work
as the estimate itself. Nothing is ever looped per domain or per respondent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._groups import FloatArray, IntArray, bincount
from .design import Features

__all__ = ["Scores"]


@dataclass(frozen=True, eq=False)
class Scores:
    """Scores of ``D`` domains x ``k`` items in factored form (see module docstring).

    ``domain`` (n,) codes in ``0..D-1`` or -1 (row in no domain); ``A`` (n, k);
    ``B`` (n, k), (n,) shared by all items, or ``None``; ``alpha``/``beta`` (D, k).
    ``ok`` (n, k) marks the rows where an item is observed (``None``: all); it only
    matters for R's ``lonely_psu="average"``, whose stratum count follows the rows of
    the domain.
    """

    domain: IntArray
    n_domains: int
    A: FloatArray
    alpha: FloatArray
    B: FloatArray | None = None
    beta: FloatArray | None = None
    ok: NDArray[np.bool_] | None = None

    @property
    def n_items(self) -> int:
        return int(self.A.shape[1])

    def chunk(self, items: slice) -> Scores:
        """The same scores restricted to a block of items (to bound memory)."""
        b = None if self.B is None else (self.B if self.B.ndim == 1 else self.B[:, items])
        return Scores(
            domain=self.domain,
            n_domains=self.n_domains,
            A=self.A[:, items],
            alpha=self.alpha[:, items],
            B=b,
            beta=None if self.beta is None else self.beta[:, items],
            ok=None if self.ok is None else self.ok[:, items],
        )

    def grid(
        self, codes: IntArray, n_groups: int, row_scale: FloatArray | None = None
    ) -> FloatArray:
        """Sums of the scores by ``codes`` for every domain and item: (G, D, k)."""
        d = self.n_domains
        dom = np.where(self.domain < 0, d, self.domain)
        key = codes.astype(np.int64) * (d + 1) + dom
        size = n_groups * (d + 1)
        k = self.n_items
        out = np.empty((n_groups, d, k))
        b_shared: FloatArray | None = None
        if self.B is not None and self.B.ndim == 1:
            bb = self.B if row_scale is None else self.B * row_scale
            b_shared = bincount(key, weights=bb, minlength=size).reshape(n_groups, d + 1)
        for j in range(k):
            a = self.A[:, j] if row_scale is None else self.A[:, j] * row_scale
            sa = bincount(key, weights=a, minlength=size).reshape(n_groups, d + 1)[:, :d]
            col = sa * self.alpha[:, j]
            if self.B is not None and self.beta is not None:
                if b_shared is not None:
                    sb = b_shared[:, :d]
                else:
                    bj = self.B[:, j] if row_scale is None else self.B[:, j] * row_scale
                    sb = bincount(key, weights=bj, minlength=size).reshape(n_groups, d + 1)[:, :d]
                col = col + sb * self.beta[:, j]
            out[:, :, j] = col
        return out

    def presence(self, codes: IntArray, n_groups: int) -> NDArray[np.bool_]:
        """Whether each group has a row in each domain where the item is observed."""
        ones = np.ones((self.domain.shape[0], self.n_items))
        counts = Scores(
            self.domain,
            self.n_domains,
            ones if self.ok is None else self.ok.astype(float),
            np.ones((self.n_domains, self.n_items)),
        ).grid(codes, n_groups)
        out: NDArray[np.bool_] = counts > 0
        return out

    def project(self, features: Features, b: FloatArray) -> FloatArray:
        """``F.T @ (b * x)`` for every domain and item: (p, D, k)."""
        if features.codes is not None:
            return self.grid(features.codes, features.n_features, row_scale=b)
        zeros = np.zeros(self.domain.shape[0], dtype=np.intp)
        return np.concatenate(
            [
                self.grid(zeros, 1, row_scale=b * features.column(f))
                for f in range(features.n_features)
            ],
            axis=0,
        )


def feature_group_sums(
    features: Features, c: FloatArray, codes: IntArray, n_groups: int
) -> FloatArray:
    """``sum_{i in g} c_i F_i`` for each group g: (G, p)."""
    p = features.n_features
    if features.codes is not None:
        key = codes.astype(np.int64) * p + features.codes
        return bincount(key, weights=c, minlength=n_groups * p).reshape(n_groups, p)
    assert features.matrix is not None
    return np.stack(
        [bincount(codes, weights=c * features.matrix[:, f], minlength=n_groups) for f in range(p)],
        axis=1,
    )


def feature_cross(left: Features, c: FloatArray, right: Features) -> FloatArray:
    """``F_left.T @ diag(c) @ F_right``: (p_left, p_right)."""
    if left.codes is not None:
        return feature_group_sums(right, c, left.codes, left.n_features)
    if right.codes is not None:
        return feature_group_sums(left, c, right.codes, right.n_features).T
    assert left.matrix is not None and right.matrix is not None
    out: FloatArray = left.matrix.T @ (c[:, None] * right.matrix)
    return out
