"""The proxy's admin port over HTTP, as the integration tests call it: GET a path, or POST a JSON
body to it. A refusal (401, 409, 503) is as much a result to assert on as a 200, so admin_call
returns the status and the answer whatever the status; admin_ok is for calls that must succeed."""

import json
import urllib.error
import urllib.request


def admin_call(proxy, path: str, body=None, token: str = None, timeout: float = 10.0):
    """(status, answer) of GET `path` on the proxy's admin port, or of a POST of `body` as JSON
    when one is given; `token` goes in an Authorization: Bearer header. The answer is the parsed
    JSON when the proxy answered JSON (every endpoint but /metrics and the status page), its text
    otherwise."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(proxy.admin_url(path), data=data, headers=headers,
                                     method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, _content(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, _content(refused)


def admin_ok(proxy, path: str, body=None):
    """The answer of admin_call(proxy, path, body), which must be a 200: the test fails with the
    proxy's answer otherwise."""
    status, answer = admin_call(proxy, path, body)
    assert status == 200, (path, status, answer)
    return answer


def metric(proxy, name: str, default=None) -> float:
    """The value of the sample `name` (with its labels as the proxy writes them, e.g.
    'tandem_requests_total{kind="read"}') in the proxy's /metrics; `default` when it is absent
    (a labelled counter appears once it is non-zero), an AssertionError without one."""
    for line in admin_ok(proxy, "/metrics").splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    if default is not None:
        return default
    raise AssertionError(f"{name} not in /metrics")


def _content(answer):
    text = answer.read().decode()
    if answer.headers.get_content_type() == "application/json":
        return json.loads(text)
    return text
