"""HubSpot CRM contacts over HubSpot's public REST API (CRM v3 objects API, private-app token).

Endpoints and response codes relied on (HubSpot developer docs, "Contacts" / "Search the CRM" /
"API error responses", developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts):

- ``POST /crm/v3/objects/contacts/search`` with ``filterGroups`` → ``filters`` of
  ``{"propertyName": "email", "operator": "EQ", "value": …}``; 200 ``{"total", "results": [
  {"id", "properties", …}]}``. The search index lags writes by seconds (a contact created a
  moment ago may not be found yet) — see the 409 handling below.
- ``POST /crm/v3/objects/contacts`` ``{"properties": {…}}`` → 201 ``{"id", …}``. When a contact
  with that email already exists HubSpot answers 409 ``{"category": "CONFLICT", "message":
  "Contact already exists. Existing ID: 123"}`` (seen in HubSpot/hubspot-api-nodejs#545,
  hubspot-api-php#59); we then update that id instead. This closes the search-lag race.
- ``PATCH /crm/v3/objects/contacts/{id}`` ``{"properties": {…}}`` → 200 ``{"id", …}``; an empty
  string clears a property.
- ``DELETE /crm/v3/objects/contacts/{id}`` → 204 (archives; restorable for 90 days). 404 is
  treated as already gone.
- ``GET /crm/v3/objects/contacts/{id}?properties=<name>`` → 200 ``{"id", "properties": {name:
  value-or-null}}``; 404 when the contact does not exist (or is archived).
- Errors: JSON ``{"status": "error", "message", "category", "correlationId", "errors"?}``, all
  fields optional; 401 bad/expired token, 403 missing scope, 400 VALIDATION_ERROR, 429
  RATE_LIMITS (``Retry-After`` honoured when present), 5xx.

Why search → PATCH/POST and not ``POST /crm/v3/objects/contacts/batch/upsert`` with
``idProperty=email``: the batch endpoint reports per-record errors inside a 200/207 body (one
more error shape to parse and test) and its email-as-idProperty support is newer and less
documented; search-then-write is the path HubSpot documents for single records, and the 409
fallback removes its one real-world failure (duplicate create after a search miss). One path.

Contact properties written: ``email``, ``firstname``/``lastname`` (``crm.split_name``),
``company``, ``phone``, and ``tier_property`` (a custom property the portal must define) only
when configured. Blank company/phone/tier are left out so they never erase what a sales rep
typed into HubSpot; a non-blank name always sets both name parts.

HubSpot identifies contacts by email: when a customer's email changes, the next upsert does not
find the old contact and creates a new one (the caller holds the old crm id and can delete it).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import requests

from integrations.crm import (
    ContactData,
    CrmFailed,
    CrmRetryable,
    error_for_status,
    is_identifier,
    short_reason,
    split_name,
)

CONTACTS = "/crm/v3/objects/contacts"

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")


class HubSpotClient:
    """A ``integrations.crm.CrmClient`` for one HubSpot portal (one private-app token).

    The token is sent per request, never stored on the (possibly shared) session. Every call is
    made with ``allow_redirects=False`` and ``timeout``. Transport errors (``requests``
    ConnectionError/Timeout, and any class in ``retryable_errors``) become ``CrmRetryable``;
    classes in ``refused_errors`` (a guard refusing the destination) become ``CrmFailed``.
    """

    def __init__(
        self,
        *,
        base_url: str = "https://api.hubapi.com",
        access_token: str,
        session: requests.Session,
        timeout: float | tuple[float, float] = (5, 10),
        tier_property: str | None = None,
        retryable_errors: tuple[type[BaseException], ...] = (),
        refused_errors: tuple[type[BaseException], ...] = (),
    ):
        if not base_url.startswith("https://"):
            raise ValueError("HubSpot base_url must be https:// (a bearer token is sent)")
        if not access_token:
            raise ValueError("HubSpot access_token is required")
        if tier_property is not None and not is_identifier(tier_property):
            raise ValueError(f"not a HubSpot property name: {tier_property!r}")
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self.session = session
        self.timeout = timeout
        self.tier_property = tier_property
        self.retryable_errors = tuple(retryable_errors)
        self.refused_errors = tuple(refused_errors)

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.base_url!r}, tier_property={self.tier_property!r})"

    # -- the CrmClient protocol ---------------------------------------------------------------

    def upsert_contact(self, contact: ContactData, *, known_id: str | None = None) -> str:
        properties = self.properties_for(contact)
        if known_id:
            # The contact synced before, by its id: an email changed since still updates it
            # (a search by the new email would create a second contact).
            path = f"{CONTACTS}/{quote(known_id, safe='')}"
            response = self._send("PATCH", path, json={"properties": properties}, accept=(404,))
            if response.status_code != 404:
                return self._id_of(response)
        crm_id = self._find_by_email(contact.email)
        if crm_id is None:
            response = self._send("POST", CONTACTS, json={"properties": properties}, accept=(409,))
            if response.status_code != 409:
                return self._id_of(response)
            crm_id = self._existing_id(response)
        path = f"{CONTACTS}/{quote(crm_id, safe='')}"
        response = self._send("PATCH", path, json={"properties": properties}, accept=(404,))
        if response.status_code == 404:
            # Found by search but archived since (or the index is stale): a later attempt
            # searches again and creates it.
            raise CrmRetryable("contact disappeared between search and update", status=404)
        return self._id_of(response)

    def delete_contact(self, crm_id: str) -> None:
        self._send("DELETE", f"{CONTACTS}/{quote(crm_id, safe='')}", accept=(404,))

    def read_property(self, crm_id: str, name: str) -> str | None:
        if not is_identifier(name):
            raise ValueError(f"not a HubSpot property name: {name!r}")
        response = self._send(
            "GET", f"{CONTACTS}/{quote(crm_id, safe='')}", params={"properties": name}
        )
        body = self._json(response)
        properties = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(properties, dict):
            raise CrmFailed(response.status_code, "HubSpot response has no properties object")
        value = properties.get(name)
        return None if value is None or value == "" else str(value)

    # -- request shapes -----------------------------------------------------------------------

    def properties_for(self, contact: ContactData) -> dict[str, str]:
        properties = {"email": contact.email}
        if contact.name.strip():
            properties["firstname"], properties["lastname"] = split_name(contact.name)
        if contact.company:
            properties["company"] = contact.company
        if contact.phone:
            properties["phone"] = contact.phone
        if self.tier_property and contact.tier:
            properties[self.tier_property] = contact.tier
        return properties

    def _find_by_email(self, email: str) -> str | None:
        search = {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
            ],
            "properties": ["email"],
            "limit": 1,
        }
        response = self._send("POST", f"{CONTACTS}/search", json=search)
        body = self._json(response)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise CrmFailed(response.status_code, "HubSpot search response has no results list")
        if not results:
            return None
        first = results[0]
        if not isinstance(first, dict) or not first.get("id"):
            raise CrmFailed(response.status_code, "HubSpot search result has no id")
        return str(first["id"])

    def _existing_id(self, response: requests.Response) -> str:
        """The id in a 409 "Contact already exists. Existing ID: 123"."""
        body = self._json_or_none(response)
        message = body.get("message") if isinstance(body, dict) else None
        match = _EXISTING_ID.search(message) if isinstance(message, str) else None
        if match is None:
            raise CrmFailed(409, self._reason(response))
        return match.group(1)

    def _id_of(self, response: requests.Response) -> str:
        body = self._json(response)
        crm_id = body.get("id") if isinstance(body, dict) else None
        if not crm_id:
            raise CrmFailed(response.status_code, "HubSpot response has no contact id")
        return str(crm_id)

    # -- transport ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        accept: tuple[int, ...] = (),
    ) -> requests.Response:
        """One request. Returns the response for a 2xx or a status in ``accept``; raises
        ``CrmRetryable``/``CrmFailed`` for everything else."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except self.refused_errors as exc:
            raise CrmFailed(None, self._exc_reason("destination refused", exc)) from None
        except self.retryable_errors as exc:
            raise CrmRetryable(self._exc_reason("delivery failed", exc)) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise CrmRetryable(f"HubSpot unreachable: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise CrmFailed(None, f"HubSpot request not sent: {type(exc).__name__}") from None
        if 200 <= response.status_code <= 299 or response.status_code in accept:
            return response
        raise error_for_status(
            response.status_code,
            reason=self._reason(response),
            retry_after=response.headers.get("Retry-After"),
        )

    def _exc_reason(self, what: str, exc: BaseException) -> str:
        return short_reason(f"{what}: {type(exc).__name__}: {exc}", secret=self._token)

    def _reason(self, response: requests.Response) -> str:
        """``CATEGORY: message`` from HubSpot's error JSON, else the HTTP reason phrase."""
        body = self._json_or_none(response)
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            category = body.get("category")
            text = f"{category}: {body['message']}" if category else body["message"]
        else:
            text = response.reason or "no error message"
        return short_reason(text, secret=self._token)

    @staticmethod
    def _json_or_none(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def _json(self, response: requests.Response) -> Any:
        """A 2xx body we need. Not JSON → ``CrmFailed``: HubSpot always answers these calls in
        JSON, so HTML or garbage under a 2xx means we are not talking to the API (wrong
        base_url, an intercepting proxy) — retrying would only repeat it."""
        body = self._json_or_none(response)
        if body is None:
            raise CrmFailed(response.status_code, "HubSpot response is not JSON")
        return body
