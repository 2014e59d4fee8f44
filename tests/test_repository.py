"""The repository stays consistent: layout, README, CI, API reference and registry agree."""

import ast
import os
import pkgutil
import re

import companion
from companion import data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_MODULE_LINES = 500


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as file:
        return file.read()


def _library_modules():
    """Every library module as (dotted name, path from the root, is a package)."""
    modules = []
    for info in pkgutil.walk_packages(companion.__path__, prefix="companion."):
        relative = info.name.replace(".", os.sep)
        path = os.path.join(relative, "__init__.py") if info.ispkg else relative + ".py"
        modules.append((info.name, path, info.ispkg))
    return modules


def _quick_start_commands():
    readme = _read("README.md")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_readme_quick_start_has_a_book_command_and_a_test_command():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert "-e book" in commands[0]
    assert "-e tensorflow,jax,torch" in commands[1]


def test_ci_runs_the_readme_commands_verbatim():
    ci = _read(".ci", "run")
    book_command, test_command = _quick_start_commands()
    assert f"test_command='{test_command}'" in ci
    assert f"book_command='{book_command}'" in ci


def test_readme_lists_every_dataset_of_the_registry():
    readme = _read("README.md")
    missing = [name for name in data.list_datasets() if f"| `{name}` |" not in readme]
    assert not missing, f"README's datasets table lacks {missing}"


def test_readme_lists_every_chapter():
    readme = _read("README.md")
    chapters = sorted(f for f in os.listdir(os.path.join(ROOT, "chapters")) if f[:2].isdigit())
    missing = [chapter for chapter in chapters if f"`{chapter}`" not in readme]
    assert not missing, f"README's chapter table lacks {missing}"


def test_api_reference_and_package_docstring_list_every_package():
    api_index = _read("docs", "api", "index.rst")
    top_level = [name for name, _, _ in _library_modules() if name.count(".") == 1]
    missing_api = [name for name in top_level if name not in api_index]
    missing_doc = [name for name in top_level if f":mod:`{name}`" not in companion.__doc__]
    assert not missing_api, f"docs/api/index.rst lacks {missing_api}"
    assert not missing_doc, f"companion/__init__.py does not document {missing_doc}"


def test_every_library_module_has_a_test_module_in_the_mirrored_place():
    missing = []
    for _, path, is_package in _library_modules():
        if is_package:
            continue
        folder, module = os.path.split(os.path.relpath(path, "companion"))
        test = os.path.join("tests", folder, f"test_{module}")
        if not os.path.exists(os.path.join(ROOT, test)):
            missing.append(test)
    assert not missing, f"no test module for {missing}"


def test_every_module_is_readable_in_one_sitting():
    long = {
        path: lines
        for _, path, _ in _library_modules()
        if (lines := _read(path).count("\n")) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by idea): {long}"


def test_each_package_init_lists_its_public_names_and_only_imports():
    for name, path, is_package in _library_modules():
        if not is_package or name == "companion":
            continue
        tree = ast.parse(_read(path))
        exported = next(
            (n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__"),
            None,
        )
        assert exported is not None, f"{path} has no __all__"
        names = ast.literal_eval(exported.value)
        imported = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert set(names) <= imported, f"{path}: __all__ names {set(names) - imported} not imported"
        others = [
            node
            for node in tree.body
            if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.Expr))
        ]
        assert not others, f"{path} defines code; a package __init__ only lists public names"


# The one backend hook the style guide allows (as keras/src/layers/rnn/lstm.py has for cuDNN):
# fused recurrent kernels, each proven equal to the readable keras.ops loop.
BACKEND_HOOK = os.path.join("companion", "recurrent", "fused.py")
# Choosing and seeding a backend is runtime's job: it may ask which backend runs, never import one.
RUNTIME = os.path.join("companion", "runtime") + os.sep


def test_library_code_uses_keras_ops_only_outside_the_one_backend_hook():
    imports = re.compile(r"^\s*(import|from)\s+(tensorflow|jax|torch)\b", re.M)
    branches = re.compile(r"backend\(\)\s*==")
    offenders = [
        path
        for _, path, _ in _library_modules()
        if path != BACKEND_HOOK
        and (imports.search(_read(path)) or (branches.search(_read(path)) and RUNTIME not in path))
    ]
    assert not offenders, f"companion/ must use keras.ops only; backend code in {offenders}"


def test_chapters_import_public_packages_only():
    offenders = []
    for chapter in sorted(os.listdir(os.path.join(ROOT, "chapters"))):
        if not chapter[:2].isdigit():
            continue
        source = _read("chapters", chapter)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("companion"):
                names = [alias.name for alias in node.names]
                if node.module != "companion" or not set(names) <= set(companion._SUBPACKAGES):
                    offenders.append(f"{chapter}:{node.lineno}: from {node.module} import {names}")
        for private in re.findall(r"\b(?:companion|[a-z]+)\._[a-z]\w*", source):
            offenders.append(f"{chapter}: {private}")
    assert not offenders, f"chapters must use public names only: {offenders}"


def test_chapter_code_fits_the_page():
    wide = []
    for chapter in sorted(os.listdir(os.path.join(ROOT, "chapters"))):
        if chapter[:2].isdigit():
            for number, line in enumerate(_read("chapters", chapter).splitlines(), start=1):
                if len(line) > 88:
                    wide.append(f"{chapter}:{number} ({len(line)} characters)")
    assert not wide, f"chapter lines over 88 characters scroll sideways on the page: {wide}"
