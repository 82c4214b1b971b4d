"""A fault-injecting HTTP proxy in front of a real index (like toxiproxy, on 127.0.0.1).

Requests pass through to the real pypiserver untouched unless a fault is switched on:
- ``fail_uploads_matching``: POST uploads whose body names a matching file get
  ``fail_status`` (503 unless set);
- ``hide_project``: the simple index answers 404 for that project's page;
- ``upload_delay``: seconds each upload waits before it is passed on (a slow index);
- ``fail_reads``: how many of the next simple-page reads answer ``fail_status``.
"""

from __future__ import annotations

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultProxy:
    """Forward to ``upstream`` (an http://host:port/ URL), injecting the faults that are set."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.fail_uploads_matching: str | None = None
        self.fail_status = 503
        self.hide_project: str | None = None
        self.upload_delay = 0.0
        self.fail_reads = 0
        self.uploads: list[str] = []
        self.faults: list[str] = []  # the uploads failed on purpose, to wait on
        self.authorizations: list[str] = []  # the Authorization header of every upload
        self.closed = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "POST":
                    proxy.authorizations.append(self.headers.get("Authorization", ""))
                    name = re.search(rb'filename="([^"]+)"', body)
                    filename = name.group(1).decode() if name else "?"
                    pattern = proxy.fail_uploads_matching
                    if pattern and re.search(pattern, filename):
                        self.send_error(proxy.fail_status, "injected fault")
                        proxy.faults.append(filename)
                        return
                    # a proxy that is closed meanwhile passes nothing on: the index may be
                    # the next test's (one pypiserver per worker, emptied for each test)
                    if proxy.closed.wait(proxy.upload_delay):
                        return
                elif proxy.fail_reads > 0 and "/simple/" in self.path:
                    proxy.fail_reads -= 1
                    self.send_error(proxy.fail_status, "injected fault")
                    return
                hidden = proxy.hide_project
                if hidden and self.path.rstrip("/").endswith(f"/simple/{hidden}"):
                    self.send_error(404, "injected fault")
                    return
                conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if self.command == "POST" and resp.status == 200:
                    proxy.uploads.append(filename)
                self.send_response(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # server_close() then waits for the requests under way: none lands after the exit
        self.server.daemon_threads = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's upload URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()
