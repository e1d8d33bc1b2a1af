"""What browser tests share: the served installation's users and environment, and
screenshots, saved under `artifacts/screenshots/` at the repository root so a run leaves
pictures of the main pages behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ENV = "Prod"
ADMIN, NOBODY = "root", "nobody"
PASSWORD = "browser password"


@dataclass
class Site:
    """The served installation: its URL and home folder."""

    url: str
    home: Path


def shoot(page: Page, name: str) -> None:
    """Save a full-page screenshot as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
