"""gunicorn's access log (``logger_class`` in gunicorn.conf.py): probes left out, JSON under ``LOG_FORMAT=json``.

Kept outside the app package: gunicorn's master loads it, and importing the app there would start its metrics
before the metrics folder is ready."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

#: paths polled every few seconds by load balancers and Prometheus: not worth a log line each
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class AccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") in QUIET_PATHS and (resp.status_code or 0) < 400:
            return
        if os.environ.get("LOG_FORMAT", "").strip().lower() != "json":
            return super().access(resp, req, environ, request_time)
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        request_id = next((value for name, value in resp.headers if name.lower() == "x-request-id"), "-")
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{req.method} {req.path} {resp.status_code}",
            "request_id": request_id,
            "method": req.method,
            "path": req.path,
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        self.access_log.info(json.dumps(entry))
