"""Contacts and Contacts to Customers, end to end.

Sales contacts split by the source filters: a contact of an account that is not an active
customer becomes an F&O contact (Contacts: contacts > hub Contact > CDS Contacts); an active
customer becomes an F&O customer (ContactToCustomer: contacts > hub Account, a person >
Customers V2). Accounts run first, as documented: a contact's company is found by its account
number in the hub.
"""

from __future__ import annotations

from decimal import Decimal

from commonground.apps.scenario import Scenario
from tests.fixtures.fix_p2c import project_from
from tests.p2c.test_masters_accounts import counts, hub_rows, operations_rows

ACCOUNTS = "Accounts (Sales to Fin and Ops) - Direct"
CONTACTS = "Contacts (Sales to Fin and Ops) - Direct"
TO_CUSTOMERS = "Contacts to Customers (Sales to Fin and Ops) - Direct"
LONG_FULL_NAME = "Maximilian Alexander Christopher Montgomery-Worthington of Lower Saxony"


def _contacts(p2c: Scenario) -> dict[str, int]:
    """Two accounts (one synced before the contacts) and contacts of every kind."""
    sales = p2c.sales
    [usd] = sales.create(
        "transactioncurrencies", [{"isocurrencycode": "USD", "currencyname": "US Dollar"}]
    ).record_ids
    [synced] = sales.create("accounts", [{"accountnumber": "ACC-1", "name": "Contoso"}]).record_ids
    project_from(p2c, ACCOUNTS, "Accounts")
    assert p2c.integrator.run("Accounts").status == "Completed"
    [late] = sales.create("accounts", [{"accountnumber": "ACC-2", "name": "Late"}]).record_ids
    sales.create(
        "contacts",
        [
            {
                "msdynce_contactnumber": "CON-1",
                "firstname": "Ann",
                "middlename": "B.",
                "lastname": "Lee",
                "fullname": "Ann B. Lee",
                "parentcustomerid": synced,
                "department": "Purchasing",
                "description": "Prefers mornings",
                "jobtitle": "Buyer",
                "governmentid": "123-45-6789",
                "gendercode": 2,
                "familystatuscode": 2,
                "donotemail": True,
                "emailaddress1": "ann@contoso.example",
                "telephone1": "+1 555 0111",
                "websiteurl": "https://ann.example",
                "address1_line1": "1 Main Street",
                "address1_city": "Seattle",
                "address1_stateorprovince": "WA",
                "address1_postalcode": "98052",
                "address1_country": "United States",
            },
            {  # inactive, no gender, no country
                "msdynce_contactnumber": "CON-2",
                "lastname": "Ray",
                "fullname": "Ray",
                "parentcustomerid": synced,
                "statecode": 1,
            },
            {  # a customer herself: Contacts to Customers
                "msdynce_contactnumber": "CON-3",
                "firstname": "Cho",
                "lastname": "Kim",
                "fullname": "Cho Kim",
                "msdynce_isactivecustomer": True,
                "creditlimit": Decimal("900.00"),
                "transactioncurrencyid": usd,
                "address1_city": "Berlin",
                "address1_country": "deu",
            },
            {  # a customer with a name longer than an address description keeps
                "msdynce_contactnumber": "CON-4",
                "firstname": "Max",
                "lastname": "Montgomery",
                "fullname": LONG_FULL_NAME,
                "msdynce_isactivecustomer": True,
                "parentcustomerid": synced,
            },
            {"msdynce_contactnumber": "CON-5", "lastname": "Solo"},  # no company: neither
            {"lastname": "Nonumber", "parentcustomerid": synced},  # no key: fails
            {"msdynce_contactnumber": "CON-7", "lastname": "Late", "parentcustomerid": late},
        ],
    )
    return {"synced": synced, "late": late}


def test_contacts_of_accounts_become_contacts(p2c: Scenario) -> None:
    _contacts(p2c)
    project_from(p2c, CONTACTS, "Contacts")
    run = p2c.integrator.run("Contacts")
    assert run.status == "Warning"
    assert counts(run) == [(4, 2, 0, 0, 2), (2, 2, 0, 0, 0)]
    messages = sorted(e["message"] for e in p2c.integrator.history.record_errors(run.id))
    assert "ContactNumber is empty" in messages[0]
    assert messages[1] == "PrimaryAccount with value ACC-2 does not exist in destination."

    hub = hub_rows(p2c, "Contact", "ContactNumber")
    assert set(hub) == {"CON-1", "CON-2"}
    [account] = hub_rows(p2c, "Account", "AccountNumber").values()
    assert hub["CON-1"]["PrimaryAccount"] == account["RecordId"]
    assert (hub["CON-1"]["Gender"], hub["CON-1"]["Status"], hub["CON-2"]["Status"]) == (
        "Female",
        "Active",
        "Inactive",
    )

    contacts = operations_rows(p2c, "smmContactPersonCDSEntity", "ContactPersonPartyNumber")
    assert set(contacts) == {"CON-1", "CON-2"}
    first = contacts["CON-1"]
    del first["ModifiedDateTime"]
    assert first == {
        "dataAreaId": "USMF",
        "ContactPersonPartyNumber": "CON-1",
        "ContactPersonPartyType": "Person",
        "AssociatedPartyNumber": "ACC-1",
        "FirstName": "Ann",
        "MiddleName": "B.",
        "LastName": "Lee",
        "Gender": "Female",
        "MaritalStatus": "Married",
        "GovernmentIdentificationNumber": "123-45-6789",
        "EmploymentDepartment": "Purchasing",
        "EmploymentProfession": "Buyer",
        "Notes": "Prefers mornings",
        "PrimaryEmailAddress": "ann@contoso.example",
        "PrimaryPhoneNumber": "+1 555 0111",
        "PrimaryURL": "https://ann.example",
        "PrimaryAddressStreet": "1 Main Street",
        "PrimaryAddressCity": "Seattle",
        "PrimaryAddressStateId": "WA",
        "PrimaryAddressZipCode": "98052",
        "PrimaryAddressCountryRegionISOCode": "US",
        "IsReceivingDirectMail": 0,
        "IsInactive": 0,
        "IsContactPersonExternallyMaintained": 1,
    }
    second = contacts["CON-2"]
    assert (second["Gender"], second["MaritalStatus"], second["FirstName"]) == (None, None, None)
    assert (second["IsInactive"], second["IsReceivingDirectMail"]) == (1, 1)
    assert second["PrimaryAddressCountryRegionISOCode"] == "US"  # blank = US

    # once its account has synced, the late contact goes through
    assert p2c.integrator.run("Accounts").status == "Completed"
    p2c.sales.update(
        "contacts", [{"msdynce_contactnumber": "CON-7", "jobtitle": "Owner"}], "ContactNumber"
    )
    later = p2c.integrator.run("Contacts")
    assert later.status == "Completed"
    assert counts(later) == [(1, 1, 0, 0, 0), (1, 1, 0, 0, 0)]
    late = operations_rows(p2c, "smmContactPersonCDSEntity", "ContactPersonPartyNumber")["CON-7"]
    assert (late["AssociatedPartyNumber"], late["EmploymentProfession"]) == ("ACC-2", "Owner")


def test_only_changed_contacts_move_again(p2c: Scenario) -> None:
    _contacts(p2c)
    project_from(p2c, CONTACTS, "Contacts")
    p2c.integrator.run("Contacts")
    before = operations_rows(p2c, "smmContactPersonCDSEntity", "ContactPersonPartyNumber")

    again = p2c.integrator.run("Contacts")
    assert all(inserted == updated == 0 for _, inserted, updated, _, _ in counts(again))
    assert operations_rows(p2c, "smmContactPersonCDSEntity", "ContactPersonPartyNumber") == before

    p2c.sales.update(
        "contacts", [{"msdynce_contactnumber": "CON-2", "gendercode": 1}], "ContactNumber"
    )
    changed = p2c.integrator.run("Contacts")
    assert counts(changed) == [(1, 0, 1, 0, 0), (1, 0, 1, 0, 0)]
    after = operations_rows(p2c, "smmContactPersonCDSEntity", "ContactPersonPartyNumber")
    assert after["CON-2"]["Gender"] == "Male"
    assert after["CON-1"] == before["CON-1"]


def test_active_customers_become_person_customers(p2c: Scenario) -> None:
    _contacts(p2c)
    before = operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")
    project_from(p2c, TO_CUSTOMERS, "ContactsToCustomers")
    run = p2c.integrator.run("ContactsToCustomers")
    assert run.status == "Completed"
    assert counts(run) == [(2, 2, 0, 0, 0), (2, 2, 0, 0, 0)]  # persons only, not ACC-1

    persons = hub_rows(p2c, "Account", "AccountNumber")
    assert (persons["CON-3"]["PartyType"], persons["ACC-1"]["PartyType"]) == (
        "Person",
        "Organization",
    )
    customers = operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")
    assert set(customers) == {"ACC-1", "CON-3", "CON-4"}
    assert customers["ACC-1"] == before["ACC-1"]
    person = customers["CON-3"]
    del person["ModifiedDateTime"]
    assert person == {
        "dataAreaId": "USMF",
        "CUSTOMERACCOUNT": "CON-3",
        "PARTYNUMBER": "CON-3",
        "PARTYTYPE": "Person",
        "ORGANIZATIONNAME": None,
        "ORGANIZATIONNUMBEROFEMPLOYEES": None,
        "PERSONFIRSTNAME": "Cho",
        "PERSONMIDDLENAME": None,
        "PERSONLASTNAME": "Kim",
        "CUSTOMERGROUPID": "10",
        "CREDITLIMIT": 900,
        "SALESCURRENCYCODE": "USD",
        "SALESMEMO": None,
        "LANGUAGEID": "en-us",
        "SITEID": None,
        "WAREHOUSEID": None,
        "ISEXTERNALLYMAINTAINED": 1,
        "PRIMARYCONTACTEMAIL": None,
        "PRIMARYCONTACTPHONE": None,
        "PRIMARYCONTACTFAX": None,
        "PRIMARYCONTACTURL": None,
        "ADDRESSDESCRIPTION": "Cho Kim",
        "ADDRESSLOCATIONROLES": None,
        "ADDRESSSTREET": None,
        "ADDRESSCITY": "Berlin",
        "ADDRESSSTATE": None,
        "ADDRESSZIPCODE": None,
        "ADDRESSCOUNTRYREGIONISOCODE": "DE",
        "DELIVERYADDRESSDESCRIPTION": None,
        "DELIVERYADDRESSSTREET": None,
        "DELIVERYADDRESSCITY": None,
        "DELIVERYADDRESSSTATE": None,
        "DELIVERYADDRESSZIPCODE": None,
        "DELIVERYADDRESSCOUNTRYREGIONISOCODE": None,
    }
    assert customers["CON-4"]["ADDRESSDESCRIPTION"] == LONG_FULL_NAME[:60]
    assert customers["CON-4"]["ADDRESSCOUNTRYREGIONISOCODE"] == "US"

    # the Accounts project does not take the persons in the hub for organizations: its
    # second leg reads only ACC-2, the account created since its last run
    accounts = p2c.integrator.run("Accounts")
    assert accounts.status == "Completed"
    assert counts(accounts) == [(1, 1, 0, 0, 0), (1, 1, 0, 0, 0)]
    assert (
        operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")["CON-3"]["ORGANIZATIONNAME"]
        is None
    )
    again = p2c.integrator.run("ContactsToCustomers")
    assert all(inserted == updated == 0 for _, inserted, updated, _, _ in counts(again))
