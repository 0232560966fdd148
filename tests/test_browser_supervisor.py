"""A supervisor's flow in a real browser (Debian's chromium, headless, through selenium): log
in to the admin, open the breached queue, assign a ticket to oneself, add an internal note, and
see the note in the conversation and the assignment in the history. `make test` installs
chromium and chromedriver where it can (scripts/browser.sh)."""

import shutil
from datetime import timedelta

import pytest
from django.utils import timezone
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.conftest import PASSWORD
from tickets import services
from tickets.models import Comment, Ticket, TicketEvent

# Both aliases: the flush after a transactional test truncates as the owner (the runtime role
# may not), so nothing this test commits is left for the next one.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


@pytest.fixture
def browser(tmp_path):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "the browser test needs chromium and chromedriver (make test)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    session.implicitly_wait(5)
    yield session
    session.quit()


def test_a_supervisor_assigns_a_breached_ticket_and_leaves_a_note(
    browser, live_server, tenant, member
):
    supervisor = member(Role.SUPERVISOR, user_fields={"name": "Sam Supervisor"})
    with tenant_context(tenant):
        breached = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Printer on fire", customer_email="c@x.test"
        )
        services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Calm ticket", customer_email="d@x.test"
        )
        Ticket.objects.filter(pk=breached.pk).update(
            sla_breached=True, resolution_due_at=timezone.now() - timedelta(hours=1)
        )
    wait = WebDriverWait(browser, 10)

    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(supervisor.user.email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "dashboard")))

    browser.get(f"{live_server.url}/admin/tickets/ticket/?queue=breached")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td.field-subject").text for r in rows] == [
        "Printer on fire"
    ]
    rows[0].find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("assign_to_me")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    message = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li")))
    assert message.text == "Assigned to you: 1 ticket(s)."

    browser.find_element(By.LINK_TEXT, "Printer on fire").click()
    browser.find_element(By.NAME, "reply").send_keys("Called the vendor; fire brigade on site.")
    browser.find_element(By.NAME, "_continue").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li.success")))
    page = browser.find_element(By.TAG_NAME, "body").text

    assert "Called the vendor; fire brigade on site." in page
    assert f"Sam Supervisor <{supervisor.user.email}>" in page  # the history's assignee
    with tenant_context(tenant):
        assert Comment.objects.get(ticket=breached).public is False  # an internal note
        assert TicketEvent.objects.filter(
            ticket=breached, field="assignee", actor_user=supervisor.user
        ).exists()
        assert Ticket.objects.get(pk=breached.pk).assignee_id == supervisor.user.pk
