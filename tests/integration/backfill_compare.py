"""Compares a table on the source and the target cell by cell, with WRITETIME and TTL, read
directly from each cluster (never through the proxy). Used by the backfill tests."""

from dataclasses import dataclass


@dataclass
class Difference:
    table: str
    detail: str


def table_columns(session, keyspace, table):
    rows = session.execute(
        "SELECT column_name, kind, type FROM system_schema.columns "
        "WHERE keyspace_name = %s AND table_name = %s", (keyspace, table))
    return [(r.column_name, r.kind, r.type) for r in rows]


def dated(kind, type_):
    """Columns whose WRITETIME and TTL can be read as one value."""
    multi = type_.startswith(("list<", "set<", "map<")) or (
        not type_.startswith("frozen<") and "<" not in type_ and type_ not in BUILTIN)
    return kind in ("regular", "static") and type_ != "counter" and not multi


BUILTIN = {"ascii", "bigint", "blob", "boolean", "counter", "date", "decimal", "double", "duration",
           "float", "inet", "int", "smallint", "text", "time", "timestamp", "timeuuid", "tinyint",
           "uuid", "varchar", "varint"}


def snapshot(session, keyspace, table):
    cols = table_columns(session, keyspace, table)
    selectors, names = [], []
    for name, kind, type_ in cols:
        selectors.append(f'"{name}"')
        names.append(name)
        if dated(kind, type_):
            selectors += [f'WRITETIME("{name}")', f'TTL("{name}")']
            names += [f"wt:{name}", f"ttl:{name}"]
    rows = session.execute(f'SELECT {", ".join(selectors)} FROM "{keyspace}"."{table}"')
    key_names = [n for n, k, _ in cols if k in ("partition_key", "clustering")]
    out = {}
    for r in rows:
        values = dict(zip(names, r))
        out[tuple(values[k] for k in key_names)] = values
    return out


def compare(source, target, keyspace, table, ttl_slack=60):
    """The differences between the table on both clusters (empty when equal)."""
    a, b = snapshot(source, keyspace, table), snapshot(target, keyspace, table)
    diffs = []
    name = f"{keyspace}.{table}"
    for key in sorted(set(a) | set(b), key=repr):
        if key not in b:
            diffs.append(Difference(name, f"{key} missing on the target"))
            continue
        if key not in a:
            diffs.append(Difference(name, f"{key} only on the target"))
            continue
        for col, va in a[key].items():
            vb = b[key].get(col)
            if col.startswith("ttl:"):
                if (va is None) != (vb is None) or (va is not None and abs(va - vb) > ttl_slack):
                    diffs.append(Difference(name, f"{key} {col}: {va} vs {vb}"))
            elif va != vb:
                diffs.append(Difference(name, f"{key} {col}: {va!r} vs {vb!r}"))
    return diffs, len(a)
