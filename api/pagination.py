"""Pagination with a page size the client may choose, up to a cap."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

__all__ = ["CappedPageNumberPagination"]


class CappedPageNumberPagination(PageNumberPagination):
    """50 rows a page by default; ``?page_size=`` up to 500, larger asks are cut to 500.

    A ``page`` or ``page_size`` that is not a whole number from 1 up is a 400 naming it; a page
    past the last one is a 404, as there is nothing at that address.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        page = request.query_params.get(self.page_query_param)
        if page is not None and page not in self.last_page_strings:
            if not page.isdigit() or int(page) < 1:
                raise ValidationError({self.page_query_param: [_("A whole number from 1 up.")]})
        size = request.query_params.get(self.page_size_query_param)
        if size not in (None, "") and (not size.isdigit() or int(size) < 1):
            # DRF falls back to the default size; a client asking for -1 meant something else.
            raise ValidationError(
                {self.page_size_query_param: [_("A whole number from 1 up (at most 500).")]}
            )
        return super().paginate_queryset(queryset, request, view)
