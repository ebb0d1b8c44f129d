"""The house rules of issue 11, checked on the code itself: imports never in a circle
(imports inside functions count), no product module over 400 lines, no view function over
60 lines, the source and flow literals in one module each, tests share fixtures through
conftest.py rather than importing it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("messaging", "sm_portal", "devtools")
MAX_MODULE_LINES = 400
MAX_VIEW_LINES = 60


def _product_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                files.append(path)
    return files


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and self-imports."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(module):
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_among_project_modules():
    graph = grimp.build_graph(*PACKAGES)
    # grimp reads every import statement, those inside functions too:
    assert graph.direct_import_exists(
        importer="messaging.recipients.queries", imported="messaging.models"
    )
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_product_module_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _product_files()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def _view_functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in {
                    "get",
                    "post",
                    "put",
                    "patch",
                    "delete",
                    "dispatch",
                }:
                    yield f"{node.name}.{item.name}", item


def test_no_view_function_over_60_lines():
    view_modules = [
        *sorted((ROOT / "messaging" / "views").glob("*.py")),
        *sorted((ROOT / "messaging" / "api").glob("view*.py")),
        *sorted((ROOT / "messaging" / "api" / "views").glob("*.py")),
        ROOT / "sm_portal" / "views.py",
    ]
    long = {
        f"{path.relative_to(ROOT)}:{name}": node.end_lineno - node.lineno + 1
        for path in view_modules
        for name, node in _view_functions(path)
        if node.end_lineno - node.lineno + 1 > MAX_VIEW_LINES
    }
    assert long == {}


def _python_literal_homes(value: str) -> set[str]:
    homes = set()
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value == value:
                homes.add(str(path.relative_to(ROOT)))
    return homes


def test_source_and_flow_literals_live_in_one_module_each():
    for value in ("oracle_health", "vista", "curated"):
        assert _python_literal_homes(value) == {"messaging/common/choices.py"}, value
    # Templates and our script read them from the views (flags in the context, JSON fields).
    pattern = re.compile(r"[\"'](oracle_health|vista|curated)[\"']")
    for path in [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "src").glob("*.js")]:
        assert not pattern.search(path.read_text()), path


def test_tests_share_fixtures_through_conftest_not_imports():
    importers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if re.search(
            r"^\s*(from tests\.conftest|import tests\.conftest|from \.+conftest)",
            path.read_text(),
            re.M,
        )
        and "e2e" not in path.parts
    ]
    assert importers == []


def test_every_adr_has_a_status_line():
    decisions = sorted((ROOT / "docs" / "architecture" / "decisions").glob("[0-9]*.md"))
    assert decisions
    missing = [p.name for p in decisions if not re.search(r"^Status: \S", p.read_text(), re.M)]
    assert missing == []
