"""Embed the shipped sample papers and write their vectors beside them (sample/vectors.npz).

Run it after changing the sample or the model: `.venv/bin/python scripts/embed-sample.py`.
It loads the sample into a throwaway catalog first, so the vectors are of the text as stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import sqlalchemy as sa

SAMPLE = Path(__file__).resolve().parent.parent / "src" / "dailypapers" / "sample"


def main() -> None:
    from dailypapers.db.engine import create_db_engine
    from dailypapers.db.write import read_session
    from dailypapers.search.embedding import default_embedder
    from dailypapers.search.models import PaperEmbedding
    from dailypapers.search.semantic import embed_new_papers, stored_vectors
    from dailypapers.settings import Settings

    with tempfile.TemporaryDirectory() as data_dir:
        environment = {**os.environ, "DAILYPAPERS_DATA_DIR": data_dir}
        environment.pop("DAILYPAPERS_DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "-m", "dailypapers", "ingest", "listings", str(SAMPLE / "listings.jsonl.gz")],
            env=environment,
            check=True,
        )
        engine = create_db_engine(Settings(data_dir=Path(data_dir)))
        embedder = default_embedder()
        print(f"embedded {embed_new_papers(engine, embedder)} papers with {embedder.name}")
        with read_session(engine) as session:
            ids = sorted(session.scalars(sa.select(PaperEmbedding.paper_id)))
            vectors = stored_vectors(session, ids)
        np.savez_compressed(
            SAMPLE / "vectors.npz",
            model=np.array(embedder.name),
            ids=np.array(ids),
            vectors=np.vstack([vectors[paper_id] for paper_id in ids]).astype(np.float16),
        )
        engine.dispose()


if __name__ == "__main__":
    main()
