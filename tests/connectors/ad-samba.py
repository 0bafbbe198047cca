#!/usr/bin/python3
"""ad-samba: seed and change a Samba AD DC's database for tests/connectors/
ad-samba.sh, and print what the warehouse must then hold. Runs with
Debian's /usr/bin/python3 (python3-samba), on the DC's sam.ldb directly:
writes go through the DC's own module stack, so objectGUIDs, uSNChanged,
link removal and tombstones are the DC's, not ours.

  ad-samba.py seed SMBCONF MODEL --users N --big M
      under OU=Pulse: department OUs, N users (managers, every 50th
      disabled), a group with M members, a nested group; a service
      account outside OU=Pulse (password from $AD_SVC_PASSWORD) that may
      read tombstones (LC+RP on CN=Deleted Objects, as docs/directory.md
      tells AD admins to grant). MODEL (JSON) keeps the DC's GUIDs.
  ad-samba.py mutate SMBCONF MODEL OPS_JSON
      delete_user, rename_user, move_user (new OU, manager, department),
      disable_user, add_member, remove_member, delete_group
  ad-samba.py truth SMBCONF MODEL
      the canonical lines of ad-truth.sql, for diff
  ad-samba.py guid SMBCONF SAM
      the objectGUID of one account as Samba prints it
"""
import base64, json, os, sys

import ldb
import samba.auth, samba.param, samba.samdb
from samba.dcerpc import misc, security
from samba.ndr import ndr_pack, ndr_unpack

DEPTS = ["Eng", "Sales", "Ops"]


def open_db(conf):
    lp = samba.param.LoadParm()
    lp.load(conf)
    return samba.samdb.SamDB(url=lp.private_path("sam.ldb"),
                             session_info=samba.auth.system_session(), lp=lp)


def guid_of(db, dn, deleted=False):
    ctl = ["show_deleted:1"] if deleted else []
    r = db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["objectGUID"], controls=ctl)
    raw = r[0]["objectGUID"][0]
    # Samba's own formatting: the independent check of the plugin's swap.
    return str(ndr_unpack(misc.GUID, raw)), base64.b64encode(raw).decode()


def udn(m, sam):
    u = m["users"][sam]
    return "CN=%s,%s" % (u["cn"], m["ous"][u["ou"]]["dn"])


def gdn(m, sam):
    return "CN=%s,%s" % (sam, m["ous"]["Groups"]["dn"])


def mdn(m, sam):
    return udn(m, sam) if sam in m["users"] else gdn(m, sam)


def grant_tombstones(db, sid):
    """LC+RP for sid on CN=Deleted Objects (AD: dsacls /G svc:LCRP)."""
    dn = "CN=Deleted Objects," + str(db.domain_dn())
    ctl = ["show_deleted:1", "sd_flags:1:4"]
    r = db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["nTSecurityDescriptor"], controls=ctl)
    sd = ndr_unpack(security.descriptor, r[0]["nTSecurityDescriptor"][0])
    ace = security.ace()
    ace.type = security.SEC_ACE_TYPE_ACCESS_ALLOWED
    ace.access_mask = security.SEC_ADS_LIST | security.SEC_ADS_READ_PROP
    ace.trustee = security.dom_sid(sid)
    sd.dacl_add(ace)
    msg = ldb.Message(ldb.Dn(db, dn))
    msg["nTSecurityDescriptor"] = ldb.MessageElement(
        ndr_pack(sd), ldb.FLAG_MOD_REPLACE, "nTSecurityDescriptor")
    db.modify(msg, controls=ctl)


def seed(conf, model, args):
    opt = dict(zip(args[0::2], args[1::2]))
    n, big = int(opt["--users"]), int(opt["--big"])
    db = open_db(conf)
    dom = str(db.domain_dn())
    base = "OU=Pulse," + dom
    m = {"base": base, "ous": {}, "users": {}, "groups": {},
         "deleted_users": [], "deleted_groups": []}
    db.transaction_start()
    try:
        def ou(name, parent):
            dn = "OU=%s,%s" % (name, parent)
            db.add({"dn": dn, "objectClass": "organizationalUnit"})
            m["ous"][name] = {"dn": dn}
        ou("Pulse", dom)
        ou("People", base)
        ou("Groups", base)
        for d in DEPTS:
            ou(d, m["ous"]["People"]["dn"])
        sams = []
        for i in range(n):
            sam = "user%05d" % i
            d = DEPTS[i % len(DEPTS)]
            # 0x220 = normal account, no password required (no hashing
            # cost for 1,600 accounts nobody logs into); 0x2 = disabled.
            u = {"cn": sam, "ou": d, "upn": sam + "@corp.example",
                 "mail": sam + "@corp.example" if i % 13 else None,
                 "display": "User %05d" % i, "dept": d, "title": "Engineer %d" % (i % 5),
                 "emp": "E%06d" % i, "uac": 546 if i % 50 == 49 else 544,
                 "manager": sams[(i - 1) // 8] if i > 0 else None}
            m["users"][sam] = u
            sams.append(sam)
            rec = {"dn": udn(m, sam), "objectClass": "user", "sAMAccountName": sam,
                   "userPrincipalName": u["upn"], "displayName": u["display"],
                   "department": d, "title": u["title"], "employeeID": u["emp"],
                   "userAccountControl": str(u["uac"])}
            if u["mail"]:
                rec["mail"] = u["mail"]
            if u["manager"]:
                rec["manager"] = udn(m, u["manager"])
            db.add(rec)
        groups = {"all-staff": sams[:big],
                  "eng": [s for s in sams if m["users"][s]["dept"] == "Eng"][:40],
                  "sales": [s for s in sams if m["users"][s]["dept"] == "Sales"][:30]}
        groups["leads"] = ["eng", "sales"] + sams[:5]  # nested groups
        for sam, members in groups.items():
            m["groups"][sam] = {"members": list(members)}
            db.add({"dn": gdn(m, sam), "objectClass": "group", "sAMAccountName": sam,
                    "member": [mdn(m, x) for x in members]})
        pw = os.environ["AD_SVC_PASSWORD"]
        svc = "CN=svc-pulse,CN=Users," + dom
        db.add({"dn": svc, "objectClass": "user", "sAMAccountName": "svc-pulse",
                "userAccountControl": "512",
                "unicodePwd": ('"%s"' % pw).encode("utf-16-le")})
        r = db.search(base=svc, scope=ldb.SCOPE_BASE, attrs=["objectSid"])
        grant_tombstones(db, str(ndr_unpack(security.dom_sid, r[0]["objectSid"][0])))
        db.transaction_commit()
    except Exception:
        db.transaction_cancel()
        raise
    for name, o in m["ous"].items():
        o["guid"] = guid_of(db, o["dn"])[0]
    for sam in m["users"]:
        m["users"][sam]["guid"], m["users"][sam]["b64"] = guid_of(db, udn(m, sam))
    for sam in m["groups"]:
        m["groups"][sam]["guid"] = guid_of(db, gdn(m, sam))[0]
    m["svc_dn"] = svc
    json.dump(m, open(model, "w"))


def mutate(conf, model, ops):
    m = json.load(open(model))
    db = open_db(conf)

    def drop_links(sam):
        for x in m["groups"].values():
            while sam in x["members"]:
                x["members"].remove(sam)

    for op in json.loads(ops):
        k = op["op"]
        if k == "delete_user":
            sam = op["user"]
            if any(u["manager"] == sam for u in m["users"].values()):
                sys.exit("ad-samba: delete a user who manages nobody")
            db.delete(udn(m, sam))
            drop_links(sam)  # the DC removes the links itself
            m["deleted_users"].append(m["users"].pop(sam)["guid"])
        elif k == "delete_group":
            sam = op["group"]
            db.delete(gdn(m, sam))
            drop_links(sam)
            m["deleted_groups"].append(m["groups"].pop(sam)["guid"])
        elif k == "rename_user":
            sam = op["user"]
            old = udn(m, sam)
            m["users"][sam]["cn"] = op["cn"]
            db.rename(old, udn(m, sam))
            modify(db, udn(m, sam), {"displayName": op["display"]})
            m["users"][sam]["display"] = op["display"]
        elif k == "move_user":
            sam, u = op["user"], m["users"][op["user"]]
            old = udn(m, sam)
            u["ou"] = u["dept"] = op["ou"]
            u["manager"] = op["manager"]
            db.rename(old, udn(m, sam))
            modify(db, udn(m, sam), {"department": op["ou"],
                                     "manager": udn(m, op["manager"])})
        elif k == "disable_user":
            m["users"][op["user"]]["uac"] |= 2
            modify(db, udn(m, op["user"]),
                   {"userAccountControl": str(m["users"][op["user"]]["uac"])})
        elif k in ("add_member", "remove_member"):
            g = m["groups"][op["group"]]
            msg = ldb.Message(ldb.Dn(db, gdn(m, op["group"])))
            flag = ldb.FLAG_MOD_ADD if k == "add_member" else ldb.FLAG_MOD_DELETE
            msg["member"] = ldb.MessageElement(mdn(m, op["member"]), flag, "member")
            db.modify(msg)
            if k == "add_member":
                g["members"].append(op["member"])
            else:
                g["members"].remove(op["member"])
        else:
            sys.exit("ad-samba: unknown op %s" % k)
    json.dump(m, open(model, "w"))


def modify(db, dn, attrs):
    msg = ldb.Message(ldb.Dn(db, dn))
    for a, v in attrs.items():
        msg[a] = ldb.MessageElement(v, ldb.FLAG_MOD_REPLACE, a)
    db.modify(msg)


def truth(conf, model):
    m = json.load(open(model))
    gid = {s: x["guid"] for s, x in m["users"].items()}
    gid.update({s: x["guid"] for s, x in m["groups"].items()})
    lines = []
    for sam, u in m["users"].items():
        lines.append("U|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s" % (
            u["guid"], sam, u["upn"], u["mail"] or "", u["display"], u["dept"],
            u["title"], u["emp"], "t" if u["uac"] & 2 == 0 else "f",
            gid[u["manager"]] if u["manager"] else "", m["ous"][u["ou"]]["dn"],
            udn(m, sam), u["b64"]))
    for sam, x in m["groups"].items():
        lines.append("G|%s|%s|%s" % (x["guid"], sam, gdn(m, sam)))
        for mm in set(x["members"]):
            lines.append("M|%s|%s|%s" % (x["guid"], gid[mm],
                                          "user" if mm in m["users"] else "group"))
    for o in m["ous"].values():
        if o["dn"].endswith(m["base"]):
            lines.append("O|%s|%s" % (o["guid"], o["dn"]))
    lines += ["DU|%s" % g for g in m["deleted_users"]]
    lines += ["DG|%s" % g for g in m["deleted_groups"]]
    print("\n".join(sorted(lines)))


def guid(conf, sam):
    db = open_db(conf)
    r = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s)" % sam,
                  attrs=["objectGUID"])
    print(str(ndr_unpack(misc.GUID, r[0]["objectGUID"][0])))


cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "seed":
    seed(a[0], a[1], a[2:])
elif cmd == "mutate":
    mutate(a[0], a[1], a[2])
elif cmd == "truth":
    truth(a[0], a[1])
elif cmd == "guid":
    guid(a[0], a[1])
else:
    sys.exit("ad-samba: unknown command %s" % cmd)
