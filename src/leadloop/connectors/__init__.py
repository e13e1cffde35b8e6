"""CRM connectors: adapters that implement :class:`leadloop.domain.connectors.CrmConnector`.

base.py          backoff on rate limits (429, Retry-After, daily limits)
credentials.py   credentials from the environment or a secrets file (never logged)
salesforce/      simple-salesforce: OAuth, SOQL with nextRecordsUrl, Bulk API 2.0
hubspot/         hubspot-api-client: CRM v3 objects, search, v4 associations
memory.py        an in-memory CRM for service tests
"""
