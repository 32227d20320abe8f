"""Every domain's tables, imported in one place so Alembic and the tests see the whole schema."""

from dailypapers.db.base import Base
from dailypapers.digest.models import Subscriber
from dailypapers.ingest.models import HarvestCheckpoint
from dailypapers.papers.models import ListingEntry, Paper

metadata = Base.metadata

__all__ = ["HarvestCheckpoint", "ListingEntry", "Paper", "Subscriber", "metadata"]
