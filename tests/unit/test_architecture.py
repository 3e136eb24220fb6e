"""The import rules that `make lint` cannot see alone.

``.importlinter`` (run by ``make lint``) holds the contract between services, the
gateway and services.common; these tests check that it names every service, and
that no test module imports another test module: shared test code lives in
``tests/support`` (fixtures stay in ``conftest.py`` files, which pytest loads).
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
SUPPORT = "tests.support"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                package = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
                base = ".".join(package)
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
    return found


def _is_test_module(module: str) -> bool:
    """Whether ``module`` is part of the test suites other than tests.support."""
    in_tests = module == "tests" or module.startswith("tests.")
    return in_tests and not (module == SUPPORT or module.startswith(SUPPORT + "."))


def test_no_test_module_imports_another_test_module() -> None:
    offending = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.is_relative_to(TESTS / "support"):
            continue
        for module in _imported_modules(path):
            if _is_test_module(module):
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offending, "test helpers belong in tests/support:\n" + "\n".join(offending)


def test_tests_support_imports_no_test_module() -> None:
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((TESTS / "support").rglob("*.py"))
        for module in _imported_modules(path)
        if _is_test_module(module)
    ]
    assert not offending, "\n".join(offending)


def _contract_modules(contract: str, key: str) -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    return set(config[f"importlinter:contract:{contract}"][key].split())


def test_the_import_contract_names_every_service() -> None:
    services = {
        f"services.{p.parent.name}"
        for p in (ROOT / "services").glob("*/__init__.py")
        if p.parent.name != "common"
    }
    assert _contract_modules("services-independent", "modules") == services
    assert _contract_modules("common-imports-no-service", "forbidden_modules") >= services
    assert _contract_modules("gateway-uses-schemas-only", "forbidden_modules") == services
    assert _contract_modules("contracts-pure", "forbidden_modules") >= services
