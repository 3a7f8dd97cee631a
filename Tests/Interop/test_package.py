"""The Debian package (scripts/package): lintian finds no error in it; it installs with dpkg, makes its
system user, puts the unit (with ExecReload) and the example configuration in place; the installed
binary prints its version, validates the example, and serves (health over HTTP) as that user; a purge
removes it all."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import REPO, _free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installing a package needs root (CI runs as root)")


def run(*command, timeout=900, check=True, **kwargs):
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def installed() -> bool:
    return run("dpkg-query", "-W", "-f=${Status}", "iec61850-gateway", check=False).stdout.startswith("install ok installed")


@pytest.fixture(scope="module")
def package():
    built = run(os.path.join(REPO, "scripts", "package"), timeout=1800).stdout.strip().splitlines()[-1]
    path = os.path.join(REPO, built)
    assert os.path.exists(path) and re.fullmatch(r"dist/iec61850-gateway_\d+\.\d+\.\d+-1_\w+\.deb", built), built
    yield path
    if installed():
        run("dpkg", "--purge", "iec61850-gateway", check=False)


def test_lintian_finds_no_error(package):
    if not shutil.which("lintian"):
        pytest.fail("lintian is missing (Debian package lintian)")
    done = run("lintian", "--fail-on", "error", "--no-tag-display-limit", package, check=False)
    errors = [line for line in done.stdout.splitlines() if line.startswith("E:")]
    assert done.returncode == 0 and not errors, done.stdout + done.stderr


def test_install_run_and_purge(package):
    version = re.search(r'static let current = "(.*)"', open(os.path.join(REPO, "Sources", "iec61850-gateway", "GatewayVersion.swift")).read())[1]
    run("dpkg", "-i", package)
    try:
        assert installed()
        assert run("/usr/bin/iec61850-gateway", "--version").stdout.strip() == version
        user = pwd.getpwnam("iec61850")
        assert user.pw_dir == "/var/lib/iec61850-gateway" and user.pw_shell in ("/usr/sbin/nologin", "/bin/false"), user
        unit = open("/lib/systemd/system/iec61850-gateway.service").read()
        assert "ExecStart=/usr/bin/iec61850-gateway run --config /etc/iec61850-gateway/gateway.yaml" in unit
        assert "ExecReload=/bin/kill -HUP $MAINPID" in unit and "User=iec61850" in unit
        conffiles = run("dpkg-query", "--showformat=${Conffiles}", "--show", "iec61850-gateway").stdout
        assert "/etc/iec61850-gateway/gateway.yaml" in conffiles and "/etc/iec61850-gateway/demo.icd" in conffiles, conffiles
        done = run("/usr/bin/iec61850-gateway", "validate", "--config", "/etc/iec61850-gateway/gateway.yaml", check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        # The installed binary serves, as the package's user, with the example configuration.
        port, http = _free_port(), _free_port()
        server = subprocess.Popen(
            ["runuser", "-u", "iec61850", "--", "/usr/bin/iec61850-gateway", "run", "--config", "/etc/iec61850-gateway/gateway.yaml",
             "--port", str(port), "--bind", "127.0.0.1", "--http-port", str(http), "--event-log", "none"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            deadline, health = time.monotonic() + 20, None
            while time.monotonic() < deadline and health is None:
                try:
                    health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/api/health", timeout=2).read())
                except OSError:
                    if server.poll() is not None:
                        pytest.fail(f"the installed gateway exited {server.returncode}: {server.stderr.read()}")
                    time.sleep(0.1)
            assert health and health["status"] == "ok" and health["ied"] == "DEMO", health
        finally:
            server.terminate()
            server.wait(timeout=15)
    finally:
        run("dpkg", "--purge", "iec61850-gateway")
    assert not installed()
    assert not os.path.exists("/usr/bin/iec61850-gateway") and not os.path.exists("/etc/iec61850-gateway")
    assert not os.path.exists("/lib/systemd/system/iec61850-gateway.service")
    with pytest.raises(KeyError):
        pwd.getpwnam("iec61850")
