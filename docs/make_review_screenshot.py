"""Screenshot of the review page for the README: `.venv/bin/python docs/make_review_screenshot.py`.

Serves the page for eight bundled-corpus entries (with the committed model, a throwaway store)
and photographs it in headless chromium, the way tests/test_review_page.py drives it.
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from classifier.coding.review import ReviewSession, serve
    from classifier.coding.store import AnnotationStore
    from classifier.io.corpus import load_corpus
    from classifier.model.bundle import load_bundle
    from classifier.model.predict import predict_entries

    corpus = load_corpus()
    entries = [e for e in corpus.entries if e.documents][:8]
    bundle = load_bundle(ROOT / "models" / "atlas-coder")
    with tempfile.TemporaryDirectory() as tmp:
        session = ReviewSession({e.id: e for e in entries}, predict_entries(entries, bundle), bundle.codebook,
                                AnnotationStore(Path(tmp) / "store.sqlite", bundle.codebook), "ana")
        server = serve(session, 0, block=False)
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium")
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,950", "--no-first-run",
                  "--disable-background-networking", f"--user-data-dir={tmp}/profile"):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
        try:
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
            first = session.ranked[0][2]
            WebDriverWait(driver, 30).until(EC.text_to_be_present_in_element((By.ID, "title"),
                                                                              session.entries[first.id].title))
            driver.save_screenshot(str(ROOT / "docs" / "review-page.png"))
        finally:
            driver.quit()
            server.shutdown()
    print("docs/review-page.png")


if __name__ == "__main__":
    main()
