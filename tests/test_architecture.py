"""The package's shape: its public names, no import cycles, small modules and functions."""

from __future__ import annotations

import ast
from pathlib import Path

import cosign_verify

PACKAGE = Path(cosign_verify.__file__).resolve().parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

PUBLIC_API = {
    "ConfigError",
    "ConfigPolicy",
    "AttestationVerifier",
    "CosignVerifier",
    "CosignVerifyError",
    "Executor",
    "ExecutorOptions",
    "FailureReason",
    "FileKeyProvider",
    "InlineKeyProvider",
    "InvalidReferenceError",
    "KeyProvider",
    "KeyProviders",
    "KeyRef",
    "Keyless",
    "MemoryStore",
    "OCIRegistryStore",
    "RedisCache",
    "Reference",
    "ReferrerStore",
    "RegistryOptions",
    "ScopeMatcher",
    "StoreError",
    "TrustPolicy",
    "TrustedRoot",
    "VerificationResult",
    "VerifierReport",
    "__version__",
    "load_config",
    "verify_bundle",
}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def test_public_api_is_pinned() -> None:
    assert set(cosign_verify.__all__) == PUBLIC_API
    for name in PUBLIC_API:
        assert getattr(cosign_verify, name) is not None, name


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package ``name`` imports at module level (not inside functions or TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for item in ast.walk(node):
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                break
            if isinstance(item, ast.ImportFrom) and item.level:
                base = package.split(".")
                base = base[: len(base) - item.level + 1]
                target = ".".join([*base, item.module] if item.module else base)
                for alias in item.names:
                    candidate = f"{target}.{alias.name}"
                    out.add(candidate if candidate in known else target)
            elif isinstance(item, ast.ImportFrom) and (item.module or "").startswith("cosign_verify"):
                out.add(item.module or "")
    return {m for m in out if m in known and m != name}


def test_no_import_cycles() -> None:
    found = modules()
    graph = {name: _imports(name, path, set(found)) for name, path in found.items()}
    # A package's __init__ importing its own submodules is how packages work; a submodule importing
    # its package __init__ back is a cycle only through that, so drop parent-package edges.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        assert node not in visiting, "import cycle: " + " -> ".join([*visiting[visiting.index(node) :], node])
        visiting.append(node)
        for target in sorted(graph[node]):
            visit(target)
        visiting.pop()
        done.add(node)

    for name in sorted(graph):
        visit(name)


def test_modules_and_functions_are_small() -> None:
    too_long = []
    for name, path in modules().items():
        text = path.read_text()
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            too_long.append(f"module {name}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert not too_long, "\n".join(too_long)
