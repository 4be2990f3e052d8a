"""One replica for the shared-cache tests: ``python tests/redis_worker.py JOB.json`` verifies the job's
subjects through a store cached in Redis and prints ``{"results": [...], "stats": {...}}`` as JSON.

The job: ``redis_url``, ``secret`` (or null), ``public_key`` (PEM), ``subjects``, ``workers``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cosign_verify import (
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    OCIRegistryStore,
    RedisCache,
    TrustPolicy,
)


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    cache = RedisCache(job["redis_url"], secret=job["secret"])
    policy = TrustPolicy(name="team", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    providers = KeyProviders([InlineKeyProvider("kp", job["public_key"])])
    executor = Executor(OCIRegistryStore(cache=cache), [CosignVerifier([policy], providers)])
    results = executor.verify_many(job["subjects"], workers=job["workers"])
    json.dump({"results": [r.to_dict() for r in results], "stats": cache.stats()}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
