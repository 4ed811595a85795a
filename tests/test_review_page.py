"""The review page end to end in a real headless browser (Debian's chromium through Selenium with
the system chromedriver), and the server's refusals tested over HTTP."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import pytest

from classifier.coding.review import ReviewSession, highlighted, serve
from classifier.coding.store import AnnotationStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def session(trained, corpus, tmp_path_factory):
    from classifier.model.predict import predict_entries

    entries = corpus.entries[::60][:5]
    preds = predict_entries(entries, trained.bundle)
    store = AnnotationStore(tmp_path_factory.mktemp("review") / "store.sqlite", trained.bundle.codebook)
    s = ReviewSession({e.id: e for e in entries}, preds, trained.bundle.codebook, store, "ana")
    server = serve(s, 0, block=False)
    s.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield s
    server.shutdown()
    server.server_close()


def test_highlighting_escapes_text_and_nests_marks():
    out = highlighted("a <b> c & d e", [(2, 5, "evidence", "x"), (3, 4, "cue", "y"), (8, 9, "cue", 'q"')])
    assert "&lt;" in out and "<b>" not in out and "&amp;" in out
    assert out.count("<mark") == out.count("</mark>")


def _request(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null") if "json" in r.headers.get("Content-Type", "") else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_server_refuses_other_origins_missing_tokens_and_invalid_codes(session):
    base = session.url.rstrip("/")
    eid = session.ranked[0][2].id
    ok = {"Content-Type": "application/json", "X-Atlas-Token": session.token, "Origin": base}
    body = json.dumps({"id": eid, "action": "correct", "codes": {"policy_type": [], "sector": ["mobility"],
                                                                  "governance_subcategory": [], "themes": []}}).encode()
    assert _request(base + "/api/queue", headers={"Origin": "http://evil.example"})[0] == 403
    assert _request(base + "/api/decision", body, {**ok, "Origin": "http://evil.example"})[0] == 403
    assert _request(base + "/api/decision", body, {**ok, "X-Atlas-Token": "guess"})[0] == 403
    status, answer = _request(base + "/api/decision", body, ok)
    assert status == 422 and "policy_type" in answer["error"]
    assert session.store.history() == []


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no chromium + chromedriver on this machine (make test installs "
                                                       "Debian's chromium and chromium-driver where apt is available)")
def test_accept_one_entry_and_correct_another_in_a_real_browser(session, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
              "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        wait = WebDriverWait(driver, 30)
        driver.get(session.url)
        first, second = session.ranked[0][2], session.ranked[1][2]
        wait.until(EC.text_to_be_present_in_element((By.ID, "title"), session.entries[first.id].title))
        assert driver.find_elements(By.CSS_SELECTOR, "mark.evidence"), "evidence is highlighted"
        boxes = {b.get_attribute("name"): b.is_selected() for b in driver.find_elements(By.CSS_SELECTOR, "#labels input")}
        suggested = {f"{g}:{lab}" for g, labs in first.codes.items() for lab in labs}
        assert {k for k, v in boxes.items() if v} == suggested
        driver.find_element(By.TAG_NAME, "body").send_keys("a")                      # accept
        wait.until(EC.text_to_be_present_in_element((By.ID, "title"), session.entries[second.id].title))
        # correct the second: flip one theme, then save with the keyboard
        theme = "efficiency"
        box = driver.find_element(By.CSS_SELECTOR, f'input[name="themes:{theme}"]')
        box.click()
        driver.find_element(By.TAG_NAME, "body").send_keys("s")
        wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "Saved " + second.id))
        # the page refuses a decision that breaks the codebook: uncheck every policy type
        for b in driver.find_elements(By.CSS_SELECTOR, 'input[data-group="policy_type"]'):
            if b.is_selected():
                b.click()
        assert not driver.find_element(By.ID, "save").is_enabled()
        assert "Policy type" in driver.find_element(By.ID, "status").text
        shot = tmp_path / "review.png"
        driver.save_screenshot(str(shot))
    finally:
        driver.quit()
    latest = session.store.latest("ana")
    assert latest[first.id].codes == {g: list(v) for g, v in first.codes.items()}
    expected = {g: list(v) for g, v in second.codes.items()}
    expected["themes"] = [t for t in session.codebook.labels("themes")
                          if (t in expected["themes"]) != (t == theme)]
    assert latest[second.id].codes == expected
    assert [d.source for d in session.store.history()] == ["review:accept", "review:correct"]
    from matplotlib.image import imread

    img = imread(str(shot))
    assert img.shape[0] > 500 and img.std() > 0.05, "the screenshot is not blank"
