"""Data set interop tests (PROTOCOL.md §8): both client libraries, shared bodies (see clients.py).

Expectations follow libIEC61850's server: a static SCL data set is listed and read but not
deletable; clients define domain-specific data sets (any LD's members, FCD or FCDA), which stay
while the server runs, and association-specific ones ("@name"), which live with the association.
A duplicate name is definition/object-exists; a missing LN access/object-non-existent; a missing
member definition/object-undefined; a limit resource/capability-unavailable.

How each client reports those (kinds in clients.py):
  exists        libiec61850 "exists" (IED_ERROR_OBJECT_EXISTS); rust "exists" (class=Definition(5))
  non-existent  both "non-existent" (Access(2), or Definition(1) object-undefined)
  limit         libiec61850 "other": its client maps resource/capability-unavailable to
                IED_ERROR_UNKNOWN (99); rust "capability" (class=Resource(4))
  delete refused  libiec61850 "access-denied" (the server matched but did not delete);
                rust "not-deleted" (its delete_data_set answers only False)
"""

from __future__ import annotations

import pytest

from clients import CLIENTS, ClientError
from conftest import CLIENT_KINDS, SCL, Checker, run_client
from scl_model import expected_model
from test_interop import bits_match

LD = "DEMOGenericIO"
EVENTS = f"{LD}/LLN0.Events"
EVENTS_MEMBERS = [f"{LD}/GGIO1.Ind{i}.{da}[ST]" for i in range(1, 5) for da in ("stVal", "q")]
TEST_DS = f"{LD}/LLN0.TestDS"
TEST_DS_MEMBERS = [
    f"{LD}/GGIO1.AnIn1.mag.f[MX]",
    f"{LD}/GGIO1.Ind2[ST]",  # a whole DO with FC (FCD)
    "DEMOMeasurement/MMXU1.TotW.mag.f[MX]",  # a member in another logical device
]
ANIN1_MAG_F = 21.5  # <Val> in demo.icd
TOTW_MAG_F = 15000.5
ONE_MEMBER = [f"{LD}/GGIO1.Ind1.stVal[ST]"]

# Defaults of the server (libIEC61850's IedServerConfig: 10 domain-specific lists per domain,
# 10 per association). libIEC61850 counts the SCL data sets of a domain in its 10, so the domain
# limit is tested in DEMOMeasurement, which has none: there both readings give 10 client sets.
MAX_DOMAIN_SETS = 10
MAX_AA_SETS = 10
MAX_MEMBERS = 50  # PROTOCOL.md §8 (libIEC61850 1.6.1's IedServerConfig default is 100)
LIMIT_LN = "DEMOMeasurement/LLN0"

# kind of a refusal for a limit, per client (see the module docstring)
LIMIT_KIND = {"libiec61850": "other", "rust-iec61850": "capability"}
DELETE_REFUSED_KIND = {"libiec61850": "access-denied", "rust-iec61850": "not-deleted"}

clients = pytest.mark.parametrize("kind", CLIENT_KINDS)


def outcome(fn):
    """("ok", result) or (error kind, detail): a picklable record of one call."""
    try:
        return ("ok", fn())
    except ClientError as e:
        return (e.kind, e.detail)


def other_connection(c):
    """A second association from inside a client session (same library, same server)."""
    d = type(c)()
    d.connect(*c._target)
    return d


def session(kind, srv, body, **kw):
    """run_client, with the target remembered on the client so that a body can open a second one."""

    def wrapped(c):
        c._target = (srv.host, srv.port)
        return body(c)

    return run_client(kind, srv, wrapped, **kw)


def big_member_list(n: int) -> list[str]:
    """n distinct FCDA members of DEMOGenericIO from demo.icd (readable FCs only)."""
    model = expected_model(SCL)
    refs = [f"{r}[{fc}]" for r, fc in model.da_fcs.items() if r.startswith(LD + "/") and fc in ("ST", "MX", "CF", "DC", "SP")]
    assert len(refs) >= n, f"demo.icd has only {len(refs)} candidate members"
    return refs[:n]


def check_ind_struct(ck: Checker, key: str, v, what: str) -> None:
    ok = isinstance(v, list) and len(v) == 3 and v[0] is False
    ck.check(ok, key, f"{what}: expected Ind2 [ST] as [stVal False, q, t], got {v!r}")
    if ok:
        ck.check(bits_match(v[1], "0000000000000"), f"{key}:q", f"{what}: Ind2.q {v[1]!r} not good quality")


# ------------------------------------------------------------------------------ static
@clients
def test_static_data_set_directory_and_values(server, kind):
    def body(c):
        return (outcome(lambda: c.data_set_directory(EVENTS)), outcome(lambda: c.read_data_set(EVENTS)),
                outcome(lambda: c.data_sets(f"{LD}/LLN0")))

    (dst, d), (vst, values), (lst, names) = session(kind, server, body)
    ck = Checker()
    ck.check(dst == "ok" and d[0] == EVENTS_MEMBERS, "ds:static-dir", f"directory of {EVENTS}: {dst} {d!r}")
    if dst == "ok" and d[1] is not None:
        ck.check(d[1] is False, "ds:static-deletable", f"{EVENTS} reported deletable={d[1]}")
    ck.check(vst == "ok" and isinstance(values, list) and len(values) == 8, "ds:static-read",
             f"values of {EVENTS}: {vst} {values!r}")
    if vst == "ok" and isinstance(values, list) and len(values) == 8:
        ck.check(all(v is False for v in values[0::2]), "ds:static-read", f"stVal members not all False: {values!r}")
        ck.check(all(bits_match(q, "0000000000000") for q in values[1::2]), "ds:static-read:q",
                 f"q members not good quality: {values!r}")
    ck.check(lst == "ok" and "Events" in names, "ds:ln-directory", f"data sets of {LD}/LLN0: {lst} {names!r}")
    ck.finish()


# ------------------------------------------------------------------------------ dynamic, domain
@clients
def test_create_read_share_and_delete_domain_data_set(fresh_server, kind):
    def creator(c):
        out = {"create": outcome(lambda: c.create_data_set(TEST_DS, TEST_DS_MEMBERS))}
        out["dir"] = outcome(lambda: c.data_set_directory(TEST_DS))
        out["read"] = outcome(lambda: c.read_data_set(TEST_DS))
        out["names"] = outcome(lambda: c.data_sets(f"{LD}/LLN0"))
        d = other_connection(c)  # a second association while the creator's is still open
        try:
            out["other-read"] = outcome(lambda: d.read_data_set(TEST_DS))
        finally:
            d.close()
        return out

    def later(c):  # a new association after the creator's has ended
        out = {"dir": outcome(lambda: c.data_set_directory(TEST_DS)), "read": outcome(lambda: c.read_data_set(TEST_DS))}
        out["delete"] = outcome(lambda: c.delete_data_set(TEST_DS))
        out["dir-after"] = outcome(lambda: c.data_set_directory(TEST_DS))
        out["read-after"] = outcome(lambda: c.read_data_set(TEST_DS))
        out["names-after"] = outcome(lambda: c.data_sets(f"{LD}/LLN0"))
        return out

    def gone(c):
        return outcome(lambda: c.data_set_directory(TEST_DS)), outcome(lambda: c.read_data_set(TEST_DS))

    a = session(kind, fresh_server, creator)
    b = session(kind, fresh_server, later)
    g = session(kind, fresh_server, gone)
    ck = Checker()
    ck.check(a["create"][0] == "ok", "ds:create", f"create {TEST_DS}: {a['create']}")
    for tag, res in (("creator", a["dir"]), ("later", b["dir"])):
        ck.check(res[0] == "ok" and res[1][0] == TEST_DS_MEMBERS, "ds:dir", f"{tag} directory of {TEST_DS}: {res}")
        if res[0] == "ok" and res[1][1] is not None:
            ck.check(res[1][1] is True, "ds:deletable", f"{tag}: a client-defined set reported deletable={res[1][1]}")
    for tag, res in (("creator", a["read"]), ("second connection", a["other-read"]), ("later", b["read"])):
        ok = res[0] == "ok" and isinstance(res[1], list) and len(res[1]) == 3
        ck.check(ok, "ds:read", f"{tag} read of {TEST_DS}: {res}")
        if ok:
            v = res[1]
            ck.check(v[0] == ANIN1_MAG_F, "ds:read", f"{tag}: AnIn1.mag.f = {v[0]!r}, expected {ANIN1_MAG_F}")
            check_ind_struct(ck, "ds:read:fcd", v[1], tag)
            ck.check(v[2] == TOTW_MAG_F, "ds:read", f"{tag}: MMXU1.TotW.mag.f = {v[2]!r}, expected {TOTW_MAG_F}")
    ck.check(a["names"][0] == "ok" and "TestDS" in a["names"][1], "ds:ln-directory-dynamic", f"LLN0 data sets: {a['names']}")
    ck.check(b["delete"][0] == "ok", "ds:delete", f"delete {TEST_DS}: {b['delete']}")
    for tag, res in (("dir after delete", b["dir-after"]), ("read after delete", b["read-after"]),
                     ("dir in a new association", g[0]), ("read in a new association", g[1])):
        ck.check(res[0] == "non-existent", "ds:gone", f"{tag}: {res}, expected non-existent")
    ck.check(b["names-after"][0] == "ok" and "TestDS" not in b["names-after"][1] and "Events" in b["names-after"][1],
             "ds:ln-directory-dynamic", f"LLN0 data sets after delete: {b['names-after']}")
    ck.finish()


@clients
def test_refused_definitions_and_deletions(fresh_server, kind):
    def body(c):
        out = {
            "dup-static": outcome(lambda: c.create_data_set(EVENTS, ONE_MEMBER)),
            "first": outcome(lambda: c.create_data_set(TEST_DS, ONE_MEMBER)),
            "dup-dynamic": outcome(lambda: c.create_data_set(TEST_DS, TEST_DS_MEMBERS)),
            "no-ln": outcome(lambda: c.create_data_set(f"{LD}/NOLN0.X", ONE_MEMBER)),
            "no-member": outcome(lambda: c.create_data_set(f"{LD}/LLN0.BadMember",
                                                           ONE_MEMBER + [f"{LD}/GGIO1.NoSuchDO.stVal[ST]"])),
            "delete-static": outcome(lambda: c.delete_data_set(EVENTS)),
            "delete-unknown": outcome(lambda: c.delete_data_set(f"{LD}/LLN0.NoSuchSet")),
        }
        out["bad-member-dir"] = outcome(lambda: c.data_set_directory(f"{LD}/LLN0.BadMember"))
        out["testds-dir"] = outcome(lambda: c.data_set_directory(TEST_DS))
        out["events-dir"] = outcome(lambda: c.data_set_directory(EVENTS))
        out["events-read"] = outcome(lambda: c.read_data_set(EVENTS))
        out["cleanup"] = outcome(lambda: c.delete_data_set(TEST_DS))
        return out

    o = session(kind, fresh_server, body)
    ck = Checker()
    ck.check(o["first"][0] == "ok", "ds:create", f"create {TEST_DS}: {o['first']}")
    for key, expected in (("dup-static", "exists"), ("dup-dynamic", "exists"), ("no-ln", "non-existent"),
                          ("no-member", "non-existent")):
        ck.check(o[key][0] == expected, f"ds:refuse:{key}", f"{key}: {o[key]}, expected a refusal of kind {expected}")
    ck.check(o["delete-static"][0] == DELETE_REFUSED_KIND[kind], "ds:refuse:delete-static",
             f"delete of the SCL data set {EVENTS}: {o['delete-static']}, expected {DELETE_REFUSED_KIND[kind]}")
    ck.check(o["delete-unknown"][0] in ("non-existent", "not-deleted"), "ds:refuse:delete-unknown",
             f"delete of an unknown set: {o['delete-unknown']}")
    ck.check(o["bad-member-dir"][0] == "non-existent", "ds:refuse:no-member",
             f"a refused definition left {LD}/LLN0.BadMember: {o['bad-member-dir']}")
    ck.check(o["testds-dir"][0] == "ok" and o["testds-dir"][1][0] == ONE_MEMBER, "ds:refuse:dup-dynamic",
             f"{TEST_DS} after a refused redefinition: {o['testds-dir']}, expected its first definition")
    ck.check(o["events-dir"][0] == "ok" and o["events-dir"][1][0] == EVENTS_MEMBERS, "ds:static-dir",
             f"{EVENTS} after the refused create/delete: {o['events-dir']}")
    ck.check(o["events-read"][0] == "ok" and len(o["events-read"][1]) == 8, "ds:static-read",
             f"{EVENTS} read after the refused create/delete: {o['events-read']}")
    ck.check(o["cleanup"][0] == "ok", "ds:delete", f"delete {TEST_DS}: {o['cleanup']}")
    ck.finish()


# ------------------------------------------------------------------------------ association-specific
@clients
def test_association_specific_data_set(fresh_server, kind):
    if not CLIENTS[kind].supports_aa_data_sets:
        pytest.skip(f"the {kind} client cannot name association-specific data sets "
                    "(its data set calls require '<LD>/<LN>.<name>' and refuse '@name')")
    members = [f"{LD}/GGIO1.Ind1.stVal[ST]", f"{LD}/GGIO1.AnIn1.mag.f[MX]"]

    def body(c):
        out = {"create": outcome(lambda: c.create_data_set("@AaSet", members))}
        out["dir"] = outcome(lambda: c.data_set_directory("@AaSet"))
        out["read"] = outcome(lambda: c.read_data_set("@AaSet"))
        out["names"] = outcome(c.association_data_sets)
        d = other_connection(c)
        try:
            out["other-read"] = outcome(lambda: d.read_data_set("@AaSet"))
            out["other-dir"] = outcome(lambda: d.data_set_directory("@AaSet"))
            out["other-names"] = outcome(d.association_data_sets)
        finally:
            d.close()
        out["read-again"] = outcome(lambda: c.read_data_set("@AaSet"))
        return out

    o = session(kind, fresh_server, body)
    after = session(kind, fresh_server, lambda c: (outcome(lambda: c.read_data_set("@AaSet")),
                                                  outcome(lambda: c.data_set_directory("@AaSet"))))
    ck = Checker()
    ck.check(o["create"][0] == "ok", "ds:aa-create", f"create @AaSet: {o['create']}")
    ck.check(o["dir"][0] == "ok" and o["dir"][1][0] == members, "ds:aa-dir", f"directory of @AaSet: {o['dir']}")
    ck.check(o["read"][0] == "ok" and o["read"][1] == [False, ANIN1_MAG_F], "ds:aa-read", f"read of @AaSet: {o['read']}")
    ck.check(o["names"][0] == "ok" and o["names"][1] == ["AaSet"], "ds:aa-names",
             f"association-specific names on the owner: {o['names']}")
    ck.check(o["other-read"][0] == "non-existent", "ds:aa-private", f"another association read @AaSet: {o['other-read']}")
    ck.check(o["other-dir"][0] == "non-existent", "ds:aa-private", f"another association's directory: {o['other-dir']}")
    ck.check(o["other-names"][0] == "ok" and o["other-names"][1] == [], "ds:aa-private",
             f"association-specific names on another association: {o['other-names']}")
    ck.check(o["read-again"][0] == "ok", "ds:aa-read", f"read of @AaSet after the other association: {o['read-again']}")
    ck.check(after[0][0] == "non-existent" and after[1][0] == "non-existent", "ds:aa-gone",
             f"@AaSet after reconnecting: read {after[0]}, directory {after[1]}")
    ck.finish()


# ------------------------------------------------------------------------------ limits
@clients
def test_domain_and_member_limits(fresh_server, kind):
    names = [f"{LIMIT_LN}.Lim{i:02d}" for i in range(1, MAX_DOMAIN_SETS + 2)]
    full = big_member_list(MAX_MEMBERS)
    too_many = big_member_list(MAX_MEMBERS + 1)

    def body(c):
        out = {"creates": [outcome(lambda n=n: c.create_data_set(n, ONE_MEMBER)) for n in names]}
        out["read-first"] = outcome(lambda: c.read_data_set(names[0]))
        out["events"] = outcome(lambda: c.read_data_set(EVENTS))
        out["other-domain"] = outcome(lambda: c.create_data_set(f"{LD}/LLN0.OtherDomain", ONE_MEMBER))
        out["cleanup"] = [outcome(lambda n=n: c.delete_data_set(n)) for n in names[:MAX_DOMAIN_SETS]]
        out["cleanup"].append(outcome(lambda: c.delete_data_set(f"{LD}/LLN0.OtherDomain")))
        out["full"] = outcome(lambda: c.create_data_set(f"{LD}/LLN0.Full", full))
        out["full-dir"] = outcome(lambda: c.data_set_directory(f"{LD}/LLN0.Full"))
        out["full-read"] = outcome(lambda: c.read_data_set(f"{LD}/LLN0.Full"))
        out["too-many"] = outcome(lambda: c.create_data_set(f"{LD}/LLN0.TooMany", too_many))
        out["too-many-dir"] = outcome(lambda: c.data_set_directory(f"{LD}/LLN0.TooMany"))
        out["after"] = outcome(lambda: c.read_data_set(EVENTS))
        out["cleanup"].append(outcome(lambda: c.delete_data_set(f"{LD}/LLN0.Full")))
        return out

    o = session(kind, fresh_server, body, timeout=120)
    ck = Checker()
    for n, res in zip(names[:MAX_DOMAIN_SETS], o["creates"][:MAX_DOMAIN_SETS]):
        ck.check(res[0] == "ok", "ds:limit-domain", f"create {n} (within the limit of {MAX_DOMAIN_SETS}): {res}")
    last = o["creates"][MAX_DOMAIN_SETS]
    ck.check(last[0] == LIMIT_KIND[kind], "ds:limit-domain",
             f"create {names[-1]} (beyond {MAX_DOMAIN_SETS}): {last}, expected a refusal of kind {LIMIT_KIND[kind]}")
    ck.check(o["read-first"][0] == "ok" and o["read-first"][1] == [False], "ds:limit-domain",
             f"read of {names[0]} after the refusal: {o['read-first']}")
    ck.check(o["events"][0] == "ok", "ds:limit-domain", f"read of {EVENTS} after the refusal: {o['events']}")
    ck.check(o["other-domain"][0] == "ok", "ds:limit-domain", f"the limit is per domain, {LD} refused: {o['other-domain']}")
    ck.check(o["full"][0] == "ok", "ds:limit-members", f"a set of {MAX_MEMBERS} members: {o['full']}")
    ck.check(o["full-dir"][0] == "ok" and o["full-dir"][1][0] == full, "ds:limit-members",
             f"directory of the {MAX_MEMBERS}-member set: {o['full-dir'][0]} {str(o['full-dir'][1])[:200]}")
    ck.check(o["full-read"][0] == "ok" and len(o["full-read"][1]) == MAX_MEMBERS, "ds:limit-members",
             f"read of the {MAX_MEMBERS}-member set: {o['full-read'][0]} {str(o['full-read'][1])[:200]}")
    ck.check(o["too-many"][0] != "ok", "ds:limit-members", f"a set of {MAX_MEMBERS + 1} members was accepted")
    ck.check(o["too-many-dir"][0] == "non-existent", "ds:limit-members",
             f"the refused {MAX_MEMBERS + 1}-member set exists: {o['too-many-dir']}")
    ck.check(o["after"][0] == "ok", "ds:limit-members", f"read of {EVENTS} afterwards: {o['after']}")
    ck.check(all(r[0] == "ok" for r in o["cleanup"]), "ds:delete", f"cleanup: {o['cleanup']}")
    ck.finish()


@clients
def test_association_specific_limit(fresh_server, kind):
    if not CLIENTS[kind].supports_aa_data_sets:
        pytest.skip(f"the {kind} client cannot name association-specific data sets")
    names = [f"@Aa{i:02d}" for i in range(1, MAX_AA_SETS + 2)]

    def body(c):
        out = {"creates": [outcome(lambda n=n: c.create_data_set(n, ONE_MEMBER)) for n in names]}
        out["read-first"] = outcome(lambda: c.read_data_set(names[0]))
        d = other_connection(c)  # the limit is per association: another one still has room
        try:
            out["other"] = outcome(lambda: d.create_data_set(names[-1], ONE_MEMBER))
        finally:
            d.close()
        out["cleanup"] = [outcome(lambda n=n: c.delete_data_set(n)) for n in names[:MAX_AA_SETS]]
        return out

    o = session(kind, fresh_server, body, timeout=120)
    ck = Checker()
    for n, res in zip(names[:MAX_AA_SETS], o["creates"][:MAX_AA_SETS]):
        ck.check(res[0] == "ok", "ds:limit-aa", f"create {n} (within the limit of {MAX_AA_SETS}): {res}")
    last = o["creates"][MAX_AA_SETS]
    ck.check(last[0] == LIMIT_KIND[kind], "ds:limit-aa",
             f"create {names[-1]} (beyond {MAX_AA_SETS}): {last}, expected a refusal of kind {LIMIT_KIND[kind]}")
    ck.check(o["read-first"][0] == "ok" and o["read-first"][1] == [False], "ds:limit-aa",
             f"read of {names[0]} after the refusal: {o['read-first']}")
    ck.check(o["other"][0] == "ok", "ds:limit-aa", f"another association could not define {names[-1]}: {o['other']}")
    ck.check(all(r[0] == "ok" for r in o["cleanup"]), "ds:delete", f"cleanup: {o['cleanup']}")
    ck.finish()
