"""The repository stays consistent: README, CI, API reference and registry agree."""

import os
import pkgutil
import re

import companion
from companion import datasets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as file:
        return file.read()


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
    missing = [name for name in datasets.list_datasets() if f"| `{name}` |" not in readme]
    assert not missing, f"README's datasets table lacks {missing}"


def test_readme_lists_every_chapter():
    readme = _read("README.md")
    chapters = sorted(f for f in os.listdir(os.path.join(ROOT, "chapters")) if f[:2].isdigit())
    missing = [chapter for chapter in chapters if f"`{chapter}`" not in readme]
    assert not missing, f"README's chapter table lacks {missing}"


def test_api_reference_lists_every_public_module():
    api_index = _read("docs", "api", "index.rst")
    modules = [
        m.name for m in pkgutil.iter_modules(companion.__path__) if not m.name.startswith("_")
    ]
    missing = [name for name in modules if f"companion.{name}" not in api_index]
    assert not missing, f"docs/api/index.rst lacks {missing}"


def test_every_library_module_has_a_test_module():
    modules = [
        m.name for m in pkgutil.iter_modules(companion.__path__) if not m.name.startswith("_")
    ]
    missing = [
        m for m in modules if not os.path.exists(os.path.join(ROOT, "tests", f"test_{m}.py"))
    ]
    assert not missing, f"no tests/test_<module>.py for {missing}"


def test_library_code_imports_no_backend_directly():
    pattern = re.compile(r"^\s*(import|from)\s+(tensorflow|jax|torch)\b", re.MULTILINE)
    offenders = []
    for name in os.listdir(os.path.join(ROOT, "companion")):
        if name.endswith(".py") and pattern.search(_read("companion", name)):
            offenders.append(name)
    assert not offenders, f"companion/ must use keras.ops only; backend imports in {offenders}"
