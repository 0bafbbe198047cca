#!/usr/bin/env python3
"""ad-gen: the AD-like test directory of the source-ad tests and benchmark.

  ad-gen.py gen MODEL LDIF --users N --groups G --big M [--seed S] [--reverse 1]
      a model (JSON) and its LDIF for slapadd: org units, N users with
      managers, G groups (the first with M members, some nested); with
      --reverse 1 users and groups are written last first, so the server
      lists reports before their managers, parents before nested groups
  ad-gen.py mutate MODEL LDIF OPS_JSON
      apply named changes to the model, write the ldapmodify LDIF, print
      the new highestCommittedUSN
  ad-gen.py truth MODEL
      the model in the canonical lines ad-truth.sql prints from the
      warehouse (sorted), for diff

Each change bumps the changed object's uSNChanged like a DC does. As in
AD, renaming or moving an object does not change the objects that point
to it (their DN values follow, their uSNChanged does not), and deleting
a user removes its links without touching the groups' uSNChanged.
"""
import base64, json, random, sys, uuid

BASE = "dc=corp,dc=example"
DEPTS = ["Eng", "Sales", "Ops", "Finance", "Support"]


def guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def b64(g):
    return base64.b64encode(uuid.UUID(g).bytes_le).decode()


def udn(m, g):
    u = m["users"][g]
    return "cn=%s,%s" % (u["cn"], m["ous"][u["ou"]]["dn"])


def gdn(m, g):
    x = m["groups"][g]
    return "cn=%s,%s" % (x["cn"], m["ous"][x["ou"]]["dn"])


def mdn(m, g):
    return udn(m, g) if g in m["users"] else gdn(m, g)


def gen(args):
    model, ldif = args[0], args[1]
    opt = dict(zip(args[2::2], args[3::2]))
    n, ng, big = int(opt["--users"]), int(opt["--groups"]), int(opt["--big"])
    rng = random.Random(int(opt.get("--seed", "1")))
    m = {"usn": 100, "ous": {}, "users": {}, "groups": {}, "order": []}
    usn = 100

    def ou(name, parent):
        nonlocal usn
        g = guid(rng)
        usn += 1
        m["ous"][g] = {"dn": "ou=%s,%s" % (name, parent), "name": name, "usn": usn}
        return g

    people = ou("People", BASE)
    groups_ou = ou("Groups", BASE)
    dept_ou = {d: ou(d, m["ous"][people]["dn"]) for d in DEPTS}
    ids = []
    for i in range(n):
        g = guid(rng)
        usn += 1
        d = DEPTS[i % len(DEPTS)]
        m["users"][g] = {
            "cn": "user%05d" % i, "ou": dept_ou[d], "sam": "user%05d" % i,
            "upn": "user%05d@corp.example" % i,
            "mail": "user%05d@corp.example" % i if i % 17 else None,
            "display": "User %05d" % i, "dept": d, "title": "Engineer %d" % (i % 7),
            "emp": "E%06d" % i, "uac": 514 if i % 50 == 49 else 512,
            "manager": ids[(i - 1) // 8] if i > 0 else None, "usn": usn}
        ids.append(g)
    gids = []
    for j in range(ng):
        g = guid(rng)
        usn += 1
        if j == 0:
            mem = ids[:big]
        else:
            mem = rng.sample(ids, rng.randint(0, 40))
            if j % 10 == 0 and gids:          # nested groups
                mem.append(gids[rng.randrange(len(gids))])
        m["groups"][g] = {"cn": "group%04d" % j, "ou": groups_ou,
                          "sam": "group%04d" % j, "members": mem, "usn": usn,
                          "desc": "test group %d" % j}
        gids.append(g)
    m["usn"] = usn
    json.dump(m, open(model, "w"))
    with open(ldif, "w") as f:
        for g, o in m["ous"].items():
            f.write("dn: %s\nobjectClass: organizationalUnit\nobjectClass: adObject\n"
                    "ou: %s\nobjectGUID:: %s\nuSNChanged: %d\nwhenChanged: 20240102120000.0Z\n\n"
                    % (o["dn"], o["name"], b64(g), o["usn"]))
        member_of = {}
        for g, x in m["groups"].items():
            for mm in x["members"]:
                member_of.setdefault(mm, []).append(gdn(m, g))
        # --reverse: the server returns reports before their managers and
        # parent groups before nested ones
        rev = opt.get("--reverse") == "1"
        for g in (ids[::-1] if rev else ids):
            u = m["users"][g]
            f.write(user_ldif(m, g, member_of.get(g, [])))
        for g in (gids[::-1] if rev else gids):
            f.write(group_ldif(m, g))


def user_ldif(m, g, member_of=()):
    u = m["users"][g]
    s = ("dn: %s\nobjectClass: user\ncn: %s\nsn: %s\nobjectCategory: person\n"
         "objectGUID:: %s\nsAMAccountName: %s\nuserPrincipalName: %s\n"
         "displayName: %s\ndepartment: %s\ntitle: %s\nemployeeID: %s\n"
         "userAccountControl: %d\nuSNChanged: %d\nwhenChanged: 20240102120000.0Z\n"
         "pwdLastSet: 133500000000000000\naccountExpires: 9223372036854775807\n"
         % (udn(m, g), u["cn"], u["cn"], b64(g), u["sam"], u["upn"], u["display"],
            u["dept"], u["title"], u["emp"], u["uac"], u["usn"]))
    if u["mail"]:
        s += "mail: %s\n" % u["mail"]
    if u["manager"]:
        s += "manager: %s\n" % udn(m, u["manager"])
    for d in member_of:
        s += "memberOf: %s\n" % d
    return s + "\n"


def group_ldif(m, g):
    x = m["groups"][g]
    s = ("dn: %s\nobjectClass: group\ncn: %s\nobjectCategory: group\nobjectGUID:: %s\n"
         "sAMAccountName: %s\ndescription: %s\nuSNChanged: %d\n"
         "whenChanged: 20240102120000.0Z\n"
         % (gdn(m, g), x["cn"], b64(g), x["sam"], x["desc"], x["usn"]))
    for mm in x["members"]:
        s += "member: %s\n" % mdn(m, mm)
    return s + "\n"


def pick(m, kind, idx):
    return sorted(m[kind], key=lambda g: m[kind][g]["cn"])[idx]


def mutate(args):
    model, ldif, ops = args[0], args[1], json.loads(args[2])
    m = json.load(open(model))
    out = []

    def bump(obj):
        m["usn"] += 1
        obj["usn"] = m["usn"]

    def repoint(g, old):
        """DN values pointing to g follow it (AD keeps links by GUID)."""
        new = mdn(m, g)
        for x, xx in m["users"].items():
            if xx["manager"] == g:
                out.append("dn: %s\nchangetype: modify\nreplace: manager\nmanager: %s\n"
                           % (udn(m, x), new))
        for x, xx in m["groups"].items():
            if g in xx["members"]:
                out.append("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                           "-\nadd: member\nmember: %s\n" % (gdn(m, x), old, new))

    for op in ops:
        k = op["op"]
        if k in ("rename_user", "disable_user", "move_user", "delete_user",
                 "silent_title"):
            g = pick(m, "users", op["user"])
            u = m["users"][g]
        if k == "rename_user":
            old = udn(m, g)
            u["cn"] = op["cn"]
            u["display"] = op["display"]
            bump(u)
            out.append("dn: %s\nchangetype: modrdn\nnewrdn: cn=%s\ndeleteoldrdn: 1\n"
                       % (old, u["cn"]))
            out.append("dn: %s\nchangetype: modify\nreplace: displayName\ndisplayName: %s\n"
                       "-\nreplace: uSNChanged\nuSNChanged: %d\n" % (udn(m, g), u["display"], u["usn"]))
            repoint(g, old)
        elif k == "disable_user":
            u["uac"] = 514
            bump(u)
            out.append("dn: %s\nchangetype: modify\nreplace: userAccountControl\n"
                       "userAccountControl: 514\n-\nreplace: uSNChanged\nuSNChanged: %d\n"
                       % (udn(m, g), u["usn"]))
        elif k == "move_user":
            old = udn(m, g)
            dest = [o for o in m["ous"] if m["ous"][o]["name"] == op["ou"]][0]
            u["ou"] = dest
            u["manager"] = pick(m, "users", op["manager"])
            bump(u)
            out.append("dn: %s\nchangetype: modrdn\nnewrdn: cn=%s\ndeleteoldrdn: 1\n"
                       "newsuperior: %s\n" % (old, u["cn"], m["ous"][dest]["dn"]))
            out.append("dn: %s\nchangetype: modify\nreplace: manager\nmanager: %s\n-\n"
                       "replace: uSNChanged\nuSNChanged: %d\n"
                       % (udn(m, g), udn(m, u["manager"]), u["usn"]))
            repoint(g, old)
        elif k == "silent_title":
            # a change the DC's uSNChanged does not show (a restored DC)
            u["title"] = op["title"]
            out.append("dn: %s\nchangetype: modify\nreplace: title\ntitle: %s\n"
                       % (udn(m, g), u["title"]))
        elif k == "delete_user":
            dn = udn(m, g)
            for x, xx in m["groups"].items():
                if g in xx["members"]:
                    xx["members"].remove(g)
                    out.append("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                               % (gdn(m, x), dn))
            for x, xx in m["users"].items():
                if xx["manager"] == g:
                    xx["manager"] = None
                    out.append("dn: %s\nchangetype: modify\ndelete: manager\n" % udn(m, x))
            m.setdefault("deleted_users", []).append(g)
            del m["users"][g]
            out.append("dn: %s\nchangetype: delete\n" % dn)
        elif k == "delete_group":
            g = pick(m, "groups", op["group"])
            for x, xx in m["groups"].items():
                if g in xx["members"]:
                    xx["members"].remove(g)
                    out.append("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                               % (gdn(m, x), gdn(m, g)))
            m.setdefault("deleted_groups", []).append(g)
            out.append("dn: %s\nchangetype: delete\n" % gdn(m, g))
            del m["groups"][g]
        elif k in ("add_member", "remove_member"):
            g = pick(m, "groups", op["group"])
            x = m["groups"][g]
            u = pick(m, "users", op["user"])
            if k == "add_member":
                x["members"].append(u)
            else:
                x["members"].remove(u)
            bump(x)
            out.append("dn: %s\nchangetype: modify\n%s: member\nmember: %s\n-\n"
                       "replace: uSNChanged\nuSNChanged: %d\n"
                       % (gdn(m, g), "add" if k == "add_member" else "delete",
                          udn(m, u), x["usn"]))
        else:
            sys.exit("ad-gen: unknown op %s" % k)
    json.dump(m, open(model, "w"))
    open(ldif, "w").write("\n".join(out))
    print(m["usn"])


def truth(args):
    m = json.load(open(args[0]))
    lines = []
    for g, u in m["users"].items():
        lines.append("U|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s" % (
            g, u["sam"], u["upn"], u["mail"] or "", u["display"], u["dept"],
            u["title"], u["emp"], "t" if u["uac"] & 2 == 0 else "f",
            u["manager"] or "", m["ous"][u["ou"]]["dn"], udn(m, g), b64(g)))
    for g, x in m["groups"].items():
        lines.append("G|%s|%s|%s" % (g, x["sam"], gdn(m, g)))
        for mm in set(x["members"]):
            lines.append("M|%s|%s|%s" % (g, mm, "user" if mm in m["users"] else "group"))
    for g, o in m["ous"].items():
        lines.append("O|%s|%s" % (g, o["dn"]))
    for g in m.get("deleted_users", []):
        lines.append("DU|%s" % g)
    for g in m.get("deleted_groups", []):
        lines.append("DG|%s" % g)
    print("\n".join(sorted(lines)))


{"gen": gen, "mutate": mutate, "truth": truth}[sys.argv[1]](sys.argv[2:])
