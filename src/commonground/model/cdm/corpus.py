"""Load CDM documents and find definitions the way CDM resolves names.

A CDM document sees its own definitions, then those of its imports; imports without a moniker
pass on their own imports (that is how `_allImports.cdm.json` works), while an import with a
moniker is reached only as `moniker/Name` (that is how a layer extends `base_Account/Account`,
cds-model.md 18.6). Corpus paths starting with `/` (or a namespace such as `local:/`) are
resolved against the schema root; other paths against the importing document's folder.

Every import is loaded when its document is, so a missing import is reported at once, naming the
document that asked for it. The one exception is the `cdm:` namespace: those are the standard
foundation documents the CDM SDK bundles, whose data types the importer knows by name, so their
absence is reported rather than fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from commonground.errors import DefinitionError, SourceLocation
from commonground.model.cdm.report import Report, ReportCode

Json = dict[str, Any]

ROOT_MARKERS = ("foundations.cdm.json", "schema.cdm.json")
CDM_SUFFIX = ".cdm.json"
MANIFEST_SUFFIX = ".manifest.cdm.json"
STANDARD_NAMESPACE = "cdm"

# Definition kinds and the key that names a definition of that kind.
KIND_KEYS = {
    "entity": "entityName",
    "attributeGroup": "attributeGroupName",
    "dataType": "dataTypeName",
}


def find_schema_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding foundations.cdm.json or schema.cdm.json.

    Falls back to the file's own folder, which suits self-contained folders such as the
    CDM samples, whose `local:/` paths are relative to the manifest's folder.
    """
    start = path.parent if not path.is_dir() else path
    for folder in (start, *start.parents):
        if any((folder / marker).is_file() for marker in ROOT_MARKERS):
            return folder
    return start


def read_json(path: Path) -> Json:
    """A JSON object from a file; malformed JSON becomes a DefinitionError with file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise DefinitionError("file not found", SourceLocation(str(path))) from exc
    except OSError as exc:
        raise DefinitionError(
            f"cannot read file: {exc.strerror}", SourceLocation(str(path))
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"malformed JSON: {exc.msg} (column {exc.colno})", SourceLocation(str(path), exc.lineno)
        ) from exc
    if not isinstance(data, dict):
        raise DefinitionError(
            "expected a JSON object at the top level", SourceLocation(str(path), 1)
        )
    return data


def split_entity_path(text: str) -> tuple[str, str | None]:
    """Split `Folder/Doc.cdm.json/Entity` into the document path and the entity name."""
    marker = text.lower().rfind(CDM_SUFFIX + "/")
    if marker < 0:
        return text, None
    end = marker + len(CDM_SUFFIX)
    return text[:end], text[end + 1 :] or None


@dataclass(frozen=True, eq=False)
class Import:
    """One import of a document: the loaded document (None if unavailable) and its moniker."""

    document: Document | None
    moniker: str | None


@dataclass(eq=False)
class Document:
    """A loaded `*.cdm.json` document with its imports and an index of its definitions."""

    path: Path
    data: Json
    imports: list[Import] = field(default_factory=list)
    _index: dict[tuple[str, str], Json] | None = field(default=None, repr=False)

    def own(self, kind: str, name: str) -> Json | None:
        """This document's own definition of a kind and name (the first one), or None."""
        if self._index is None:
            self._index = {}
            for definition in self.definitions():
                for each_kind, key in KIND_KEYS.items():
                    value = definition.get(key)
                    if isinstance(value, str):
                        self._index.setdefault((each_kind, value), definition)
        return self._index.get((kind, name))

    def definitions(self) -> list[Json]:
        """The definitions of this document (objects only)."""
        items = self.data.get("definitions")
        return [d for d in items if isinstance(d, dict)] if isinstance(items, list) else []


class Found(NamedTuple):
    """A definition and the document it was found in (its own references resolve from there)."""

    definition: Json
    document: Document


class Corpus:
    """The documents of one import, loaded once each, with CDM name resolution over them."""

    def __init__(self, schema_root: Path, report: Report) -> None:
        self.schema_root = schema_root.resolve()
        self.report = report
        self._documents: dict[Path, Document] = {}
        self._cache: dict[tuple[int, str, str], Found | None] = {}

    def locate(self, corpus_path: str, base: Path) -> Path:
        """The file a corpus path names, seen from a document in folder `base`."""
        namespace, separator, rest = corpus_path.partition(":/")
        if separator and "/" not in namespace:
            return self.schema_root / rest.lstrip("/")
        if corpus_path.startswith("/"):
            return self.schema_root / corpus_path.lstrip("/")
        return base / corpus_path

    def document(self, path: Path) -> Document:
        """The document at `path`, loaded with all its imports (each file only once)."""
        key = path.resolve()
        loaded = self._documents.get(key)
        if loaded is not None:
            return loaded
        document = Document(key, read_json(key))
        self._documents[key] = document  # registered first: import cycles end here
        entries = document.data.get("imports")
        for entry in entries if isinstance(entries, list) else []:
            document.imports.append(self._load_import(document, entry))
        return document

    def _load_import(self, document: Document, entry: Any) -> Import:
        where = SourceLocation(str(document.path))
        corpus_path = entry.get("corpusPath", entry.get("uri")) if isinstance(entry, dict) else None
        if not isinstance(corpus_path, str) or not corpus_path:
            raise DefinitionError("an import names no corpusPath", where)
        moniker = entry.get("moniker") or None
        target = self.locate(corpus_path, document.path.parent)
        if target.is_file():
            return Import(self.document(target), moniker)
        if corpus_path.startswith(STANDARD_NAMESPACE + ":/"):
            self.report.add(
                None,
                None,
                ReportCode.NOT_FOLLOWED,
                f"standard document {corpus_path} is not under the schema root {self.schema_root}; "
                "the built-in knowledge of the CDM data types is used instead",
            )
            return Import(None, moniker)
        raise DefinitionError(f"import '{corpus_path}' not found (looked for {target})", where)

    def find(self, document: Document, kind: str, reference: str) -> Found | None:
        """Resolve a reference to a definition as seen from `document`.

        `moniker/Name` looks through the import with that moniker; a plain name looks at the
        document, then its imports without moniker (depth first), then, leniently, every
        loaded document.
        """
        key = (id(document), kind, reference)
        if key not in self._cache:
            self._cache[key] = self._find(document, kind, reference)
        return self._cache[key]

    def _find(self, document: Document, kind: str, reference: str) -> Found | None:
        if "/" in reference:
            moniker, _, name = reference.rpartition("/")
            for target in self._monikered(document, moniker):
                found = self._search(target, kind, name, set())
                if found is not None:
                    return found
            return None
        found = self._search(document, kind, reference, set())
        if found is not None:
            return found
        for loaded in self._documents.values():
            definition = loaded.own(kind, reference)
            if definition is not None:
                return Found(definition, loaded)
        return None

    def _search(self, document: Document, kind: str, name: str, seen: set[int]) -> Found | None:
        if id(document) in seen:
            return None
        seen.add(id(document))
        definition = document.own(kind, name)
        if definition is not None:
            return Found(definition, document)
        for item in document.imports:
            if item.document is not None and item.moniker is None:
                found = self._search(item.document, kind, name, seen)
                if found is not None:
                    return found
        return None

    def _monikered(self, document: Document, moniker: str) -> list[Document]:
        """Documents imported under `moniker` by `document` or its imports without moniker."""
        out: list[Document] = []
        pending, seen = [document], {id(document)}
        while pending:
            current = pending.pop(0)
            for item in current.imports:
                if item.document is None:
                    continue
                if item.moniker == moniker:
                    out.append(item.document)
                elif item.moniker is None and id(item.document) not in seen:
                    seen.add(id(item.document))
                    pending.append(item.document)
        return out
