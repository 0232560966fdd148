"""Salesforce Contacts over the Salesforce REST API (an OAuth access token for the org's
instance URL; getting and refreshing that token is the caller's business).

Endpoints and response codes relied on (Salesforce REST API Developer Guide,
developer.salesforce.com/docs/platform/api-rest/guide/: "Insert or Update (Upsert) a Record
Using an External ID" (dome-upsert), "sObject Rows by External ID", "Status Codes and Error
Responses" (errorcodes)):

- ``PATCH /services/data/{v}/sobjects/Contact/{external_id_field}/{tenantdesk_id}`` with the
  field values (never the external id field itself) upserts by external id:
  201 created ``{"id", "success", "errors", "created": true}``; an existing record updated →
  200 ``{"id", …, "created": false}`` (API 46.0 and later; ``created`` appears from 46.0) or
  204 with no body (earlier versions) — for 204 we read the id with
  ``GET …/sobjects/Contact/{external_id_field}/{tenantdesk_id}?fields=Id`` (200 ``{"Id"}``).
  300 when the external id matches several records (body: their URLs) → ``CrmFailed``.
  404 ``NOT_FOUND`` when the external id field does not exist on Contact → ``CrmFailed``.
- ``DELETE /services/data/{v}/sobjects/Contact/{id}`` → 204; 404 (``NOT_FOUND`` /
  ``ENTITY_IS_DELETED``) is treated as already gone.
- ``GET /services/data/{v}/sobjects/Contact/{id}?fields=<name>`` → 200 ``{"attributes", "Id",
  name: value}``.
- Errors: a JSON list ``[{"message", "errorCode", "fields"?}]``; the reason is
  ``errorCode: message`` (joined with ``; ``). 401 ``INVALID_SESSION_ID`` (expired token),
  400 (``REQUIRED_FIELD_MISSING``, ``INVALID_FIELD``, ``MALFORMED_ID`` …) → ``CrmFailed``.
  403 ``REQUEST_LIMIT_EXCEEDED`` is the org's API quota, which refills → ``CrmRetryable``;
  any other 403 is a permission problem → ``CrmFailed``. 429/5xx → ``CrmRetryable``.

Fields written: ``LastName`` (required by Contact: the name minus its first word, the whole name
when it is one word, else the email's local part), ``FirstName`` (null when the name is one
word, so a stale first name is cleared; left untouched when we have no name), ``Email``,
``Phone`` (when not blank), and ``company_field`` / ``tier_field`` only when configured (a
standard Contact has no company text field: its company is the Account lookup, which this client
does not manage).
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

_API_VERSION = re.compile(r"v\d+\.\d+")


class SalesforceClient:
    """A ``integrations.crm.CrmClient`` for one Salesforce org (instance URL + access token).

    The token is sent per request, never stored on the (possibly shared) session. Every call is
    made with ``allow_redirects=False`` and ``timeout``. Transport errors (``requests``
    ConnectionError/Timeout, and any class in ``retryable_errors``) become ``CrmRetryable``;
    classes in ``refused_errors`` (a guard refusing the destination) become ``CrmFailed``.
    """

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        session: requests.Session,
        api_version: str = "v60.0",
        external_id_field: str = "Tenantdesk_Id__c",
        tier_field: str | None = None,
        company_field: str | None = None,
        timeout: float | tuple[float, float] = (5, 10),
        retryable_errors: tuple[type[BaseException], ...] = (),
        refused_errors: tuple[type[BaseException], ...] = (),
    ):
        if not base_url.startswith("https://"):
            raise ValueError("Salesforce base_url must be https:// (a bearer token is sent)")
        if not access_token:
            raise ValueError("Salesforce access_token is required")
        if not _API_VERSION.fullmatch(api_version):
            raise ValueError(f"Salesforce api_version looks like 'v60.0', not {api_version!r}")
        for field in (external_id_field, tier_field, company_field):
            if field is not None and not is_identifier(field):
                raise ValueError(f"not a Salesforce field name: {field!r}")
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self.session = session
        self.api_version = api_version
        self.external_id_field = external_id_field
        self.tier_field = tier_field
        self.company_field = company_field
        self.timeout = timeout
        self.retryable_errors = tuple(retryable_errors)
        self.refused_errors = tuple(refused_errors)

    def __repr__(self) -> str:
        return (
            f"SalesforceClient(base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"external_id_field={self.external_id_field!r})"
        )

    @property
    def contacts_path(self) -> str:
        return f"/services/data/{self.api_version}/sobjects/Contact"

    # -- the CrmClient protocol ---------------------------------------------------------------

    def upsert_contact(self, contact: ContactData, *, known_id: str | None = None) -> str:
        # The External ID field finds the contact whatever its email: `known_id` adds nothing.
        if not contact.tenantdesk_id:
            raise ValueError("a Salesforce upsert needs the contact's tenantdesk_id")
        external_id = quote(contact.tenantdesk_id, safe="")
        path = f"{self.contacts_path}/{self.external_id_field}/{external_id}"
        response = self._send("PATCH", path, json=self.fields_for(contact), accept=(300,))
        if response.status_code == 300:
            raise CrmFailed(
                300,
                f"several Contacts have {self.external_id_field}={contact.tenantdesk_id}; "
                "merge them in Salesforce",
            )
        if response.status_code == 204:  # API < 46.0: updated, no body; look the id up
            response = self._send("GET", path, params={"fields": "Id"})
            return self._id_of(response, "Id")
        return self._id_of(response, "id")

    def delete_contact(self, crm_id: str) -> None:
        self._send("DELETE", f"{self.contacts_path}/{quote(crm_id, safe='')}", accept=(404,))

    def read_property(self, crm_id: str, name: str) -> str | None:
        if not is_identifier(name):
            raise ValueError(f"not a Salesforce field name: {name!r}")
        response = self._send(
            "GET", f"{self.contacts_path}/{quote(crm_id, safe='')}", params={"fields": name}
        )
        body = self._json(response)
        if not isinstance(body, dict):
            raise CrmFailed(response.status_code, "Salesforce response is not a record")
        value = body.get(name)
        return None if value is None or value == "" else str(value)

    # -- request shapes -----------------------------------------------------------------------

    def fields_for(self, contact: ContactData) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        first, rest = split_name(contact.name)
        if rest:
            fields["FirstName"], fields["LastName"] = first, rest
        elif first:
            fields["FirstName"], fields["LastName"] = None, first
        else:
            fields["LastName"] = contact.email.split("@", 1)[0] or contact.email
        fields["Email"] = contact.email
        if contact.phone:
            fields["Phone"] = contact.phone
        if self.company_field and contact.company:
            fields[self.company_field] = contact.company
        if self.tier_field and contact.tier:
            fields[self.tier_field] = contact.tier
        return fields

    def _id_of(self, response: requests.Response, key: str) -> str:
        body = self._json(response)
        crm_id = body.get(key) if isinstance(body, dict) else None
        if not crm_id:
            raise CrmFailed(response.status_code, "Salesforce response has no record id")
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
            raise CrmRetryable(f"Salesforce unreachable: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise CrmFailed(None, f"Salesforce request not sent: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status <= 299 or status in accept:
            return response
        reason, codes = self._reason(response)
        if status == 403 and "REQUEST_LIMIT_EXCEEDED" in codes:
            raise CrmRetryable(reason, status=status)
        raise error_for_status(
            status, reason=reason, retry_after=response.headers.get("Retry-After")
        )

    def _exc_reason(self, what: str, exc: BaseException) -> str:
        return short_reason(f"{what}: {type(exc).__name__}: {exc}", secret=self._token)

    def _reason(self, response: requests.Response) -> tuple[str, set[str]]:
        """``errorCode: message; …`` from Salesforce's error list (and the set of error codes),
        else the HTTP reason phrase."""
        body = self._json_or_none(response)
        if isinstance(body, dict):  # a few endpoints answer with one object, not a list
            body = [body]
        parts, codes = [], set()
        for error in body if isinstance(body, list) else ():
            if not isinstance(error, dict):
                continue
            code = error.get("errorCode") or error.get("error")
            message = error.get("message") or error.get("error_description")
            if code:
                codes.add(str(code))
            if code or message:
                parts.append(f"{code}: {message}" if code and message else str(code or message))
        text = "; ".join(parts) or response.reason or "no error message"
        return short_reason(text, secret=self._token), codes

    @staticmethod
    def _json_or_none(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def _json(self, response: requests.Response) -> Any:
        """A 2xx body we need. Not JSON → ``CrmFailed``: Salesforce always answers these calls
        in JSON (we send Accept: application/json), so HTML or garbage under a 2xx means we are
        not talking to the API (wrong instance URL, an intercepting proxy) — retrying would only
        repeat it."""
        body = self._json_or_none(response)
        if body is None:
            raise CrmFailed(response.status_code, "Salesforce response is not JSON")
        return body
