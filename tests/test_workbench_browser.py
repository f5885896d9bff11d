"""petri play in a real browser: headless Chromium clicks the page, the API confirms.

Needs Debian's ``chromium`` and ``chromium-driver`` and selenium (the ``test`` extra). In CI
(``CI`` set) a missing browser is a failure; elsewhere these tests are skipped without one.
With ``PETRI_SCREENSHOTS=DIR`` the tests save the pictures docs/workbench.md shows
(``python docs/screenshots.py`` runs them so).
"""
import json
import os
import shutil
import tempfile
import threading
import urllib.request
from pathlib import Path

import pytest

from control import registry
from petri import Net
from petri.formats.toml import load
from petri.workbench import Game, make_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "production_line.toml"
# shared.toml first: it names the fused net
FLOWFACTORY = sorted((str(p) for p in (ROOT / "nets" / "flowfactory").glob("*.toml")),
                     key=lambda p: (not p.endswith("shared.toml"), p))
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("PETRI_SCREENSHOTS")
#: seconds a wait for the page may take: the waits return as soon as the page shows what they
#: wait for (well under a second here), the limit is for a busy machine
WAIT = 60


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need a browser in CI: {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="petri-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}", "--window-size=1280,760"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def serve():
    servers = []

    def start(game):
        server = make_server(game, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def api(url, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return json.loads(r.read())


def wait_text(driver, selector, text, timeout=WAIT):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.CSS_SELECTOR, selector).text == text,
        message=f"{selector} never showed {text!r}")


def wait_for(driver, condition, message, timeout=WAIT):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message=message)


def css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def shot(driver, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / name))


def rows(driver, table):
    return [[td.text for td in tr.find_elements("css selector", "td")]
            for tr in all_css(driver, f"#{table} tbody tr")]


def open_page(driver, url):
    driver.get(url)
    wait_for(driver, lambda d: all_css(d, "#canvas g.transition"), "the net was never drawn")


def test_fire_by_clicking_choose_a_binding_advance_and_undo(browser, serve):
    url = serve(Game(load(str(EXAMPLE)), seed=1))
    open_page(browser, url)
    assert css(browser, "#net-name").text == "production line"
    wait_text(browser, "#firings", "0")
    enabled = [b.text for b in all_css(browser, "#enabled-list button")]
    assert enabled == ["machine_1 ⟨p=A, m=M1⟩", "machine_1 ⟨p=B, m=M1⟩", "machine_1 ⟨p=C, m=M1⟩"]
    shot(browser, "workbench-start.png")
    # machine_1 has three enabled bindings: clicking it asks which
    css(browser, '#canvas g.transition[data-name="machine_1"]').click()
    wait_for(browser, lambda d: css(d, "#chooser").get_attribute("open") is not None,
             "the binding chooser never opened")
    choices = [b.text for b in all_css(browser, "#chooser-list button")]
    assert choices == ["⟨p=A, m=M1⟩", "⟨p=B, m=M1⟩", "⟨p=C, m=M1⟩"]
    shot(browser, "workbench-choose.png")
    all_css(browser, "#chooser-list button")[1].click()
    wait_text(browser, "#firings", "1")
    assert css(browser, "#clock").text == "0"
    assert css(browser, "#message").text == "fired machine_1 ⟨p=B, m=M1⟩ at time 0"
    state = api(url, "api/state")
    # B on M1 takes 65 s, then 20 s of transport to the buffer
    assert state["marking"]["buffer"] == [["B", 85, 1]]
    assert state["marking"]["m1_idle"] == [["M1", 65, 1]]
    assert state["marking"]["orders"] == [["A", 0, 10], ["B", 0, 7], ["C", 0, 6]]
    css(browser, '.tabs button[data-tab="events"]').click()
    wait_for(browser, lambda d: rows(d, "events-table") == [["1", "0", "machine_1",
                                                             "⟨p=B, m=M1⟩"]],
             "the event log never showed the firing")
    # the page shows a place's tokens with their timestamps
    css(browser, '#canvas g.place[data-name="buffer"]').click()
    assert css(browser, "#tokens-place").text == "buffer : Product (1 tokens)"
    assert rows(browser, "tokens-table") == [["B", "85", "1"]]
    # nothing is enabled until M1 is free again at 65
    css(browser, "#advance").click()
    wait_text(browser, "#clock", "65")
    assert api(url, "api/state")["clock"] == 65
    css(browser, '.tabs button[data-tab="enabled"]').click()
    css(browser, "#undo").click()
    wait_text(browser, "#clock", "0")
    assert css(browser, "#firings").text == "1"
    css(browser, "#undo").click()
    wait_text(browser, "#firings", "0")
    state = api(url, "api/state")
    assert state["marking"]["buffer"] == [] and state["clock"] == 0 and state["undo"] == 0
    assert css(browser, "#undo").get_attribute("disabled") is not None
    # a transition that cannot fire says why
    css(browser, '#canvas g.transition[data-name="machine_2"]').click()
    wait_text(browser, "#message", "transition 'machine_2' is not enabled at time 0: its input "
                                   "place 'buffer' is empty")
    assert "error" in css(browser, "#message").get_attribute("class")


def test_clicks_faster_than_the_answers_are_shown_in_order(browser, serve):
    url = serve(Game(load(str(EXAMPLE)), seed=1))
    open_page(browser, url)
    css(browser, '.tabs button[data-tab="events"]').click()
    css(browser, "#step").click()
    wait_text(browser, "#firings", "1")         # undo is enabled now
    # two steps and an undo, each clicked before the one before it has been answered: the
    # page plays them in order and shows the last answer, the log once
    browser.execute_script("for (const id of ['step', 'step', 'undo']) "
                           "document.getElementById(id).click();")
    wait_for(browser, lambda d: css(d, "#message").text.startswith("undone"),
             "the undo was never shown")
    state = api(url, "api/state")
    assert state["firings"] == 2 and state["undo"] == 2
    assert css(browser, "#firings").text == "2"
    assert css(browser, "#clock").text == str(state["clock"])
    assert css(browser, "#message").text == f"undone: back to time {state['clock']}, 2 firings"
    assert [[r[0], r[2]] for r in rows(browser, "events-table")] == \
        [[str(e["step"]), e["transition"]] for e in api(url, "api/events")] == \
        [["1", "machine_1"], ["2", "machine_1"]]


def test_step_run_reset_and_the_event_log(browser, serve):
    url = serve(Game(load(str(EXAMPLE)), seed=1))
    open_page(browser, url)
    css(browser, "#step").click()
    wait_text(browser, "#firings", "1")
    css(browser, "#run-firings").clear()
    css(browser, "#run-firings").send_keys("9")
    css(browser, "#run").click()
    wait_text(browser, "#firings", "10")
    state = api(url, "api/state")
    assert css(browser, "#clock").text == str(state["clock"])
    css(browser, '.tabs button[data-tab="events"]').click()
    wait_for(browser, lambda d: len(rows(d, "events-table")) == 10, "ten events never showed")
    log = api(url, "api/events")
    assert [r[0] for r in rows(browser, "events-table")] == [str(e["step"]) for e in log]
    assert css(browser, "#events-csv").get_attribute("href") == url + "api/events.csv"
    shot(browser, "workbench-events.png")
    css(browser, "#seed").clear()
    css(browser, "#seed").send_keys("5")
    css(browser, "#reset").click()
    wait_text(browser, "#firings", "0")
    assert api(url, "api/state")["seed"] == 5 and rows(browser, "events-table") == []


def test_reachability_tab_jumps_to_a_state(browser, serve):
    net = Net("cycle")
    net.add_place("a", initial=1)
    net.add_place("b")
    net.add_place("c")
    net.add_transition("t1", inputs=["a"], outputs=["b"])
    net.add_transition("t2", inputs=["b"], outputs=["c"])
    net.add_transition("back", inputs=["b"], outputs=["a"])
    url = serve(Game(net))
    open_page(browser, url)
    css(browser, '.tabs button[data-tab="reach"]').click()
    wait_for(browser, lambda d: len(all_css(d, "#reach g.state")) == 3,
             "the reachability graph was never drawn")
    assert "current" in css(browser, '#reach g.state[data-name="0"]').get_attribute("class")
    assert "deadlock" in css(browser, '#reach g.state[data-name="2"]').get_attribute("class")
    css(browser, '#reach g.state[data-name="2"]').click()
    wait_text(browser, "#firings", "2")
    assert css(browser, "#message").text == "went to state 2 by t1<> t2<>"
    wait_for(browser, lambda d: "current" in css(d, '#reach g.state[data-name="2"]')
             .get_attribute("class"), "the current state never moved")
    assert api(url, "api/state")["marking"] == {"a": [], "b": [], "c": [[[], 0, 1]]}


def test_flowfactory_with_a_controller_shows_its_decisions(browser, serve):
    url = serve(Game(load(*FLOWFACTORY), controller=lambda: registry.create("traditional"),
                   controller_name="traditional"))
    open_page(browser, url)
    assert css(browser, "#net-name").text == "flowfactory"
    assert css(browser, "#controller").text == "traditional"
    assert len(all_css(browser, "#canvas g.place")) == 58
    assert len(all_css(browser, "#canvas g.transition")) == 46
    css(browser, "#run-firings").clear()
    css(browser, "#run-firings").send_keys("40")
    css(browser, "#run").click()
    wait_text(browser, "#firings", "40", timeout=2 * WAIT)
    css(browser, '.tabs button[data-tab="decisions"]').click()
    decisions = api(url, "api/decisions")
    assert decisions
    wait_for(browser, lambda d: len(rows(d, "decisions-table")) == len(decisions),
             "the decisions never showed")
    first = rows(browser, "decisions-table")[0]
    assert first[0] == str(decisions[0]["clock"])
    assert first[1] == (decisions[0]["chosen"] or "wait")
    css(browser, "#zoom-in").click()
    css(browser, "#zoom-in").click()
    browser.execute_script('document.querySelector(\'#canvas g.transition[data-name="release"]\')'
                           '.scrollIntoView({block: "center", inline: "start"})')
    shot(browser, "workbench-flowfactory.png")
    css(browser, "#step").click()
    wait_text(browser, "#firings", "41", timeout=2 * WAIT)
