"""`--test` says which selected streams the settings can read, one request each.

So a module the tenant lacks (a 403 at `/articles`, say) is found at set-up, not on the
first nightly run; only a refused key or an unreachable host fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from tap_gainsight.tap import TEST_HELP
from tests.conftest import cs_config, px_config
from tests.emulator.cs.errors import CSError
from tests.emulator.errors import error_body
from tests.emulator.server import _Reply
from tests.sync import catalog_for, error_lines, run_cli

QUERY = "/v1/data/objects/query/"
PX_STREAMS = 23  # every PX stream but user_preferences (off by default)


def refuse(emulator, monkeypatch, *paths: str) -> None:
    """Make the PX emulator answer 403 at `paths`, as a tenant without those modules."""
    answer = emulator._answer

    def refusing(h) -> None:
        url = urlsplit(h.path)
        path = url.path.removeprefix("/v1")
        if path not in paths:
            answer(h)
            return
        reply = _Reply(emulator, h, path, parse_qs(url.query))
        reply.json(403, error_body(403, "Access is denied"))

    monkeypatch.setattr(emulator, "_answer", refusing)


def refuse_cs(emulator, monkeypatch, *objects: str) -> None:
    """Make the CS emulator refuse queries of `objects` (HTTP 403)."""
    route = emulator._route

    def refusing(method, path, raw_body, body, request_id):
        if path.removeprefix(QUERY) in objects:
            raise CSError(403, "GSOBJ_1025", "No read permission on the object")
        return route(method, path, raw_body, body, request_id)

    monkeypatch.setattr(emulator, "_route", refusing)


def lines(result, level: str) -> list[str]:
    """The messages of the log lines of one level."""
    return [x.split("| ")[-1] for x in result.stderr.splitlines() if f"| {level}" in x]


def test_every_stream_is_sent_its_first_request_for_one_record(
    emulator, monkeypatch, tmp_path
) -> None:
    refuse(emulator, monkeypatch, "/articles", "/kcbot")
    result = run_cli(px_config(emulator), tmp_path, "--test")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert error_lines(result.stderr) == []
    info, warnings = lines(result, "INFO"), lines(result, "WARNING")
    assert (
        f"Connection test passed: the API key is accepted at api_url {emulator.base_url}." in info
    )
    readable = [x for x in info if x.endswith(" is readable.")]
    assert len(readable) == PX_STREAMS - 2
    assert "Connection test: users is readable." in readable
    (articles, kc_bots, closing) = warnings
    assert articles.startswith(
        f"Connection test: articles is not readable at {emulator.base_url}/articles: "
        "/v1/articles refused the request (HTTP 403)"
    )
    assert kc_bots.startswith("Connection test: kc_bots is not readable at ")
    assert closing.startswith(
        f"Connection test passed, but 2 of {PX_STREAMS} selected streams are not readable "
        "with these settings: articles, kc_bots."
    )
    # One request per stream, not retried, each the first a sync sends, for one record.
    paths = [r.path for r in emulator.requests]
    assert len(paths) == len(set(paths)) == PX_STREAMS
    assert paths[0] == "/accounts"
    for request in emulator.requests:
        if request.path.startswith(("/admin/model/", "/admin/subscription", "/admin/monitoring/i")):
            assert request.params == {}, request  # a whole list: nothing to make smaller
        else:
            assert request.params["pageSize"] == ["1"], request
    (users,) = [r for r in emulator.requests if r.path == "/users"]
    assert users.params["sort"] == ["lastModifiedDate"]
    (views,) = [r for r in emulator.requests if r.path == "/events/pageView"]
    assert views.params["sort"] == ["date"]
    assert views.params["filter"][0].startswith("date>=")


def test_only_the_streams_the_catalog_selects_are_tested(shared_emulator, tmp_path) -> None:
    catalog = catalog_for(px_config(shared_emulator), ["articles", "custom_events"])
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    before = len(shared_emulator.requests)
    # `--catalog` after `--test` counts all the same.
    result = run_cli(
        px_config(shared_emulator), tmp_path, "--test", "--catalog", str(tmp_path / "catalog.json")
    )
    assert result.returncode == 0, result.stderr
    assert [r.path for r in shared_emulator.requests[before:]] == [
        "/accounts",
        "/articles",
        "/events/custom",
    ]
    assert lines(result, "INFO")[-1] == "Connection test passed: 2 selected streams are readable."


def test_a_richer_form_the_tenant_lacks_is_followed_by_the_plain_one(emulator, tmp_path) -> None:
    emulator.quirks.no_v2_feature_ext = True
    catalog = catalog_for(px_config(emulator), ["features"])
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    emulator.reset_log()
    result = run_cli(
        px_config(emulator), tmp_path, "--catalog", str(tmp_path / "catalog.json"), "--test"
    )
    assert result.returncode == 0, result.stderr
    assert "Connection test: features is readable." in lines(result, "INFO")
    assert [r.path for r in emulator.requests] == ["/accounts", "/v2/feature_ext", "/feature"]


def test_user_preferences_is_said_not_probed(shared_emulator, tmp_path) -> None:
    config = px_config(shared_emulator, read_user_preferences=True)
    result = run_cli(config, tmp_path, "--test")
    assert result.returncode == 0, result.stderr
    (said,) = [x for x in lines(result, "INFO") if "user_preferences" in x]
    assert said.startswith("Connection test: user_preferences is not probed:")
    assert not any("/user/preferences" in r.path for r in shared_emulator.requests)


def test_a_refused_key_fails_the_test_in_one_line_and_tests_no_stream(emulator, tmp_path) -> None:
    result = run_cli(px_config(emulator, api_key="wrong-key-0a9b8c7d6e"), tmp_path, "--test")
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "Connection test failed: Gainsight PX refused the API key (HTTP 401)" in line
    assert [r.path for r in emulator.requests] == ["/accounts"]
    assert "is readable" not in result.stderr


def test_cs_objects_are_tested_after_the_key_and_one_not_readable_is_said(
    cs_emulator, monkeypatch, tmp_path
) -> None:
    refuse_cs(cs_emulator, monkeypatch, "cs_task")
    result = run_cli(cs_config(cs_emulator), tmp_path, "--test")
    assert result.returncode == 0, result.stderr
    warnings = lines(result, "WARNING")
    assert warnings[0].startswith(
        f"Connection test: cs_task is not readable at {cs_emulator.base_url}{QUERY}cs_task: "
        f"{QUERY}cs_task refused the request (HTTP 403): GSOBJ_1025"
    )
    assert warnings[-1].startswith("Connection test passed, but 1 of ")
    queries = [r for r in cs_emulator.requests if r.path.startswith(QUERY)]
    assert queries[0].path == QUERY + "Company", "the key is tested first"
    assert all(r.body["limit"] == 1 for r in queries)
    assert len({r.path for r in queries}) == len(queries), "one request per stream"
    (company,) = [r for r in queries if r.path == QUERY + "Company"]
    assert company.body == {"select": ["Gsid"], "limit": 1}, "the core request"


@pytest.mark.parametrize("flag", ["--help"])
def test_help_says_what_test_does(flag) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tap_gainsight", flag],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    said = " ".join(result.stdout.split())
    assert " ".join(TEST_HELP.split()) in said
    assert "sync a single record" not in said
