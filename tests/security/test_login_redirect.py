"""Issue 20 item 6: after a login the browser goes only to a path of this site.

Browsers read ``/\\evil.example`` as ``//evil.example`` and drop tabs and newlines from URLs, so
``/%5Cevil.example/phish`` and ``/%09/evil.example`` led off-site although they start with one slash.
"""

from __future__ import annotations

import pytest
from security_helpers import ADMIN

OFF_SITE = ["/%5Cevil.example/phish", "/%09/evil.example", "//evil.example", "https://evil.example/",
            "/%0A/evil.example", "javascript:alert(1)", "/\\/evil.example", "%2F%2Fevil.example", "evil.example"]


def _login(client, next_param: str):
    # ``next`` is put in the URL as the attacker would write it (already percent-encoded).
    response = client.post(f"/login?next={next_param}", json={"name": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("next_param", OFF_SITE)
def test_login_sends_an_off_site_next_home(client, next_param):
    assert _login(client, next_param)["next"] == "/"


@pytest.mark.parametrize("path", ["/", "/patient/3", "/history/2?start=1&end=2", "/report/1?start=0&end=9"])
def test_login_keeps_a_path_of_this_site(client, path):
    from urllib.parse import quote

    assert _login(client, quote(path, safe=""))["next"] == path


def test_safe_next_path_rejects_what_browsers_read_as_another_host():
    from cardiowatch.dashboard.auth import safe_next_path

    for raw in ["/\\evil.example", "/\t/evil.example", "/\n/evil.example", "//evil.example", "/ /x",
                "https://evil.example", "/\x7f", "", None, "/" + "a" * 3000]:
        assert safe_next_path(raw) == "/", repr(raw)
    assert safe_next_path("/devices") == "/devices"


def test_login_script_follows_the_servers_next():
    from cardiowatch.dashboard.routes import STATIC_DIR

    script = (STATIC_DIR / "js" / "login.js").read_text()
    assert "body.next" in script or ".next)" in script
