"""The JSON Schemas shipped in ``cosign_verify/schema/``, and JSON paths for error messages."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any


def json_path(parts: Sequence[object]) -> str:
    """Format a path as ``verifier.plugins[0].trustPolicies[1]`` (odd keys in brackets).

    Parts are indexes and mapping keys; a YAML mapping key may be any scalar
    (``1.5: x``, a date), shown as YAML wrote it.
    """
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part if isinstance(part, str) else str(part))}]"
    return out


@lru_cache(maxsize=4)
def validator_for(name: str) -> Any:
    """A JSON Schema validator for one of the schema files shipped in ``cosign_verify/schema``."""
    from importlib import resources

    import jsonschema  # deferred: only loading a config pays its import time
    from referencing import Registry, Resource

    directory = resources.files("cosign_verify") / "schema"
    schemas = {
        file: json.loads((directory / file).read_text("utf-8"))
        for file in ("config.schema.json", "resources.schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    schema = schemas[name]
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry)
