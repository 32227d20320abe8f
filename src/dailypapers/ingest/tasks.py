"""Background jobs of ingestion (see ``dailypapers.queue``)."""

from __future__ import annotations

import datetime as dt

from dailypapers.ingest import oai
from dailypapers.queue import JobRuntime, periodic_job

#: Days of announcements each harvest asks for again: arXiv may announce a day's papers late, and
#: records already stored are skipped, so looking back costs one small request.
HARVEST_DAYS_BACK = 2


@periodic_job("harvested", enabled=lambda settings: settings.worker_harvest)
def harvest_new_papers(runtime: JobRuntime, moment: dt.datetime) -> int:
    """Harvest the papers arXiv announced lately (OAI-PMH); how many were new."""
    request = oai.HarvestRequest(moment.date() - dt.timedelta(days=HARVEST_DAYS_BACK), None, None)
    return oai.harvest(runtime.engine, runtime.settings, request, session=runtime.arxiv).stored.inserted
