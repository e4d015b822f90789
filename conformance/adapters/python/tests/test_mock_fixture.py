# Tests of the provkit_mock pytest fixture and its admin client against a real `provkit mock`.
import json
import urllib.error
import urllib.request

import pytest

from provkit_adapter.mock import MockError, MockServer


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def chat(base_url, text, model="provkit-mock"):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": text}]}).encode()
    request = urllib.request.Request(base_url + "/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_fixture_serves_on_loopback_with_a_free_port(provkit_mock):
    assert provkit_mock.url.startswith("http://127.0.0.1:")
    assert not provkit_mock.url.endswith(":0")
    assert provkit_mock.base_url == provkit_mock.url + "/v1"
    status, listing = get(provkit_mock.base_url + "/models")
    assert status == 200
    assert [entry["id"] for entry in listing["data"]] == ["provkit-mock"]


@pytest.mark.provkit_mock(models=["m1", "m2"], profile="llama.cpp")
def test_marker_options_reach_the_server(provkit_mock):
    _, listing = get(provkit_mock.base_url + "/models")
    assert [entry["id"] for entry in listing["data"]] == ["m1", "m2"]
    assert provkit_mock.admin.profile()["name"] == "llama.cpp"


def test_admin_scenario_switches_state(provkit_mock):
    assert get(provkit_mock.url + "/health")[0] == 200
    provkit_mock.admin.scenario("loading")
    status, body = get(provkit_mock.url + "/health")
    assert status == 503
    assert body["error"]["message"] == "Loading model"
    provkit_mock.admin.scenario("healthy")
    assert get(provkit_mock.url + "/health")[0] == 200


def test_admin_script_and_journal(provkit_mock):
    provkit_mock.admin.script({"rules": [{"contains": "ping", "reply": {"text": "pong"}}]})
    provkit_mock.admin.reset_journal()
    answer = chat(provkit_mock.base_url, "ping please")
    assert answer["choices"][0]["message"]["content"] == "pong"
    assert chat(provkit_mock.base_url, "echo me")["choices"][0]["message"]["content"] == "echo me"
    entries = provkit_mock.admin.journal()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/chat/completions", 200), ("POST", "/v1/chat/completions", 200)]
    assert json.loads(entries[0]["body"])["messages"][0]["content"] == "ping please"
    assert provkit_mock.admin.stats()["requests"] == 2


def test_admin_refuses_a_bad_scenario_naming_it(provkit_mock):
    with pytest.raises(MockError, match="lodaing"):
        provkit_mock.admin.scenario("lodaing")


def test_mock_server_stops_cleanly(provkit_mock):
    server = MockServer(provkit=provkit_mock.command[0]).start()
    url = server.url
    assert get(url + "/health")[0] == 200
    assert server.stop() == 0  # SIGTERM: `provkit mock` exits 0
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/health", timeout=2)


def test_missing_binary_is_a_clear_error(tmp_path):
    with pytest.raises(MockError, match="does not exist"):
        MockServer(provkit=str(tmp_path / "no-provkit"))
