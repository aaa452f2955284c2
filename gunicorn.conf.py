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
