"""Problem specs: every instructor mistake is named with its file and key path.

Each row edits one line of a small valid spec and names the error it must
give: the key path for a spec mistake, or the line and column in the file for
a mistake inside the program or values text.
"""
from __future__ import annotations

import numpy as np
import pytest

from derive.core.errors import NotationError, SpecError
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import default_problems_dir

FILE = "problems/demo.yaml"

BASE = """\
id: demo
title: Demo
source: A course
index:
  b: B
  j: J
tensors:
  s: {shape: [b, j], role: input}
  Z: {shape: [b]}
program: |
  for b, j: Z[b] += exp(s[b, j])
sizes: {B: 3, J: 4}
parts:
  a:
    ask: backprop
    from: Z
    to: s
    text: Give s.grad.
"""
PROGRAM_LINE = 11       # the line of the program's statement in BASE


def edited(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def test_base_spec_is_valid():
    spec = parse_spec(BASE, FILE)
    assert (spec.id, spec.title, spec.source) == ("demo", "Demo", "A course")
    assert spec.tensors["s"].role == "input"
    assert spec.tensors["Z"].role == "computed"      # written by the program
    assert spec.default_sizes() == {"B": 3, "J": 4}
    assert list(spec.parts) == ["a"]
    assert spec.part("a").kind == "backprop"
    assert spec.part("a").args["from"] == ["Z"]
    assert len(spec.program.statements()) == 1


# (id, old text, new text, key path, message fragment)
SPEC_MISTAKES = [
    ("missing_program", "program: |\n  for b, j: Z[b] += exp(s[b, j])\n", "",
     "program", "missing required key"),
    ("missing_title", "title: Demo\n", "", "title", "missing required key"),
    ("unknown_top_level_key", "sizes:", "colour: red\nsizes:", "colour", "unknown key"),
    ("id_differs_from_file_name", "id: demo", "id: other", "id",
     "the id 'other' differs from the file name 'demo'"),
    ("id_not_lower_case", "id: demo", "id: Demo", "id", "an id is lower-case"),
    ("unknown_part_kind", "ask: backprop", "ask: derive", "parts.a.ask",
     "unknown part kind 'derive'"),
    ("unknown_part_key", "    to: s\n", "    to: s\n    colour: red\n", "parts.a.colour",
     "unknown key for a backprop part"),
    ("part_without_text", "    text: Give s.grad.\n", "", "parts.a.text", "missing required key"),
    ("backprop_without_to", "    to: s\n", "", "parts.a.to", "missing required key"),
    ("through_out_of_range", "    to: s\n", "    to: s\n    through: [2]\n", "parts.a.through",
     "expected statement numbers between 1 and 1"),
    ("from_unknown_tensor", "from: Z", "from: Q", "parts.a.from", "unknown tensor 'Q'"),
    ("to_unknown_tensor_in_a_list", "to: s", "to: [s, Q]", "parts.a.to[1]",
     "unknown tensor 'Q'"),
    ("average_over_unknown_index", "    to: s\n", "    to: s\n    average_over: q\n",
     "parts.a.average_over", "unknown index"),
    ("choice_with_one_option", "ask: backprop\n    from: Z\n    to: s",
     "ask: choice\n    options: [one]", "parts.a.options", "at least two options"),
    ("shape_names_an_undeclared_index", "Z: {shape: [b]}", "Z: {shape: [k]}",
     "tensors.Z.shape[0]", "unknown index 'k'"),
    # a computed tensor's shape is inferred; an input's is declared
    ("shape_missing", "s: {shape: [b, j], role: input}", "s: {role: input}", "tensors.s.shape",
     "missing required key"),
    ("shape_conflict", "Z: {shape: [b]}", "Z: {shape: [b, j]}", "tensors.Z.shape",
     "declared with shape [b, j]"),
    ("unknown_role", "Z: {shape: [b]}", "Z: {shape: [b], role: output}", "tensors.Z.role",
     "unknown role 'output'"),
    ("unknown_tensor_key", "Z: {shape: [b]}", "Z: {shape: [b], size: 3}", "tensors.Z.size",
     "unknown key"),
    ("declared_but_never_used", "  Z: {shape: [b]}\n", "  Z: {shape: [b]}\n  W: {shape: [j]}\n",
     "tensors.W", "declared but never used"),
    ("declared_computed_but_never_written", "s: {shape: [b, j], role: input}",
     "s: {shape: [b, j], role: computed}", "tensors.s.role", "the program never writes it"),
    ("capital_index_name", "  j: J\n", "  j: J\n  K: J\n", "index.K",
     "an index name is lower-case"),
    ("bad_index_range", "  j: J\n", "  j: J\n  k: 1...\n", "index.k", "bad size expression"),
    ("unknown_size", "sizes: {B: 3, J: 4}", "sizes: {B: 3, Q: 4}", "sizes.Q", "unknown size"),
    ("size_not_positive", "sizes: {B: 3, J: 4}", "sizes: {B: 0, J: 4}", "sizes.B",
     "expected a positive integer"),
    ("assume_unknown_tensor", "sizes:", "assume: {q: {mean: 0}}\nsizes:", "assume.q",
     "unknown tensor or symbol"),
    ("program_not_text", "program: |\n  for b, j: Z[b] += exp(s[b, j])\n", "program: [1]\n",
     "program", "expected the forward program as text"),
]


@pytest.mark.parametrize("old, new, key, fragment", [r[1:] for r in SPEC_MISTAKES],
                         ids=[r[0] for r in SPEC_MISTAKES])
def test_spec_mistake_names_file_and_key(old, new, key, fragment):
    with pytest.raises(SpecError) as info:
        parse_spec(edited(old, new), FILE)
    err = info.value
    assert (err.file, err.key) == (FILE, key)
    assert fragment in err.message
    assert str(err) == f"{FILE}: {key}: {err.message}"


# (id, old text, new text, key, message fragment, line, column): the line is the
# file's line; the column counts within the block's text (after its indentation),
# the line the error message shows with a caret.
TEXT_MISTAKES = [
    ("undeclared_tensor_in_program", "exp(s[b, j])", "exp(q[b, j])", "program",
     "unknown tensor 'q'", PROGRAM_LINE, 23),
    ("wrong_number_of_indices_in_program", "exp(s[b, j])", "exp(s[b])", "program",
     "'s' has 2 indices, not 1", PROGRAM_LINE, 23),
    ("mistake_on_the_second_program_line", "  for b, j: Z[b] += exp(s[b, j])\n",
     "  for b, j: Z[b] += exp(s[b, j])\n  for b: Z[b] += foo\n", "program",
     "unknown name 'foo'", PROGRAM_LINE + 1, 16),
    ("program_writes_an_input", "  for b, j: Z[b] += exp(s[b, j])\n",
     "  for b, j: Z[b] += exp(s[b, j])\n  for b, j: s[b, j] = Z[b]\n", "program",
     "'s' is an input", PROGRAM_LINE + 1, 11),
    ("program_syntax_error", "exp(s[b, j])", "exp(s[b, j]", "program",
     "expected ',' or ')'", PROGRAM_LINE, 30),
    ("values_name_an_unknown_tensor", "sizes:", "values: |\n  s = [[1, 2]]\n  q = 3\nsizes:",
     "values", "unknown tensor 'q'", PROGRAM_LINE + 3, 1),
]


@pytest.mark.parametrize("old, new, key, fragment, line, column", [r[1:] for r in TEXT_MISTAKES],
                         ids=[r[0] for r in TEXT_MISTAKES])
def test_text_mistake_names_file_line_and_column(old, new, key, fragment, line, column):
    with pytest.raises(NotationError) as info:
        parse_spec(edited(old, new), FILE)
    err = info.value
    assert (err.source, err.key) == (FILE, key)
    assert fragment in err.message
    assert (err.line, err.column) == (line, column)
    assert str(err).startswith(f"{FILE}, {key}:{line}:{column}: ")


BAD_YAML = [
    ("unclosed_bracket", "Z: {shape: [b]}", "Z: {shape: [b}", "line 9"),
    ("bad_indentation", "title: Demo\n", "title: Demo\n   x: 1\n", "line 3"),
]


@pytest.mark.parametrize("old, new, where", [r[1:] for r in BAD_YAML],
                         ids=[r[0] for r in BAD_YAML])
def test_bad_yaml_names_the_line(old, new, where):
    with pytest.raises(SpecError) as info:
        parse_spec(edited(old, new), FILE)
    err = info.value
    assert err.file == FILE and err.key is None
    assert err.message.startswith(f"bad YAML: {where}")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", ""],
                         ids=["list", "scalar", "empty"])
def test_spec_must_be_a_mapping(text):
    with pytest.raises(SpecError, match="a spec is a YAML mapping"):
        parse_spec(text, FILE)


def test_values_are_read_as_arrays():
    spec = parse_spec(edited("sizes: {B: 3, J: 4}", "values: |\n  s = [[1, 2], [3, 4]]\n"
                                                    "sizes: {B: 2, J: 2}"), FILE)
    np.testing.assert_array_equal(spec.values["s"], [[1.0, 2.0], [3.0, 4.0]])


def test_values_of_the_wrong_shape_are_a_spec_error():
    with pytest.raises(SpecError, match=r"s has 4 value\(s\), but its shape \['b', 'j'\]"):
        parse_spec(edited("sizes:", "values: |\n  s = [[1, 2], [3, 4]]\nsizes:"), FILE)


def test_missing_file_is_a_spec_error(tmp_path):
    path = tmp_path / "nothing.yaml"
    with pytest.raises(SpecError, match="cannot read the spec") as info:
        load_spec(path)
    assert info.value.file == str(path)


def test_load_spec_reads_a_file(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(BASE)
    assert load_spec(path).id == "demo"


def test_load_spec_reports_the_real_file_name(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(edited("exp(s[b, j])", "exp(q[b, j])"))
    with pytest.raises(NotationError) as info:
        load_spec(path)
    assert info.value.source == str(path)
    assert (info.value.line, info.value.column) == (PROGRAM_LINE, 23)


def test_bundled_problems_folder_exists():
    assert default_problems_dir().is_dir()
