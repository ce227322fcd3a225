"""Pagination with a page size the client may choose, up to a cap."""
from rest_framework.pagination import PageNumberPagination

__all__ = ["CappedPageNumberPagination"]


class CappedPageNumberPagination(PageNumberPagination):
    """50 rows a page by default; ``?page_size=`` up to 500, larger asks are cut to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
