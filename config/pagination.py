"""The API's limit/offset pagination, bounded: a limit or offset beyond what the
database's bigint holds made the page query fail (a 500 instead of a page)."""

from typing import Any

from rest_framework.pagination import LimitOffsetPagination

# Far above any real page or table, far below PostgreSQL's bigint (2⁶³ − 1).
BOUND = 10**12


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = BOUND

    def get_offset(self, request: Any) -> int:
        return min(super().get_offset(request), BOUND)
