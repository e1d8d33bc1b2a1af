"""Import open CDM definitions into our metadata: the public entry point `import_cdm`.

The steps follow the importer checklist of cds-model.md 18.13: find the entity definitions (one
document, or a manifest tree), resolve each (layers, attribute groups), then map attributes to
fields with an import-wide view, so that a lookup becomes a Lookup exactly when its target is
imported too or already exists. The older model.json format takes its own path (model_json.py)
to the same result type.
"""

from __future__ import annotations

from pathlib import Path

from commonground.errors import DefinitionError, SourceLocation
from commonground.model.cdm.attributes import map_type_attribute
from commonground.model.cdm.context import MappingContext, PicklistRegistry
from commonground.model.cdm.corpus import CDM_SUFFIX, Corpus, find_schema_root, split_entity_path
from commonground.model.cdm.entities import EntityBuilder
from commonground.model.cdm.manifest import (
    document_declarations,
    is_manifest,
    manifest_declarations,
)
from commonground.model.cdm.model_json import import_model_json
from commonground.model.cdm.names import entity_name
from commonground.model.cdm.relationships import map_entity_attribute
from commonground.model.cdm.report import Report, ReportCode
from commonground.model.cdm.resolve import Declaration, EntityResolver, ResolvedEntity
from commonground.model.cdm.result import (
    CdmImport,
    lookup_resolver,
    our_entity_names,
    reserved_picklist_names,
)
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity


def import_cdm(
    path: Path | str,
    *,
    schema_root: Path | None = None,
    entity: str | None = None,
    existing: DataModel | None = None,
) -> CdmImport:
    """Import a CDM entity document, a manifest (with its sub-manifests) or a model.json.

    `path` may name one entity of a document as `Doc.cdm.json/EntityName`; `entity` does the
    same as an argument. `schema_root` is where corpus paths starting with `/` resolve; by
    default the nearest folder above `path` holding foundations.cdm.json or schema.cdm.json.
    `existing` is the environment's model: lookups to its entities stay lookups, and its entity
    and picklist names are not reused. Raises DefinitionError for malformed JSON, a missing
    import or document, and an entity that is not defined where the path says.
    """
    document_text, named = split_entity_path(str(path))
    target = Path(document_text)
    wanted = entity or named
    lowered = target.name.lower()
    if lowered.endswith(".json") and not lowered.endswith(CDM_SUFFIX):
        return import_model_json(target, existing=existing)
    if not lowered.endswith(CDM_SUFFIX):
        raise DefinitionError(
            "not a CDM definition: expected *.cdm.json, *.manifest.cdm.json or model.json",
            SourceLocation(str(target)),
        )
    report = Report()
    corpus = Corpus(schema_root or find_schema_root(target), report)
    declarations = _declarations(corpus, target, wanted)
    resolver = EntityResolver(corpus, report)
    resolved = _unique([resolver.resolve(d) for d in declarations], corpus.schema_root, report)
    return _assemble(resolved, resolver, report, existing)


def _declarations(corpus: Corpus, target: Path, wanted: str | None) -> list[Declaration]:
    if not is_manifest(target):
        return document_declarations(corpus, target, wanted)
    declarations = manifest_declarations(corpus, target, wanted)
    if wanted is not None and not declarations:
        raise DefinitionError(
            f"entity '{wanted}' is not declared in {target}", SourceLocation(str(target))
        )
    return declarations


def _unique(resolved: list[ResolvedEntity], root: Path, report: Report) -> list[ResolvedEntity]:
    """One resolved entity per name: the one with the most layers (the deepest extension).

    A manifest tree lists a base entity and its extension layers in different manifests; the
    deepest layer already contains the base, so it is the one to keep.
    """
    kept: dict[str, ResolvedEntity] = {}
    for item in resolved:
        key = entity_name(item.name).lower()
        other = kept.get(key)
        if other is None:
            kept[key] = item
            continue
        winner, loser = (item, other) if item.layers > other.layers else (other, item)
        kept[key] = winner
        report.add(
            entity_name(item.name),
            None,
            ReportCode.DUPLICATE_ENTITY,
            f"declared more than once: kept {_shown(winner, root)} ({winner.layers} layers), "
            f"not {_shown(loser, root)} ({loser.layers} layers)",
        )
    return list(kept.values())


def _shown(item: ResolvedEntity, root: Path) -> str:
    """A document path as a corpus path when it lies under the schema root."""
    path = item.declaration.document.path
    return "/" + path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _assemble(
    resolved: list[ResolvedEntity],
    resolver: EntityResolver,
    report: Report,
    existing: DataModel | None,
) -> CdmImport:
    names = our_entity_names([r.name for r in resolved], existing, report)
    lookups = lookup_resolver(names, existing)
    registry = PicklistRegistry(reserved_picklist_names(existing))
    entities: list[Entity] = []
    for item in resolved:
        ctx = MappingContext(
            entity=names[item.name.lower()],
            report=report,
            picklists=registry,
            lookup_target=lookups,
            corpus=resolver.corpus,
            members_of=resolver.member_names,
        )
        entities.append(_entity(item, ctx))
    return CdmImport(entities, registry.picklists, report.lines)


def _entity(item: ResolvedEntity, ctx: MappingContext) -> Entity:
    """Map every attribute of a resolved entity and build the entity."""
    builder = EntityBuilder(ctx.entity, ctx.report)
    for attribute in item.attributes:
        if attribute.is_entity_attribute:
            builder.add_all(map_entity_attribute(attribute.data, attribute.document, ctx))
        else:
            builder.add_all(map_type_attribute(attribute.data, attribute.document, ctx))
    ctx.report_ignored_traits()
    return builder.build(item.display_name, item.description)
