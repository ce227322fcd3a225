"""The workspaces' tests: the planners' headless Chromium, and snapshots refreshed in line."""

import pytest

from tests.planner.test_pages_browser import browser  # noqa: F401


@pytest.fixture(autouse=True)
def _refresh_in_line(settings):
    """A page after a write reads the new registry itself rather than leave a refresh thread
    running into the next test."""
    settings.REGISTRY_REFRESH_IN_BACKGROUND = False
