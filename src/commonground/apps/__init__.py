"""The Prospect to Cash sample applications: a Sales app, an Operations app, and the hub.

- Sales (`sales/*.yaml`): a Common Ground environment whose entities and fields carry
  Dynamics 365 Sales' logical names (accounts, contacts, quotes, ...), served over OData as a
  real Sales instance would be.
- Operations (`operations/*.yaml`): the Finance and Operations data entities of the templates
  as tables of a SQL database, the way an ERP keeps its own tables: the integrator reaches it
  with the SQL connector, company by company (`dataAreaId`), incrementally by a
  `ModifiedDateTime` cursor.
- Hub (`hub/*.yaml`): the standard entities extended with the custom fields the scenario needs,
  as the original solution did.
"""
