"""Who may change the running system: modes, the token, forwarded requests, rates, job slots."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from aiohttp.test_utils import make_mocked_request
from pydantic import SecretStr

from services.core.errors import ActionRefused
from services.ops.guard import Client, Guard, job_slot, mode_of
from services.tracing.routes import TOKEN_HEADER, control_refusal

LOCAL, REMOTE = Client("127.0.0.1"), Client("203.0.113.9")


def guard(settings, **changes) -> Guard:
    return Guard(settings.model_copy(update=changes))


def refused(g: Guard, client: Client, token: str | None = None, action: str = "block") -> str | None:
    try:
        g.check(action, client, token)
    except ActionRefused as err:
        return err.code
    return None


def test_with_no_token_only_this_machine_may_act_and_not_through_a_proxy(settings):
    g = guard(settings)
    assert mode_of(g.settings) == "local"
    assert refused(g, LOCAL) is None and refused(g, Client("::1")) is None
    assert refused(g, REMOTE) == "guard.remote"
    assert refused(g, Client.of("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"})) == "guard.remote"
    assert refused(g, Client("not an address")) == "guard.remote"


def test_read_only_refuses_everyone_whatever_token(settings):
    g = guard(settings, read_only=True, operator_token=SecretStr("s3cret"))
    assert mode_of(g.settings) == "read_only"
    assert refused(g, LOCAL, "s3cret") == "guard.read_only"


def test_a_set_token_is_needed_from_anywhere_and_is_never_shown(settings):
    g = guard(settings, operator_token=SecretStr("s3cret"))
    assert mode_of(g.settings) == "token"
    assert refused(g, LOCAL) == "guard.token" and refused(g, LOCAL, "wrong") == "guard.token"
    assert refused(g, REMOTE, "s3cret") is None
    assert "s3cret" not in repr(g.settings) and "s3cret" not in str(g.settings.model_dump())


def test_each_client_gets_so_many_actions_a_minute_per_kind(settings):
    g = guard(settings, action_limit_per_min=3)
    assert [refused(g, LOCAL) for _ in range(4)] == [None, None, None, "guard.rate"]
    assert refused(g, LOCAL, action="jobs") is None  # another kind has its own count
    other = Guard(g.settings)  # another web worker shares the count
    assert refused(other, LOCAL) == "guard.rate"


def _hold(folder, ready, release) -> None:
    with job_slot(folder, "demos", 2) as mine:
        assert mine
        ready.set()
        release.wait(10)


def test_job_slots_cap_a_kind_and_a_dead_job_frees_its_slot(tmp_path):
    context = multiprocessing.get_context("fork")
    holders = []
    for _ in range(2):
        ready, release = context.Event(), context.Event()
        holder = context.Process(target=_hold, args=(tmp_path, ready, release))
        holder.start()
        assert ready.wait(10)
        holders.append((holder, release))
    with job_slot(tmp_path, "demos", 2) as mine:
        assert mine is False  # both taken
    holders[0][0].kill()  # a job that dies
    holders[0][0].join(10)
    with job_slot(tmp_path, "demos", 2) as mine:
        assert mine is True
    holders[1][1].set()
    holders[1][0].join(10)


@pytest.mark.parametrize(
    ("peer", "headers", "token", "status"),
    [
        ("127.0.0.1", {}, "", None),
        ("10.1.2.3", {}, "", 403),
        ("127.0.0.1", {}, "s3cret", 403),
        ("127.0.0.1", {TOKEN_HEADER: "nope"}, "s3cret", 403),
        ("127.0.0.1", {TOKEN_HEADER: "s3cret"}, "s3cret", None),
    ],
)
def test_control_routes_answer_this_machine_and_the_token_only(peer, headers, token, status):
    class Transport:
        def get_extra_info(self, name, default=None):
            return (peer, 40000) if name == "peername" else default

    request = make_mocked_request("POST", "/trace/block", headers=headers, transport=Transport())
    answer = control_refusal(request, token)
    assert (answer.status if answer is not None else None) == status
    if answer is not None:
        assert "s3cret" not in answer.text


def test_in_read_only_mode_control_routes_answer_nobody_not_even_this_machine():
    class Transport:
        def get_extra_info(self, name, default=None):
            return ("127.0.0.1", 40000) if name == "peername" else default

    request = make_mocked_request("POST", "/trace/block", headers={TOKEN_HEADER: "s3cret"}, transport=Transport())
    assert control_refusal(request, "s3cret", read_only=True).status == 403
    assert control_refusal(request, "s3cret") is None


def test_rate_counts_expire(settings, monkeypatch):
    g = guard(settings, action_limit_per_min=1)
    assert refused(g, LOCAL) is None and refused(g, LOCAL) == "guard.rate"
    monkeypatch.setattr(time, "time", lambda: 10**10)  # a later minute
    assert refused(g, LOCAL) is None
