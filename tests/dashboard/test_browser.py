"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the real server.

One server (uvicorn on a loopback port, SQLite in a temporary folder) and two virtual ECG devices posting
protocol frames to its HTTP ingest serve the whole module. Screenshots of the main views go to
``$CW_SCREENSHOT_DIR`` when set (``CW_SCREENSHOT_DIR=docs/screenshots`` refreshes the README's), else to
a temporary folder.

Chromium comes from ``tests/dashboard/install-chromium.sh``; without it these tests skip locally and fail
in CI.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import edfio
import httpx
import pytest

from cardiowatch.dashboard.harness import LiveServer, StreamingDevice
from cardiowatch.protocol import SensorKind
from cardiowatch.server.config import Settings

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]
ADMIN = ("ada", "correct horse battery")
VIEWER = ("vic", "viewer password")
DEVICE_FS = 250.0
PPG_FS = 100.0
#: Waveform samples per second per device on the server's live feed (decimated above it).
LIVE_RATE_HZ = Settings.model_fields["live_max_sample_rate_hz"].default
PPG_HR_BPM = 72.0
#: Server alert event -> on the page: the same budget the server has from sample to alert (issue 5).
ALERT_DISPLAY_TARGET_S = 2.0
#: The lead-off alert is raised after 5 s of lead-off (server hysteresis), plus ticks and transport.
LEAD_OFF_WAIT_S = 15.0
#: bed-3's lead-off episode at the start (longer than the server's 5-s raise hysteresis).
LEAD_OFF_EPISODE_S = 7.0

pytestmark = [pytest.mark.xdist_group("dashboard_browser"), pytest.mark.slow]


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("CW_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("server"),
                        users={ADMIN[0]: (ADMIN[1], "admin"), VIEWER[0]: (VIEWER[1], "viewer")},
                        settings={"alert_tick_s": 0.2}).start()
    devices = []
    # bed-1: an analog pulse sensor (PPG, analysed for pulses and heart rate); bed-2 and bed-3: ECG.
    for i, (name, hr, sensor, fs) in enumerate((("bed-1", PPG_HR_BPM, SensorKind.PPG_ANALOG, PPG_FS),
                                                ("bed-2", 64.0, SensorKind.ECG, DEVICE_FS),
                                                ("bed-3", 88.0, SensorKind.ECG, DEVICE_FS))):
        device_id, token = server.register_device(name)
        device = StreamingDevice(server.url, device_id, token, fs=fs, hr_bpm=hr, seed=i, sensor=sensor)
        device.started_at = time.monotonic()
        devices.append(device.start())
    for i, device in enumerate(devices[:2]):
        device.send_status(battery_pct=81 - 20 * i, rssi_dbm=-58 - 9 * i, fw="1.2.0", lead_off=False)
    # bed-3 has its own history for the history test (tests may run in any order): a lead-off episode
    # at the start, long enough to raise an alert, then a clean signal.
    history_device = devices[2]
    history_device.lead_off = True
    history_device.send_status(battery_pct=12, fw="1.1.9", lead_off=True)

    def reattach() -> None:
        history_device.lead_off = False
        history_device.send_status(lead_off=False)

    timer = threading.Timer(LEAD_OFF_EPISODE_S, reattach)
    timer.start()
    yield server, devices
    timer.cancel()
    for device in devices:
        device.stop()
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {CHROMIUM}: run tests/dashboard/install-chromium.sh")
        pytest.skip(f"{CHROMIUM} is not installed (tests/dashboard/install-chromium.sh)")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, viewport=(1200, 760)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def _login(page, url: str, user: tuple[str, str], path: str = "/") -> None:
    page.goto(url + path)
    page.wait_for_url("**/login**")
    page.fill("#name", user[0])
    page.fill("#password", user[1])
    page.click("button[type=submit]")
    page.wait_for_url(url + path)


def _stats(page) -> dict:
    return page.evaluate("() => ({...window.cwStats})")


def test_logged_out_visitor_gets_the_login_page_and_no_data(live, browser):
    server, devices = live
    page = _page(browser)
    for path in ("/", f"/patient/{devices[0].device_id}", "/history", "/devices"):
        page.goto(server.url + path)
        assert "/login" in page.url, path
    assert page.locator("#login-form").is_visible()
    assert page.request.get(server.url + "/api/v1/devices").status == 401
    assert page.request.get(server.url + "/api/me").status == 401
    opened = page.evaluate("""url => new Promise(done => {
        const ws = new WebSocket(url.replace('http', 'ws') + '/ws/live');
        ws.onopen = () => done('open'); ws.onclose = () => done('refused');
    })""", server.url)
    assert opened == "refused"
    page.fill("#name", ADMIN[0])
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:has-text('Wrong name or password')")
    page.context.close()


def test_overview_shows_every_device_with_an_advancing_live_waveform(live, browser, screenshots):
    server, devices = live
    page = _page(browser)
    _login(page, server.url, ADMIN)
    for device in devices:
        page.wait_for_selector(f".tile[data-device='{device.device_id}'] .facts:has-text('battery')")
    page.wait_for_function("() => window.cwStats.sweepsDrawn > 10")
    canvas = page.locator(f".tile[data-device='{devices[1].device_id}'] canvas")
    before, pixels_before = _stats(page), canvas.evaluate("c => c.toDataURL()")
    page.wait_for_timeout(2000)
    after, pixels_after = _stats(page), canvas.evaluate("c => c.toDataURL()")
    # Samples keep arriving at the devices' rates (decimated for display) and the trace moves: at least
    # 70 % of one second's worth in two seconds, a margin for the shared machine.
    assert after["samplesReceived"] - before["samplesReceived"] >= (PPG_FS + 2 * LIVE_RATE_HZ) * 0.7
    assert pixels_after != pixels_before
    assert page.locator(f".tile[data-device='{devices[1].device_id}']").inner_text().count("61 %") == 1
    assert page.locator("#notice").inner_text().startswith("cardiowatch is not a medical device")
    assert page.get_by_text("not a medical device").count() == 1
    # A sweep full enough to read (about 4.5 s of each device's decimated live samples) for the picture.
    page.wait_for_function(f"() => window.cwStats.samplesReceived > {2 * LIVE_RATE_HZ * 4.5}")
    page.screenshot(path=str(screenshots / "overview.png"))
    assert page.errors == []
    page.context.close()


def test_phone_layout_stacks_tiles_in_one_column(live, browser, screenshots):
    server, devices = live
    page = _page(browser, viewport=(390, 844))
    _login(page, server.url, VIEWER)
    page.wait_for_selector(f".tile[data-device='{devices[1].device_id}']")
    first = page.locator(".tile").nth(0).bounding_box()
    second = page.locator(".tile").nth(1).bounding_box()
    assert second["y"] > first["y"] + first["height"] - 1 and abs(second["x"] - first["x"]) < 1
    assert first["width"] <= 390
    page.wait_for_function(f"() => window.cwStats.samplesReceived > {2 * LIVE_RATE_HZ * 4.5}")
    page.screenshot(path=str(screenshots / "phone.png"))
    page.context.close()


def test_patient_view_shows_heart_rate_and_pulse_markers_from_the_live_analysis(live, browser, screenshots):
    server, devices = live
    device = devices[0]   # the PPG sensor: the server's pipeline finds its pulses and heart rate
    page = _page(browser)
    _login(page, server.url, VIEWER, f"/patient/{device.device_id}")
    page.wait_for_function("() => /^[0-9]+$/.test(document.getElementById('hr').textContent)", timeout=20000)
    assert abs(int(page.inner_text("#hr")) - PPG_HR_BPM) <= 5
    page.wait_for_function("() => (window.cwStats.beatsReceived ?? 0) >= 3", timeout=20000)
    page.screenshot(path=str(screenshots / "patient-ppg.png"))
    # The printable rhythm report of the last minute, made from the beats the server stored.
    now = time.time()
    report = page.request.get(f"{server.url}/report/{device.device_id}?start={now - 60}&end={now + 1}")
    assert report.status == 200
    text = report.text()
    assert "Rhythm report: bed-1" in text and "not a medical device" in text
    assert page.errors == []
    page.context.close()


def test_alert_reaches_the_page_within_target_and_is_acknowledged_by_the_user(live, browser, screenshots):
    server, devices = live
    device = devices[1]
    page = _page(browser)
    _login(page, server.url, VIEWER, f"/patient/{device.device_id}")
    page.wait_for_selector("#link:has-text('live')")
    device.lead_off = True
    device.send_status(lead_off=True)
    row = page.wait_for_selector("#alerts tr[data-state='active']:has-text('Lead off')",
                                 timeout=LEAD_OFF_WAIT_S * 1000)
    page.wait_for_function("() => window.cwStats.alertsShown.length > 0")
    shown = _stats(page)["alertsShown"][0]
    assert shown["kind"] == "lead_off"
    assert 0 <= shown["shownAt"] - shown["at"] <= ALERT_DISPLAY_TARGET_S
    page.screenshot(path=str(screenshots / "patient.png"), full_page=True)
    alert_id = row.get_attribute("data-alert")
    page.click(f"#alerts tr[data-alert='{alert_id}'] button.snooze")
    page.wait_for_selector(f"#alerts tr[data-alert='{alert_id}'][data-state='snoozed']:has-text('snoozed until')")
    page.click(f"#alerts tr[data-alert='{alert_id}'] button.ack")
    page.wait_for_selector(f"#alerts tr[data-alert='{alert_id}'][data-state='acknowledged']")
    detail = httpx.get(f"{server.url}/api/v1/alerts/{alert_id}", headers={"X-API-Key": server.api_key}).json()
    assert detail["state"] == "acknowledged"
    assert [(a["action"], a["by"]) for a in detail["actions"] if a["by"] != "system"] == [
        ("snoozed", VIEWER[0]), ("acknowledged", VIEWER[0])]
    # The alert links to its evidence: the history page drawing the alert's own strip.
    page.click(f"#alerts tr[data-alert='{alert_id}'] a.evidence")
    page.wait_for_selector(f"#strip[data-alert='{alert_id}']")
    assert "lead off · onset" in page.inner_text("#strip-title").lower()
    device.lead_off = False
    device.send_status(lead_off=False)
    assert page.errors == []
    page.context.close()


def _wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.2)


def test_history_shows_a_stored_strip_events_and_exports_csv(live, browser, screenshots):
    server, devices = live
    device = devices[2]   # bed-3: a lead-off episode at the start, then a clean signal

    def has_lead_off_alert() -> bool:
        alerts = httpx.get(f"{server.url}/api/v1/alerts", params={"device_id": device.device_id},
                           headers={"X-API-Key": server.api_key}).json()
        return any(a["kind"] == "lead_off" for a in alerts)

    _wait_until(has_lead_off_alert, LEAD_OFF_EPISODE_S + LEAD_OFF_WAIT_S, "bed-3's lead-off alert")
    _wait_until(lambda: time.monotonic() - device.started_at > 11.5, 15, "11 s of bed-3's signal")
    page = _page(browser)
    _login(page, server.url, ADMIN, f"/history/{device.device_id}")
    page.wait_for_selector("body[data-loaded]")
    # The last 10 s of the range come back from storage at the device's own rate.
    samples = int(page.get_attribute("#strip", "data-samples"))
    assert samples == pytest.approx(10 * DEVICE_FS, rel=0.05)
    assert page.locator("#hr-chart .uplot").count() == 1
    assert page.locator("#events tr[data-event='alert']:has-text('Lead off')").count() == 1
    # Zoom from the hour down to about a minute by dragging on the chart: the strip follows the zoom.
    over = page.locator("#hr-chart .u-over").bounding_box()
    y = over["y"] + over["height"] / 2
    x_end = over["x"] + over["width"] - 2
    page.mouse.move(x_end - 15, y)
    page.mouse.down()
    page.mouse.move(x_end, y, steps=5)
    page.mouse.up()
    page.wait_for_selector("#strip-title:has-text('(zoom)')")
    # The alert's own strip around its onset, with its evidence and the lead-off stretch shown as such.
    page.click("#events tr[data-event='alert'] button.strip-button")
    page.wait_for_selector("#strip-title:has-text('Lead off · onset')")
    note = page.inner_text("#strip-note")
    assert "signal quality" in note and "duration" in note and "lead off for" in note
    page.screenshot(path=str(screenshots / "history.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#export-csv")
    csv_path = download_info.value.path()
    assert Path(csv_path).read_text().splitlines()[0] == "time_utc,unix_s,type,label,hr_bpm,rr_ms,rhythm"
    with page.expect_download() as download_info:
        page.click("#export-edf")
    edf = edfio.read_edf(download_info.value.path())
    assert edf.signals[0].sampling_frequency == DEVICE_FS and len(edf.signals[0].data) >= 10 * DEVICE_FS
    assert page.errors == []
    page.context.close()


def test_admin_registers_a_device_and_sees_its_token_once(live, browser, screenshots):
    server, _ = live
    page = _page(browser)
    _login(page, server.url, ADMIN, "/devices")
    page.wait_for_selector("#devices tbody tr")
    page.fill("#device-name", "kitchen-ppg")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#token-dialog[open]")
    token = page.inner_text("#token-value")
    device_id = int(page.inner_text("#token-device"))
    page.screenshot(path=str(screenshots / "devices.png"))
    # The token shown is the device's real credential: the ingest accepts it.
    status = httpx.post(f"{server.url}/api/v1/ingest/status", content=f'{{"v":1,"device_id":{device_id}}}',
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert status.status_code == 200, status.text
    page.click("#token-dialog button.primary")
    # Once the dialog closes the token is gone from the page: it was shown once.
    page.wait_for_function("() => !document.getElementById('token-dialog').open && "
                           "document.getElementById('token-value').textContent === ''")
    page.wait_for_selector(f"#devices tr[data-device='{device_id}']")
    assert page.errors == []
    page.context.close()


def test_viewer_cannot_manage_devices(live, browser):
    server, devices = live
    page = _page(browser)
    _login(page, server.url, VIEWER, "/devices")
    page.wait_for_selector(f"#devices tr[data-device='{devices[0].device_id}']")
    assert not page.locator("#register-form").is_visible()
    assert page.locator("button.revoke").count() == 0
    refused = page.evaluate("""async () => {
        const me = await (await fetch('/api/me')).json();
        const r = await fetch('/api/v1/devices', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': me.csrf_token}, body: JSON.stringify({name: 'sneaky'})});
        return r.status;
    }""")
    assert refused == 403
    page.context.close()


def test_a_device_that_goes_quiet_is_marked_stale(live, browser):
    server, _ = live
    device_id, token = server.register_device("bed-quiet")
    device = StreamingDevice(server.url, device_id, token, fs=DEVICE_FS).start()
    page = _page(browser)
    _login(page, server.url, VIEWER)
    tile = f".tile[data-device='{device_id}']"
    page.wait_for_selector(f"{tile}:not(.stale)")
    device.stop()
    page.wait_for_selector(f"{tile}.stale [data-testid='stale']:has-text('NO DATA')", timeout=25000)
    page.context.close()
