"""What the analytics views share: JSON content negotiation and frames as JSON rows."""
import pandas as pd
from rest_framework.negotiation import BaseContentNegotiation

__all__ = ["JSONOnly", "records"]


class JSONOnly(BaseContentNegotiation):
    """JSON for the DRF response; ``format`` is this API's own parameter, read by the views."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with the index as the first key; missing values as null."""
    flat = frame.reset_index().astype(object)
    return flat.where(flat.notna(), None).to_dict(orient="records")
