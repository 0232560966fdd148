"""The HubSpot and Salesforce clients against recorded request shapes (the `responses` library
intercepts a plain requests.Session; nothing leaves the machine, no database)."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from responses import matchers

from integrations.crm import (
    REASON_LIMIT,
    ContactData,
    CrmFailed,
    CrmRetryable,
    parse_retry_after,
    short_reason,
    split_name,
)
from integrations.hubspot.client import HubSpotClient
from integrations.salesforce.client import SalesforceClient

TOKEN = "pat-na1-SECRET-0123456789"
HS = "https://api.hubapi.com"
HS_CONTACTS = f"{HS}/crm/v3/objects/contacts"
SF = "https://acme.my.salesforce.com"
SF_CONTACTS = f"{SF}/services/data/v60.0/sobjects/Contact"
TD_ID = "0b6f1c2e-8f0a-4a4e-9a55-1f2d3c4b5a69"
SF_UPSERT = f"{SF_CONTACTS}/Tenantdesk_Id__c/{TD_ID}"
AUTH = matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})

ADA = ContactData(
    email="ada@example.com",
    name="Ada King Lovelace",
    company="Analytical Engines Ltd",
    phone="+44 20 7946 0000",
    tier="gold",
    tenantdesk_id=TD_ID,
)
SEARCH_ADA = {
    "filterGroups": [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "ada@example.com"}]}
    ],
    "properties": ["email"],
    "limit": 1,
}
ADA_PROPERTIES = {
    "email": "ada@example.com",
    "firstname": "Ada",
    "lastname": "King Lovelace",
    "company": "Analytical Engines Ltd",
    "phone": "+44 20 7946 0000",
}


class RecordingSession(requests.Session):
    """A plain Session that remembers the keyword arguments of every request."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        return super().request(method, url, **kwargs)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def session():
    return RecordingSession()


def hubspot(session, **kwargs):
    return HubSpotClient(access_token=TOKEN, session=session, **kwargs)


def salesforce(session, **kwargs):
    return SalesforceClient(base_url=SF, access_token=TOKEN, session=session, **kwargs)


def assert_no_secret(exc):
    for text in (str(exc), repr(exc), exc.reason, repr(exc.args)):
        assert TOKEN not in text


def hs_search_finds(mocked, results):
    mocked.post(
        f"{HS_CONTACTS}/search",
        json={"total": len(results), "results": results},
        match=[AUTH, matchers.json_params_matcher(SEARCH_ADA)],
    )


# -- shared helpers ----------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    assert parse_retry_after("30", now=now) == 30
    assert parse_retry_after(" 0 ", now=now) == 0
    assert parse_retry_after("Wed, 01 Jan 2025 12:01:30 GMT", now=now) == 90
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0  # in the past
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("-5", now=now) is None


def test_short_reason_is_one_masked_line_of_bounded_length():
    reason = short_reason(f"bad\n  token {TOKEN} " + "x" * 1000, secret=TOKEN)

    assert reason.startswith("bad token *** x")
    assert TOKEN not in reason
    assert len(reason) == REASON_LIMIT


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Ada King Lovelace", ("Ada", "King Lovelace")),
        ("  Ludwig   van Beethoven ", ("Ludwig", "van Beethoven")),
        ("Plato", ("Plato", "")),
        ("   ", ("", "")),
    ],
)
def test_split_name(name, parts):
    assert split_name(name) == parts


# -- HubSpot -----------------------------------------------------------------------------------


def test_hubspot_upsert_creates_when_search_finds_nobody(mocked, session):
    hs_search_finds(mocked, [])
    mocked.post(
        HS_CONTACTS,
        status=201,
        json={"id": "501", "properties": {}},
        match=[AUTH, matchers.json_params_matcher({"properties": ADA_PROPERTIES})],
    )

    assert hubspot(session).upsert_contact(ADA) == "501"
    assert [c.request.method for c in mocked.calls] == ["POST", "POST"]


def test_hubspot_upsert_updates_the_contact_search_found(mocked, session):
    hs_search_finds(mocked, [{"id": "77", "properties": {"email": "ada@example.com"}}])
    mocked.patch(
        f"{HS_CONTACTS}/77",
        json={"id": "77", "properties": {}},
        match=[AUTH, matchers.json_params_matcher({"properties": ADA_PROPERTIES})],
    )

    assert hubspot(session).upsert_contact(ADA) == "77"
    assert [c.request.method for c in mocked.calls] == ["POST", "PATCH"]  # no create


def test_hubspot_tier_property_is_written_only_when_configured(mocked, session):
    hs_search_finds(mocked, [{"id": "77"}])
    mocked.patch(
        f"{HS_CONTACTS}/77",
        json={"id": "77"},
        match=[
            matchers.json_params_matcher(
                {"properties": {**ADA_PROPERTIES, "tenantdesk_tier": "gold"}}
            )
        ],
    )

    assert hubspot(session, tier_property="tenantdesk_tier").upsert_contact(ADA) == "77"
    # Unconfigured, the property is absent (the strict body match in the tests above).
    assert "tenantdesk_tier" not in hubspot(session).properties_for(ADA)
    assert "gold" not in hubspot(session).properties_for(ADA).values()


def test_hubspot_blank_company_and_phone_are_left_out_not_erased(session):
    bare = ContactData("bo@example.com", "Bo", "", "", "", TD_ID)

    assert hubspot(session, tier_property="tier").properties_for(bare) == {
        "email": "bo@example.com",
        "firstname": "Bo",
        "lastname": "",
    }
    nameless = ContactData("bo@example.com", "", "", "", "", TD_ID)
    assert hubspot(session).properties_for(nameless) == {"email": "bo@example.com"}


def test_hubspot_create_conflict_updates_the_existing_id(mocked, session):
    """The search index lags: a contact created seconds ago is not found, the create says 409
    with the existing id, and the client updates that contact instead."""
    hs_search_finds(mocked, [])
    mocked.post(
        HS_CONTACTS,
        status=409,
        json={
            "status": "error",
            "message": "Contact already exists. Existing ID: 37765128953",
            "category": "CONFLICT",
        },
    )
    mocked.patch(
        f"{HS_CONTACTS}/37765128953",
        json={"id": "37765128953"},
        match=[matchers.json_params_matcher({"properties": ADA_PROPERTIES})],
    )

    assert hubspot(session).upsert_contact(ADA) == "37765128953"


def test_hubspot_conflict_without_an_id_fails(mocked, session):
    hs_search_finds(mocked, [])
    mocked.post(HS_CONTACTS, status=409, json={"message": "Conflict", "category": "CONFLICT"})

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.status == 409
    assert caught.value.reason == "CONFLICT: Conflict"


def test_hubspot_update_of_a_contact_archived_meanwhile_is_retryable(mocked, session):
    hs_search_finds(mocked, [{"id": "77"}])
    mocked.patch(f"{HS_CONTACTS}/77", status=404, json={"message": "resource not found"})

    with pytest.raises(CrmRetryable):
        hubspot(session).upsert_contact(ADA)


@pytest.mark.parametrize("status", [204, 404])
def test_hubspot_delete_archives_and_a_missing_contact_is_success(mocked, session, status):
    mocked.delete(f"{HS_CONTACTS}/77", status=status, match=[AUTH])

    assert hubspot(session).delete_contact("77") is None


def test_hubspot_delete_failure_is_not_swallowed(mocked, session):
    mocked.delete(f"{HS_CONTACTS}/77", status=403, json={"message": "missing scopes"})

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).delete_contact("77")
    assert caught.value.status == 403


@pytest.mark.parametrize(("value", "expected"), [("gold", "gold"), (None, None), ("", None)])
def test_hubspot_read_property(mocked, session, value, expected):
    mocked.get(
        f"{HS_CONTACTS}/77",
        json={"id": "77", "properties": {"tier": value, "hs_object_id": "77"}},
        match=[AUTH, matchers.query_param_matcher({"properties": "tier"})],
    )

    assert hubspot(session).read_property("77", "tier") == expected


def test_hubspot_read_property_of_a_missing_contact_fails(mocked, session):
    mocked.get(f"{HS_CONTACTS}/77", status=404, json={"message": "Object not found."})

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).read_property("77", "tier")
    assert caught.value.status == 404


def test_hubspot_429_with_retry_after_seconds_is_retryable(mocked, session):
    mocked.post(
        f"{HS_CONTACTS}/search",
        status=429,
        headers={"Retry-After": "7"},
        json={"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
              "category": "RATE_LIMITS"},
    )  # fmt: skip

    with pytest.raises(CrmRetryable) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.retry_after == 7
    assert caught.value.status == 429
    assert caught.value.reason.startswith("RATE_LIMITS: You have reached")


def test_hubspot_429_with_retry_after_http_date_is_retryable(mocked, session):
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    mocked.post(f"{HS_CONTACTS}/search", status=429, headers={"Retry-After": later})

    with pytest.raises(CrmRetryable) as caught:
        hubspot(session).upsert_contact(ADA)
    assert 100 <= caught.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_hubspot_server_errors_are_retryable(mocked, session, status):
    mocked.delete(f"{HS_CONTACTS}/77", status=status, body="<html>Bad gateway</html>")

    with pytest.raises(CrmRetryable) as caught:
        hubspot(session).delete_contact("77")
    assert caught.value.retry_after is None
    assert "<html>" not in caught.value.reason  # the HTTP reason phrase, not the page


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (
            401,
            {"status": "error", "category": "INVALID_AUTHENTICATION",
             "message": f"Authentication credentials not found. Token {TOKEN} is invalid."},
            "INVALID_AUTHENTICATION: Authentication credentials not found. Token *** is invalid.",
        ),
        (
            400,
            {"status": "error", "category": "VALIDATION_ERROR",
             "message": 'Property values were not valid: [{"name":"email"}]'},
            'VALIDATION_ERROR: Property values were not valid: [{"name":"email"}]',
        ),
    ],
)  # fmt: skip
def test_hubspot_client_errors_fail_with_a_short_tokenless_reason(
    mocked, session, status, body, reason
):
    mocked.post(f"{HS_CONTACTS}/search", status=status, json=body)

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.status == status
    assert caught.value.reason == reason
    assert_no_secret(caught.value)


def test_hubspot_long_error_messages_are_cut(mocked, session):
    mocked.post(f"{HS_CONTACTS}/search", status=400, json={"message": "v" * 5000})

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).upsert_contact(ADA)
    assert len(caught.value.reason) <= REASON_LIMIT


def test_hubspot_redirect_is_not_followed(mocked, session):
    mocked.post(
        f"{HS_CONTACTS}/search", status=302, headers={"Location": "https://evil.example/steal"}
    )

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.status == 302
    assert [c.request.url for c in mocked.calls] == [f"{HS_CONTACTS}/search"]


@pytest.mark.parametrize("error", [requests.ConnectionError("refused"), requests.ReadTimeout()])
def test_hubspot_transport_errors_are_retryable(mocked, session, error):
    mocked.post(f"{HS_CONTACTS}/search", body=error)

    with pytest.raises(CrmRetryable) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.status is None


class DeliveryFailed(Exception):
    """Stands in for the SSRF guard's transient failure."""


class DestinationRefused(DeliveryFailed):
    """Stands in for the SSRF guard's refusal (a subclass: the refusal must still win)."""


def test_hubspot_maps_the_callers_error_classes(mocked, session):
    client = hubspot(
        session, retryable_errors=(DeliveryFailed,), refused_errors=(DestinationRefused,)
    )
    mocked.delete(f"{HS_CONTACTS}/1", body=DeliveryFailed("dns timeout"))
    mocked.delete(f"{HS_CONTACTS}/2", body=DestinationRefused("resolves to 10.0.0.5"))

    with pytest.raises(CrmRetryable, match="dns timeout"):
        client.delete_contact("1")
    with pytest.raises(CrmFailed, match=r"10\.0\.0\.5") as caught:
        client.delete_contact("2")
    assert caught.value.status is None


def test_hubspot_unconfigured_error_classes_propagate(mocked, session):
    mocked.delete(f"{HS_CONTACTS}/1", body=DeliveryFailed("dns timeout"))

    with pytest.raises(DeliveryFailed):
        hubspot(session).delete_contact("1")


def test_hubspot_non_json_success_fails(mocked, session):
    mocked.post(f"{HS_CONTACTS}/search", status=200, body="<html>Sign in</html>")

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.status == 200


def test_hubspot_every_request_disables_redirects_and_has_a_timeout(mocked, session):
    hs_search_finds(mocked, [{"id": "77"}])
    mocked.patch(f"{HS_CONTACTS}/77", json={"id": "77"})
    mocked.delete(f"{HS_CONTACTS}/77", status=204)

    client = hubspot(session, timeout=(2, 3))
    client.upsert_contact(ADA)
    client.delete_contact("77")

    assert len(session.calls) == 3
    for _method, _url, kwargs in session.calls:
        assert kwargs["allow_redirects"] is False
        assert kwargs["timeout"] == (2, 3)
    assert "Authorization" not in session.headers  # the shared session never holds the token
    assert TOKEN not in repr(client)


def test_hubspot_rejects_unsafe_configuration(session):
    with pytest.raises(ValueError):
        HubSpotClient(base_url="http://api.hubapi.com", access_token=TOKEN, session=session)
    with pytest.raises(ValueError):
        hubspot(session, tier_property="tier&archived=true")
    with pytest.raises(ValueError):
        hubspot(session).read_property("77", "tier/../x")


# -- Salesforce --------------------------------------------------------------------------------

SF_ADA = {
    "FirstName": "Ada",
    "LastName": "King Lovelace",
    "Email": "ada@example.com",
    "Phone": "+44 20 7946 0000",
}


def test_salesforce_upsert_created(mocked, session):
    mocked.patch(
        SF_UPSERT,
        status=201,
        json={"id": "003XX0000001", "success": True, "errors": [], "created": True},
        match=[AUTH, matchers.json_params_matcher(SF_ADA)],
    )

    assert salesforce(session).upsert_contact(ADA) == "003XX0000001"


def test_salesforce_upsert_updated(mocked, session):
    mocked.patch(
        SF_UPSERT,
        status=200,
        json={"id": "003XX0000001", "success": True, "errors": [], "created": False},
        match=[AUTH, matchers.json_params_matcher(SF_ADA)],
    )

    assert salesforce(session).upsert_contact(ADA) == "003XX0000001"


def test_salesforce_upsert_204_of_older_api_versions_reads_the_id(mocked, session):
    old = f"{SF}/services/data/v45.0/sobjects/Contact/Tenantdesk_Id__c/{TD_ID}"
    mocked.patch(old, status=204, match=[matchers.json_params_matcher(SF_ADA)])
    mocked.get(
        old,
        json={"attributes": {"type": "Contact"}, "Id": "003XX0000009"},
        match=[AUTH, matchers.query_param_matcher({"fields": "Id"})],
    )

    assert salesforce(session, api_version="v45.0").upsert_contact(ADA) == "003XX0000009"


def test_salesforce_upsert_with_several_matches_fails(mocked, session):
    mocked.patch(
        SF_UPSERT,
        status=300,
        json=[f"{SF_CONTACTS}/003XX0000001", f"{SF_CONTACTS}/003XX0000002"],
    )

    with pytest.raises(CrmFailed) as caught:
        salesforce(session).upsert_contact(ADA)
    assert caught.value.status == 300
    assert "several Contacts" in caught.value.reason


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("Plato", {"FirstName": None, "LastName": "Plato"}),
        ("", {"LastName": "plato"}),
    ],
)
def test_salesforce_last_name_is_always_sent(mocked, session, name, fields):
    contact = ContactData("plato@example.com", name, "", "", "", TD_ID)
    mocked.patch(
        SF_UPSERT,
        status=201,
        json={"id": "003XX0000003", "success": True, "errors": []},
        match=[matchers.json_params_matcher({**fields, "Email": "plato@example.com"})],
    )

    assert salesforce(session).upsert_contact(contact) == "003XX0000003"


def test_salesforce_company_and_tier_fields_only_when_configured(mocked, session):
    mocked.patch(
        SF_UPSERT,
        status=200,
        json={"id": "003XX0000001"},
        match=[
            matchers.json_params_matcher(
                {**SF_ADA, "Company__c": "Analytical Engines Ltd", "Tier__c": "gold"}
            )
        ],
    )

    client = salesforce(session, company_field="Company__c", tier_field="Tier__c")
    assert client.upsert_contact(ADA) == "003XX0000001"
    assert salesforce(session).fields_for(ADA) == SF_ADA  # neither company nor tier


def test_salesforce_errors_become_error_code_and_message(mocked, session):
    mocked.patch(
        SF_UPSERT,
        status=400,
        json=[
            {"message": "Required fields are missing: [LastName]",
             "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]},
            {"message": "Email: invalid email address", "errorCode": "INVALID_EMAIL_ADDRESS"},
        ],
    )  # fmt: skip

    with pytest.raises(CrmFailed) as caught:
        salesforce(session).upsert_contact(ADA)
    assert caught.value.status == 400
    assert caught.value.reason == (
        "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]; "
        "INVALID_EMAIL_ADDRESS: Email: invalid email address"
    )


def test_salesforce_expired_session_fails_without_the_token(mocked, session):
    mocked.patch(
        SF_UPSERT,
        status=401,
        json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )

    with pytest.raises(CrmFailed) as caught:
        salesforce(session).upsert_contact(ADA)
    assert caught.value.status == 401
    assert caught.value.reason == "INVALID_SESSION_ID: Session expired or invalid"
    assert_no_secret(caught.value)


def test_salesforce_org_api_quota_is_retryable_other_403_is_not(mocked, session):
    mocked.delete(
        f"{SF_CONTACTS}/003A",
        status=403,
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    mocked.delete(
        f"{SF_CONTACTS}/003B",
        status=403,
        json=[{"message": "insufficient access rights", "errorCode": "INSUFFICIENT_ACCESS"}],
    )

    with pytest.raises(CrmRetryable, match="REQUEST_LIMIT_EXCEEDED"):
        salesforce(session).delete_contact("003A")
    with pytest.raises(CrmFailed, match="INSUFFICIENT_ACCESS"):
        salesforce(session).delete_contact("003B")


def test_salesforce_429_and_503_are_retryable(mocked, session):
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    mocked.patch(SF_UPSERT, status=429, headers={"Retry-After": "12"})
    mocked.delete(f"{SF_CONTACTS}/003A", status=503, headers={"Retry-After": later})

    with pytest.raises(CrmRetryable) as caught:
        salesforce(session).upsert_contact(ADA)
    assert caught.value.retry_after == 12
    with pytest.raises(CrmRetryable) as caught:
        salesforce(session).delete_contact("003A")
    assert 40 <= caught.value.retry_after <= 60


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (204, None),
        (404, [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED"}]),
        (404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]),
    ],
)
def test_salesforce_delete_and_already_gone_is_success(mocked, session, status, body):
    mocked.delete(f"{SF_CONTACTS}/003A", status=status, json=body, match=[AUTH])

    assert salesforce(session).delete_contact("003A") is None


@pytest.mark.parametrize(("value", "expected"), [("gold", "gold"), (None, None), (3, "3")])
def test_salesforce_read_property(mocked, session, value, expected):
    mocked.get(
        f"{SF_CONTACTS}/003A",
        json={"attributes": {"type": "Contact"}, "Id": "003A", "Tier__c": value},
        match=[AUTH, matchers.query_param_matcher({"fields": "Tier__c"})],
    )

    assert salesforce(session).read_property("003A", "Tier__c") == expected


def test_salesforce_redirect_is_not_followed(mocked, session):
    mocked.patch(SF_UPSERT, status=302, headers={"Location": "https://login.salesforce.com/"})

    with pytest.raises(CrmFailed) as caught:
        salesforce(session).upsert_contact(ADA)
    assert caught.value.status == 302
    assert len(mocked.calls) == 1
    assert session.calls[0][2]["allow_redirects"] is False


def test_salesforce_connection_error_is_retryable(mocked, session):
    mocked.patch(SF_UPSERT, body=requests.ConnectionError("connection reset"))

    with pytest.raises(CrmRetryable):
        salesforce(session).upsert_contact(ADA)


def test_salesforce_maps_the_callers_error_classes(mocked, session):
    client = salesforce(
        session, retryable_errors=(DeliveryFailed,), refused_errors=(DestinationRefused,)
    )
    mocked.delete(f"{SF_CONTACTS}/003A", body=DeliveryFailed("dns timeout"))
    mocked.delete(f"{SF_CONTACTS}/003B", body=DestinationRefused("resolves to 127.0.0.1"))

    with pytest.raises(CrmRetryable):
        client.delete_contact("003A")
    with pytest.raises(CrmFailed) as caught:
        client.delete_contact("003B")
    assert caught.value.status is None


def test_salesforce_non_json_success_fails(mocked, session):
    mocked.patch(SF_UPSERT, status=201, body="<html>Maintenance</html>")

    with pytest.raises(CrmFailed) as caught:
        salesforce(session).upsert_contact(ADA)
    assert caught.value.status == 201


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "http://acme.my.salesforce.com"},
        {"api_version": "60.0"},
        {"external_id_field": "Tenantdesk_Id__c/../../x"},
        {"tier_field": "Tier__c?fields=Id"},
    ],
)
def test_salesforce_rejects_unsafe_configuration(session, kwargs):
    with pytest.raises(ValueError):
        SalesforceClient(**{"base_url": SF, "access_token": TOKEN, "session": session, **kwargs})


def test_a_request_that_cannot_be_sent_fails(mocked, session):
    mocked.post(f"{HS_CONTACTS}/search", body=requests.exceptions.InvalidHeader("bad header"))

    with pytest.raises(CrmFailed) as caught:
        hubspot(session).upsert_contact(ADA)
    assert caught.value.status is None


def test_salesforce_single_object_errors_are_read_too(mocked, session):
    mocked.delete(
        f"{SF_CONTACTS}/003A",
        status=400,
        json={"error": "invalid_grant", "error_description": "expired access/refresh token"},
    )

    with pytest.raises(CrmFailed) as caught:
        salesforce(session).delete_contact("003A")
    assert caught.value.reason == "invalid_grant: expired access/refresh token"
