"""gunicorn settings for production and ``make run``.

Threaded (gthread) workers: each open live stream holds one thread for up to SSE_MAX_SECONDS, so threads are
generous and ordinary requests are served by the threads left over. An idle stream's thread sleeps on a
condition variable (no CPU, no database connection); threads are created only as connections need them, so a
high ceiling costs nothing until it is used. Measured in docs/live.md (bench/live_fanout.py): 200 streams on
two workers of 256 threads each. With 32 threads per worker, the 65th stream and every page behind it queue.
Values come from the environment where set.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "256"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Metrics (METRICS_ENABLED): every worker writes its values to PROMETHEUS_MULTIPROC_DIR and a scrape of any worker
# adds them up. When gunicorn starts, the files of processes that are gone are removed (a scheduler sharing the
# folder keeps its own); a worker's live gauges go when it exits.
_metrics = os.environ.get("METRICS_ENABLED", "").strip().lower() in {"1", "true", "yes", "on"}
if _metrics and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(os.environ.get("INSTANCE_PATH") or "instance", "metrics")


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        pid = name.rsplit("_", 1)[-1].removesuffix(".db")
        if name.endswith(".db") and pid.isdigit() and not _alive(int(pid)):
            os.remove(os.path.join(folder, name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# The access log (access_log.py, beside this file) leaves out the load balancer's and the monitoring system's probes,
# and under LOG_FORMAT=json writes one JSON object per request with its X-Request-ID.
logger_class = "access_log.AccessLogger"
