"""Access control: roles per association from the TLS client certificate (both clients) and from the
ACSE password (libIEC61850's client). A viewer's operate and setting write are refused and change
nothing, an operator's setting write is refused, an engineer may do everything; every refusal is a
security event, and the server's answers are the protocol's (object-access-denied; for a control, a
LastApplError with AddCause no-access-authority where the library shows it).
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from clients import CLIENTS, ClientError
from conftest import REPO, SCL, _free_port, _stop_server, run_client, wait_for
from test_tls import GATEWAY, MAKE_PKI, TLSGateway, attempt, creds, listening

SESSION = 40.0
LD = "DEMOGenericIO"
SETTING = f"{LD}/GGIO2.SetAn1.setMag.f"
SPC1 = f"{LD}/GGIO1.SPCSO1"
URCB = f"{LD}/LLN0.RP.urcbEvents01"
NO_ACCESS_AUTHORITY = 20
OPERATOR_PASSWORD = "operator-secret-1"

clients = pytest.mark.parametrize("kind", list(CLIENTS))


@pytest.fixture(scope="module")
def roles_gateway(tmp_path_factory):
    folder = tmp_path_factory.mktemp("access")
    pki = str(folder / "pki")
    subprocess.run([MAKE_PKI, pki], check=True, capture_output=True, timeout=120)
    digest = subprocess.run([GATEWAY, "hash-password"], input=OPERATOR_PASSWORD + "\n", capture_output=True, text=True,
                            timeout=30, check=True).stdout.strip()
    port, tls_port, http = _free_port(), _free_port(), _free_port()
    config = folder / "gateway.yaml"
    config.write_text(f"""
model: {{scl: {SCL}}}
http: {{port: {http}}}
server:
  port: {port}
  bind: 127.0.0.1
  tls: {{port: {tls_port}, certificate: {pki}/server.pem, key: {pki}/server.key, ca: {pki}/ca.pem}}
  access:
    default-role: none
    passwords:
      - {{role: operator, hash: "{digest}"}}
    certificates:
      - {{role: viewer, common-name: viewer}}
      - {{role: operator, subject: "O=Test Plant, CN=operator"}}
      - {{role: engineer, common-name: engineer}}
""")
    check = subprocess.run([GATEWAY, "validate", "--config", str(config)], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    log, events = str(folder / "gateway.log"), str(folder / "events.sqlite")
    with open(log, "ab") as err:
        proc = subprocess.Popen([GATEWAY, "run", "--config", str(config), "--simulate", "--event-log", events], cwd=REPO,
                                env=dict(os.environ, SWIFT_BACKTRACE="enable=no"), stdout=err, stderr=err, start_new_session=True)
    gw = TLSGateway(proc, port, tls_port, log, events)
    gw.pki, gw.http = pki, http
    assert wait_for(lambda: attempt_plain(gw, OPERATOR_PASSWORD) == "ok", 20), gw.log_text()
    assert wait_for(lambda: listening(tls_port), 20), "the TLS listener is bound just after the plain one"
    yield gw
    _stop_server(proc)


def attempt_plain(gw, password):
    """Associate over plain MMS with this password: "ok", or the client's error kind."""
    outcome = attempt("libiec61850", gw, None, password)
    return outcome.removeprefix("refused: ")


def everything(c) -> dict:
    """Tries each kind of service once; the outcome of each, and the values afterwards."""
    out = {"read": c.read(SETTING, "SP")}
    try:
        c.write(SETTING, "SP", out["read"] + 1.0, "float32")
        out["write"] = "ok"
    except ClientError as e:
        out["write"] = e.kind
    out["setting-after"] = c.read(SETTING, "SP")
    before = c.read(f"{SPC1}.stVal", "ST")
    c.set_ctl_num(SPC1, 5)
    out["operate"] = c.operate(SPC1, not before)
    time.sleep(0.4)  # the simulated execution takes 100 ms
    out["status-changed"] = c.read(f"{SPC1}.stVal", "ST") != before
    rcb = c.rcb_values(URCB)
    c.subscribe(URCB, rcb["RptID"])
    c.set_rcb(URCB, RptEna=True)
    c.trigger_gi(URCB)
    out["reports"] = len(c.wait_reports(1, 5))
    c.set_rcb(URCB, RptEna=False)
    name = f"{LD}/LLN0.Access{os.getpid()}"
    try:
        c.create_data_set(name, [f"{LD}/GGIO1.Ind1[ST]"])
        out["create"] = "ok"
        c.delete_data_set(name)
    except ClientError as e:
        out["create"] = e.kind
    return out


EXPECTED = {
    "viewer": {"write": "access-denied", "operate": False, "create": "access-denied"},
    "operator": {"write": "access-denied", "operate": True, "create": "access-denied"},
    "engineer": {"write": "ok", "operate": True, "create": "ok"},
}


@clients
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_over_tls_may_do_what_it_should_and_nothing_else(roles_gateway, kind, role):
    gw = roles_gateway
    out = run_client(kind, gw.tls, everything, timeout=SESSION, tls=creds(gw.pki, role))
    expected = EXPECTED[role]
    assert out["reports"] >= 1, out  # every role reads and receives reports
    if kind == "rust-iec61850" and expected["write"] == "access-denied":
        assert out["write"] != "ok", out  # the Rust client names MMS access errors its own way
    else:
        assert out["write"] == expected["write"], out
    assert (out["setting-after"] != out["read"]) == (expected["write"] == "ok"), out
    assert out["operate"]["ok"] == expected["operate"], out
    assert out["status-changed"] == expected["operate"], out
    if not expected["operate"] and out["operate"]["add_cause"] is not None:
        assert out["operate"]["add_cause"] == NO_ACCESS_AUTHORITY, out
    if expected["create"] == "ok":
        assert out["create"] == "ok", out
    else:
        assert out["create"] != "ok", out
    if role != "engineer":
        needle = f"{role} may not write a setting"
        assert wait_for(lambda: needle in gw.security_events()), gw.security_events()


def test_an_operators_password_gives_the_operator_role(roles_gateway):
    gw = roles_gateway
    out = run_client("libiec61850", gw, everything, password=OPERATOR_PASSWORD, timeout=SESSION)
    assert out["write"] == "access-denied" and out["setting-after"] == out["read"], out
    assert out["operate"]["ok"] and out["status-changed"], out
    assert attempt_plain(gw, "wrong-password") == "connect"
    assert attempt_plain(gw, None) == "connect"  # no password, no certificate: no role (default-role: none)


def test_a_viewers_control_refusal_is_a_security_event_with_the_object(roles_gateway):
    gw = roles_gateway
    run_client("libiec61850", gw.tls, lambda c: c.operate(SPC1, True), timeout=SESSION, tls=creds(gw.pki, "viewer"))
    listed = wait_for(lambda: (lambda t: t if "viewer may not control (Oper)" in t else None)(gw.security_events()))
    assert listed and "GGIO1.SPCSO1" in listed, gw.security_events()


def test_https_roles_come_from_the_client_certificate(roles_gateway):
    """The HTTP side behind the server's TLS: a certificate rule gives the role, as for an association."""
    import ssl
    import urllib.error
    import urllib.request
    gw = roles_gateway

    def request(name: str | None, path: str, method: str = "GET") -> int:
        context = ssl.create_default_context(cafile=f"{gw.pki}/ca.pem")
        context.load_cert_chain(f"{gw.pki}/{name}.pem", f"{gw.pki}/{name}.key")
        try:
            with urllib.request.urlopen(urllib.request.Request(f"https://127.0.0.1:{gw.http}{path}", method=method), context=context,
                                        timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    assert wait_for(lambda: request("viewer", "/api/health") == 200, 10)
    assert request("viewer", "/api/points") == 200
    assert request("viewer", "/api/reload", "POST") == 403
    assert request("operator", "/api/reload", "POST") == 403
    assert request("engineer", "/api/reload", "POST") == 200
