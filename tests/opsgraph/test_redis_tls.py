"""`REDIS_URL=rediss://…`: the settings take it and the process's Redis link speaks TLS to a
real redis-server listening only for TLS (a certificate the test makes with trustme), checking
the server's certificate against the CA named in the URL (`ssl_ca_certs`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.exceptions
import trustme

from opsgraph.redis_link import RedisLink
from opsgraph.settings import load_settings
from tests.support import free_port


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """redis-server with TLS only on a free port; yields the port and the CA's file."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH")
    folder = tmp_path_factory.mktemp("redis-tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    certificate.private_key_pem.write_to_path(str(folder / "key.pem"))
    certificate.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    port = free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
            *(
                "--tls-cert-file",
                str(folder / "cert.pem"),
                "--tls-key-file",
                str(folder / "key.pem"),
            ),
            *("--tls-ca-cert-file", str(folder / "ca.pem"), "--tls-auth-clients", "no"),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    yield port, folder / "ca.pem"
    process.terminate()
    process.wait(10)


def test_settings_take_a_rediss_url() -> None:
    url = "rediss://cache.example.com:6380/0?ssl_ca_certs=/etc/ssl/ca.pem"
    assert load_settings({"REDIS_URL": url}, Path("/nonexistent")).redis_url == url


async def test_the_link_speaks_tls_checking_the_servers_certificate(
    tls_redis: tuple[int, Path],
) -> None:
    port, ca = tls_redis
    link = RedisLink(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}", timeout=5, cool_down=1)
    try:
        await link.call("test", lambda: link.client.set("opsgraph:tls", "yes"))
        assert await link.call("test", lambda: link.client.get("opsgraph:tls")) == b"yes"
    finally:
        await link.close()


async def test_an_unknown_certificate_is_refused(tls_redis: tuple[int, Path]) -> None:
    port, _ = tls_redis
    link = RedisLink(f"rediss://127.0.0.1:{port}/0", timeout=5, cool_down=1)  # public roots
    try:
        with pytest.raises(redis.exceptions.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await link.call("test", lambda: link.client.ping())
    finally:
        await link.close()
