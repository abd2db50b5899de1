"""A folder of specs: its course file (title and order), finding and naming problems."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from derive.core.errors import SpecError
from derive.front.spec import _Loader, _str


COURSE_FILE = "course.yaml"      # a folder's course: its title and the problems' order
COURSE_KEYS = ("title", "course", "problems")


@dataclass
class Course:
    """A folder's course.yaml: the title of its documents, the course line, and the
    order of its problems (by id)."""
    title: str | None = None
    course: str | None = None
    problems: list = field(default_factory=list)


def load_course(directory) -> Course | None:
    """The folder's course.yaml, validated; None when there is none."""
    path = Path(directory) / COURSE_FILE
    if not path.exists():
        return None
    L = _Loader(str(path), path.read_text(encoding="utf-8"))
    data = L.load()
    for k in data:
        if k not in COURSE_KEYS:
            L.fail(f"unknown key (allowed: {', '.join(COURSE_KEYS)})", str(k))
    ids = data.get("problems") or []
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        L.fail("expected a list of problem ids, in the order of the documents", "problems")
    for k, pid in enumerate(ids):
        if not any((Path(directory) / f"{pid}{x}").exists() for x in SPEC_SUFFIXES):
            L.fail(f"no problem {pid!r} in {directory}", f"problems[{k}]")
    if len(set(ids)) != len(ids):
        L.fail("a problem is listed twice", "problems")
    return Course(_str(L, data, "title", required=False), _str(L, data, "course",
                                                               required=False), list(ids))


SPEC_SUFFIXES = (".yaml", ".yml")


def find_problems(directory) -> list[Path]:
    """The folder's specs (.yaml or .yml): in the order of its course.yaml, then (or
    without one) by id."""
    d = Path(directory)
    paths = sorted((p for p in d.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file()
                    and p.stem != Path(COURSE_FILE).stem), key=lambda p: (p.stem, p.suffix))
    course = load_course(d)
    if course is None:
        return paths
    by_id = {p.stem: p for p in reversed(paths)}
    listed = [by_id[pid] for pid in course.problems]
    return listed + [p for p in paths if p not in listed]


def default_problems_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "problems"
    if here.is_dir():
        return here
    return Path.cwd() / "problems"


def resolve_problem(name: str, directory=None) -> Path:
    """A problem by id (in the problems folder) or by path."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or "/" in name:
        if not p.exists():
            raise SpecError("no such spec file", name)
        return p
    d = Path(directory) if directory else default_problems_dir()
    for suffix in SPEC_SUFFIXES:
        cand = d / f"{name}{suffix}"
        if cand.exists():
            return cand
    known = [x.stem for x in find_problems(d)] if d.is_dir() else []
    raise SpecError(f"unknown problem {name!r}{did_you_mean(name, known)}; "
                    "`derive list` shows them all", str(d))


def did_you_mean(name: str, known) -> str:
    """' (did you mean softmax?)' for the nearest names, or ''."""
    import difflib
    near = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(near)}?)" if near else ""
