"""Browser test: three desks of a court in headless Chromium, driven through the real binary.

Meja satu files a bug report and a deletion request in its browser; the desks sync over TCP
(`sinkron sync` to the Kasubbag's `sinkron serve`); staf TI's browser shows both waiting and
advances the bug through a branch; meja satu and staf TI edit the same title at once; the
Kasubbag's browser shows the merged history (operations in and out per origin) and keeps one
value of that conflict; a restarted web app keeps its browser signed in; the English switch is
remembered. A screenshot of each page goes to .screenshots/.

Every wait is bounded; every server listens on 127.0.0.1 and is stopped at the end.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

BIN = os.environ["SINKRON_BIN"]
SHOTS = os.environ.get("SINKRON_SHOTS", ".screenshots")
WORK = tempfile.mkdtemp(prefix="sinkron-browser-")
PROCS = []
DRIVERS = []
checks = {"passed": 0, "failed": 0}


def sinkron(*args, home):
    out = subprocess.run([BIN, *args, "--home", home], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"sinkron {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def start(args, pattern, stream):
    """Starts a server and waits (bounded) for the line that says where it listens."""
    log = open(os.path.join(WORK, f"log-{len(PROCS)}.txt"), "w+")
    proc = subprocess.Popen([BIN, *args], stdout=log if stream == "stdout" else subprocess.DEVNULL,
                            stderr=log if stream == "stderr" else subprocess.DEVNULL, text=True)
    PROCS.append(proc)
    for _ in range(200):
        log.seek(0)
        text = log.read()
        found = re.search(pattern, text)
        if found:
            return found, text
        time.sleep(0.05)
    raise RuntimeError(f"{args} did not start: {text}")


def web(home, extra=()):
    """`sinkron web` on a free loopback port; returns its base URL and a one-time sign-in link."""
    found, text = start(["web", "--home", home, "--listen", "127.0.0.1:0", *extra], r"open: (http://127\.0\.0\.1:\d+)/login\?token=[0-9a-f]+", "stdout")
    return found.group(1), found.group(0)[len("open: "):]


def browser(scale=None):
    options = webdriver.ChromeOptions()
    if scale:
        options.add_argument(f"--force-device-scale-factor={scale}")
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1100", "--disable-dev-shm-usage", "--lang=id"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    DRIVERS.append(driver)
    return driver


def check(what, condition):
    checks["passed" if condition else "failed"] += 1
    print(("ok   " if condition else "FAIL ") + what, flush=True)


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    height = driver.execute_script("return Math.min(document.body.scrollHeight, 4000)")
    driver.set_window_size(1280, max(700, height + 40))
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    driver.set_window_size(1280, 1100)


def wait(driver, condition, seconds=10):
    # A page that is being replaced (a form just posted, a live refresh) may hand out stale elements.
    return WebDriverWait(driver, seconds, ignored_exceptions=[StaleElementReferenceException, WebDriverException]).until(condition)


def gone(page):
    """True once the element's document has been replaced. Chromedriver sometimes reports that as
    "Node with given id does not belong to the document" instead of a stale element
    (SeleniumHQ/selenium#15401), so both mean the page is gone."""
    def check(_):
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    return check


def click(driver, element):
    """Clicks a submit button and waits until the next page has replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(gone(page))


def retrying(action, tries=6):
    """Runs an action on the page again when a live refresh replaced what it held (bounded)."""
    for attempt in range(tries):
        try:
            return action()
        except (StaleElementReferenceException, WebDriverException):
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


def fill(driver, values):
    for name, value in values.items():
        def put(name=name, value=value):
            field = driver.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        retrying(put)


def submit(driver, form_action):
    click(driver, driver.find_element(By.CSS_SELECTOR, f"form[action='{form_action}'] button[type=submit]"))


def main():
    k, m, s = (os.path.join(WORK, n) for n in ("kasubbag", "meja", "staf"))
    sinkron("init", "--court", "PN Bengkalis", "--name", "kasubbag-ptip", "--role", "kasubbag", "--court-code", "W4-U2", home=k)
    for name, role, home in (("meja-satu-1", "meja-satu", m), ("staf-ti-1", "staf-ti", s)):
        receipt = json.loads(sinkron("invite", "--name", name, "--role", role, "--out", home + ".invite", "--json", home=k))
        sinkron("init", "--invite", home + ".invite", "--code", receipt["code"], home=home)
    found, _ = start(["serve", "--home", k, "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0", "--interval", "2"],
                     r"listening on 127\.0\.0\.1:(\d+)", "stderr")
    sync_port = found.group(1)
    meja_url, meja_login = web(m)
    staf_url, staf_login = web(s)
    staf_web = PROCS[-1]

    # Meja satu: the person is asked once, then a bug report and a deletion request.
    mb = browser()
    mb.get(meja_login)
    mb.get(meja_url + "/new/bug")
    check("the browser is asked once who is acting", "Siapa yang bekerja di meja ini?" in mb.page_source)
    shot(mb, "01-person")
    fill(mb, {"person": "Rina (meja satu)"})
    submit(mb, "/person")
    wait(mb, lambda d: "/new/bug" in d.current_url)
    fill(mb, {"title": "Tombol simpan pihak error 500", "description": "Saat menyimpan data pihak penggugat muncul error 500",
              "module": "Pendaftaran", "case_number": "123/Pdt.G/2026/PN Bls"})
    shot(mb, "02-bug-form")
    submit(mb, "/new/bug")
    wait(mb, lambda d: "/r/" in d.current_url)
    bug = mb.current_url.rsplit("/", 1)[1]
    check("the bug report is filed and its record page shows the flow", "svg" in mb.page_source and "Tombol simpan pihak error 500" in mb.page_source)
    mb.get(meja_url + "/new/deletion")
    case = mb.find_element(By.NAME, "case_number")
    case.send_keys("123-Pdt-2026")
    wait(mb, lambda d: "is not a district-court case number" in d.find_element(By.ID, "f-case_number-hint").text)
    check("the case number is checked as it is typed, with the CLI's message", True)
    shot(mb, "03-deletion-bad-case")
    fill(mb, {"case_number": "7/Pdt.P/2026/PN Bls", "reason": "Perkara terdaftar dua kali"})
    wait(mb, lambda d: "benar" in d.find_element(By.ID, "f-case_number-hint").text)
    submit(mb, "/new/deletion")
    wait(mb, lambda d: "/r/" in d.current_url)
    deletion = mb.current_url.rsplit("/", 1)[1]
    mb.get(meja_url + "/")
    check("meja satu's home lists both as its open records", mb.page_source.count("/r/" + bug) >= 1 and "/r/" + deletion in mb.page_source)

    # Over TCP: meja satu -> Kasubbag -> staf TI.
    sinkron("sync", f"127.0.0.1:{sync_port}", "--quiet", home=m)
    sinkron("sync", f"127.0.0.1:{sync_port}", "--quiet", home=s)

    # Staf TI: both wait for its role; the bug goes through the "tidak" branch.
    sb = browser()
    sb.get(staf_login)
    sb.get(staf_url + "/person?back=/")
    fill(sb, {"person": "Andi (staf TI)"})
    submit(sb, "/person")
    wait(sb, lambda d: "Menunggu peran saya" in d.page_source)
    waiting = sb.find_element(By.ID, "home-waiting").text
    check("staf TI's home shows the bug and the deletion request waiting", "Tombol simpan pihak error 500" in waiting and "7/Pdt.P/2026/PN Bls" in waiting)
    shot(sb, "04-staf-home")
    sb.get(staf_url + "/r/" + bug)

    def advance():
        note = sb.find_element(By.ID, "note")
        note.clear()
        note.send_keys("Bug di aplikasi pusat, tidak bisa diperbaiki sendiri")
        sb.find_element(By.CSS_SELECTOR, "button[name=branch][value=tidak]").click()
    retrying(advance)
    wait(sb, lambda d: "4. Melaporkan" in d.find_element(By.ID, "step").text)
    check("the bug advanced through the tidak branch to step 4", "→ tidak" in sb.page_source)
    click(sb, sb.find_element(By.CSS_SELECTOR, "form[action$='/step'] button[type=submit]"))
    wait(sb, lambda d: "Langkah saat ini: 5." in d.find_element(By.ID, "step").text)
    shot(sb, "05-record-page")

    # Staf TI's web app restarts; its browser stays signed in (sessions are kept in the home).
    staf_web.terminate()
    staf_web.wait(timeout=10)
    staf_url, _ = web(s)
    sb.get(staf_url + "/")
    check("a restarted web app keeps the browser signed in", "Menunggu peran saya" in sb.page_source and "Andi (staf TI)" in sb.page_source)

    # Meja satu and staf TI edit the bug's title at the same time, offline from each other.
    sinkron("sync", f"127.0.0.1:{sync_port}", "--quiet", home=m)
    mb.get(meja_url + "/r/" + bug)
    fill(mb, {"value": "Error 500 saat simpan pihak"})
    submit(mb, f"/r/{bug}/edit")
    sb.get(staf_url + "/r/" + bug)
    fill(sb, {"value": "SIPP: simpan pihak gagal (error 500)"})
    submit(sb, f"/r/{bug}/edit")
    sinkron("sync", f"127.0.0.1:{sync_port}", "--quiet", home=m)
    sinkron("sync", f"127.0.0.1:{sync_port}", "--quiet", home=s)

    # Live: meja satu's open page picks the change up without losing what is typed.
    mb.get(meja_url + "/r/" + bug)
    mb.find_element(By.ID, "comment-text").send_keys("sedang diketik")
    sinkron("sync", f"127.0.0.1:{sync_port}", "--quiet", home=m)
    wait(mb, lambda d: not d.find_element(By.ID, "live-note").get_attribute("hidden"), seconds=15)
    check("an open page updates after a sync and keeps what is being typed",
          "Bug di aplikasi pusat" in mb.find_element(By.ID, "history").text and mb.find_element(By.ID, "comment-text").get_attribute("value") == "sedang diketik")

    # The Kasubbag: merged history, and one value kept of the conflict.
    kurl = "http://" + open(os.path.join(k, "web.address")).read().strip()
    kb = browser()
    kb.get(sinkron("open", "--no-browser", home=k).strip())
    kb.get(kurl + "/person?back=/admin/merges")
    fill(kb, {"person": "Bu Sari (Kasubbag)"})
    submit(kb, "/person")
    wait(kb, lambda d: "/admin/merges" in d.current_url)
    timeline = kb.find_element(By.ID, "merges").text
    check("the Kasubbag's merge timeline shows the desks' sessions", "meja-satu-1" in timeline and "staf-ti-1" in timeline)
    shot(kb, "06-merges")
    click(kb, kb.find_element(By.CSS_SELECTOR, "#merges a"))
    wait(kb, lambda d: "/admin/merges/" in d.current_url)
    per_origin = kb.find_elements(By.CSS_SELECTOR, "table")[-1].text
    check("a session's page shows operations in and out per origin", "Diterima" in per_origin and "Dikirim" in per_origin and re.search(r"(meja-satu-1|staf-ti-1) \w{8} \d+ \d+", per_origin) is not None)
    shot(kb, "07-session")
    kb.get(kurl + "/r/" + bug)
    history = kb.find_element(By.ID, "history").text
    check("the merged history shows both desks' work and the session that brought it", "Rina (meja satu)" in history and "Andi (staf TI)" in history and re.search(r"sync-\w+ #\d+ from", history) is not None)
    kb.get(kurl + "/admin/conflicts")
    check("the conflict is shown side by side", "Error 500 saat simpan pihak" in kb.page_source and "SIPP: simpan pihak gagal (error 500)" in kb.page_source)
    shot(kb, "08-conflicts")
    loser = kb.find_elements(By.CSS_SELECTOR, ".side")[1].find_element(By.CSS_SELECTOR, ".value").text
    click(kb, kb.find_elements(By.CSS_SELECTOR, ".side")[1].find_element(By.TAG_NAME, "button"))
    wait(kb, lambda d: "/r/" in d.current_url)
    check("keeping the losing value makes it the title", loser in kb.find_element(By.TAG_NAME, "h1").text)
    kb.get(kurl + "/admin/conflicts")
    check("the conflict is settled, not deleted", "sudah diselesaikan" in kb.page_source)
    kb.get(kurl + "/overview")
    shot(kb, "09-overview")

    # English, remembered.
    click(kb, kb.find_element(By.CSS_SELECTOR, "form[action='/lang'] button"))
    wait(kb, lambda d: "Open and late per SOP" in d.page_source)
    kb.get(kurl + "/r/" + bug)
    check("the English switch is remembered on the next page", "Full history" in kb.page_source and "lang=\"en\"" in kb.page_source)
    shot(kb, "10-record-english")
    # A small picture of the record page for the README (docs/record-page.png is copied from it).
    small = browser(scale=0.6)
    small.get(sinkron("open", "--no-browser", home=s).strip())
    small.set_window_size(1150, 1450)
    small.get(staf_url + "/r/" + bug)
    small.save_screenshot(os.path.join(SHOTS, "readme-record-page.png"))
    sb.set_window_size(390, 900)
    sb.get(staf_url + "/r/" + bug)
    sb.save_screenshot(os.path.join(SHOTS, "11-record-narrow.png"))
    kb.get(kurl + "/admin/verify")
    check("the verify page shows the digest `sinkron digest` prints", sinkron("digest", home=k).strip() in kb.page_source)


try:
    main()
except Exception as error:  # a failed wait or step counts as a failure, with its cause and line
    checks["failed"] += 1
    line = next((f.lineno for f in reversed(traceback.extract_tb(error.__traceback__)) if f.filename == __file__), "?")
    print(f"FAIL {type(error).__name__} at line {line}: {error}", flush=True)
finally:
    for driver in DRIVERS:
        driver.quit()
    for proc in PROCS:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"browser: {checks['passed']} passed, {checks['failed']} failed", flush=True)
    sys.exit(1 if checks["failed"] else 0)
