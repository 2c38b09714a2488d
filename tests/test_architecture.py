"""Import-layer and module-shape rules, checked on the AST (ARCHITECTURE §2.1, conv. 3, 9, 10).

- sans-IO modules never import trio, socket, os, time, fcntl, subprocess, scapy or rich (at
  run time: TYPE_CHECKING imports are fine), never call open(), and use `random` only in
  annotations (engines receive an `rng`). They are every `wire.py`/`engine.py`, the modules
  §2.2/§2.7 call pure (tags, store values and parsers, tftp paths, DNS pipeline stages,
  dhcp4 options/allocate), and every lanctl module those import: an engine helper
  (dns forward/cache/reply/fastpath, dhcp4 messages/choose/leasetable/delay, ...) runs
  inside the engine. Known violators are listed with a reason and xfail strictly;
- cli.py, commands/*.py and lanctl/__init__.py import at module level only cheap modules;
- scapy is imported only under lanctl/diag; only lanctl.cli imports lanctl.commands;
- every module opens with a docstring and `from __future__ import annotations`;
- no module exceeds 800 lines (modules over 400 are reported, not failed).
import-linter (`lint-imports`, contracts in pyproject.toml) checks the package layers too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "lanctl"
MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)

SANS_IO_FORBIDDEN = frozenset(
    {"trio", "socket", "os", "time", "fcntl", "subprocess", "scapy", "rich"}
)
# Module-level imports allowed in the startup path.  collections.abc is loaded by `typing`
# already, so importing it costs nothing.
STARTUP_ALLOWED = frozenset(
    {"__future__", "typer", "typing", "pathlib", "click", "os", "sys", "collections.abc"}
)
HARD_LIMIT, SOFT_LIMIT = 800, 400


def _name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@dataclass(frozen=True, slots=True)
class Ref:
    """One imported name: `member` is the `X.y` of `from X import y` (y may be a submodule)."""

    name: str
    stmt: ast.Import | ast.ImportFrom
    type_checking: bool
    member: bool


def _imports(path: Path, root: Path = ROOT, *, module_level: bool = False) -> Iterator[Ref]:
    """Every import in the module at `path`, relative ones resolved.

    With `module_level`, function bodies are skipped: they run later, not at import time
    (class bodies and if/try blocks do run at import and are included).
    """
    parts = _name(path, root).split(".")
    package = parts if path.name == "__init__.py" else parts[:-1]

    def walk(node: ast.AST, tc: bool) -> Iterator[Ref]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Ref(alias.name, child, tc, member=False)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package[: len(package) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                yield Ref(base, child, tc, member=False)
                for alias in child.names:
                    if alias.name != "*":
                        yield Ref(f"{base}.{alias.name}", child, tc, member=True)
            elif module_level and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), True)
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), tc)
            else:
                yield from walk(child, tc)

    yield from walk(_tree(path), False)


def _root_of(name: str, roots: frozenset[str]) -> str | None:
    for root in roots:
        if name == root or name.startswith(root + "."):
            return root
    return None


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of every node inside an annotation (argument, return, variable)."""
    ids: set[int] = set()

    def mark(ann: ast.AST | None) -> None:
        if ann is not None:
            ids.update(id(n) for n in ast.walk(ann))

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark(node.returns)
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                mark(arg.annotation)
            mark(args.vararg.annotation if args.vararg else None)
            mark(args.kwarg.annotation if args.kwarg else None)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
    return ids


# -- the rules: each returns its violations as "line N: detail" strings ---------------


def check_sans_io(path: Path, root: Path = ROOT) -> list[str]:
    """A sans-IO module: no outside world, no open(); `random` only inside annotations."""
    bad = [
        f"line {ref.stmt.lineno}: imports {ref.name}"
        for ref in _imports(path, root)
        if not ref.member and not ref.type_checking and _root_of(ref.name, SANS_IO_FORBIDDEN)
    ]
    bound: set[str] = set()  # local names bound to `random` or to names from it
    for ref in _imports(path, root):
        if ref.member or _root_of(ref.name, frozenset({"random"})) is None:
            continue
        for alias in ref.stmt.names:
            if isinstance(ref.stmt, ast.ImportFrom) and alias.name != "Random":
                bad.append(f"line {ref.stmt.lineno}: from random import {alias.name}")
            bound.add((alias.asname or alias.name).split(".")[0])
    tree = _tree(path)
    in_ann = _annotation_nodes(tree)
    bad += [
        f"line {n.lineno}: uses {n.id} outside an annotation"
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and n.id in bound and id(n) not in in_ann
    ]
    bad += [
        f"line {n.lineno}: calls open()"
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "open"
    ]
    return sorted(bad)


def _module_path(name: str, root: Path) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def sans_io_closure(seeds: list[Path], root: Path = ROOT) -> list[Path]:
    """`seeds` plus every lanctl module they import at run time, transitively.

    Function-body imports count (they run when the engine calls the function);
    TYPE_CHECKING imports do not. Parent packages are followed only when imported by
    name (lanctl.config's __init__ loads files, but the engines use only its model).
    """
    seen: set[Path] = set()
    todo = list(seeds)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for ref in _imports(path, root):
            if ref.type_checking or not (ref.name == "lanctl" or ref.name.startswith("lanctl.")):
                continue
            found = _module_path(ref.name, root)
            if found is not None and found not in seen:
                todo.append(found)
    return sorted(seen)


def check_startup_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Module-level imports of the startup path: cheap modules and lanctl.commands only."""
    bad = []
    for ref in _imports(path, root, module_level=True):
        if ref.type_checking or ref.member:
            continue  # TYPE_CHECKING blocks never run; `from X import y` is judged by X
        name = ref.name
        if _root_of(name, STARTUP_ALLOWED) or name == "lanctl":
            continue
        if name == "lanctl.commands" or name.startswith("lanctl.commands."):
            continue
        bad.append(f"line {ref.stmt.lineno}: {name}")
    return bad


def check_scapy(path: Path, root: Path = ROOT) -> list[str]:
    """scapy anywhere in the module (function bodies included)."""
    return [
        f"line {ref.stmt.lineno}: {ref.name}"
        for ref in _imports(path, root)
        if not ref.member and _root_of(ref.name, frozenset({"scapy"}))
    ]


def check_commands_importers(path: Path, root: Path = ROOT) -> list[str]:
    """Imports of lanctl.commands from a module that is neither cli nor a command."""
    module = _name(path, root)
    if module in ("lanctl.cli", "lanctl.commands") or module.startswith("lanctl.commands."):
        return []
    return [
        f"line {ref.stmt.lineno}: {ref.name}"
        for ref in _imports(path, root)
        if not ref.member
        and (ref.name == "lanctl.commands" or ref.name.startswith("lanctl.commands."))
    ]


def check_header(path: Path) -> list[str]:
    """A module docstring first, and `from __future__ import annotations`."""
    tree = _tree(path)
    if not tree.body:
        return []  # an empty __init__.py: nothing to document, nothing to annotate
    bad = []
    first = tree.body[0]
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        bad.append("does not start with a module docstring (convention 9)")
    if not any(
        isinstance(s, ast.ImportFrom)
        and s.module == "__future__"
        and any(a.name == "annotations" for a in s.names)
        for s in tree.body
    ):
        bad.append("lacks `from __future__ import annotations` (convention 7)")
    return bad


# -- the rules applied to lanctl/ ------------------------------------------------------

# ARCHITECTURE §2.2 (and the §2.7 pipeline stages): pure besides the engines and codecs.
PURE_BY_DESIGN: Final = (
    "lanctl/tags.py",
    "lanctl/store/__init__.py",
    "lanctl/store/lease.py",
    "lanctl/store/leasefile.py",
    "lanctl/store/hostsfile.py",
    "lanctl/store/names.py",
    "lanctl/tftp/paths.py",
    "lanctl/dhcp4/options.py",
    "lanctl/dhcp4/allocate.py",
    "lanctl/dns/filters.py",
    "lanctl/dns/local.py",
    "lanctl/dns/cache.py",
    "lanctl/dns/forward.py",
)
# Sans-IO modules that still reach the outside world: each xfails strictly, so a fixed
# module fails the run until its entry is removed here.
SANS_IO_EXCEPTIONS: Final = {
    "lanctl/dns/access.py": "runs `ip -j addr` (subprocess), clock defaults to time.monotonic; "
    "dns.localise imports it for the IPNetwork alias",
    "lanctl/dns/hostsdir.py": "polls --hostsdir with os.listdir/os.stat and trio.sleep; "
    "dns.local imports HostsDirs",
    "lanctl/dns/records.py": "socket.gethostname() for the default --mx-target",
    "lanctl/dns/stats.py": "time.time() in the statistics lines",
    "lanctl/dns/synth.py": "interface_addresses() runs `ip -j addr` (subprocess)",
    "lanctl/store/hostsfile.py": "socket.inet_pton/inet_aton (pure, but the socket module)",
    "lanctl/tftp/paths.py": "imports os for the os.stat_result annotation only "
    "(TYPE_CHECKING would do)",
}
SANS_IO = sans_io_closure(
    [p for p in MODULES if p.name in ("wire.py", "engine.py")]
    + [ROOT / rel for rel in PURE_BY_DESIGN]
)
STARTUP = [PKG / "__init__.py", PKG / "cli.py", *sorted((PKG / "commands").glob("*.py"))]
STARTUP = [p for p in STARTUP if p.exists()]
NOT_DIAG = [p for p in MODULES if not p.is_relative_to(PKG / "diag")]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            p,
            marks=pytest.mark.xfail(
                strict=True, raises=AssertionError, reason=SANS_IO_EXCEPTIONS[_rel(p)]
            ),
        )
        if _rel(p) in SANS_IO_EXCEPTIONS
        else p
        for p in SANS_IO
    ],
    ids=_rel,
)
def test_sans_io(path: Path) -> None:
    bad = check_sans_io(path)
    assert bad == [], f"{_rel(path)} is sans-IO (now, rng, sockets are parameters): {bad}"


@pytest.mark.parametrize("path", STARTUP, ids=_rel)
def test_startup_path_imports_only_cheap_modules(path: Path) -> None:
    bad = check_startup_imports(path)
    assert bad == [], (
        f"{_rel(path)} must import heavy or lanctl modules inside function bodies "
        f"(ARCHITECTURE convention 10): {bad}"
    )


@pytest.mark.parametrize("path", NOT_DIAG, ids=_rel)
def test_scapy_only_in_diag(path: Path) -> None:
    bad = check_scapy(path)
    assert bad == [], f"{_rel(path)}: scapy is for lanctl/diag and tests only: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_only_cli_imports_commands(path: Path) -> None:
    bad = check_commands_importers(path)
    assert bad == [], f"{_rel(path)}: nothing but lanctl.cli imports lanctl.commands: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_module_header(path: Path) -> None:
    bad = check_header(path)
    assert bad == [], f"{_rel(path)}: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_module_size(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if lines > SOFT_LIMIT:
        print(f"WARNING: {_rel(path)} has {lines} lines (aim for <= {SOFT_LIMIT}, split at 600)")
    assert lines <= HARD_LIMIT, f"{_rel(path)} has {lines} lines; the hard limit is {HARD_LIMIT}"


def test_rules_see_modules() -> None:
    # Guards against a path mistake silently turning every parametrized rule into nothing.
    assert PKG / "cli.py" in MODULES and len(STARTUP) >= 3
    assert all((ROOT / rel).is_file() for rel in PURE_BY_DESIGN)
    sans_io = {_rel(p) for p in SANS_IO}
    helpers = ["dns/forward", "dns/cache", "dns/reply", "dns/fastpath", "dhcp4/messages"]
    helpers += ["dhcp4/choose", "dhcp4/leasetable", "dhcp4/delay", "tftp/engine"]
    assert {f"lanctl/{h}.py" for h in helpers} <= sans_io
    assert set(SANS_IO_EXCEPTIONS) <= sans_io  # no stale exceptions


# -- the rules catch what they should (synthetic modules) -----------------------------


def _module(root: Path, rel: str, source: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def test_sans_io_rule_catches_violations(tmp_path: Path) -> None:
    engine = _module(
        tmp_path,
        "lanctl/dhcp4/engine.py",
        "import random\nimport os.path\nfrom .. import clock\nfrom trio import sleep\n"
        "def f(rng: random.Random) -> None:\n    import time\n    x = random.random()\n",
    )
    assert check_sans_io(engine, tmp_path) == [
        "line 2: imports os.path",
        "line 4: imports trio",
        "line 6: imports time",  # function bodies count too
        "line 7: uses random outside an annotation",
    ]


def test_sans_io_closure_reaches_helpers(tmp_path: Path) -> None:
    files = {
        "lanctl/__init__.py": "",
        "lanctl/dns/__init__.py": "",
        "lanctl/dns/engine.py": "from lanctl.dns import cache\nfrom .reply import R\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lanctl.dns import server\n",
        "lanctl/dns/cache.py": "import socket\n",
        "lanctl/dns/reply.py": "R = 1\ndef f() -> None:\n    from lanctl.dns.deep import g\n",
        "lanctl/dns/deep.py": "def g() -> None:\n    with open('x') as f:\n        pass\n",
        "lanctl/dns/server.py": "import trio\n",
    }
    paths = {rel: _module(tmp_path, rel, text) for rel, text in files.items()}
    reached = sans_io_closure([paths["lanctl/dns/engine.py"]], tmp_path)
    expected = ["dns/__init__", "dns/engine", "dns/cache", "dns/reply", "dns/deep"]
    assert reached == sorted(paths[f"lanctl/{m}.py"] for m in expected)  # not dns/server
    assert check_sans_io(paths["lanctl/dns/cache.py"], tmp_path) == ["line 1: imports socket"]
    assert check_sans_io(paths["lanctl/dns/deep.py"], tmp_path) == ["line 2: calls open()"]


def test_sans_io_rule_type_checking_and_subprocess(tmp_path: Path) -> None:
    ok = _module(
        tmp_path,
        "lanctl/tftp/paths.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\n"
        "def f(st: os.stat_result) -> None:\n    pass\n",
    )
    assert check_sans_io(ok, tmp_path) == []
    bad = _module(tmp_path, "lanctl/dns/synth.py", "import json\nimport subprocess\n")
    assert check_sans_io(bad, tmp_path) == ["line 2: imports subprocess"]


def test_sans_io_rule_allows_random_annotation(tmp_path: Path) -> None:
    wire = _module(
        tmp_path,
        "lanctl/dns/wire.py",
        "from __future__ import annotations\nimport random\nimport struct\n"
        "class E:\n    rng: random.Random\n"
        "def f(rng: random.Random) -> random.Random:\n    return rng\n",
    )
    assert check_sans_io(wire, tmp_path) == []
    also = _module(tmp_path, "lanctl/ra/engine.py", "from random import randint\n")
    assert check_sans_io(also, tmp_path) == ["line 1: from random import randint"]


def test_startup_rule(tmp_path: Path) -> None:
    cmd = _module(
        tmp_path,
        "lanctl/commands/x.py",
        "from typing import TYPE_CHECKING\nimport typer\nfrom lanctl.commands._opts import A\n"
        "from . import _opts\nfrom lanctl import __version__\nimport lanctl.config\n"
        "if TYPE_CHECKING:\n    from lanctl.config import Config\n"
        "try:\n    import trio\nexcept ImportError:\n    pass\n"
        "def body() -> None:\n    import rich\n",
    )
    assert check_startup_imports(cmd, tmp_path) == ["line 6: lanctl.config", "line 10: trio"]


def test_commands_and_scapy_rules(tmp_path: Path) -> None:
    store = _module(
        tmp_path,
        "lanctl/store/x.py",
        "def f() -> None:\n    from lanctl.commands import dns\n    import scapy.all\n",
    )
    assert check_commands_importers(store, tmp_path) == ["line 2: lanctl.commands"]
    assert check_scapy(store, tmp_path) == ["line 3: scapy.all"]
    cli = _module(tmp_path, "lanctl/cli.py", "from lanctl.commands import dns\n")
    assert check_commands_importers(cli, tmp_path) == []


def test_header_rule(tmp_path: Path) -> None:
    good = _module(tmp_path, "a.py", '"""Doc."""\n\nfrom __future__ import annotations\n')
    bad = _module(tmp_path, "b.py", "import os\n")
    assert check_header(good) == []
    assert len(check_header(bad)) == 2
