"""The documented direct mappings of the document templates, transcribed as data.

Source: prospect-to-cash.md sections 12 (quotes), 13 (orders, both directions) and 14 (invoices),
row by row in the order of the mapping screenshots: (source, map type, destination, transform).
Where the documentation gives a transform (a Default, a value map entry) it is written here as
documented; where it shows `Fn` without the content ("not documented", "value map"), the
content is the template's own choice and the row says so (`chosen=True`). What the templates
ship differently from the screenshots is listed explicitly at the end (SHIPPED_AS, OMITTED),
each with its reason, so the tests compare the templates against the documentation plus
exactly these decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Transform = list[dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """One documented row of a direct mapping."""

    source: str | None
    map: str  # "=" or "Fn", as the screenshot shows it
    destination: str
    transform: Transform | None = None
    chosen: bool = False  # the transform's content is ours (the doc shows only `Fn`)


def default(value: Any) -> Transform:
    return [{"transformType": "Default", "defaultValue": value}]


def value_map(entries: dict[str, Any]) -> Transform:
    return [{"transformType": "ValueMap", "valueMap": entries}]


CUSTOMER = "customerid.Account(accountnumber).Contact(msdynce_contactnumber)"
PRICE_LIST = "CRM Service USA (sample)"

# Sales country text -> ISO code. Documented: "several countries mapped, blank = US" (section 12,
# section 13 'Blank' = US); the entries follow the data-integrator.md section 12 example, with
# Japan as JP (the example's "JA" is no ISO code) and a few more spellings.
SHIP_TO_COUNTRY = value_map(
    {
        "us": "US",
        "usa": "US",
        "united States": "US",
        "germany": "DE",
        "de": "DE",
        "deu": "DE",
        "france": "FR",
        "fr": "FR",
        "fra": "FR",
        "uk": "GB",
        "united Kingdom": "GB",
        "gb": "GB",
        "gbr": "GB",
        "ja": "JP",
        "jap": "JP",
        "japan": "JP",
        "india": "IN",
        "in": "IN",
        "ind": "IN",
        "au": "AU",
        "australia": "AU",
        "ca": "CA",
        "canada": "CA",
        "": "US",
    }
)
# Operations country/region ids -> the ISO codes Sales holds (ours: "country value map").
REGION_TO_ISO = value_map(
    {
        "USA": "US",
        "CAN": "CA",
        "MEX": "MX",
        "DEU": "DE",
        "FRA": "FR",
        "GBR": "GB",
        "ITA": "IT",
        "ESP": "ES",
        "NLD": "NL",
        "BEL": "BE",
        "AUT": "AT",
        "CHE": "CH",
        "DNK": "DK",
        "SWE": "SE",
        "NOR": "NO",
        "FIN": "FI",
        "POL": "PL",
        "IRL": "IE",
        "PRT": "PT",
        "JPN": "JP",
        "CHN": "CN",
        "IND": "IN",
        "AUS": "AU",
        "NZL": "NZ",
        "BRA": "BR",
    }
)
# Sales unit name -> Operations unit symbol, and back (ours: "UoM value map").
UNIT_TO_SYMBOL = value_map(
    {
        "Primary Unit": "ea",
        "ea": "ea",
        "each": "ea",
        "pcs": "pcs",
        "piece": "pcs",
        "pieces": "pcs",
        "box": "box",
        "kg": "kg",
        "kilogram": "kg",
        "hour": "h",
        "h": "h",
    }
)
SYMBOL_TO_UNIT = value_map({"ea": "ea", "pcs": "pcs", "box": "box", "kg": "kg", "h": "hour"})
# Operations processing status -> Sales processing status (ours; the labels are section 13's).
PROCESSING_STATUS = value_map(
    {
        "Draft": "Draft",
        "Active": "Active",
        "Confirmed": "Confirmed",
        "PackingSlip": "Packing Slip",
        "Invoiced": "Invoiced",
        "Picked": "Picked",
        "PartiallyPicked": "Partially Picked",
        "PartiallyPacked": "Partially Packed",
        "Shipped": "Shipped",
        "PartiallyShipped": "Partially Shipped",
        "PartiallyInvoiced": "Partially Invoiced",
        "Cancelled": "Cancelled",
    }
)

QUOTE_HEADER = [
    Row(CUSTOMER, "=", "REQUESTINGCUSTOMERACCOUNTNUMBER"),
    Row("shipto_city", "=", "DELIVERYADDRESSCITY"),
    Row("shipto_country", "Fn", "DELIVERYADDRESSCOUNTRYREGIONISOCODE", SHIP_TO_COUNTRY, True),
    Row("transactioncurrencyid.isocurrencycode", "=", "CURRENCYCODE"),
    Row("shipto_line1", "=", "DELIVERYADDRESSSTREET"),
    Row("billto_line2", "=", "DELIVERYADDRESSSTREETNUMBER"),
    Row("billto_postalcode", "=", "DELIVERYADDRESSZIPCODE"),
    Row("quotenumber", "=", "SALESQUOTATIONNUMBER"),
    Row("shipto_stateorprovince", "=", "DELIVERYADDRESSSTATEID"),
    Row("totalamount", "=", "QUOTATIONTOTALAMOUNT"),
    Row("name", "=", "SALESQUOTATIONNAME"),
    Row(None, "Fn", "DELIVERYADDRESSNAME", default("Delivery address"), True),
    Row(None, "Fn", "ISDELIVERYADDRESSORDERSPECIFIC", default(True), True),
    Row(None, "Fn", "DELIVERYADDRESSDESCRIPTION", default("From Sales"), True),
]
QUOTE_LINE = [
    Row("productid.productnumber", "=", "ProductNumber"),
    Row("quantity", "=", "RequestedSalesQuantity"),
    Row("quoteid.quotenumber", "=", "SalesQuotationNumber"),
    Row("sequencenumber", "=", "LineCreationSequenceNumber"),
    Row("uomid.name", "Fn", "SalesUnitSymbol", UNIT_TO_SYMBOL, True),
    Row("manualdiscountamount", "=", "TotalDiscountAmount"),
    Row("priceperunit", "=", "SalesPrice"),
]
ORDER_HEADER_TO_SALES = [
    Row("DeliveryAddressCity", "=", "shipto_city"),
    Row("InvoiceAddressCity", "=", "billto_city"),
    Row("DeliveryAddressCountryRegionISOCode", "=", "shipto_country"),
    Row("InvoiceAddressCountryRegionId", "Fn", "billto_country", REGION_TO_ISO, True),
    Row("CustomersOrderReference", "=", "description"),
    Row("DeliveryAddressStreetNumber", "=", "shipto_line2"),
    Row("InvoiceAddressStreetNumber", "=", "billto_line2"),
    Row("SalesOrderProcessingStatus", "Fn", "msdynce_processingstatus", PROCESSING_STATUS, True),
    Row("DeliveryAddressZipCode", "=", "shipto_postalcode"),
    Row("InvoiceAddressZipCode", "=", "billto_postalcode"),
    Row("DeliveryAddressStreet", "=", "shipto_line1"),
    Row("InvoiceAddressStreet", "=", "billto_line1"),
    Row("DeliveryAddressStateId", "=", "shipto_stateorprovince"),
    Row("InvoiceAddressStateId", "=", "billto_stateorprovince"),
    Row("SalesOrderName", "=", "name"),
    Row("CurrencyCode", "=", "transactioncurrencyid.isocurrencycode"),
    Row("OrderTotalAmount", "=", "totalamount"),
    Row("TotalDiscountAmount", "=", "discountamount"),
    Row("OrderTotalTaxAmount", "=", "totaltax"),
    Row("OrderTotalChargesAmount", "=", "freightamount"),
    Row("SalesOrderNumber", "=", "ordernumber"),
    Row("OrderingCustomerAccountNumber", "=", CUSTOMER),
    Row(None, "Fn", "statecode", default("Active")),
    Row(None, "Fn", "statuscode", default("New"), True),
    Row(None, "Fn", "msdynce_ismaintainedexternally", default(True), True),
    Row(None, "Fn", "pricelevelid.name", default(PRICE_LIST)),
]
ORDER_LINE_TO_SALES = [
    Row("CurrencyCode", "=", "transactioncurrencyid.isocurrencycode"),
    Row("DeliveryAddressCity", "=", "shipto_city"),
    Row("DeliveryAddressCountryRegionISOCode", "=", "shipto_country"),
    Row("DeliveryAddressStateId", "=", "shipto_stateorprovince"),
    Row("DeliveryAddressStreet", "=", "shipto_line1"),
    Row("DeliveryAddressStreetNumber", "=", "shipto_line2"),
    Row("DeliveryAddressZipCode", "=", "shipto_postalcode"),
    Row("LineAmount", "Fn", "extendedamount", default(0), True),
    Row("LineCreationSequenceNumber", "=", "sequencenumber"),
    Row("OrderedSalesQuantity", "=", "quantity"),
    Row("ProductName", "=", "description"),
    Row("ProductNumber", "=", "productid.productnumber"),
    Row("SalesOrderNumber", "=", "salesorderid.ordernumber"),
    Row("SalesOrderNumber", "=", "msdynce_ordernumber"),
    Row("SalesUnitSymbol", "Fn", "uomid.name", SYMBOL_TO_UNIT, True),
    Row("TotalDiscountAmount", "=", "manualdiscountamount"),
    Row("TotalTaxAmount", "=", "tax"),
    Row("SalesPrice", "=", "priceperunit"),
    Row(None, "Fn", "ispriceoverridden", default(True), True),
    Row(None, "Fn", "msdynce_ismaintainedexternally", default(True), True),
]
ORDER_HEADER_TO_OPERATIONS = [
    Row(CUSTOMER, "=", "OrderingCustomerAccountNumber"),
    Row("shipto_city", "=", "DeliveryAddressCity"),
    Row("shipto_country", "Fn", "DeliveryAddressCountryRegionISOCode", SHIP_TO_COUNTRY, True),
    Row("transactioncurrencyid.isocurrencycode", "=", "CurrencyCode"),
    Row("shipto_line1", "=", "DeliveryAddressStreet"),
    Row("shipto_postalcode", "=", "DeliveryAddressZipCode"),
    Row("ordernumber", "=", "SalesOrderNumber"),
    Row("shipto_line2", "=", "DeliveryAddressStreetNumber"),
    Row("shipto_stateorprovince", "=", "DeliveryAddressStateId"),
    Row("totalamount", "=", "OrderTotalAmount"),
    Row("name", "=", "CustomersOrderReference"),
    Row(None, "Fn", "DeliveryAddressName", default("Delivery address"), True),
    Row(None, "Fn", "IsDeliveryAddressOrderSpecific", default(True), True),
    Row(None, "Fn", "DeliveryAddressDescription", default("From Sales"), True),
]
ORDER_LINE_TO_OPERATIONS = [
    Row("productid.productnumber", "=", "ProductNumber"),
    Row("quantity", "=", "OrderedSalesQuantity"),
    Row("salesorderid.ordernumber", "=", "SalesOrderNumber"),
    Row("sequencenumber", "=", "LineCreationSequenceNumber"),
    Row("uomid.name", "Fn", "SalesUnitSymbol", UNIT_TO_SYMBOL, True),
    Row("manualdiscountamount", "=", "TotalDiscountAmount"),
    Row("priceperunit", "=", "SalesPrice"),
]
INVOICE_HEADER = [
    Row("InvoiceCustomerAccountNumber", "=", CUSTOMER),
    Row("InvoiceAddressStreet", "=", "billto_line1"),
    Row("InvoiceAddressStreetNumber", "=", "billto_line2"),
    Row("InvoiceAddressCity", "=", "billto_city"),
    Row("InvoiceAddressCountryRegionISOCode", "=", "billto_country"),
    Row("InvoiceAddressZipCode", "=", "billto_postalcode"),
    Row("InvoiceAddressState", "=", "billto_stateorprovince"),
    Row("CustomersOrderReference", "=", "description"),
    Row("TotalDiscountCustomerGroupCode", "=", "discountamount"),
    Row("CurrencyCode", "=", "transactioncurrencyid.isocurrencycode"),
    Row("InvoiceDate", "=", "msdynce_invoicedate"),
    Row("InvoiceNumber", "=", "name"),
    Row("InvoiceNumber", "=", "invoicenumber"),
    Row("SalesOrderNumber", "=", "salesorderid.ordernumber"),
    Row("TotalInvoiceAmount", "=", "totalamount"),
    Row("CurrencyCode", "Fn", "pricelevelid.name", value_map({"USD": PRICE_LIST})),
    Row("TotalChargeAmount", "=", "freightamount"),
    Row("TotalDiscountAmount", "=", "totaldiscountamount"),
    Row("TotalTaxAmount", "=", "totaltax"),
    Row(None, "Fn", "ispricelocked", default(True), True),
    Row(None, "Fn", "statuscode", default("Billed"), True),
]
INVOICE_LINE = [
    Row("LineCreationSequenceNumber", "=", "sequencenumber"),
    Row("InvoicedQuantity", "=", "quantity"),
    Row("SalesUnitSymbol", "Fn", "uomid.name", SYMBOL_TO_UNIT, True),
    Row("SalesPrice", "=", "priceperunit"),
    Row("CurrencyCode", "=", "transactioncurrencyid.isocurrencycode"),
    Row("LineTotalDiscountAmount", "=", "manualdiscountamount"),
    Row("LineAmount", "=", "extendedamount"),
    Row("LineTotalTaxAmount", "=", "tax"),
    Row("ProductNumber", "=", "productid.productnumber"),
    Row("InvoiceNumber", "=", "msdynce_invoicenumber"),
    Row("InvoiceNumber", "=", "invoiceid.invoicenumber"),
    Row("ProductName", "=", "description"),
    Row(None, "Fn", "producttypecode", default("Product"), True),
    Row(None, "Fn", "propertyconfigurationstatus", default("NotConfigured"), True),
    Row(None, "Fn", "ispriceoverridden", default(True), True),
]

QUOTES = "Sales Quotes (Sales to Fin and Ops) - Direct"
ORDERS_TO_OPERATIONS = "Sales Orders (Sales to Fin and Ops) - Direct"
ORDERS_TO_SALES = "Sales Orders (Fin and Ops to Sales) - Direct"
INVOICES = "Sales Invoices (Fin and Ops to Sales) - Direct"

# Template -> its tasks in the documented order, each with its documented direct mapping.
DOCUMENTED: dict[str, list[tuple[str, list[Row]]]] = {
    QUOTES: [("QuoteHeader", QUOTE_HEADER), ("QuoteLine", QUOTE_LINE)],
    ORDERS_TO_OPERATIONS: [
        ("OrderHeader", ORDER_HEADER_TO_OPERATIONS),
        ("OrderLine", ORDER_LINE_TO_OPERATIONS),
    ],
    ORDERS_TO_SALES: [("OrderHeader", ORDER_HEADER_TO_SALES), ("OrderLine", ORDER_LINE_TO_SALES)],
    INVOICES: [("SalesInvoiceHeader", INVOICE_HEADER), ("SalesInvoiceLine", INVOICE_LINE)],
}

# The Sales app's customerid has one target (accounts): the templates write the documented
# polymorphic path with that one target, under the entity's own name.
SHIPPED_AS = {CUSTOMER: "customerid.accounts(accountnumber)"}

# Documented rows the templates do not ship, with the reason.
OMITTED = {
    (INVOICES, "SalesInvoiceHeader", "TotalDiscountCustomerGroupCode", "discountamount"): (
        "a customer group code (text) cannot fill an amount; validation refuses the type (DIPV1030)"
    ),
}
