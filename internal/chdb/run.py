"""Run SQL on the ClickHouse engine embedded in chdb (a current ClickHouse) for Ferry's tests.

Reads a JSON list of steps on stdin: {"sql": "..."} runs a statement (setup: DDL, inserts);
{"sql": "...", "result": true} also returns its rows. Writes a JSON list with one entry per
step: {"error": null | "text", "tsv": "TabSeparatedWithNames output" (result steps only)}.
Used by internal/chdb (Go); see scripts/install-deps for how chdb is installed.
"""
import json
import sys

from chdb import session


def main():
    steps = json.load(sys.stdin)
    sess = session.Session()
    out = []
    for step in steps:
        entry = {"error": None}
        try:
            fmt = "TabSeparatedWithNames" if step.get("result") else "TabSeparated"
            res = sess.query(step["sql"], fmt)
            if step.get("result"):
                entry["tsv"] = res.bytes().decode("utf-8", "replace")
        except Exception as e:  # chdb raises one error type per failed query
            entry["error"] = str(e)
        out.append(entry)
    json.dump({"version": sess.query("SELECT version()", "TabSeparated").bytes().decode().strip(), "steps": out}, sys.stdout)


if __name__ == "__main__":
    main()
