"""Import open Common Data Model (CDM) definitions into our metadata.

`import_cdm` reads a `*.cdm.json` entity document, a `*.manifest.cdm.json` manifest (with its
sub-manifests) or an older `model.json`, and returns entities, picklists and a report of
everything that did not map one-to-one (cds-model.md section 18). Modules, in import order:

    names.py          CDM names -> our entity and field names (total, idempotent)
    report.py         ReportLine, ReportCode: what was not mapped and what was done instead
    traits.py         reading traits and their shortcut properties
    corpus.py         loading documents, corpus paths, imports and monikers
    resolve.py        extendsEntity layers, attribute groups, de-duplication
    datatypes.py      extendsDataType chains -> FieldType, length limits
    optionsets.py     listLookup values -> picklists
    attributes.py     type attributes -> fields
    relationships.py  entity attributes -> lookups, polymorphic id columns, Address fields
    entities.py       unique field names, primary name or Title -> Entity
    manifest.py       which definitions a document or manifest tree declares
    model_json.py     the model.json format
    importer.py       import_cdm
"""

from commonground.model.cdm.importer import import_cdm
from commonground.model.cdm.names import entity_name, field_name
from commonground.model.cdm.report import ReportCode, ReportLine
from commonground.model.cdm.result import CdmImport

__all__ = [
    "CdmImport",
    "ReportCode",
    "ReportLine",
    "entity_name",
    "field_name",
    "import_cdm",
]
