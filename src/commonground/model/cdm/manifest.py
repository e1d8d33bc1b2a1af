"""Find the entity definitions to import: in one document, or through a manifest tree.

A manifest lists entity declarations (`entityPath: Account.cdm.json/Account`, older files say
`entitySchema`; a referenced entity points into another manifest) and sub-manifests, which are
followed recursively (cds-model.md 18.7, importer checklist 18.13 step 1). Paths resolve like
import paths. A declaration that points nowhere is an error naming the manifest.
"""

from __future__ import annotations

from pathlib import Path

from commonground.errors import DefinitionError, SourceLocation
from commonground.model.cdm.corpus import MANIFEST_SUFFIX, Corpus, read_json, split_entity_path
from commonground.model.cdm.resolve import Declaration
from commonground.model.cdm.traits import Json


def is_manifest(path: Path) -> bool:
    """Whether a path names a `*.manifest.cdm.json` file."""
    return path.name.lower().endswith(MANIFEST_SUFFIX)


def document_declarations(corpus: Corpus, path: Path, entity: str | None) -> list[Declaration]:
    """The entity definitions of one document: the one named `entity`, or all of them."""
    document = corpus.document(path)
    definitions = [d for d in document.definitions() if isinstance(d.get("entityName"), str)]
    if entity is not None:
        chosen = [d for d in definitions if d["entityName"] == entity]
        chosen = chosen or [d for d in definitions if d["entityName"].lower() == entity.lower()]
        if not chosen:
            raise DefinitionError(
                f"entity '{entity}' is not defined in {path}", SourceLocation(str(path))
            )
        definitions = chosen[:1]
    if not definitions:
        raise DefinitionError("the document defines no entity", SourceLocation(str(path)))
    return [Declaration(definition, document) for definition in definitions]


def manifest_declarations(
    corpus: Corpus, path: Path, only: str | None = None, seen: set[Path] | None = None
) -> list[Declaration]:
    """The entities a manifest declares, then those of its sub-manifests, depth first.

    `only` keeps just the entity of that name (used to follow a referenced entity).
    """
    seen = seen if seen is not None else set()
    if path.resolve() in seen:
        return []
    seen.add(path.resolve())
    data = read_json(path)
    out: list[Declaration] = []
    for item in _objects(data.get("entities")):
        if only is None or item.get("entityName") == only:
            out += _declaration(corpus, path, item)
    for item in _objects(data.get("subManifests")):
        definition = item.get("definition")
        if not isinstance(definition, str):
            raise DefinitionError("a sub-manifest names no definition", SourceLocation(str(path)))
        target = corpus.locate(definition, path.parent)
        if not target.is_file():
            raise DefinitionError(
                f"sub-manifest '{definition}' not found (looked for {target})",
                SourceLocation(str(path)),
            )
        out += manifest_declarations(corpus, target, only, seen)
    return out


def _objects(value: object) -> list[Json]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _declaration(corpus: Corpus, manifest: Path, item: Json) -> list[Declaration]:
    where = SourceLocation(str(manifest))
    entity_path = item.get("entityPath", item.get("entitySchema", item.get("entityDeclaration")))
    if not isinstance(entity_path, str) or not entity_path:
        raise DefinitionError(
            f"entity declaration {item.get('entityName')!r} names no entityPath", where
        )
    document_path, name = split_entity_path(entity_path)
    name = name or item.get("entityName")
    target = corpus.locate(document_path, manifest.parent)
    if not target.is_file():
        raise DefinitionError(
            f"entity document '{document_path}' not found (looked for {target})", where
        )
    if is_manifest(target):
        return manifest_declarations(corpus, target, name)
    document = corpus.document(target)
    definition = document.own("entity", name) if isinstance(name, str) else None
    if definition is None:
        raise DefinitionError(f"entity '{name}' is not defined in {target}", where)
    return [Declaration(definition, document)]
