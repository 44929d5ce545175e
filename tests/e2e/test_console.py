"""The console at /ui/ in a real browser: Debian's Chromium, headless, driven by Playwright,
against one `listmgr up` shared by the module. The worked example typed into the page, a
write from outside showing up without a reload, the listener's reason for a rejected change,
markup in a title that runs nothing, the failure queue shown and re-driven, and the page at a
phone's width by keyboard. Every test also checks that the page raised no error, opened no
dialog and asked nothing of any host but the API. Screenshots: .listmgr/screenshots/."""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Frame,
    Page,
    Playwright,
    Request,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)

from listmgr.cli.commands import aws_client
from listmgr.runtime.config import LOCAL_ACCOUNT
from tests.samples import RERANK, WORKED_EXAMPLE
from tests.support.aws import ROOT
from tests.support.stack import RunningStack, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / ".listmgr" / "screenshots"
ANSWERED_4XX = "Failed to load resource: the server responded with a status of 4"
WAIT_MS = 30_000
"""How long an expectation waits for the page: it follows the API every 1.5 s under listmgr up."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("console"))
    yield running
    if running.process.poll() is None:
        stop_stack(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make browser` installs it (as root, with apt-get)")
    expect.set_options(timeout=WAIT_MS)
    playwright: Playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGUMENTS)
        yield launched
        launched.close()


@dataclass
class Console:
    """One page of the console, and everything it did that a test must not let pass."""

    page: Page
    origin: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    not_modified: int = 0
    navigations: int = 0

    def watch(self) -> None:
        page = self.page
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("dialog", self._dialog)
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("framenavigated", self._navigated)

    def _console(self, message: ConsoleMessage) -> None:
        # A refused inline script, eval or request (the policy) is a console error too. Chromium
        # also logs every 4xx answer it fetched as one: those are the API's refusals the tests
        # ask for, and a server error is counted from the responses instead.
        if message.type == "error" and not message.text.startswith(ANSWERED_4XX):
            self.errors.append(message.text)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.elsewhere.append(request.url)

    def _response(self, response: Response) -> None:
        if response.status == 304:
            self.not_modified += 1
        if response.status >= 500:
            self.errors.append(f"{response.status} from {response.url}")

    def _navigated(self, frame: Frame) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.dialogs == []
        assert self.elsewhere == []

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    # -- what a person does -----------------------------------------------------------------

    def paste_key(self, key: str) -> None:
        self.page.get_by_label("API key").fill(key)

    def submit(self, document: dict[str, Any], entries_text: str | None = None) -> None:
        page = self.page
        form = page.locator("#submit-form")
        form.get_by_label("Title").fill(document["title"])
        form.get_by_label("User").fill(document["user"])
        form.get_by_label("Type").select_option(document["type"])
        form.get_by_label("Entries (JSON)").fill(entries_text or json.dumps(document["entries"]))
        form.get_by_role("button", name="Submit").click()

    def outcome(self, text: str | re.Pattern[str]) -> None:
        expect(self.page.locator("#write-outcome")).to_have_text(text)

    def open_title(self, title: str) -> None:
        self.page.get_by_role("list", name="titles").get_by_role("button", name=title, exact=True).click()
        expect(self.page.locator("#list-heading")).to_have_text(title)

    def rows(self, table: str) -> Callable[[], list[list[str]]]:
        locator = self.page.locator(f"{table} tbody tr")
        return lambda: locator.evaluate_all(
            "rows => rows.map(row => Array.from(row.cells, cell => cell.textContent))"
        )


def wait_until(read: Callable[[], Any], wanted: Any) -> None:
    wait_for(lambda: read() == wanted or None, timeout=WAIT_MS / 1000, every=0.2)
    assert read() == wanted


@pytest.fixture
def console(browser: Browser, stack: RunningStack) -> Iterator[Console]:
    yield from open_console(browser, stack, {"width": 1280, "height": 900})


def open_console(browser: Browser, stack: RunningStack, viewport: ViewportSize) -> Iterator[Console]:
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    opened = Console(page, stack.api)
    opened.watch()
    page.goto(f"{stack.api}/ui/")
    expect(page.locator("#connection")).to_contain_text("following the API")
    yield opened
    context.close()


def test_the_worked_example_typed_into_the_console(console: Console, stack: RunningStack) -> None:
    page = console.page
    expect(page.get_by_role("heading", name="Local stack")).to_be_visible()
    console.paste_key(stack.key)
    for document in WORKED_EXAMPLE:
        console.submit(document)
        console.outcome(f"applied: {document['title']} / {document['user']}")

    console.open_title("favorite movies")
    ranking = console.rows("#aggregate-table")
    wait_until(
        ranking,
        [
            ["1", "blade runner", "1.5", "2", "3"],
            ["2", "alien", "2", "2", "4"],
            ["3", "the empire strikes back", "2.5", "2", "5"],
        ],
    )
    expect(page.locator("#list-summary")).to_contain_text("rank list · 2 users")
    chart = page.locator("#chart-area svg")
    expect(chart).to_have_attribute("aria-label", re.compile("mean rank"))
    expect(chart.locator("text.chart-label")).to_have_text(
        ["blade runner", "alien", "the empire strikes back"]
    )

    console.submit(RERANK)
    console.outcome("applied: favorite movies / mike")
    wait_until(
        ranking,
        [
            ["1", "alien", "1", "2", "2"],
            ["2", "blade runner", "2", "2", "4"],
            ["3", "the empire strikes back", "3", "1", "3"],
        ],
    )
    users = page.get_by_role("list", name="users")
    expect(users.get_by_role("button")).to_have_text(["mike", "rdlysct"])
    users.get_by_role("button", name="mike").click()
    expect(page.locator("#user-heading")).to_have_text("mike's list")
    wait_until(console.rows("#user-list"), [["alien", "1"], ["blade runner", "2"]])
    expect(page.get_by_role("list", name="history, newest first").get_by_role("listitem")).to_have_count(3)

    console.open_title("stats")
    wait_until(console.rows("#aggregate-table"), [["xp", "108"]])
    expect(page.locator("#list-summary")).to_contain_text("tally list · 2 users")

    # The trigger's events, filtered by type, and the mappings that carried them.
    events = page.get_by_role("list", name="events, newest first")
    expect(events.get_by_text("aggregate-list-updated").first).to_be_visible()
    page.get_by_label("Type (a glob)").fill("aggregate-list-*")
    page.locator("#events-form").get_by_role("button", name="Filter").click()
    expect(events.locator("strong").first).to_have_text(re.compile(r"^aggregate-list-"))
    wait_until(
        lambda: {text for text in events.locator("strong").all_text_contents()},
        {"aggregate-list-created", "aggregate-list-updated"},
    )
    mapping = page.locator("article.mapping", has_text="listener <- kinesis")
    figures = mapping.locator("dl.figures > div").evaluate_all(
        "pairs => Object.fromEntries(pairs.map(pair => [pair.children[0].textContent, "
        "pair.children[1].textContent]))"
    )
    assert int(figures["records"]) >= len(WORKED_EXAMPLE) + 1 and int(figures["batches"]) >= 1
    assert (figures["retries"], figures["discarded"], figures["faults"]) == ("0", "0", "0")
    assert figures["iterator age"].endswith(" ms")
    expect(mapping.locator("tbody tr")).to_have_count(1)  # one shard
    expect(mapping.locator("tbody td").nth(4)).to_have_text("0 · 0")  # parallelizationFactor 2: two lanes
    console.open_title("favorite movies")
    console.screenshot("worked-example")
    console.screenshot("console", full_page=False)
    console.assert_clean()


def test_a_write_from_outside_the_page_shows_up_without_reloading(
    console: Console, stack: RunningStack
) -> None:
    scores = {"title": "scores", "user": "ann", "type": "tally", "entries": {"points": 5}}
    assert stack.request("POST", "/lists", scores, {"Prefer": "wait=10"}, key=stack.key).status == 200
    console.open_title("scores")
    totals = console.rows("#aggregate-table")
    wait_until(totals, [["points", "5"]])
    loaded = console.navigations

    more = {**scores, "user": "bob", "entries": {"points": 7, "bonus": 1}}
    assert stack.request("POST", "/lists", more, {"Prefer": "wait=10"}, key=stack.key).status == 200
    wait_until(totals, [["points", "12"], ["bonus", "1"]])
    expect(console.page.get_by_role("list", name="users").get_by_role("button")).to_have_text(["ann", "bob"])
    assert (
        stack.request("DELETE", "/lists/scores/users/ann", None, {"Prefer": "wait=10"}, key=stack.key).status
        == 200
    )
    wait_until(totals, [["points", "7"], ["bonus", "1"]])
    expect(console.page.get_by_role("list", name="users").get_by_role("button")).to_have_text(["bob"])

    assert console.navigations == loaded  # no reload
    assert console.not_modified > 0  # it follows with conditional reads
    console.assert_clean()


def test_the_listeners_reason_for_a_change_it_set_aside_shows_at_once(
    console: Console, stack: RunningStack
) -> None:
    console.paste_key(stack.key)
    largest = "9" * 38  # a whole number of 38 digits: one user may hold it, two cannot add up
    first = {"title": "big numbers", "user": "ann", "type": "tally", "entries": {}}
    console.submit(first, f'{{"n": {largest}}}')
    console.outcome("applied: big numbers / ann")
    wait_until(console.rows("#aggregate-table"), [["n", largest]])  # every digit, as sent

    console.submit({**first, "user": "bob"}, f'{{"n": {largest}}}')
    console.outcome(f"rejected by the listener: {largest} + {largest} cannot be stored exactly")
    console.submit({**first, "type": "rank"}, '{"n": 1}')
    console.outcome(re.compile(r"^refused \(409 type_conflict\)"))
    console.page.get_by_label("API key").fill("lm_not-a-key")
    console.submit(first, '{"n": 1}')
    console.outcome(re.compile(r"^refused \(401 "))
    console.assert_clean()


MARKUP = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
PATHLIKE = "a/b%2F c?d#e"


def test_markup_in_names_shows_as_written_and_runs_nothing(console: Console, stack: RunningStack) -> None:
    page = console.page
    console.paste_key(stack.key)
    console.submit({"title": MARKUP, "user": SCRIPT, "type": "rank", "entries": {"<b>bold</b>": 1}})
    console.outcome(f"applied: {MARKUP} / {SCRIPT}")
    expect(page.locator("#list-heading")).to_have_text(MARKUP)
    page.get_by_role("list", name="users").get_by_role("button", name=SCRIPT).click()
    expect(page.locator("#user-heading")).to_have_text(f"{SCRIPT}'s list")
    wait_until(console.rows("#user-list"), [["<b>bold</b>", "1"]])
    expect(page.get_by_role("list", name="titles").get_by_role("button", name=MARKUP)).to_be_visible()
    # A write from outside with a name like a path: read back through the page's own encoding.
    outside = {"title": PATHLIKE, "user": PATHLIKE, "type": "tally", "entries": {PATHLIKE: 1}}
    assert stack.request("POST", "/lists", outside, {"Prefer": "wait=10"}, key=stack.key).status == 200
    console.open_title(PATHLIKE)
    wait_until(console.rows("#aggregate-table"), [[PATHLIKE, "1"]])
    assert stack.request("GET", f"/lists/{quote(MARKUP, safe='')}").status == 200

    assert page.locator("img").count() == 0
    assert page.locator("b").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    console.screenshot("markup-in-names")
    console.assert_clean()


def test_the_failure_queue_shown_and_redriven_from_the_console(console: Console, stack: RunningStack) -> None:
    submission = {"title": "redriven", "user": "ann", "type": "tally", "entries": {"n": 1}}
    kinesis = aws_client(stack.info, "kinesis")
    put = kinesis.put_record(
        StreamName=stack.info["stream_name"], Data=json.dumps(submission).encode(), PartitionKey="redriven"
    )
    wait_for(lambda: stack.request("GET", "/lists/redriven").status == 200)
    stream_arn = kinesis.describe_stream_summary(StreamName=stack.info["stream_name"])[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    # What Lambda sends to the on-failure destination once a batch's retries ran out.
    failure = {
        "requestContext": {
            "requestId": "5e0d7b6e-6a51-4d7f-9a4e-1c1f1b1e2a3c",
            "functionArn": f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:list-manager-dev-listener",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 11,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-12-01T20:00:00.000Z",
        "KinesisBatchInfo": {
            "shardId": put["ShardId"],
            "startSequenceNumber": put["SequenceNumber"],
            "endSequenceNumber": put["SequenceNumber"],
            "approximateArrivalOfFirstRecord": "2026-12-01T19:59:58.000Z",
            "approximateArrivalOfLastRecord": "2026-12-01T19:59:58.000Z",
            "batchSize": 1,
            "streamArn": stream_arn,
        },
    }
    aws_client(stack.info, "sqs").send_message(
        QueueUrl=stack.info["failure_queue_url"], MessageBody=json.dumps(failure)
    )

    page = console.page
    failures = page.get_by_role("list", name="failed batches")
    expect(failures.get_by_role("listitem")).to_have_count(1)
    item = failures.get_by_role("listitem")
    expect(item).to_contain_text(f"list-manager-dev-listener · kinesis {put['ShardId']}")
    expect(item).to_contain_text("1 records · RetryAttemptsExhausted")
    item.get_by_role("button", name=re.compile("^show")).click()
    detail = page.locator("#failure-detail")
    expect(detail).to_contain_text("records (1 of 1 on the stream):")
    expect(detail.locator("pre.records")).to_contain_text('"title":"redriven"')
    console.screenshot("failure-queue")

    item.get_by_role("button", name=re.compile("^re-drive")).click()
    expect(page.locator("#redrive-outcome")).to_contain_text("re-driven: 1 records, message deleted")
    expect(page.locator("#failures-status")).to_have_text("the failure queue is empty")
    assert stack.listmgr("dlq", "list").stdout == "the failure queue is empty\n"
    # Applied once, however often it was delivered.
    assert stack.request("GET", "/lists/redriven").body["entries"] == {"n": 1}
    console.assert_clean()


@pytest.fixture
def phone(browser: Browser, stack: RunningStack) -> Iterator[Console]:
    yield from open_console(browser, stack, {"width": 375, "height": 812})


def test_at_a_phones_width_by_keyboard_alone(phone: Console, stack: RunningStack) -> None:
    page = phone.page
    tour = {"title": "tour", "user": "kim", "type": "rank", "entries": {"first": 1, "second": 2}}
    assert stack.request("POST", "/lists", tour, {"Prefer": "wait=10"}, key=stack.key).status == 200
    expect(page.get_by_role("list", name="titles").get_by_role("button", name="tour")).to_be_visible()

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the lists"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "find"
    # The keyboard's focus is visible.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type("tou")
    page.keyboard.press("Enter")
    expect(page.locator("#list-heading")).to_have_text("tour")
    expect(page.locator("#list-heading")).to_be_focused()
    wait_until(
        phone.rows("#aggregate-table"), [["1", "first", "1", "1", "1"], ["2", "second", "2", "1", "2"]]
    )

    # A write by keyboard: the key, then the form's fields in order, then Enter.
    page.get_by_label("API key").focus()
    page.keyboard.type(stack.key)
    title = page.locator("#submit-form").get_by_label("Title")
    title.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("tour")
    for field_text in ("lee",):
        page.keyboard.press("Tab")
        page.keyboard.type(field_text)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit-type"
    page.keyboard.press("Tab")
    page.keyboard.type('{"second": 1, "first": 2}')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit-button"
    page.keyboard.press("Enter")
    phone.outcome("applied: tour / lee")
    wait_until(
        phone.rows("#aggregate-table"), [["1", "first", "1.5", "2", "3"], ["2", "second", "1.5", "2", "3"]]
    )

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot("phone")
    phone.assert_clean()
