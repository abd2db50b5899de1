"""A persistent checker: one JSON request per line in, one JSON verdict per line out.

    {"id": 7, "problem": "he_init", "part": "b", "answer": "sigma_W = sqrt(2/n)"}

gives the verdict of `derive check --json` with the request's `id`.  Specs stay loaded
between requests, so a check costs milliseconds instead of the import floor of a new
process.  A bad request gets a verdict "unusable" with its reason; nothing stops the
loop but the end of the input."""
from __future__ import annotations

import json

from derive.check.answer import check_answer
from derive.check.verdict import REPORT
from derive.core.errors import DeriveError
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

MAX_LINE = 200_000        # characters in one request


def serve(lines, write, problems_dir=None, time_limit_s: float = 10.0) -> int:
    """Answer every request line; the number answered."""
    specs, n = {}, 0
    for line in lines:
        if not line.strip():
            continue
        n += 1
        out = {"id": None}
        try:
            if len(line) > MAX_LINE:
                raise ValueError(f"the request is longer than {MAX_LINE} characters")
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("a request is a JSON object")
            out["id"] = req.get("id")
            pid, part = str(req["problem"]), str(req["part"])
            if pid not in specs:
                specs[pid] = load_spec(resolve_problem(pid, problems_dir))
            v = check_answer(specs[pid], part, str(req.get("answer", "")),
                             time_limit_s=float(req.get("time_limit", time_limit_s)))
            out |= v.as_dict()
        except (ValueError, KeyError, TypeError, DeriveError) as e:
            out |= {"verdict": "unusable", "exit_code": 2,
                    "message": f"bad request: {e}" if not isinstance(e, DeriveError)
                    else str(e)}
        except Exception as e:  # noqa: BLE001 - the server keeps serving
            out |= {"verdict": "error", "exit_code": 3,
                    "message": f"internal error ({type(e).__name__}: {e}); {REPORT}"}
        write(json.dumps(out) + "\n")
    return n
