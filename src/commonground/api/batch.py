"""`$batch`: many requests in one POST, in the OData JSON or the multipart/mixed format.

Requests run one after the other, each by the same code as a request of its own (a Starlette
request is built for it), and are answered in order in the format they came in. A change set
(a nested multipart/mixed part, or a JSON `atomicityGroup`) is atomic: its requests run in one
write transaction, and when one fails, nothing of the set is written and the set is answered
with that request's error alone. Requests outside change sets run whatever happened before
them (unless `Prefer: odata.continue-on-error=false`); a JSON request whose `dependsOn` names a
failed request or group is answered 424 without running.

In a change set, `$<Content-ID>` (JSON: `$<id>`) at the start of a URL, or as the value of an
`@odata.bind`, stands for the record an earlier request created or upserted.

A batch holds at most 1,000 requests; a change set may not contain GET; a batch may not contain
a batch. Any of these, or a malformed body, fails the whole batch with 400 before anything
runs.
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response

from commonground.api import dispatch
from commonground.api.errors import ApiError, api_error, error_response
from commonground.api.payloads import json_response, parse_json, prefer, service_root
from commonground.errors import CommonGroundError
from commonground.security.caller import CALLER_KEY, caller_of
from commonground.service.environment import Environment, Transaction

MAX_REQUESTS = 1000
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
CRLF = b"\r\n"
REFERENCE = re.compile(r"^\$([A-Za-z0-9_.:~-]+)(.*)$", re.DOTALL)
QUERY_SAFE = string.punctuation + " "


@dataclass
class Part:
    """One request of a batch."""

    id: str | None
    method: str
    url: str
    headers: dict[str, str]
    body: Any = None
    raw: bytes | None = None  # multipart: the body's bytes, parsed when the request runs
    group: str | None = None
    depends_on: list[str] = field(default_factory=list)


@dataclass
class ChangeSet:
    """Requests that succeed or fail together."""

    id: str
    parts: list[Part]


@dataclass
class Answer:
    """The response to one request of a batch."""

    part: Part
    response: Response


Unit = Part | ChangeSet


class _ChangeSetFailedError(Exception):
    """A request of a change set failed: the set rolls back and is answered by `answer`."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.part.id)
        self.answer = answer


def run(request: Request, env: Environment, content_type: str, raw: bytes) -> Response:
    """Run a batch and answer it in its own format."""
    media, params = _media_type(content_type)
    if media == "application/json":
        units = _json_units(parse_json(raw))
    elif media == "multipart/mixed":
        boundary = params.get("boundary")
        if not boundary:
            raise ApiError(400, "InvalidBatch", "multipart/mixed needs a boundary parameter")
        units = _multipart_units(raw, boundary)
    else:
        message = "$batch takes multipart/mixed or application/json"
        raise ApiError(415, "UnsupportedMediaType", message)
    total = sum(len(u.parts) if isinstance(u, ChangeSet) else 1 for u in units)
    if total > MAX_REQUESTS:
        message = f"a batch holds at most {MAX_REQUESTS} requests, this one has {total}"
        raise ApiError(400, "TooManyRequests", message)
    runner = _Runner(request, env)
    results = runner.run(units, prefer(request).get("odata.continue-on-error") != "false")
    if media == "application/json":
        return _json_answer(results)
    return _multipart_answer(results)


# -- running -----------------------------------------------------------------------------------


class _Runner:
    """Runs the requests of one batch, keeping what later requests may refer to."""

    def __init__(self, request: Request, env: Environment) -> None:
        self.outer = request
        self.env = env
        self.root = service_root(request)
        self.root_path = urlsplit(self.root).path
        self.created: dict[str, str] = {}  # request id -> the record's URL under the root
        self.failed: set[str] = set()  # ids of failed requests and change sets

    def run(self, units: list[Unit], continue_on_error: bool) -> list[list[Answer] | Answer]:
        """One answer per request, or a list of them per change set that succeeded."""
        results: list[list[Answer] | Answer] = []
        for unit in units:
            result = self._change_set(unit) if isinstance(unit, ChangeSet) else self._single(unit)
            results.append(result)
            failed = isinstance(result, Answer) and result.response.status_code >= 400
            if failed and not continue_on_error:
                break
        return results

    def _single(self, part: Part) -> Answer:
        answer = self._guarded(part, None)
        if answer.response.status_code >= 400 and part.id is not None:
            self.failed.add(part.id)
        return answer

    def _change_set(self, change_set: ChangeSet) -> list[Answer] | Answer:
        answers: list[Answer] = []
        try:
            with self.env.transaction(caller_of(self.outer)) as tx:
                for part in change_set.parts:
                    answer = self._guarded(part, tx)
                    if answer.response.status_code >= 400:
                        raise _ChangeSetFailedError(answer)
                    answers.append(answer)
        except _ChangeSetFailedError as failure:
            self._forget(change_set)
            return failure.answer
        except (ApiError, CommonGroundError) as exc:  # the commit itself failed
            self._forget(change_set)
            return Answer(change_set.parts[-1], _error(exc))
        return answers

    def _forget(self, change_set: ChangeSet) -> None:
        """A change set rolled back: its records are gone, its requests failed."""
        self.failed.add(change_set.id)
        for part in change_set.parts:
            if part.id is not None:
                self.created.pop(part.id, None)
                self.failed.add(part.id)

    def _guarded(self, part: Part, tx: Transaction | None) -> Answer:
        """Run a request; its errors become its answer."""
        try:
            response = self._call(part, tx)
        except (ApiError, CommonGroundError) as exc:
            response = _error(exc)
        except Exception:  # a bug: answered like the app answers it, without internals
            response = error_response(ApiError(500, "InternalError", "an unexpected error"))
        if response.status_code < 400 and part.id is not None:
            location = response.headers.get("odata-entityid", "")
            if location.startswith(self.root):
                self.created[part.id] = location[len(self.root) :]
        return Answer(part, response)

    def _call(self, part: Part, tx: Transaction | None) -> Response:
        blocked = [d for d in part.depends_on if d in self.failed]
        if blocked:
            message = f"not run: it depends on {', '.join(blocked)}, which failed"
            return error_response(ApiError(424, "FailedDependency", message))
        path, query = self._resolve(part.url)
        if path.strip("/") == "$batch":
            raise ApiError(400, "InvalidBatch", "a batch may not contain a batch")
        request = self._request(part, path, query)
        target = dispatch.route(self.env.model, path)
        body = None
        if dispatch.needs_body(part.method):
            body = self._references_in(self._body(part))
        return dispatch.execute(request, self.env, target, body, tx)

    def _resolve(self, url: str) -> tuple[str, str]:
        """The path under the service root and the query of a request's URL."""
        reference = REFERENCE.match(url)
        if reference and reference.group(1) not in ("metadata", "batch"):
            record = self.created.get(reference.group(1))
            if record is None:
                message = f"'${reference.group(1)}' names no record created earlier in the batch"
                raise ApiError(400, "InvalidReference", message)
            url = record + reference.group(2)
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise ApiError(400, "InvalidBatchUrl", f"'{url}' is not a URL: {exc}") from exc
        path = parts.path
        if parts.scheme or path.startswith("/"):
            if not path.startswith(self.root_path):
                message = f"'{url}' is not under this service root ({self.root_path})"
                raise ApiError(400, "InvalidBatchUrl", message)
            path = path[len(self.root_path) :]
        return unquote(path), quote(parts.query, safe=QUERY_SAFE)

    def _request(self, part: Part, path: str, query: str) -> Request:
        """A Starlette request for a request of the batch, as if it had come on its own."""
        outer = self.outer.scope
        headers = [
            (k.lower().encode("latin-1", "replace"), v.encode("latin-1", "replace"))
            for k, v in part.headers.items()
        ]
        host = self.outer.headers.get("host")
        if host is not None and not any(k == b"host" for k, _ in headers):
            headers.append((b"host", host.encode("latin-1")))
        full_path = self.root_path + path
        scope = {
            "type": "http",
            "asgi": outer.get("asgi", {"version": "3.0"}),
            "http_version": "1.1",
            "method": part.method,
            "scheme": outer.get("scheme", "http"),
            "server": outer.get("server"),
            "client": outer.get("client"),
            CALLER_KEY: outer.get(CALLER_KEY),
            "root_path": outer.get("root_path", ""),
            "path": full_path,
            "raw_path": quote(full_path).encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "headers": headers,
            "path_params": {"env": self.outer.path_params["env"], "path": path},
        }
        return Request(scope)

    def _body(self, part: Part) -> Any:
        media = _media_type(part.headers.get("content-type", ""))[0]
        if part.raw is None:
            if media and media != "application/json":
                raise ApiError(415, "UnsupportedMediaType", "the body must be application/json")
            return part.body
        if media != "application/json":
            raise ApiError(415, "UnsupportedMediaType", "the body must be application/json")
        return parse_json(part.raw)

    def _references_in(self, body: Any) -> Any:
        """The body with `$n` in `@odata.bind` values replaced by the record's URL."""
        if isinstance(body, list):
            return [self._references_in(item) for item in body]
        if not isinstance(body, dict):
            return body
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key.endswith("@odata.bind") and isinstance(value, str):
                reference = REFERENCE.match(value)
                if reference and reference.group(1) in self.created:
                    value = self.created[reference.group(1)] + reference.group(2)
            out[key] = self._references_in(value)
        return out


def _error(exc: ApiError | CommonGroundError) -> Response:
    return error_response(exc if isinstance(exc, ApiError) else api_error(exc))


def _media_type(header: str) -> tuple[str, dict[str, str]]:
    """`multipart/mixed; boundary="b"` -> ("multipart/mixed", {"boundary": "b"})."""
    media, *rest = header.split(";")
    params: dict[str, str] = {}
    for param in rest:
        name, _, value = param.strip().partition("=")
        if name:
            params[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


# -- the JSON format -------------------------------------------------------------------------


def _json_units(document: Any) -> list[Unit]:
    """The requests of a JSON batch, consecutive members of an atomicityGroup as change sets."""
    if not isinstance(document, dict) or not isinstance(document.get("requests"), list):
        raise ApiError(400, "InvalidBatch", 'a JSON batch is {"requests": [...]}')
    requests: list[Any] = document["requests"]
    if len(requests) > MAX_REQUESTS:
        message = f"a batch holds at most {MAX_REQUESTS} requests, this one has {len(requests)}"
        raise ApiError(400, "TooManyRequests", message)
    units: list[Unit] = []
    seen: set[str] = set()
    closed: set[str] = set()
    for number, item in enumerate(requests):
        part = _json_part(item, number)
        if part.id in seen or part.id in closed:
            raise ApiError(400, "InvalidBatch", f"request id '{part.id}' is used twice")
        unknown = [d for d in part.depends_on if d not in seen | closed and d != part.group]
        if unknown:
            message = f"request '{part.id}' depends on unknown or later '{unknown[0]}'"
            raise ApiError(400, "InvalidBatch", message)
        if part.group is None:
            units.append(part)
        else:
            if part.method == "GET":
                message = f"request '{part.id}': GET is not allowed in an atomicity group"
                raise ApiError(400, "InvalidBatch", message)
            last = units[-1] if units else None
            if isinstance(last, ChangeSet) and last.id == part.group:
                last.parts.append(part)
            elif part.group in closed or part.group in seen:
                message = f"the requests of atomicityGroup '{part.group}' must be adjacent"
                raise ApiError(400, "InvalidBatch", message)
            else:
                units.append(ChangeSet(part.group, [part]))
                closed.add(part.group)
        assert part.id is not None
        seen.add(part.id)
    return units


def _json_part(item: Any, number: int) -> Part:
    where = f"request {number + 1}"
    if not isinstance(item, dict):
        raise ApiError(400, "InvalidBatch", f"{where} is not a JSON object")
    method = item.get("method")
    url = item.get("url")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ApiError(400, "InvalidBatch", f"{where}: method must be one of {', '.join(METHODS)}")
    if not isinstance(url, str):
        raise ApiError(400, "InvalidBatch", f"{where}: url must be a string")
    request_id = item.get("id", str(number + 1))
    group = item.get("atomicityGroup")
    depends = item.get("dependsOn", [])
    headers = item.get("headers", {})
    if not isinstance(request_id, str) or not (group is None or isinstance(group, str)):
        raise ApiError(400, "InvalidBatch", f"{where}: id and atomicityGroup are strings")
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise ApiError(400, "InvalidBatch", f"{where}: dependsOn is a list of request ids")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ApiError(400, "InvalidBatch", f"{where}: headers map names to strings")
    lowered = {str(k).lower(): v for k, v in headers.items()}
    return Part(request_id, method.upper(), url, lowered, item.get("body"), None, group, depends)


def _json_answer(results: list[list[Answer] | Answer]) -> Response:
    responses: list[dict[str, Any]] = []
    for result in results:
        for answer in result if isinstance(result, list) else [result]:
            responses.append(_json_response(answer))
    return json_response({"responses": responses})


def _json_response(answer: Answer) -> dict[str, Any]:
    response = answer.response
    out: dict[str, Any] = {"id": answer.part.id, "status": response.status_code}
    if answer.part.group is not None:
        out["atomicityGroup"] = answer.part.group
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    out["headers"] = headers
    content = bytes(response.body)
    if content:
        if headers.get("content-type", "").startswith("application/json"):
            out["body"] = orjson.loads(content)
        else:
            out["body"] = content.decode("utf-8", "replace")
    return out


# -- the multipart format ----------------------------------------------------------------------


def _multipart_units(raw: bytes, boundary: str) -> list[Unit]:
    units: list[Unit] = []
    for number, section in enumerate(_sections(raw, boundary)):
        headers, content = _head(section)
        media, params = _media_type(headers.get("content-type", ""))
        if media == "multipart/mixed":
            inner = params.get("boundary")
            if not inner:
                raise ApiError(400, "InvalidBatch", "a change set needs a boundary parameter")
            change_set = ChangeSet(f"changeset-{number + 1}", [])
            for inner_section in _sections(content, inner):
                part = _http_part(inner_section, change_set.id, nested=True)
                if part.method == "GET":
                    raise ApiError(400, "InvalidBatch", "GET is not allowed in a change set")
                change_set.parts.append(part)
            units.append(change_set)
        else:
            units.append(_http_part(section, None, nested=False))
        if len(units) > MAX_REQUESTS:
            raise ApiError(400, "TooManyRequests", f"a batch holds at most {MAX_REQUESTS} requests")
    return units


def _sections(raw: bytes, boundary: str) -> Iterator[bytes]:
    """The bodies between the delimiters of a multipart body."""
    delimiter = re.escape(b"--" + boundary.encode("latin-1"))
    pattern = re.compile(rb"(?:\A|\r?\n)" + delimiter + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    start: int | None = None
    for match in pattern.finditer(raw):
        if start is not None:
            yield raw[start : match.start()]
        if match.group(1):
            return
        start = match.end()
    if start is None:
        raise ApiError(400, "InvalidBatch", f"the body has no part with boundary '{boundary}'")
    raise ApiError(400, "InvalidBatch", f"the multipart body does not end with --{boundary}--")


def _head(section: bytes) -> tuple[dict[str, str], bytes]:
    """Header fields (names in lower case) and the content after the blank line."""
    match = re.search(rb"\r?\n\r?\n", section)
    if match is None:
        head, content = section, b""
    else:
        head, content = section[: match.start()], section[match.end() :]
    headers: dict[str, str] = {}
    for line in re.split(rb"\r?\n", head):
        if not line.strip():
            continue
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise ApiError(400, "InvalidBatch", f"malformed header line '{line[:80]!r}'")
        headers[name.strip().lower()] = value.strip()
    return headers, content


def _http_part(section: bytes, group: str | None, nested: bool) -> Part:
    """A request carried by an `application/http` part."""
    mime, content = _head(section)
    media = _media_type(mime.get("content-type", ""))[0]
    if media == "multipart/mixed":
        raise ApiError(400, "InvalidBatch", "change sets cannot be nested")
    if media != "application/http":
        shown = media or "none"
        raise ApiError(400, "InvalidBatch", f"a batch part is application/http, not {shown}")
    line, _, rest = content.lstrip(b"\r\n").partition(b"\n")
    words = line.decode("utf-8", "replace").strip().split(" ")
    if len(words) > 2 and words[-1].upper().startswith("HTTP/"):
        words = [words[0], " ".join(words[1:-1])]  # lenient about spaces in the URL
    if len(words) != 2 or words[0].upper() not in METHODS:
        raise ApiError(400, "InvalidBatch", f"malformed request line '{line[:80]!r}'")
    headers, body = _head(b"\r\n" + rest if rest.startswith((b"\r\n", b"\n")) else rest)
    content_id = mime.get("content-id", headers.pop("content-id", None))
    has_body = body.strip() != b""
    return Part(
        content_id,
        words[0].upper(),
        words[1],
        headers,
        None,
        body if has_body else None,
        group,
    )


def _multipart_answer(results: list[list[Answer] | Answer]) -> Response:
    boundary = f"batchresponse_{uuid.uuid4()}"
    out = bytearray()
    for result in results:
        out += b"--" + boundary.encode() + CRLF
        if isinstance(result, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            out += f"Content-Type: multipart/mixed; boundary={inner}".encode() + CRLF + CRLF
            for answer in result:
                out += b"--" + inner.encode() + CRLF + _http_answer(answer) + CRLF
            out += b"--" + inner.encode() + b"--" + CRLF
        else:
            out += _http_answer(result) + CRLF
    out += b"--" + boundary.encode() + b"--" + CRLF
    return Response(
        bytes(out),
        media_type=f"multipart/mixed; boundary={boundary}",
        headers={"OData-Version": "4.0"},
    )


def _http_answer(answer: Answer) -> bytes:
    """An `application/http` part carrying one response."""
    response = answer.response
    mime = [b"Content-Type: application/http", b"Content-Transfer-Encoding: binary"]
    if answer.part.id is not None:
        mime.append(f"Content-ID: {answer.part.id}".encode("latin-1"))
    status = response.status_code
    phrase = ""
    with suppress(ValueError):
        phrase = HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {phrase}".rstrip().encode()]
    lines += [f"{k}: {v}".encode("latin-1") for k, v in response.headers.items()]
    body = bytes(response.body)
    return CRLF.join(mime) + CRLF + CRLF + CRLF.join(lines) + CRLF + CRLF + body
