"""The page at / in a real browser (Debian's chromium, driven through chromium-driver by Selenium): it
loads with no internet, shows the configured points with their live values, and shows the Modbus device
turning bad (and its points' quality with it) when the simulator is stopped."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from conftest import _stop_server
from test_gateway_modbus import tail
from test_http import start

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture()
def browser():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail("chromium and chromium-driver are missing (Debian packages chromium, chromium-driver)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, what: str, check, limit: float = 10.0, log: str = ""):
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        last = driver.execute_script(check)
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"the page did not show {what} within {limit} s (last: {last!r})\n{tail(log) if log else ''}")


ROW = "document.querySelector('tr[data-reference=\"{}\"]')"


def test_page_shows_live_points_and_a_device_going_bad(tmp_path, browser):
    gw = start(tmp_path)
    try:
        gw.sim.set("set input 52 float32 4321.5")
        browser.get(f"http://127.0.0.1:{gw.http}/")
        assert browser.title == "IEC 61850 gateway"
        rows = wait_for(browser, "the four configured points", "return document.querySelectorAll('#points tbody tr').length === 4 && 4",
                        log=gw.log)
        assert rows == 4
        total = ROW.format("Measurement/MMXU1.TotW.mag.f")
        wait_for(browser, "the meter's value", f"return {total} && {total}.cells[1].textContent === '4321.5'", log=gw.log)
        assert browser.execute_script(f"return {total}.dataset.validity") == "good"
        meter = "document.querySelector('li[data-device=\"modbus meter\"]')"
        wait_for(browser, "the meter up", f"return {meter} && {meter}.dataset.up === 'true'", log=gw.log)
        # A new value arrives without reloading the page.
        gw.sim.set("set input 52 float32 17.25")
        wait_for(browser, "the new value", f"return {total}.cells[1].textContent === '17.25'", log=gw.log)
        # Filtering hides the others.
        browser.find_element("id", "filter").send_keys("TotW")
        visible = browser.execute_script("return [...document.querySelectorAll('#points tbody tr')].filter(r => !r.hidden).length")
        assert visible == 1
        browser.find_element("id", "filter").clear()
        browser.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
        # The trend of a chosen point collects samples.
        browser.execute_script(f"{total}.click()")
        gw.sim.set("set input 52 float32 18.5")
        wait_for(browser, "a trend", "return document.querySelector('#trend polyline').getAttribute('points').split(' ').length >= 2",
                 log=gw.log)

        # Test a register from the page: read the meter's float, as the poller's line reads it.
        browser.execute_script("""
            document.getElementById('probe-table').value = 'input';
            document.getElementById('probe-address').value = '52';
            document.getElementById('probe-type').value = 'float32';
            document.getElementById('probe-read').click();""")
        wait_for(browser, "the register's value", "return document.getElementById('probe-result').textContent.includes('value: 18.5')", log=gw.log)

        # Substitute the chosen point from the page (loopback is the engineer without access rules), then release it.
        browser.execute_script("""
            document.getElementById('sub-value').value = '77.5';
            document.getElementById('sub-apply').click();""")
        wait_for(browser, "the substitute", f"return {total}.cells[1].textContent === '77.5' && {total}.cells[2].textContent.includes('substituted')",
                 log=gw.log)
        browser.execute_script("document.getElementById('sub-release').click()")
        wait_for(browser, "the field value again", f"return {total}.cells[1].textContent === '18.5' && !{total}.cells[2].textContent.includes('substituted')",
                 log=gw.log)

        gw.sim.stop()
        wait_for(browser, "the meter down", f"return {meter}.dataset.up === 'false'", log=gw.log)
        wait_for(browser, "the point's quality bad", f"return {total}.classList.contains('bad') && {total}.cells[2].textContent", log=gw.log)
        assert "failure" in browser.execute_script(f"return {total}.cells[2].textContent")
        browser.save_screenshot(str(tmp_path / "page.png"))
    finally:
        _stop_server(gw.gw.proc)
        gw.sim.stop()
        gw.broker.kill()
