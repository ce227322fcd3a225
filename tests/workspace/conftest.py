"""The headless Chromium of the planners' browser tests, for the workspaces' too."""

from tests.planner.test_pages_browser import browser  # noqa: F401
