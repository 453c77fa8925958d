"""The nginx per-address throttling example (docs/nginx/*.conf) is valid and works: nginx
(Debian's package) parses it, and serving the app through it, POSTs to the sign-in page
from one address beyond the burst get 429 while pages and the API still answer.

Needs nginx (scripts/install_system_deps.sh installs it); REQUIRE_NGINX=1 (set by
.ci/run) turns a missing nginx into a failure instead of a skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "nginx"


@pytest.fixture(scope="module")
def nginx() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if path is None:
        if os.environ.get("REQUIRE_NGINX") == "1":
            pytest.fail("REQUIRE_NGINX=1 but nginx is not installed (scripts/install_system_deps.sh)", pytrace=False)
        pytest.skip("nginx not installed (scripts/install_system_deps.sh)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(prefix: Path, listen: int, upstream: str) -> Path:
    """A minimal nginx.conf around the two example files, included verbatim."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {EXAMPLE / "tracker-limits.conf"};
    upstream tracker_app {{ server {upstream}; }}
    server {{
        listen 127.0.0.1:{listen};
        server_name localhost;
        include {EXAMPLE / "tracker-locations.conf"};
    }}
}}
""")
    return conf


def test_the_example_parses(nginx, tmp_path):
    conf = _config(tmp_path, _free_port(), "127.0.0.1:9")
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "logs/t.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


def _status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_sign_in_posts_beyond_the_burst_get_429_while_the_site_answers(nginx, tmp_path, live_server):
    port = _free_port()
    upstream = live_server.url.removeprefix("http://")
    conf = _config(tmp_path / "nginx", port, upstream)
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-e", str(tmp_path / "nginx/logs/e.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if _status(base + "/login") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("nginx did not start: " + proc.stderr.read().decode() if proc.poll() is not None else "timeout")
        body = b"email=someone%40example.org&password=guess"
        statuses = [_status(base + "/login", body) for _ in range(10)]
        # The first one and the burst of five reach the app (400: no CSRF token), the rest are throttled.
        assert statuses[:6].count(429) == 0, statuses
        assert statuses[6:] == [429] * 4, statuses
        # Opening the page is not a sign-in attempt, and the rest of the site is not throttled.
        assert _status(base + "/login") == 200
        assert _status(base + "/api/v1/reports") == 401
        assert _status(base + "/account/password", b"x=1") == 429
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
