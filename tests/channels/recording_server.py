"""A stand-in for a platform's HTTP API on 127.0.0.1: records every request, answers from a table.

Channel tests point the platform SDK's real HTTP client here, so they assert on exactly
what the platform's API would receive (method, path, query, headers, JSON or form body)
without any request leaving the machine. Answers are configured per path; a path can be
given several answers (say, a rate limit and then a success), served in order with the
last one repeating.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Tuple
from urllib.parse import parse_qs, urlsplit

Answer = Tuple[int, Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the platform would have received it."""

    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes
    json: Any = None
    form: Dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        """A parameter from the JSON body or the form body (form values stay strings)."""
        if isinstance(self.json, dict) and name in self.json:
            return self.json[name]
        return self.form.get(name)


def _parse_body(content_type: str, body: bytes) -> Tuple[Any, Dict[str, str]]:
    if "json" in content_type:
        try:
            return json.loads(body.decode("utf-8")), {}
        except ValueError:
            return None, {}
    if "x-www-form-urlencoded" in content_type:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        return None, {key: values[-1] for key, values in fields.items()}
    return None, {}


class RecordingServer:
    """A threaded HTTP server on 127.0.0.1 and a free port; use as a context manager."""

    def __init__(self, default: Answer = (200, {})) -> None:
        self.default = default
        self._answers: Dict[str, List[Answer]] = {}
        self._requests: List[RecordedRequest] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "RecordingServer":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, path: str, *answers: Answer) -> None:
        """Answer requests to ``path`` with these (status, JSON body) pairs, in order."""
        with self._changed:
            self._answers[path] = list(answers)

    def clear(self) -> None:
        """Forget recorded requests (configured answers stay)."""
        with self._changed:
            self._requests.clear()

    @property
    def requests(self) -> List[RecordedRequest]:
        with self._changed:
            return list(self._requests)

    def requests_to(self, path: str) -> List[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    def wait_for(self, predicate: Callable[[List[RecordedRequest]], bool],
                 timeout: float = 30.0) -> List[RecordedRequest]:
        """Wait until ``predicate(requests)`` holds; returns the requests either way."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._requests)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return list(self._requests)

    def _record_and_answer(self, request: RecordedRequest) -> Answer:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            answers = self._answers.get(request.path)
            if not answers:
                return self.default
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _handler_class(self) -> type:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed_json, form = _parse_body(self.headers.get("Content-Type", ""), body)
                status, answer = server._record_and_answer(RecordedRequest(
                    method=self.command, path=split.path, query=parse_qs(split.query),
                    headers={key: value for key, value in self.headers.items()},
                    body=body, json=parsed_json, form=form,
                ))
                payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, *_: Any) -> None:  # keep test output quiet
                pass

        return Handler


__all__ = ["Answer", "RecordedRequest", "RecordingServer"]
