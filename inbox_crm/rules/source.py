"""Reading YAML rule files into values that remember their line numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inbox_crm.rules.problems import Invalid

# libyaml's loader when PyYAML was built with it: same nodes and marks, faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Node:
    """A YAML value and the line (1-based) it starts on.

    `value` is a dict of str to Node, a list of Node, or a plain scalar.
    """

    value: Any
    line: int

    @property
    def plain(self) -> Any:
        """The value with every nested Node unwrapped."""
        if isinstance(self.value, dict):
            return {key: node.plain for key, node in self.value.items()}
        if isinstance(self.value, list):
            return [node.plain for node in self.value]
        return self.value


def read_yaml(path: Path) -> Node | None:
    """The document in `path` (None when empty); Invalid on bad YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(1, f"cannot read the file: {exc}") from exc
    return parse_yaml(text)


def parse_yaml(text: str) -> Node | None:
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _convert(loader, root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise Invalid(line, f"not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise Invalid(1, f"not valid YAML: {exc}") from exc
    finally:
        loader.dispose()


def _convert(loader: yaml.SafeLoader, node: yaml.Node) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        values: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise Invalid(key_line, f"a key must be a word, not {key!r}")
            if key in values:
                raise Invalid(key_line, f"{key!r} is given twice")
            values[key] = _convert(loader, value_node)
        return Node(values, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(loader, item) for item in node.value], line)
    return Node(loader.construct_object(node), line)
